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
        return f"{cfg.media_base_url}/{avatar_key}"
    return f"{cfg.site_url}/identicons/{conversation_id}.svg"


# The formats of /api/conversations/<id>/export, each its own cache entry at the edge (`format` is in its key).
EXPORT_FORMATS = ("markdown", "sharegpt", "openai")


def conversation_paths(conversation_id: str) -> list[str]:
    """Every URL of a conversation CloudFront may hold a copy of, exactly (no wildcard): its page, its short
    link, its API answer and its exports."""
    export = f"/api/conversations/{conversation_id}/export"
    return [f"/c/{conversation_id}", f"/{conversation_id}", f"/api/conversations/{conversation_id}", export,
            *(f"{export}?format={name}" for name in EXPORT_FORMATS)]


def card_url(key: str) -> str:
    """A link-preview card's URL: on the site, where the CDN sends a miss to the app, which draws the card
    (and so locally, where the app answers it itself)."""
    return f"{settings.get().site_url}/{key}"


def public_object_url(key: str) -> str:
    """The CDN URL of a public S3 object (media/..., avatars/...)."""
    return f"{settings.get().media_base_url}/{key}"
