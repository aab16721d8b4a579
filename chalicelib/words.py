"""Title words for search: case- and accent-insensitive whole words."""
from __future__ import annotations

import re
import unicodedata

MAX_INDEXED_WORDS = 40
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def normalize_words(text: str) -> list[str]:
    """Distinct normalized words in order of appearance: 'Café CAFE déjà' -> ['cafe', 'deja']."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    seen: dict[str, None] = {}
    for word in _WORD_RE.findall(stripped):
        word = word.strip("_")
        if word and len(word) <= 64:
            seen.setdefault(word, None)
    return list(seen)


def index_words(title: str) -> list[str]:
    """The words a title is findable by, bounded so one create stays one bounded transaction."""
    return normalize_words(title)[:MAX_INDEXED_WORDS]
