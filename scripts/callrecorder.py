"""Every AWS call this process makes, seen through botocore's own event hooks (for the tests' IAM check and the
benchmark's cost ledger).

`install()` adds three handlers to botocore's built-in handler list, so every botocore session created after
it (boto3's, and each PynamoDB connection's) emits `before-parameter-build`, `after-call` and `after-call-error`
to them; listeners get one `Call` per API call (retries inside botocore are one call). Clients that belong to
the caller (inspecting what was stored) are marked with `ignore()` and never reported.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    service: str  # "dynamodb", "s3", "cognito-idp"...
    operation: str  # "PutItem"...
    params: dict[str, Any]  # as the caller passed them
    parsed: dict[str, Any] = field(default_factory=dict)  # the answer, or the error's body
    status: int | None = None  # None when no answer came (a connection error)
    notes: dict[str, Any] = field(default_factory=dict)  # what a listener kept from before the call

    @property
    def refused(self) -> bool:
        return self.status is None or self.status >= 300


class Listener:
    """Override either: `before` runs before the request is sent (the params are final), `after` once it ended."""

    def before(self, call: Call) -> None:
        pass

    def after(self, call: Call) -> None:
        pass


_listeners: list[Listener] = []
_lock = threading.Lock()
_paused = threading.local()
_IGNORED = "callrecorder.ignored"
_CALL = "callrecorder.call"


def _before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    if context.get(_IGNORED) or getattr(_paused, "on", False) or not _listeners:
        return
    call = Call(model.service_model.service_name, model.name, params)
    context[_CALL] = call
    for listener in list(_listeners):
        listener.before(call)


def _after(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    call = context.pop(_CALL, None)
    if call is None:
        return
    call.parsed, call.status = parsed or {}, http_response.status_code
    for listener in list(_listeners):
        listener.after(call)


def _after_error(context: dict[str, Any], **_: Any) -> None:
    call = context.pop(_CALL, None)
    if call is not None:
        for listener in list(_listeners):
            listener.after(call)


def install() -> None:
    """Hook every botocore session created from now on (idempotent)."""
    from botocore import handlers

    if any(spec[1] is _before for spec in handlers.BUILTIN_HANDLERS):
        return
    handlers.BUILTIN_HANDLERS.extend([("before-parameter-build", _before), ("after-call", _after),
                                      ("after-call-error", _after_error)])


def _mark_ignored(context: dict[str, Any], **_: Any) -> None:
    context[_IGNORED] = True


def ignore(client: Any) -> Any:
    """Leave this client's calls out (it is the caller's own, not the application's); returns it."""
    client.meta.events.register_first("before-parameter-build", _mark_ignored)
    return client


@contextmanager
def listening(listener: Listener) -> Iterator[Listener]:
    install()
    with _lock:
        _listeners.append(listener)
    try:
        yield listener
    finally:
        with _lock:
            _listeners.remove(listener)


def add_listener(listener: Listener) -> None:
    """Listen for the rest of the process (a test session)."""
    install()
    with _lock:
        _listeners.append(listener)


@contextmanager
def paused() -> Iterator[None]:
    """Calls made inside, on this thread, are set-up, not the application's."""
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = False

