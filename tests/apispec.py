"""What the API tests saw, held to what /api/openapi.json documents: every (method, route, status) an
in-process request answered is recorded, and at the end of the run each must be a documented answer of a
documented operation (as every AWS call must be in the IAM policy)."""
from __future__ import annotations

from typing import Any

SEEN: set[tuple[str, str, int]] = set()


def record(http: Any) -> None:
    """Wrap a chalice.test.Client's HTTP client so that every answer it gets is recorded."""
    request = http.request

    def recorded(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        response = request(method, path, *args, **kwargs)
        SEEN.add((method.upper(), path.split("?")[0], response.status_code))
        return response

    http.request = recorded


def operation(spec: dict, method: str, path: str) -> tuple[str, dict] | None:
    """The documented operation a request went to (literal segments win over {parameters}), or None."""
    parts = path.strip("/").split("/") if path != "/" else [""]
    matches = []
    for template, operations in spec["paths"].items():
        pieces = template.strip("/").split("/") if template != "/" else [""]
        if len(pieces) == len(parts) and method.lower() in operations and all(
                piece.startswith("{") or piece == part for piece, part in zip(pieces, parts, strict=True)):
            matches.append((template.count("{"), template, operations[method.lower()]))
    if not matches:
        return None
    _, template, found = min(matches, key=lambda m: m[0])
    return template, found


def undocumented(spec: dict) -> list[str]:
    """Each answer seen that the document does not list, as `METHOD template -> status`. A path no route
    serves (a test's deliberate nonsense) is not an operation and is not held to the document."""
    missing = set()
    for method, path, status in SEEN:
        if method in ("HEAD", "OPTIONS"):
            continue
        found = operation(spec, method, path)
        if found is not None and str(status) not in found[1]["responses"]:
            missing.add(f"{method} {found[0]} -> {status}")
    return sorted(missing)
