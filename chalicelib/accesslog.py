"""One structured JSON line per request: never bodies, tokens or raw client addresses."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

# Where the lines go: the process's stdout (Lambda sends it to CloudWatch; `make run` shows it), unless a
# benchmark sends them to a file so its own output is the figures alone.
stream: TextIO | None = None


def _write(line: dict[str, object]) -> None:
    out = stream or sys.stdout
    out.write(json.dumps(line, separators=(",", ":")) + "\n")
    out.flush()


@contextmanager
def to_file(path: str) -> Iterator[None]:
    """Send this process's log lines to `path` (a benchmark's stack log) while the block runs."""
    global stream
    with open(path, "w") as out:
        previous, stream = stream, out
        try:
            yield
        finally:
            stream = previous


def emit(*, route: str, method: str, status: int, duration_ms: float, request_id: str, client: str | None) -> None:
    _write({"type": "access", "route": route, "method": method, "status": status,
            "ms": round(duration_ms, 2), "requestId": request_id, "client": client})


def emit_job(job: str, **figures: int) -> None:
    """One line per scheduled run: what it did, in figures."""
    _write({"type": "job", "job": job, **figures})


def emit_alert(kind: str, **fields: str | int | None) -> None:
    """A line the moderators must hear about (a child-safety report, a spent hold budget); `make run` prints
    it, and deployed it lands in the function's logs (a metric filter on `"type":"alert"` can notify)."""
    _write({"type": "alert", "alert": kind, **fields})
