"""Opaque paging cursors: the values of the last row seen, as URL-safe base64 JSON.

Whoever decodes one rebuilds the start key itself from checked values, so a cursor can never point a
Query at another partition.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from .errors import ApiError, bad_request


def encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def invalid() -> ApiError:
    return bad_request("The cursor is not one this API returned.", "cursor", code="invalid_cursor")


def decode(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(values, list) and values:
            return values
    except (ValueError, TypeError):
        pass
    raise invalid()


def decode_time_and_id(cursor: str, is_valid_id: Any) -> tuple[int, str]:
    """A (epoch ms, conversation id) cursor, as the by_user lists page by."""
    values = decode(cursor)
    if len(values) != 2 or not isinstance(values[0], int) or isinstance(values[0], bool) or \
            not is_valid_id(values[1]):
        raise invalid()
    return values[0], values[1]
