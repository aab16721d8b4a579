"""Avatar images: validated by their bytes, stored once in S3 under their SHA-256, served forever."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re

from . import keys, settings
from .aws import s3
from .errors import ApiError
from .media import CONTENT_TYPES, sniff

IMMUTABLE = "public, max-age=31536000, immutable"
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


def avatar_key(data: bytes, extension: str) -> str:
    """Where an avatar is stored: by content, so identical avatars are one object."""
    return keys.avatar_object(hashlib.sha256(data).hexdigest(), extension)


def store_avatar(data: bytes, content_type: str, extension: str) -> str:
    """Put the image in S3 unless an identical one is there already; returns its key."""
    key = avatar_key(data, extension)
    bucket = settings.get().bucket
    client = s3()
    try:
        # A HEAD costs a tenth of a PUT, and most shares reuse an avatar already stored.
        client.head_object(Bucket=bucket, Key=key)
        return key
    except client.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type,
                      CacheControl=IMMUTABLE)
    return key
