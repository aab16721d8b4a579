"""The stage's secrets: the origin-verify value CloudFront sends, and the salt of client-address hashes.

Neither is ever in a committed file or in the Lambda's environment in the cloud. The stack generates one
random value in Secrets Manager (`SECRETS_ARN`); CloudFront sends it as `X-Origin-Verify`, and the app reads
it once per process, on the first request that needs it (never on the short-link redirect, which needs
neither), and derives the salt from it. Locally and in tests, `ORIGIN_VERIFY_SECRET` and `IP_HASH_SALT` come
from the environment instead (both may be unset locally: no origin check, a fixed development salt).
"""
from __future__ import annotations

from functools import lru_cache

from . import settings
from .aws import secretsmanager

LOCAL_SALT = "local-development-salt"


@lru_cache(maxsize=1)
def _stage_secret() -> str:
    """The generated value in Secrets Manager, or "" where none is configured (local stage, tests)."""
    arn = settings.get().secrets_arn
    if not arn:
        return ""

    return str(secretsmanager().get_secret_value(SecretId=arn)["SecretString"])


def origin_verify() -> str:
    """What `X-Origin-Verify` must hold for a request to count as coming through our CloudFront ("" = no check)."""
    return settings.get().origin_verify_secret or _stage_secret()


def ip_hash_salt() -> str:
    """The key of client-address hashes: without it, a hash could be reversed by trying every IPv4 address."""
    explicit = settings.get().ip_hash_salt
    if explicit:
        return explicit
    secret = _stage_secret()
    if not secret:
        return LOCAL_SALT
    from _blake2 import blake2b

    return blake2b(b"ip-hash-salt", key=secret.encode()[:64], digest_size=32).hexdigest()


def matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison (the C one `hmac` uses, without importing hashlib on this path)."""
    from _operator import _compare_digest

    return bool(given) and _compare_digest((given or "").encode(), expected.encode())
