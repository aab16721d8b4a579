"""One structured JSON line per request: never bodies, tokens or raw client addresses."""
from __future__ import annotations

import json
import sys


def emit(*, route: str, method: str, status: int, duration_ms: float, request_id: str, client: str | None) -> None:
    line = {"type": "access", "route": route, "method": method, "status": status,
            "ms": round(duration_ms, 2), "requestId": request_id, "client": client}
    sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def emit_job(job: str, **figures: int) -> None:
    """One line per scheduled run: what it did, in figures."""
    sys.stdout.write(json.dumps({"type": "job", "job": job, **figures}, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def emit_alert(kind: str, **fields: str | int | None) -> None:
    """A line the moderators must hear about (a child-safety report, a spent hold budget); `make run` prints
    it, and deployed it lands in the function's logs (a metric filter on `"type":"alert"` can notify)."""
    sys.stdout.write(json.dumps({"type": "alert", "alert": kind, **fields}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
