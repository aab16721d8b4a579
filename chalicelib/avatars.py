"""Avatar images: validated by their bytes, re-encoded from their pixels alone (as shared images are), stored
once in S3 under the SHA-256 of what was sent, served forever."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import NamedTuple

from . import keys, pixels, sandbox, settings
from .aws import missing_object, s3
from .errors import ApiError
from .media import CONTENT_TYPES, sniff

IMMUTABLE = "public, max-age=31536000, immutable"
# An avatar is shown at 40 px: 4 million pixels (every frame counted) is far more than any needs, and decodes
# in milliseconds.
AVATAR_PIXELS = 4_000_000
AVATAR_SECONDS = 1.0
AVATAR_MEMORY = 128 * 2**20
_DATA_URI_RE = re.compile(r"^data:([\w.+/-]*)(;[\w=.-]+)*;base64,(.*)$", re.DOTALL)


def decode_avatar(data_uri: str, max_bytes: int) -> tuple[bytes, str, str]:
    """Decode and check a `data:` URI; returns (bytes, content type, extension) or raises 400."""
    def refuse(message: str) -> ApiError:
        return ApiError(400, "invalid_avatar", message, "avatarUrl")

    match = _DATA_URI_RE.match(data_uri.strip())
    if not match:
        raise refuse("avatarUrl must be a base64 data: URI of a PNG, JPEG, WebP or GIF image.")
    payload = re.sub(r"\s+", "", match.group(3))
    if len(payload) > (max_bytes * 4) // 3 + 8:
        raise ApiError(413, "avatar_too_large", f"The avatar may be at most {max_bytes // 1024} KB.", "avatarUrl")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise refuse("avatarUrl is not valid base64.") from None
    if len(data) > max_bytes:
        raise ApiError(413, "avatar_too_large", f"The avatar may be at most {max_bytes // 1024} KB.", "avatarUrl")
    extension = sniff(data)  # the data URI's own label is not trusted
    if extension is None:
        raise refuse("avatarUrl is not a PNG, JPEG, WebP or GIF image.")
    return data, CONTENT_TYPES[extension], extension


class Avatar(NamedTuple):
    """A checked avatar: where it is stored (by the hash of what was sent), the clean bytes, their type."""
    key: str
    data: bytes
    content_type: str


def avatar_key(data: bytes, extension: str) -> str:
    """Where an avatar is stored: by content, so identical avatars are one object."""
    return keys.avatar_object(hashlib.sha256(data).hexdigest(), extension)


def read_avatar(data_uri: str, max_bytes: int) -> Avatar:
    """The `avatarUrl` of a create, decoded, checked and re-encoded from its pixels alone (no metadata, no
    profile), or a 400/413 naming it. Whoever sent it, what is published carries nothing else: a photo's
    EXIF (GPS) included."""
    data, content_type, extension = decode_avatar(data_uri, max_bytes)
    try:
        shape = pixels.inspect(data, extension)
        if shape.work > AVATAR_PIXELS:
            raise pixels.TooComplex(f"The avatar may be at most {AVATAR_PIXELS // 10**6} million pixels, every "
                                    "frame counted.")
        pixels.prepare()
        clean, _, _ = sandbox.run(lambda: pixels.reencode(data, extension, shape.frames), seconds=AVATAR_SECONDS,
                                  memory=sandbox.spare_memory(AVATAR_MEMORY), answer_bytes=4 * AVATAR_PIXELS,
                                  passes=(pixels.TooComplex, ValueError))
    except pixels.TooComplex as exc:
        raise ApiError(400, "invalid_avatar", str(exc), "avatarUrl") from None
    except (ValueError, sandbox.Exceeded):
        raise ApiError(400, "invalid_avatar", "avatarUrl is not a readable PNG, JPEG, WebP or GIF image.",
                       "avatarUrl") from None
    return Avatar(avatar_key(data, extension), clean, content_type)


def store_avatar(avatar: Avatar) -> str:
    """Put the clean image in S3 unless it is there already; returns its key."""
    key = avatar.key
    bucket = settings.get().bucket
    client = s3()
    try:
        # A HEAD costs a tenth of a PUT, and most shares reuse an avatar already stored.
        client.head_object(Bucket=bucket, Key=key)
        return key
    except client.exceptions.ClientError as exc:
        if not missing_object(exc):
            raise
    client.put_object(Bucket=bucket, Key=key, Body=avatar.data, ContentType=avatar.content_type,
                      CacheControl=IMMUTABLE)
    return key
