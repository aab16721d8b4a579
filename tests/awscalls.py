"""Every AWS operation the application code performs during the test run, recorded with botocore.

The tests' own clients (inspecting what was stored) and resource setup are left out: only what the
app does needs a permission in the deployed policy (see test_zz_iam_policy.py).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

RECORDED: list[tuple[str, str, dict[str, Any]]] = []
_ignored_clients: set[int] = set()
_state = threading.local()
_lock = threading.Lock()


def ignore(client: Any) -> Any:
    """Mark a client as the tests' own."""
    _ignored_clients.add(id(client))
    return client


@contextmanager
def paused() -> Iterator[None]:
    """Calls made inside are setup, not the app's."""
    _state.paused = True
    try:
        yield
    finally:
        _state.paused = False


def _brief(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    brief = {k: params[k] for k in ("TableName", "IndexName", "Bucket", "Key", "UserPoolId", "SecretId",
                                              "DistributionId") if k in params}
    if operation in ("BatchGetItem", "BatchWriteItem"):
        brief["Tables"] = sorted(params.get("RequestItems", {}))
    if operation == "TransactWriteItems":
        brief["Items"] = [(kind, body["TableName"])
                          for entry in params["TransactItems"] for kind, body in entry.items()]
    return brief


def install() -> None:
    from botocore.client import BaseClient

    if getattr(BaseClient._make_api_call, "_recording", False):
        return
    original = BaseClient._make_api_call

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if id(self) not in _ignored_clients and not getattr(_state, "paused", False):
            with _lock:
                RECORDED.append((self.meta.service_model.service_name, operation, _brief(operation, params)))
        return original(self, operation, params)

    recorded._recording = True  # type: ignore[attr-defined]
    BaseClient._make_api_call = recorded
