"""AWS clients, created lazily and once per process (boto3 costs ~200 ms of cold start)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import settings


def _client(service: str, **config: Any) -> Any:
    """A client for `service` at this stage's region and endpoint (moto locally), with standard retries and the
    same short timeouts as DynamoDB's: a read timeout bounds each wait for bytes, not a whole transfer, so a
    5 MB body still streams, while a frozen store answers 503 well inside the Lambda's 30 s: 3 attempts in all
    (`total_max_attempts`: botocore's `max_attempts` counts retries, which made 4) of 5 s each, and a backoff
    of milliseconds, about 15 s for the first call that finds it frozen."""
    import boto3
    from botocore.config import Config

    cfg = settings.get()
    return boto3.session.Session().client(service, region_name=cfg.region, endpoint_url=cfg.aws_endpoint,
                                          config=Config(retries={"total_max_attempts": cfg.aws_max_attempts,
                                                                 "mode": "standard"},
                                                        connect_timeout=cfg.aws_connect_timeout,
                                                        read_timeout=cfg.aws_read_timeout, **config))


@lru_cache(maxsize=1)
def s3() -> Any:
    # Path-style keeps local URLs (http://127.0.0.1:5005/bucket/key) working with moto. SigV4 always: presigned
    # POSTs are otherwise signed with SigV2, which buckets created since 2020 refuse.
    return _client("s3", s3={"addressing_style": "path"}, signature_version="s3v4")


def missing_object(exc: Exception) -> bool:
    """Whether an S3 error says the key does not exist (GET: NoSuchKey; HEAD: 404). The role may list the
    prefixes it reads missing keys under (infra/policy.json), so S3 answers that rather than AccessDenied."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", "")) in ("404", "NoSuchKey", "NotFound")


@lru_cache(maxsize=1)
def cognito() -> Any:
    """Cognito's public user API (sign-up, sign-in, password reset): unsigned, as a browser would call it,
    so the Lambda role needs no Cognito permission for it."""
    from botocore import UNSIGNED

    return _client("cognito-idp", signature_version=UNSIGNED)


@lru_cache(maxsize=1)
def cognito_admin() -> Any:
    """Cognito's admin API (signed with the Lambda role): deleting a user, and the local stage's set-up."""
    return _client("cognito-idp")


@lru_cache(maxsize=1)
def secretsmanager() -> Any:
    """The stage's generated secret, read once per process (stage_secrets.py)."""
    return _client("secretsmanager")


@lru_cache(maxsize=1)
def cloudfront() -> Any:
    """Invalidations of a deleted or edited conversation's cached pages (cdn.py)."""
    return _client("cloudfront")


@lru_cache(maxsize=1)
def sns() -> Any:
    """Alerts to the moderators (alerts.py)."""
    return _client("sns")


@lru_cache(maxsize=1)
def sqs() -> Any:
    """The republish queue (published.py): fed by a deploy, drained by its Lambda (or `make republish`)."""
    return _client("sqs")
