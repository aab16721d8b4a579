"""Every setting of the service, read from environment variables in this one place.

Defaults work on a developer machine (`make run`): the moto server on 127.0.0.1:5005 and the
API on 127.0.0.1:8000. Deployed stages set their values in `.chalice/config.json`.
This module imports nothing heavy: the short-link route loads it on every cold start.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import NamedTuple

LOCAL_ENDPOINT = "http://127.0.0.1:5005"
LOCAL_API = "http://127.0.0.1:8000"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _str(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip()
    return raw or default


class Settings(NamedTuple):
    stage: str
    region: str
    # None in the cloud (boto's default endpoints); the moto server locally.
    aws_endpoint: str | None
    table_prefix: str
    bucket: str
    site_url: str
    short_url: str
    avatar_base_url: str
    max_body_bytes: int
    max_messages: int
    max_avatar_bytes: int
    create_limit: int
    create_window_seconds: int
    view_shards: int
    view_dedup_seconds: int
    trusted_proxy_hops: int
    ip_hash_salt: str
    max_page: int
    page_size: int

    def table(self, name: str) -> str:
        return f"{self.table_prefix}-{name}"


# NamedTuple rather than a dataclass: `dataclasses` adds ~10 ms to every cold start.


@lru_cache(maxsize=1)
def get() -> Settings:
    """The settings of this process, read once (tests call `get.cache_clear()` after changing env)."""
    stage = _str("STAGE", "local")
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").strip() or (LOCAL_ENDPOINT if stage == "local" else None)
    bucket = _str("BUCKET_NAME", f"sharegpt-{stage}")
    site_url = _str("SITE_URL", LOCAL_API).rstrip("/")
    default_avatar_base = f"{endpoint}/{bucket}" if endpoint else f"https://{bucket}.s3.amazonaws.com"
    return Settings(
        stage=stage,
        region=_str("AWS_REGION", _str("AWS_DEFAULT_REGION", "us-east-1")),
        aws_endpoint=endpoint,
        table_prefix=_str("TABLE_PREFIX", f"sharegpt-{stage}"),
        bucket=bucket,
        site_url=site_url,
        short_url=_str("SHORT_URL", site_url).rstrip("/"),
        avatar_base_url=_str("AVATAR_BASE_URL", default_avatar_base).rstrip("/"),
        # API Gateway accepts 10 MB and Lambda 6 MB synchronously; stay under both.
        max_body_bytes=_int("MAX_BODY_BYTES", 5 * 1024 * 1024),
        max_messages=_int("MAX_MESSAGES", 2000),
        max_avatar_bytes=_int("MAX_AVATAR_BYTES", 256 * 1024),
        create_limit=_int("CREATE_LIMIT", 20),
        create_window_seconds=_int("CREATE_WINDOW_SECONDS", 600),
        view_shards=_int("VIEW_SHARDS", 10),
        view_dedup_seconds=_int("VIEW_DEDUP_SECONDS", 3600),
        # Behind CloudFront the request context's sourceIp is the edge, not the client.
        trusted_proxy_hops=_int("TRUSTED_PROXY_HOPS", 0),
        ip_hash_salt=_str("IP_HASH_SALT", "local-development-salt"),
        max_page=_int("MAX_PAGE", 20),
        page_size=_int("PAGE_SIZE", 50),
    )
