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
# Fixed, not a setting: the API's limit, the comment form's maxlength and the OpenAPI schema must agree.
MAX_COMMENT_CHARS = 5000
# Fixed for the same reason: the API, its schema and the extension agree on the largest image (10 MB).
MAX_IMAGE_BYTES = 10 * 1024 * 1024


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
    # Public base of the S3 objects the CDN serves: avatars/, media/ (images) and cards/ (link previews).
    media_base_url: str
    # Where browsers POST image uploads (the bucket itself): the pages' CSP lets the import page send them there.
    upload_url: str
    max_body_bytes: int
    max_messages: int
    max_avatar_bytes: int
    # Images: per conversation (count and total bytes), and upload requests per client per hour.
    max_images: int
    max_images_total_bytes: int
    media_limit_per_hour: int
    create_limit: int
    create_window_seconds: int
    # Owner edits (PATCH) per client per window: each one draws, stores and invalidates a page.
    edit_limit: int
    edit_window_seconds: int
    # Key checks (a browser's My shares list, one request per visit of up to 50 keys) per client per window.
    keys_limit: int
    # A client's views of one conversation count once per this many seconds (of the log's request times).
    view_dedup_seconds: int
    # New views one client may add per window (repeats within an hour are free); more are not counted.
    view_limit: int
    view_window_seconds: int
    # The fold adds views to the conversations at the first run of each period of this many hours (1: every
    # run). More hours, fewer and larger updates (each writes the indexes `views` is in): Top and the counts
    # are then up to that many hours old (docs/performance.md prices it).
    view_apply_hours: int
    # Where CloudFront's access logs are (the fold reads every file under the prefix): deployed, the stage's
    # log bucket; locally the stage bucket's cdn-logs/, which the local stack writes as CloudFront would.
    log_bucket: str
    log_prefix: str
    # The local stack stands in for the CDN: /c/<id> answers the published page and writes an access log.
    local_edge: bool
    trusted_proxy_hops: int
    # Secrets: in the cloud only SECRETS_ARN is set and the values come from Secrets Manager (stage_secrets.py);
    # locally and in tests they may be given directly.
    secrets_arn: str
    # The CloudFront distribution in front of the site: deletes and edits invalidate its cached pages.
    distribution_id: str
    origin_verify_secret: str
    ip_hash_salt: str
    max_page: int
    page_size: int
    # Cognito: in the cloud the stack's outputs; locally empty, and the pool is found by name in moto.
    user_pool_id: str
    user_pool_client_id: str
    user_pool_name: str
    # The republish queue (published.enqueue_republish): `<table prefix>-republish`, as infra/stack.yaml names it.
    republish_queue: str
    jwks_url: str
    # Only the local stage confirms sign-ups itself (moto sends no email).
    auto_confirm_signup: bool
    # Cookies are Secure everywhere but on a plain-http localhost site.
    secure_cookies: bool
    # Besides the site itself, the origins that may send cookie-authenticated writes (the extension's).
    extension_origins: tuple[str, ...]
    comment_limit: int
    comment_window_seconds: int
    # Reports one network (an IPv6 /64, an IPv4 address) and one account may send per hour (each target
    # counts once per reporter, whatever the limit).
    report_limit: int
    # Distinct networks whose reports hold a conversation before a moderator looks (moderation.py): child
    # safety, with or without a reporter signed in to an account over a day old; someone's private information.
    hold_child_safety_networks: int
    hold_child_safety_networks_signed_in: int
    hold_personal_info_networks: int
    # Automatic holds a stage makes per hour at most; past it, reports only queue and the moderators are alerted.
    hold_budget_per_hour: int
    # Where people can write about abuse (shown on /abuse and linked from every page).
    abuse_email: str
    # The SNS topic that alerts the moderators (a child-safety report, a spent hold budget); empty: log only.
    alert_topic_arn: str
    # Per client address: sign-in attempts per window; sign-ups and reset requests per hour.
    signin_limit: int
    signin_window_seconds: int
    signup_limit_per_hour: int
    reset_limit_per_hour: int
    # AWS calls must give up well inside the Lambda timeout (30 s): a frozen database made a request hang
    # 100 s. Worst case per call: attempts x (connect + read) plus backoff.
    aws_connect_timeout: float
    aws_read_timeout: float
    aws_max_attempts: int
    # The open dataset (dataset.py): a donation enters a snapshot only this long after it was given (the
    # donor's cooling-off day), and a snapshot is served this many days before it expires.
    dataset_cooling_hours: float
    dataset_retention_days: int
    # The queue of a snapshot's shards (dataset.start_snapshot): `<table prefix>-dataset`, as the stack names it.
    dataset_queue: str

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
    default_media_base = f"{endpoint}/{bucket}" if endpoint else f"https://{bucket}.s3.amazonaws.com"
    region = _str("AWS_REGION", _str("AWS_DEFAULT_REGION", "us-east-1"))
    pool_id = _str("COGNITO_USER_POOL_ID", "")
    return Settings(
        stage=stage,
        region=region,
        aws_endpoint=endpoint,
        table_prefix=_str("TABLE_PREFIX", f"sharegpt-{stage}"),
        bucket=bucket,
        site_url=site_url,
        short_url=_str("SHORT_URL", site_url).rstrip("/"),
        upload_url=_str("UPLOAD_URL", f"{endpoint}/{bucket}" if endpoint else
                        f"https://{bucket}.s3.{region}.amazonaws.com").rstrip("/"),
        media_base_url=_str("MEDIA_BASE_URL", _str("AVATAR_BASE_URL", default_media_base)).rstrip("/"),
        # API Gateway accepts 10 MB and Lambda 6 MB synchronously; stay under both.
        max_body_bytes=_int("MAX_BODY_BYTES", 5 * 1024 * 1024),
        max_messages=_int("MAX_MESSAGES", 2000),
        max_avatar_bytes=_int("MAX_AVATAR_BYTES", 256 * 1024),
        max_images=_int("MAX_IMAGES", 20),
        max_images_total_bytes=_int("MAX_IMAGES_TOTAL_BYTES", 50 * 1024 * 1024),
        media_limit_per_hour=_int("MEDIA_LIMIT_PER_HOUR", 200),
        create_limit=_int("CREATE_LIMIT", 20),
        create_window_seconds=_int("CREATE_WINDOW_SECONDS", 600),
        edit_limit=_int("EDIT_LIMIT", 20),
        edit_window_seconds=_int("EDIT_WINDOW_SECONDS", 600),
        keys_limit=_int("KEYS_LIMIT", 60),
        view_dedup_seconds=_int("VIEW_DEDUP_SECONDS", 3600),
        view_limit=_int("VIEW_LIMIT", 300),
        view_window_seconds=_int("VIEW_WINDOW_SECONDS", 3600),
        view_apply_hours=_int("VIEW_APPLY_HOURS", 1),
        log_bucket=_str("LOG_BUCKET", bucket),
        log_prefix=_str("LOG_PREFIX", "cdn-logs/"),
        local_edge=stage == "local",
        # Behind CloudFront the request context's sourceIp is the edge, not the client.
        trusted_proxy_hops=_int("TRUSTED_PROXY_HOPS", 0),
        secrets_arn=_str("SECRETS_ARN", ""),
        distribution_id=_str("DISTRIBUTION_ID", ""),
        origin_verify_secret=_str("ORIGIN_VERIFY_SECRET", ""),
        ip_hash_salt=_str("IP_HASH_SALT", ""),
        max_page=_int("MAX_PAGE", 20),
        page_size=_int("PAGE_SIZE", 50),
        user_pool_id=pool_id,
        user_pool_client_id=_str("COGNITO_CLIENT_ID", ""),
        user_pool_name=_str("COGNITO_POOL_NAME", f"sharegpt-{stage}"),
        republish_queue=_str("REPUBLISH_QUEUE", f"{_str('TABLE_PREFIX', f'sharegpt-{stage}')}-republish"),
        jwks_url=_str("COGNITO_JWKS_URL", f"{endpoint}/{{pool}}/.well-known/jwks.json" if endpoint else
                      f"https://cognito-idp.{region}.amazonaws.com/{{pool}}/.well-known/jwks.json"),
        auto_confirm_signup=stage == "local",
        secure_cookies=not site_url.startswith(("http://127.0.0.1", "http://localhost")),
        extension_origins=tuple(o for o in _str("EXTENSION_ORIGINS", "chrome-extension://*,moz-extension://*")
                                .split(",") if o),
        comment_limit=_int("COMMENT_LIMIT", 10),
        comment_window_seconds=_int("COMMENT_WINDOW_SECONDS", 60),
        report_limit=_int("REPORT_LIMIT", 20),
        hold_child_safety_networks=_int("HOLD_CHILD_SAFETY_NETWORKS", 3),
        hold_child_safety_networks_signed_in=_int("HOLD_CHILD_SAFETY_NETWORKS_SIGNED_IN", 2),
        hold_personal_info_networks=_int("HOLD_PERSONAL_INFO_NETWORKS", 3),
        hold_budget_per_hour=_int("HOLD_BUDGET_PER_HOUR", 20),
        abuse_email=_str("ABUSE_EMAIL", "abuse@example.com"),
        alert_topic_arn=_str("ALERT_TOPIC_ARN", ""),
        signin_limit=_int("SIGNIN_LIMIT", 20),
        signin_window_seconds=_int("SIGNIN_WINDOW_SECONDS", 300),
        signup_limit_per_hour=_int("SIGNUP_LIMIT_PER_HOUR", 10),
        reset_limit_per_hour=_int("RESET_LIMIT_PER_HOUR", 10),
        aws_connect_timeout=float(_str("AWS_CONNECT_TIMEOUT", "2")),
        aws_read_timeout=float(_str("AWS_READ_TIMEOUT", "5")),
        aws_max_attempts=_int("AWS_MAX_ATTEMPTS", 3),
        dataset_cooling_hours=float(_str("DATASET_COOLING_HOURS", "24")),
        dataset_retention_days=_int("DATASET_RETENTION_DAYS", 30),
        dataset_queue=_str("DATASET_QUEUE", f"{_str('TABLE_PREFIX', f'sharegpt-{stage}')}-dataset"),
    )
