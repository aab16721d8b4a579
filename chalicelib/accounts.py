"""Accounts in the Cognito user pool: sign-up, confirmation, sign-in, refresh, password reset, deletion.

Cognito keeps the passwords; the app keeps nothing of a person but the `sub` on what they own.
Cognito's errors become our error envelope here, worded so that a sign-in failure does not tell
whether the email has an account.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from . import auth, settings
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
    """Create an account; True when it still needs the emailed code (every stage but `local`)."""
    pool_id, client_id = auth.pool()
    _call(cognito().sign_up, ClientId=client_id, Username=email, Password=password,
          UserAttributes=[{"Name": "email", "Value": email}, {"Name": DISPLAY_NAME_ATTRIBUTE, "Value": display_name}])
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


def delete_account(user: auth.User, anonymize: bool) -> dict[str, int]:
    """Remove a person: their conversations deleted (or kept without an owner), their comments deleted
    (or kept as a former member's), their saves undone, then the Cognito user itself."""
    from . import comments, conversations, saves

    counts = {"conversations": conversations.remove_owned(user.sub, anonymize),
              "comments": comments.remove_all(user.sub, anonymize),
              "saves": saves.remove_all(user.sub)}
    cognito_admin().admin_delete_user(UserPoolId=auth.pool()[0], Username=user.sub)
    return counts
