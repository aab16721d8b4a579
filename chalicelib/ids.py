"""Conversation ids: 7 random characters of [0-9A-Za-z]."""
from __future__ import annotations

import re

ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 7
_ID_RE = re.compile(r"[0-9A-Za-z]{7}")


def new_id() -> str:
    """7 characters (62^7, about 3.5e12 ids) from the OS's CSPRNG."""
    import secrets  # only the create path needs it; the redirect path stays light

    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None  # fullmatch: `$` lets "abc\n" through
