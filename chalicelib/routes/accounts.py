"""Accounts: sign up, confirm, sign in and out, reset a password, leave; as forms for the site and JSON for
scripts and the extension (the same route answers both, by the body's content type)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from chalice import Response

from .. import callers, http, sessions, settings
from ..errors import ApiError, bad_request
from ..http import FORM, Routes, json_response, private_page, redirect

if TYPE_CHECKING:
    from ..auth import User

routes = Routes(__name__)
FORM_OR_JSON = [FORM, "application/json"]
Fields = dict[str, str]
FormView = Callable[[Fields, bool], Response]


def _auth_page(mode: str, status: int = 200, **values: Any) -> Response:
    from .. import pages

    return private_page(pages.auth_page(mode, **values), status)


def account_form(refused: Callable[[Fields, ApiError], Response]) -> Callable[[FormView], Callable[[], Response]]:
    """An account form's view: it gets the posted fields and whether the caller wants JSON. A refusal
    (ApiError) is the JSON error for JSON callers, and for a form the page `refused` shows, with the message."""
    def decorate(view: FormView) -> Callable[[], Response]:
        @wraps(view)
        def handle() -> Response:
            fields, as_json = callers.posted(routes.current_request)
            try:
                return view(fields, as_json)
            except ApiError as exc:
                if as_json:
                    raise
                return refused(fields, exc)
        return handle
    return decorate


def _signed_in(session: Any, fields: Fields, as_json: bool, status: int = 200) -> Response:
    http.set_cookies(sessions.session_cookies(session.id_token, session.refresh_token, settings.get().secure_cookies))
    if as_json:
        return json_response({"signedIn": True}, status)
    return redirect(callers.next_path(fields.get("next")))


def _client() -> str:
    return callers.client(routes.current_request)


@routes.route("/signin", methods=["GET"])
def signin_page() -> Response:
    return _auth_page("signin", next=callers.next_path(callers.query(routes.current_request).get("next")))


@routes.route("/signin", methods=["POST"], content_types=FORM_OR_JSON)
@account_form(lambda fields, exc: _auth_page("signin", exc.status, error=exc.message, email=fields.get("email", ""),
                                             next=callers.next_path(fields.get("next"))))
def signin(fields: Fields, as_json: bool) -> Response:
    from .. import accounts, ratelimit, validation

    cfg = settings.get()
    ratelimit.check("signin", _client(), cfg.signin_limit, cfg.signin_window_seconds)
    creds = validation.parse_model(validation.Credentials, fields)
    return _signed_in(accounts.sign_in(creds.email, creds.password), fields, as_json)


@routes.route("/signup", methods=["GET"])
def signup_page() -> Response:
    return _auth_page("signup")


@routes.route("/signup", methods=["POST"], content_types=FORM_OR_JSON)
@account_form(lambda fields, exc: _auth_page("signup", exc.status, error=exc.message, email=fields.get("email", ""),
                                             name=fields.get("name", "")))
def signup(fields: Fields, as_json: bool) -> Response:
    from .. import accounts, ratelimit, validation
    from ..text import plain_text

    ratelimit.check("signup", _client(), settings.get().signup_limit_per_hour, 3600)
    form = validation.parse_model(validation.SignUp, fields)
    name = plain_text(form.name, 40).strip()
    if not name:
        raise bad_request("name: choose a name to show on your comments.", "name")
    if accounts.sign_up(form.email, form.password, name):
        if as_json:
            return json_response({"signedIn": False, "confirm": True}, 201)
        return _auth_page("confirm", email=form.email,
                          info="We sent a code to your email. Enter it to finish signing up.")
    return _signed_in(accounts.sign_in(form.email, form.password), fields, as_json, 201)


@routes.route("/signup/confirm", methods=["POST"], content_types=FORM_OR_JSON)
@account_form(lambda fields, exc: _auth_page("confirm", exc.status, error=exc.message, email=fields.get("email", "")))
def confirm_signup(fields: Fields, as_json: bool) -> Response:
    from .. import accounts, validation

    form = validation.parse_model(validation.PasswordReset, fields)
    if not form.code:
        raise bad_request("code: enter the code we sent you.", "code")
    accounts.confirm_sign_up(form.email, form.code)
    if as_json:
        return json_response({"confirmed": True})
    return _auth_page("signin", info="Your email is confirmed. Sign in.", email=form.email)


@routes.route("/signout", methods=["POST"], content_types=FORM_OR_JSON)
def signout() -> Response:
    from .. import accounts

    request = routes.current_request
    _, as_json = callers.posted(request)
    accounts.sign_out(sessions.read_cookies(request.headers.get("cookie")).get(sessions.REFRESH))
    http.set_cookies(sessions.cleared_cookies(settings.get().secure_cookies))
    if as_json:
        return json_response({"signedIn": False})
    return redirect("/")


@routes.route("/reset", methods=["GET"])
def reset_page() -> Response:
    return _auth_page("reset")


@routes.route("/reset", methods=["POST"], content_types=FORM_OR_JSON)
@account_form(lambda fields, exc: _auth_page("reset-finish" if fields.get("code") is not None else "reset",
                                             exc.status, error=exc.message, email=fields.get("email", "")))
def reset_password(fields: Fields, as_json: bool) -> Response:
    """Two steps on one form: an email asks for a code; email, code and a new password set it."""
    from .. import accounts, ratelimit, validation

    ratelimit.check("reset", _client(), settings.get().reset_limit_per_hour, 3600)
    form = validation.parse_model(validation.PasswordReset, fields)
    if not form.code:
        local_code = accounts.start_password_reset(form.email)
        if as_json:
            return json_response({"sent": True, **({"localCode": local_code} if local_code else {})}, 202)
        info = "If an account uses this email, we sent it a code. Enter it with a new password."
        if local_code:
            info += f" (Local stage, no email is sent: the code is {local_code})"
        return _auth_page("reset-finish", email=form.email, info=info, code=local_code or "")
    if not form.password:
        raise bad_request("password: choose a new password of at least 8 characters.", "password")
    accounts.finish_password_reset(form.email, form.code, form.password)
    if as_json:
        return json_response({"reset": True})
    return _auth_page("signin", info="Your password is changed. Sign in with it.", email=form.email)


@routes.route("/account", methods=["GET"])
def account_page() -> Response:
    from .. import pages

    user = callers.optional_user(routes.current_request)
    if user is None:
        return redirect("/signin?next=/account")
    return private_page(pages.account_page(user))


def _leave(user: User, mode: str) -> dict[str, int]:
    """Delete the account (`mode` "anonymize" keeps what they shared, without them) and end the session."""
    from .. import closing

    removed = closing.delete_account(user, anonymize=mode == "anonymize")
    http.set_cookies(sessions.cleared_cookies(settings.get().secure_cookies))
    return removed


@routes.route("/account/delete", methods=["POST"], content_types=[FORM])
def delete_account_form() -> Response:
    fields, _ = callers.posted(routes.current_request)
    user = callers.signed_in_user(routes.current_request)
    mode = fields.get("mode")
    if mode not in ("delete", "anonymize") or fields.get("confirm") != "yes":
        raise bad_request("Choose what happens to what you shared and tick the box to confirm.", "mode")
    _leave(user, mode)
    return redirect("/?account=deleted")


@routes.route("/api/me", methods=["GET"])
def who_am_i() -> Response:
    user = callers.signed_in_user(routes.current_request)
    return json_response({"id": user.sub, "email": user.email, "name": user.name})


@routes.route("/api/me", methods=["DELETE"], content_types=["application/json"])
def delete_me() -> Response:
    user = callers.signed_in_user(routes.current_request)
    body = callers.json_body(routes.current_request) or {}
    mode = body.get("mode") if isinstance(body, dict) else None
    if mode not in ("delete", "anonymize"):
        raise bad_request("mode must be 'delete' (remove everything) or 'anonymize' (keep it, without you).", "mode")
    return json_response({"deleted": True, **_leave(user, mode)})
