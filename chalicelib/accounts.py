"""Accounts in the Cognito user pool: sign-up, confirmation, sign-in, refresh, password reset, deletion.

Cognito keeps the passwords; the app keeps nothing of a person but the `sub` on what they own.
Cognito's errors become our error envelope here, worded so that a sign-in failure does not tell
whether the email has an account.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from . import auth, keys, settings
from .aws import cognito, cognito_admin
from .errors import ApiError, bad_request

DISPLAY_NAME_ATTRIBUTE = "custom:display_name"


def _bad_credentials() -> ApiError:
    return ApiError(401, "bad_credentials", "The email or password is wrong.", "password")


class Session(NamedTuple):
    id_token: str
    refresh_token: str | None  # only sign-in hands one out; a refresh keeps the one the cookie holds


def _cognito_error(exc: Exception) -> ApiError:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
    if code in ("NotAuthorizedException", "UserNotFoundException"):
        return _bad_credentials()
    if code == "UsernameExistsException":
        return ApiError(409, "account_exists", "An account with this email exists: sign in instead.", "email")
    if code == "InvalidPasswordException":
        return bad_request(message or "The password is too weak.", "password", code="weak_password")
    if code == "UserNotConfirmedException":
        return ApiError(403, "not_confirmed", "Confirm your email first: enter the code we sent.", "email")
    if code in ("CodeMismatchException", "ExpiredCodeException"):
        return bad_request("The code is wrong or has expired.", "code", code="bad_code")
    if code in ("LimitExceededException", "TooManyRequestsException", "TooManyFailedAttemptsException"):
        return ApiError(429, "rate_limited", "Too many attempts: wait a few minutes and try again.")
    if code == "InvalidParameterException":
        return bad_request("Check the email and password.", None)
    raise exc


def _call(operation: Any, **kwargs: Any) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        return operation(**kwargs)
    except ClientError as exc:
        raise _cognito_error(exc) from None


def sign_up(email: str, password: str, display_name: str) -> bool:
    """Create an account; True when it still needs the emailed code (every stage but `local`).

    The app client may not write the display name (its WriteAttributes leave it out, so nobody can set one
    past the app's checks by calling Cognito directly): the app sets the checked name with an admin call.
    """
    pool_id, client_id = auth.pool()
    _call(cognito().sign_up, ClientId=client_id, Username=email, Password=password,
          UserAttributes=[{"Name": "email", "Value": email}])
    _call(cognito_admin().admin_update_user_attributes, UserPoolId=pool_id, Username=email,
          UserAttributes=[{"Name": DISPLAY_NAME_ATTRIBUTE, "Value": display_name}])
    if settings.get().auto_confirm_signup:
        # moto sends no email: the local stage confirms at once, as the issue asks, and only there.
        cognito_admin().admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
        return False
    return True


def confirm_sign_up(email: str, code: str) -> None:
    _call(cognito().confirm_sign_up, ClientId=auth.pool()[1], Username=email, ConfirmationCode=code)


def sign_in(email: str, password: str) -> Session:
    result = _call(cognito().initiate_auth, ClientId=auth.pool()[1], AuthFlow="USER_PASSWORD_AUTH",
                   AuthParameters={"USERNAME": email, "PASSWORD": password})
    tokens = result.get("AuthenticationResult")
    if not tokens:  # a challenge (new password, MFA) this site does not offer
        raise _bad_credentials()
    return Session(tokens["IdToken"], tokens.get("RefreshToken"))


def refresh(refresh_token: str) -> Session:
    """A new ID token for a refresh token (a 401 ApiError when it is revoked or expired)."""
    try:
        result = _call(cognito().initiate_auth, ClientId=auth.pool()[1], AuthFlow="REFRESH_TOKEN_AUTH",
                       AuthParameters={"REFRESH_TOKEN": refresh_token})
    except ApiError:
        raise auth.unauthorized("The session has expired. Sign in again.", "token_expired") from None
    tokens = result["AuthenticationResult"]
    return Session(tokens["IdToken"], None)


def start_password_reset(email: str) -> str | None:
    """Send a reset code. Returns the code only on the local stage, where moto hands it back instead of
    emailing it; an unknown email looks the same as a known one."""
    try:
        response = _call(cognito().forgot_password, ClientId=auth.pool()[1], Username=email)
    except ApiError as exc:
        if exc.code == "bad_credentials":
            return None
        raise
    if settings.get().stage == "local":
        return response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(
            "x-moto-forgot-password-confirmation-code")
    return None


def finish_password_reset(email: str, code: str, password: str) -> None:
    _call(cognito().confirm_forgot_password, ClientId=auth.pool()[1], Username=email, ConfirmationCode=code,
          Password=password)


def delete_user(user_sub: str) -> None:
    """Delete the Cognito user (the last step of closing an account: closing.py)."""
    try:
        cognito_admin().admin_delete_user(UserPoolId=auth.pool()[0], Username=user_sub)
    except Exception:
        if _exists(user_sub):  # else deleted, though the answer was lost on the way
            raise


def _exists(user_sub: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        cognito_admin().admin_get_user(UserPoolId=auth.pool()[0], Username=user_sub)
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "UserNotFoundException":
            return False
        raise


def age_seconds(user_sub: str, now: float | None = None) -> float:
    """How long ago the account was created (one admin read of Cognito); 0 for one that does not exist."""
    import time

    from botocore.exceptions import ClientError

    try:
        created = cognito_admin().admin_get_user(UserPoolId=auth.pool()[0], Username=user_sub)["UserCreateDate"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "UserNotFoundException":
            return 0.0
        raise
    return (time.time() if now is None else now) - created.timestamp()


def disable_user(user_sub: str) -> None:
    """A moderator's suspension: the account cannot sign in, and every session it has ends now."""
    cognito_admin().admin_disable_user(UserPoolId=auth.pool()[0], Username=user_sub)
    end_all_sessions(user_sub)


def enable_user(user_sub: str) -> None:
    """Undo a suspension (a moderator's restore)."""
    cognito_admin().admin_enable_user(UserPoolId=auth.pool()[0], Username=user_sub)


# ---------------------------------------------------------------- ending sessions
# Cognito ends refresh tokens (RevokeToken for one session, AdminUserGlobalSignOut for all), but an ID token
# stays valid until it expires (an hour), and the app verifies ID tokens itself. So ending every session
# also writes a marker "sessions of <sub> issued before T are over", which writes check (cached briefly).

REVOCATION_CACHE_SECONDS = 30
ID_TOKEN_LIFETIME_SECONDS = 3600
_revoked_since: dict[str, tuple[int, float]] = {}  # sub -> (revoked at, when read)


def sign_out(refresh_token: str | None) -> None:
    """Revoke this session's refresh token, so a copied cookie cannot renew it. Never fails the sign-out
    itself (the cookies are cleared whatever Cognito says); moto does not implement RevokeToken."""
    import logging

    from botocore.exceptions import BotoCoreError, ClientError

    if not refresh_token:
        return
    try:
        cognito().revoke_token(Token=refresh_token, ClientId=auth.pool()[1])
    except (ClientError, BotoCoreError) as exc:
        logging.getLogger(__name__).warning("RevokeToken failed: %s", exc)


def end_all_sessions(user_sub: str, now: float | None = None) -> None:
    """Sign a person out everywhere: Cognito's refresh tokens, and the app's marker for ID tokens."""
    import time
    from datetime import datetime, timezone

    from .models import Counter  # lazy: PynamoDB stays off sign-in and session renewal

    pool_id = auth.pool()[0]
    cognito_admin().admin_user_global_sign_out(UserPoolId=pool_id, Username=user_sub)
    now = time.time() if now is None else now
    Counter(keys.revoked(user_sub), n=int(now),
            expires=datetime.fromtimestamp(now + ID_TOKEN_LIFETIME_SECONDS + 600, tz=timezone.utc)).save()
    _revoked_since[user_sub] = (int(now), now)


def session_revoked(user: auth.User, now: float | None = None) -> bool:
    """Whether this ID token was issued before its owner's sessions were all ended (one GetItem per person
    per REVOCATION_CACHE_SECONDS per process)."""
    import time

    from .models import Counter  # lazy: PynamoDB stays off sign-in and session renewal

    now = time.time() if now is None else now
    cached = _revoked_since.get(user.sub)
    if cached is None or now - cached[1] > REVOCATION_CACHE_SECONDS:
        try:
            revoked_at = int(Counter.get(keys.revoked(user.sub)).n)
        except Counter.DoesNotExist:
            revoked_at = 0
        cached = _revoked_since[user.sub] = (revoked_at, now)
    return bool(cached[0]) and user.issued_at <= cached[0]
