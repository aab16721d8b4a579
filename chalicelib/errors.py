"""The one error type the API answers with: `{"error": {"code", "message", "field"?}}`."""
from __future__ import annotations

from typing import Any

# Subclassing ChaliceUnhandledError lets the error pass Chalice's own handler and reach our
# middleware, which shapes every error body the same way. Importing chalice costs nothing
# extra: app.py has already imported it.
from chalice import ChaliceUnhandledError


class ApiError(ChaliceUnhandledError):
    """A client-facing failure with an HTTP status, a stable code and a readable message."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


def not_found(what: str = "conversation") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def under_review() -> ApiError:
    """451 while the moderators review a child-safety report: the page, API and exports say the same."""
    return ApiError(451, "under_review", "This conversation is unavailable while the moderators review a report "
                    "about it.")


def cleanup_pending() -> ApiError:
    """503 for a removal that is stored but whose copies (page, objects, CDN) wait for the scheduled job."""
    return ApiError(503, "cleanup_pending", "It is deleted, but some of its copies are not removed yet: send the "
                    "request again to finish, or they go within minutes.", headers={"Retry-After": "5"})


def bad_request(message: str, field: str | None = None, code: str = "invalid_request") -> ApiError:
    return ApiError(400, code, message, field)


# AWS error codes that mean "busy, try again", whatever the HTTP status they came with.
_THROTTLED = frozenset({"SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
                        "ProvisionedThroughputExceededException", "RequestThrottled", "TooManyRequestsException",
                        "ServiceUnavailable", "InternalError", "InternalServerError", "InternalFailure"})


def unavailable_from(exc: BaseException) -> ApiError | None:
    """A 503 for a failure to reach AWS (refused, timed out, dropped) or an AWS service that answered "busy" or
    failed on its side (5xx, throttling, after botocore's own retries), found anywhere in the chain of causes
    (PynamoDB wraps botocore's errors); None for anything else, which stays a 500."""
    from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
    from botocore.exceptions import ConnectionError as CannotConnect  # refused, unknown host, connect timeout

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (CannotConnect, ReadTimeoutError, ConnectionClosedError)) or \
                (isinstance(current, ClientError) and _busy(current)):
            return ApiError(503, "unavailable", "The database is not answering; please retry shortly.",
                            headers={"Retry-After": "5"})
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
    return None


def _busy(exc: BaseException) -> bool:
    response = getattr(exc, "response", None) or {}
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return status >= 500 or response.get("Error", {}).get("Code") in _THROTTLED
