"""Plain-text fields (title, model, source): cleaned of invisible trickery, escaped wherever shown."""
from __future__ import annotations

import re
import unicodedata

# Control characters and bidi overrides: they can disguise a title ("gpt.exe" shown as "exe.tpg").
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def plain_text(value: str | None, max_length: int | None = None) -> str:
    """NFC text without control or bidi-override characters, trimmed (and cut to max_length)."""
    text = _CONTROL_RE.sub("", unicodedata.normalize("NFC", value or "")).strip()
    if max_length is not None:
        text = text[:max_length]
    return text
