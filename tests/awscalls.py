"""Every AWS operation the application code performs during the test run (scripts/callrecorder.py's hooks).

The tests' own clients (inspecting what was stored) and resource setup are left out: only what the app
does needs a permission in the deployed policy (see the session-finish check in conftest.py).
"""
from __future__ import annotations

import threading
from typing import Any

from scripts import callrecorder
from scripts.callrecorder import ignore, paused

__all__ = ["RECORDED", "ignore", "install", "paused"]

RECORDED: list[tuple[str, str, dict[str, Any]]] = []
_lock = threading.Lock()


def _brief(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    brief = {k: params[k] for k in ("TableName", "IndexName", "Bucket", "Key", "Range", "UserPoolId", "SecretId",
                                    "DistributionId", "TopicArn", "QueueUrl", "QueueName") if k in params}
    if operation in ("BatchGetItem", "BatchWriteItem"):
        brief["Tables"] = sorted(params.get("RequestItems", {}))
    if operation == "TransactWriteItems":
        brief["Items"] = [(kind, body["TableName"])
                          for entry in params["TransactItems"] for kind, body in entry.items()]
    return brief


class _Recorder(callrecorder.Listener):
    def before(self, call: callrecorder.Call) -> None:
        with _lock:
            RECORDED.append((call.service, call.operation, _brief(call.operation, call.params)))


_recorder = _Recorder()


def install() -> None:
    """Record from now on (idempotent)."""
    if _recorder not in callrecorder._listeners:
        callrecorder.add_listener(_recorder)
