"""Absolute URLs the API hands out, built from settings only (no AWS, no heavy import)."""
from __future__ import annotations

from . import settings


def conversation_url(conversation_id: str) -> str:
    return f"{settings.get().site_url}/c/{conversation_id}"


def short_url(conversation_id: str) -> str:
    return f"{settings.get().short_url}/{conversation_id}"


def avatar_url(avatar_key: str | None, conversation_id: str) -> str:
    """The stored image's URL, or the app's generated identicon when there is none."""
    cfg = settings.get()
    if avatar_key:
        return f"{cfg.avatar_base_url}/{avatar_key}"
    return f"{cfg.site_url}/identicons/{conversation_id}.svg"
