"""Who is calling: Cognito ID tokens, verified by the app itself in every stage.

API Gateway's Cognito authorizer cannot guard cookie sessions or routes that also serve anonymous
callers, and `chalice local` enforces no authorizer at all, so no route trusts a token this module
has not checked: RS256 signature against the pool's JWKS, issuer, audience (our app client),
expiry and `token_use`. The JWKS is fetched once per process (once per cold start) and kept; a
token naming a key that is not in it is refused without fetching again, so a stream of forged
tokens costs no outbound requests.

PyJWT (and `cryptography` under it) load only when a request carries a token.
"""
from __future__ import annotations

import json
import urllib.request
from functools import lru_cache
from typing import Any, NamedTuple

from . import settings
from .aws import cognito_admin
from .errors import ApiError
from .text import plain_text

# Seconds of clock skew tolerated between Cognito and Lambda.
LEEWAY = 30
# moto serves the JWKS over plain HTTP and routes the request to Cognito only on a signed-looking header.
_MOTO_ROUTING = {"Authorization": "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/cognito-idp/aws4_request, "
                                  "SignedHeaders=host, Signature=local"}


class User(NamedTuple):
    sub: str  # Cognito's immutable user id: what ownership, saves and comments key on
    email: str
    name: str  # display name shown on comments
    issued_at: int = 0  # the ID token's `iat`: sessions ended after it (account deletion) refuse it
    groups: tuple[str, ...] = ()  # Cognito groups, from the verified token (`moderators`)


class TokenExpired(ApiError):
    """An otherwise valid token past its expiry: the caller may refresh and retry."""


def unauthorized(message: str = "Sign in to do this.", code: str = "unauthorized") -> ApiError:
    return ApiError(401, code, message)


@lru_cache(maxsize=1)
def pool() -> tuple[str, str]:
    """(user pool id, app client id): from settings in the cloud; locally found by name in moto.

    moto draws its own ids, so the local stage looks its pool up once per process (moto runs with the HASH
    id strategy, so a reset and re-create keeps the same ids).
    """
    cfg = settings.get()
    if cfg.user_pool_id and cfg.user_pool_client_id:
        return cfg.user_pool_id, cfg.user_pool_client_id
    if cfg.stage != "local":
        raise ApiError(503, "accounts_unavailable", "Accounts are not configured on this server.")

    client = cognito_admin()
    pools = client.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next((p["Id"] for p in pools if p["Name"] == cfg.user_pool_name), None)
    if pool_id is None:
        raise ApiError(503, "accounts_unavailable", "The local user pool is missing: restart `make run`.")
    clients = client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    return pool_id, clients[0]["ClientId"]


def issuer(pool_id: str) -> str:
    return f"https://cognito-idp.{settings.get().region}.amazonaws.com/{pool_id}"


@lru_cache(maxsize=1)
def _signing_keys() -> dict[str, Any]:
    """The pool's public keys by key id, fetched once per process."""
    import jwt

    cfg = settings.get()
    url = cfg.jwks_url.format(pool=pool()[0])
    # The URL is the configured Cognito (https) or moto endpoint, never one a request supplied.
    request = urllib.request.Request(url, headers=_MOTO_ROUTING if cfg.aws_endpoint else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            data = json.load(response)
    except (OSError, ValueError):
        # Not cached (lru_cache keeps no exception): the next request tries again.
        raise ApiError(503, "accounts_unavailable", "Signing in is unavailable right now. Try again shortly.",
                       headers={"Retry-After": "5"}) from None
    return {key.key_id: key for key in jwt.PyJWKSet.from_dict(data).keys if key.key_id}


def verify(token: str) -> User:
    """The user an ID token names, or a 401 ApiError (TokenExpired when only its time is up)."""
    import jwt

    pool_id, client_id = pool()
    try:
        header = jwt.get_unverified_header(token)
        key = _signing_keys().get(header.get("kid") or "")
        if key is None or header.get("alg") != "RS256":
            raise unauthorized("The session is not valid. Sign in again.", "invalid_token")
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=client_id, issuer=issuer(pool_id),
                            leeway=LEEWAY, options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]})
    except jwt.ExpiredSignatureError:
        raise TokenExpired(401, "token_expired", "The session has expired. Sign in again.") from None
    except jwt.PyJWTError:
        raise unauthorized("The session is not valid. Sign in again.", "invalid_token") from None
    if claims.get("token_use") != "id":
        raise unauthorized("The session is not valid. Sign in again.", "invalid_token")

    email = plain_text(str(claims.get("email") or ""), 320)
    # The app sets the name only after checking it, but a claim is still input: clean it as any other text.
    name = plain_text(str(claims.get("custom:display_name") or claims.get("name") or ""), 40) or "member"
    groups = claims.get("cognito:groups") or []
    return User(sub=str(claims["sub"]), email=email, name=name, issued_at=int(claims["iat"]),
                groups=tuple(str(g) for g in groups) if isinstance(groups, list) else ())
