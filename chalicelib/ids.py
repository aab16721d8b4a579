"""Conversation ids and delete tokens: random, unguessable, and tokens kept only as hashes."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

ID_ALPHABET = string.digits + string.ascii_letters
ID_LENGTH = 7
_ID_RE = re.compile(r"^[0-9A-Za-z]{7}$")


def new_id() -> str:
    """7 characters of [0-9A-Za-z] (62^7, about 3.5e12 ids) from the OS's CSPRNG."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and _ID_RE.match(value) is not None


def new_token() -> str:
    """A delete token of 192 random bits, URL-safe; shown to the client once and never stored."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, stored_hash: str | None) -> bool:
    """Constant-time check of a presented token against the stored SHA-256."""
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(hash_token(token), stored_hash)
