"""AWS clients, created lazily and once per process (boto3 costs ~200 ms of cold start)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import settings


@lru_cache(maxsize=1)
def s3() -> Any:
    import boto3
    from botocore.config import Config

    cfg = settings.get()
    return boto3.session.Session().client(
        "s3",
        region_name=cfg.region,
        endpoint_url=cfg.aws_endpoint,
        # Path-style keeps local URLs (http://127.0.0.1:5005/bucket/key) working with moto.
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}),
    )


@lru_cache(maxsize=1)
def cognito() -> Any:
    """Cognito's public user API (sign-up, sign-in, password reset): unsigned, as a browser would call it,
    so the Lambda role needs no Cognito permission for it."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    cfg = settings.get()
    return boto3.session.Session().client(
        "cognito-idp", region_name=cfg.region, endpoint_url=cfg.aws_endpoint,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 3, "mode": "standard"}))


@lru_cache(maxsize=1)
def cognito_admin() -> Any:
    """Cognito's admin API (signed with the Lambda role): deleting a user, and the local stage's set-up."""
    import boto3
    from botocore.config import Config

    cfg = settings.get()
    return boto3.session.Session().client(
        "cognito-idp", region_name=cfg.region, endpoint_url=cfg.aws_endpoint,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}))
