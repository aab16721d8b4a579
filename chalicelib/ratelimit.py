"""Per-client rate limits kept in DynamoDB: Lambda instances share no memory."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from . import keys
from .errors import ApiError
from .models import Counter


def check(scope: str, client: str, limit: int, window_seconds: int, now: float | None = None) -> None:
    """Count one request of `client` in the current fixed window; raise 429 past `limit`.

    One conditional-free UpdateItem (ADD) per request; the window item expires by TTL.
    """
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    window_end = (window + 1) * window_seconds
    counter = Counter(keys.rate_window(scope, client, window))
    counter.update(actions=[
        Counter.n.add(1),
        Counter.expires.set(datetime.fromtimestamp(window_end + 60, tz=timezone.utc)),
    ])
    if counter.n > limit:
        retry_after = max(1, int(window_end - now + 0.999))
        raise ApiError(429, "rate_limited",
                       f"Too many requests: at most {limit} per {window_seconds} s. Retry in {retry_after} s.",
                       headers={"Retry-After": str(retry_after)})
