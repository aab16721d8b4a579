"""Accounts, ownership, saves and comments through the API, against the moto server's Cognito and DynamoDB.

Sessions are real: every user signs up through /signup and is then identified only by the cookies the
app set, carrying an ID token moto's Cognito signed. Forged, expired and foreign tokens are made here.
"""
from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from conftest import SITE, body_of, chat, create, new_ip, partition, scan_all
from cryptography.hazmat.primitives.asymmetric import rsa

pytestmark = pytest.mark.api

_emails = itertools.count(1)


class Session:
    """One signed-in person: the cookies the app set, sent back the way a browser would."""

    def __init__(self, client, cookies: dict[str, str], email: str, password: str) -> None:
        self.client, self.cookies, self.email, self.password = client, cookies, email, password

    def headers(self, origin: str | None = SITE, **extra: str) -> dict[str, str]:
        headers = {"cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v),
                   "x-forwarded-for": new_ip(), **extra}
        if origin:
            headers["origin"] = origin
        return headers

    def call(self, method: str, path: str, body: Any = None, origin: str | None = SITE, **extra: str):
        headers = self.headers(origin, **extra)
        if body is not None:
            headers["content-type"] = "application/json"
        return getattr(self.client.http, method.lower())(path, headers=headers,
                                                         body=json.dumps(body) if body is not None else None)

    @property
    def sub(self) -> str:
        return jwt.decode(self.cookies["sg_session"], options={"verify_signature": False})["sub"]


def set_cookies(response) -> dict[str, str]:
    values = response.headers.get("Set-Cookie") or []
    values = [values] if isinstance(values, str) else values
    return {v.split("=", 1)[0]: v.split("=", 1)[1].split(";", 1)[0] for v in values}


def form_post(client, path: str, body: dict[str, str], origin: str | None = SITE):
    headers = {"content-type": "application/json", "x-forwarded-for": new_ip()}
    if origin:
        headers["origin"] = origin
    return client.http.post(path, headers=headers, body=json.dumps(body))


def sign_up(client, name: str = "Ann", password: str = "correct horse battery") -> Session:
    email = f"user{next(_emails)}-{uuid.uuid4().hex[:6]}@example.test"
    response = form_post(client, "/signup", {"email": email, "password": password, "name": name})
    assert response.status_code == 201, response.body
    return Session(client, set_cookies(response), email, password)


@pytest.fixture(scope="module")
def ann(client) -> Session:
    return sign_up(client, "Ann")


@pytest.fixture(scope="module")
def bob(client) -> Session:
    return sign_up(client, "Bob <b>")


def moto_signing_key():
    from moto.utilities.utils import load_resource

    return jwt.PyJWK.from_dict(load_resource("cognitoidp/resources/jwks-private.json")).key


def token_like(session: Session, key=None, **changes: Any) -> str:
    """The session's ID token with some claims changed, signed with `key` (moto's own key by default)."""
    claims = {**jwt.decode(session.cookies["sg_session"], options={"verify_signature": False}), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key or moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})


# ---------------------------------------------------------------- identity

def test_sign_up_sets_a_session_in_httponly_lax_cookies(client, ann):
    me = ann.call("GET", "/api/me")
    assert me.status_code == 200
    assert body_of(me) == {"id": ann.sub, "email": ann.email, "name": "Ann"}
    again = form_post(client, "/signin", {"email": ann.email, "password": ann.password})
    cookies = again.headers["Set-Cookie"]
    session = next(c for c in cookies if c.startswith("sg_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session
    # The site under test is plain http on 127.0.0.1: Secure would make the browser drop the cookie.
    assert "Secure" not in session
    hint = next(c for c in cookies if c.startswith("sg_user="))
    assert "HttpOnly" not in hint and hint.startswith("sg_user=1;")


def test_cookies_are_secure_on_an_https_site(monkeypatch):
    from chalicelib import sessions

    assert all("Secure" in c for c in sessions.session_cookies("t", "r", secure=True))
    monkeypatch.setenv("SITE_URL", "https://sharegpt.example")
    from chalicelib import settings

    settings.get.cache_clear()
    try:
        assert settings.get().secure_cookies
    finally:
        monkeypatch.undo()
        settings.get.cache_clear()


def test_wrong_password_and_unknown_email_get_the_same_answer(client, ann):
    wrong = form_post(client, "/signin", {"email": ann.email, "password": "not the password"})
    unknown = form_post(client, "/signin", {"email": "nobody@example.test", "password": "whatever123"})
    assert wrong.status_code == unknown.status_code == 401
    assert body_of(wrong) == body_of(unknown)
    assert "Set-Cookie" not in wrong.headers


def test_sign_up_rejects_bad_input_and_taken_emails(client, ann):
    weak = form_post(client, "/signup", {"email": "x@example.test", "password": "short", "name": "X"})
    assert weak.status_code == 400 and body_of(weak)["error"]["field"] == "password"
    bad_email = form_post(client, "/signup", {"email": "not-an-email", "password": "long enough!", "name": "X"})
    assert bad_email.status_code == 400 and body_of(bad_email)["error"]["field"] == "email"
    taken = form_post(client, "/signup", {"email": ann.email, "password": "long enough!", "name": "X"})
    assert taken.status_code == 409 and body_of(taken)["error"]["code"] == "account_exists"


@pytest.mark.parametrize("case", ["forged", "expired", "wrong_audience", "wrong_issuer", "access_token",
                                  "alg_none", "garbage"])
def test_tokens_that_must_not_pass(client, ann, case):
    if case == "forged":  # right claims, a key that is not the pool's (with the pool key's id)
        token = token_like(ann, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif case == "expired":  # the pool's own key, an hour late
        token = token_like(ann, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
    elif case == "wrong_audience":
        token = token_like(ann, aud="another-app-client")
    elif case == "wrong_issuer":
        token = token_like(ann, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other")
    elif case == "access_token":
        token = token_like(ann, token_use="access")
    elif case == "alg_none":
        token = jwt.encode(jwt.decode(ann.cookies["sg_session"], options={"verify_signature": False}), None,
                           algorithm="none")
    else:
        token = "not.a.token"
    response = client.http.get("/api/me", headers={"cookie": f"sg_session={token}", "x-forwarded-for": new_ip()})
    assert response.status_code == 401, (case, response.body)
    # A session that fails is ended: the browser is told to drop the cookies.
    assert any(c.startswith("sg_session=;") for c in response.headers["Set-Cookie"])


def test_a_token_from_another_user_pool_is_refused(client, aws):
    """A second pool in the same moto (so the same signing key): only the issuer and audience differ."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from conftest import ENV

    from scripts import devstack

    admin = boto3.client("cognito-idp", endpoint_url=ENV["AWS_ENDPOINT_URL"], region_name="us-east-1")
    pool_id, client_id = devstack.create_user_pool("someone-elses-pool")
    public = boto3.client("cognito-idp", endpoint_url=ENV["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          config=Config(signature_version=UNSIGNED))
    public.sign_up(ClientId=client_id, Username="eve@example.test", Password="long enough!",
                   UserAttributes=[{"Name": "email", "Value": "eve@example.test"}])
    admin.admin_confirm_sign_up(UserPoolId=pool_id, Username="eve@example.test")
    tokens = public.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": "eve@example.test", "PASSWORD": "long enough!"})["AuthenticationResult"]
    assert jwt.get_unverified_header(tokens["IdToken"])["kid"] == "dummy"  # the same key id as our pool's
    response = client.http.get("/api/me", headers={"cookie": f"sg_session={tokens['IdToken']}",
                                                   "x-forwarded-for": new_ip()})
    assert response.status_code == 401


def test_an_unreachable_jwks_is_a_503_not_a_crash_and_is_not_cached(client, ann, monkeypatch):
    from chalicelib import auth, settings

    real = settings.get()
    monkeypatch.setattr(auth.settings, "get", lambda: real._replace(jwks_url="http://127.0.0.1:9/{pool}/jwks.json"))
    auth._signing_keys.cache_clear()
    try:
        response = ann.call("GET", "/api/me")
        assert response.status_code == 503 and body_of(response)["error"]["code"] == "accounts_unavailable"
        assert "Set-Cookie" not in response.headers  # an outage does not sign anyone out
    finally:
        monkeypatch.undo()
        auth._signing_keys.cache_clear()
    assert ann.call("GET", "/api/me").status_code == 200


def test_an_expired_session_is_renewed_with_the_refresh_cookie(client, ann):
    expired = token_like(ann, exp=int(time.time()) - 60, iat=int(time.time()) - 3700)
    response = client.http.get("/api/me", headers={
        "cookie": f"sg_session={expired}; sg_refresh={ann.cookies['sg_refresh']}", "x-forwarded-for": new_ip()})
    assert response.status_code == 200 and body_of(response)["id"] == ann.sub
    renewed = set_cookies(response)["sg_session"]
    assert jwt.decode(renewed, options={"verify_signature": False})["exp"] > time.time()
    assert response.headers["Cache-Control"] == "no-store"
    # A refresh token Cognito does not know ends the session.
    response = client.http.get("/api/me", headers={
        "cookie": f"sg_session={expired}; sg_refresh=made-up", "x-forwarded-for": new_ip()})
    assert response.status_code == 401


def test_signed_out_calls_need_a_session(client):
    for method, path in [("GET", "/api/me"), ("GET", "/api/me/saves"), ("GET", "/api/me/conversations"),
                         ("POST", "/api/conversations/abcdefg/save")]:
        response = getattr(client.http, method.lower())(path, headers={"x-forwarded-for": new_ip()})
        assert response.status_code == 401, path
        assert body_of(response)["error"]["code"] == "unauthorized"


def test_sign_out_clears_the_cookies(client, ann):
    response = ann.call("POST", "/signout", {})
    assert response.status_code == 200
    cleared = set_cookies(response)
    assert cleared == {"sg_session": "", "sg_refresh": "", "sg_user": ""}
    assert all("Max-Age=0" in c for c in response.headers["Set-Cookie"])


def test_password_reset_with_the_code(client):
    person = sign_up(client, "Reset")
    started = form_post(client, "/reset", {"email": person.email})
    assert started.status_code == 202
    code = body_of(started)["localCode"]  # the local stage hands back what the email would carry
    wrong = form_post(client, "/reset", {"email": person.email, "code": "moto-confirmation-code:000000",
                                         "password": "a new password"})
    assert wrong.status_code == 400 and body_of(wrong)["error"]["field"] == "code"
    done = form_post(client, "/reset", {"email": person.email, "code": code, "password": "a new password"})
    assert done.status_code == 200
    assert form_post(client, "/signin", {"email": person.email, "password": person.password}).status_code == 401
    assert form_post(client, "/signin", {"email": person.email, "password": "a new password"}).status_code == 200
    # Unknown emails look the same as known ones.
    assert form_post(client, "/reset", {"email": "nobody@example.test"}).status_code == 202


# ---------------------------------------------------------------- CSRF

def test_cookie_writes_from_another_origin_are_refused(client, ann):
    cid = create(client, chat(2))["id"]
    for origin, referer in [("https://evil.example", None), (None, None), ("null", None),
                            (None, "https://evil.example/page"), (SITE + ".evil.example", None)]:
        extra = {"referer": referer} if referer else {}
        response = ann.call("POST", f"/api/conversations/{cid}/save", origin=origin, **extra)
        assert response.status_code == 403, (origin, referer)
        assert body_of(response)["error"]["code"] == "csrf"
    assert int(_meta(client, cid)["saves"]) == 0
    # The site itself (by Origin, or by Referer when a browser sends no Origin) and the extension may.
    assert ann.call("POST", f"/api/conversations/{cid}/save").status_code == 200
    unsaved = ann.call("DELETE", f"/api/conversations/{cid}/save", origin=None, referer=f"{SITE}/c/{cid}")
    assert unsaved.status_code == 200
    from_extension = ann.call("POST", f"/api/conversations/{cid}/save", origin="chrome-extension://abcdefghijklmnop")
    assert from_extension.status_code == 200


def test_sign_in_and_account_forms_refuse_other_origins(client, ann):
    response = form_post(client, "/signin", {"email": ann.email, "password": ann.password},
                         origin="https://evil.example")
    assert response.status_code == 403 and "Set-Cookie" not in response.headers
    deleted = ann.call("DELETE", "/api/me", {"mode": "delete"}, origin="https://evil.example")
    assert deleted.status_code == 403
    assert ann.call("GET", "/api/me").status_code == 200


# ---------------------------------------------------------------- ownership

def _meta(client, cid: str) -> dict[str, Any]:
    from chalicelib.models import ConversationMeta

    meta = ConversationMeta.get(cid, "meta", consistent_read=True)
    return {"saves": meta.saves, "comments": meta.comments, "user_key": meta.user_key, "title": meta.title,
            "visibility": meta.visibility, "list_pk": meta.list_pk}


def share(session: Session, payload: dict[str, Any]) -> dict[str, Any]:
    response = session.call("POST", "/api/conversations", payload)
    assert response.status_code == 201, response.body
    return body_of(response)


def test_a_conversation_shared_signed_in_belongs_to_its_owner(client, ann, bob):
    mine = share(ann, chat(2, title="Ann's own"))
    anonymous = create(client, chat(2, title="nobody's"))
    listed = body_of(ann.call("GET", "/api/me/conversations"))["conversations"]
    assert mine["id"] in [r["id"] for r in listed] and anonymous["id"] not in [r["id"] for r in listed]
    assert next(r for r in listed if r["id"] == mine["id"])["visibility"] == "unlisted"
    assert mine["id"] not in [r["id"] for r in body_of(bob.call("GET", "/api/me/conversations"))["conversations"]]
    # Not the owner: no changes, no delete.
    assert bob.call("PATCH", f"/api/conversations/{mine['id']}", {"title": "mine now"}).status_code == 403
    assert bob.call("DELETE", f"/api/conversations/{mine['id']}").status_code == 403
    assert ann.call("DELETE", f"/api/conversations/{anonymous['id']}").status_code == 403
    assert _meta(client, mine["id"])["title"] == "Ann's own"


def test_my_conversations_page_by_cursor_newest_first(client):
    from chalicelib import listings

    owner = sign_up(client, "Pager")
    shared = [share(owner, chat(2, title=f"mine {i}"))["id"] for i in range(3)]
    first, cursor = listings.list_owned(owner.sub, size=2)
    rest, end = listings.list_owned(owner.sub, cursor, size=2)
    assert [r["id"] for r in first + rest] == shared[::-1] and end is None
    via_api = body_of(owner.call("GET", f"/api/me/conversations?cursor={cursor}"))
    assert [r["id"] for r in via_api["conversations"]] == shared[::-1][2:]


def test_the_owner_changes_title_and_visibility_and_listings_follow(client, ann):
    cid = share(ann, chat(2, title="quietly shared zebrafish"))["id"]

    def found(word: str) -> bool:
        return cid in [r["id"] for r in body_of(client.http.get(f"/api/conversations?type=new&search={word}"))]

    assert not found("zebrafish")
    response = ann.call("PATCH", f"/api/conversations/{cid}", {"visibility": "public", "title": "Loud okapi notes"})
    assert response.status_code == 200 and body_of(response) == {"id": cid, "title": "Loud okapi notes",
                                                                 "visibility": "public", "comments": True,
                                                                 "dataset": None}
    assert found("okapi") and not found("zebrafish")
    assert cid in [r["id"] for r in body_of(client.http.get("/api/conversations?type=new"))]
    assert body_of(client.http.get(f"/api/conversations/{cid}"))["title"] == "Loud okapi notes"
    ann.call("PATCH", f"/api/conversations/{cid}", {"visibility": "unlisted"})
    assert not found("okapi")
    assert cid not in [r["id"] for r in body_of(client.http.get("/api/conversations?type=new"))]
    assert _meta(client, cid)["list_pk"] is None
    bad = ann.call("PATCH", f"/api/conversations/{cid}", {"visibility": "secret"})
    assert bad.status_code == 400 and body_of(bad)["error"]["field"] == "visibility"
    assert ann.call("PATCH", f"/api/conversations/{cid}", {}).status_code == 400


def test_the_owner_deletes_without_the_token(client, ann, aws):
    cid = share(ann, chat(2))["id"]
    assert ann.call("DELETE", f"/api/conversations/{cid}").status_code == 204
    assert client.http.get(f"/api/conversations/{cid}").status_code == 404
    assert not partition(aws, cid)


# ---------------------------------------------------------------- saves

def test_saving_is_idempotent_and_counted_once(client, ann, bob):
    cid = create(client, chat(2, visibility="public"))["id"]
    first = ann.call("POST", f"/api/conversations/{cid}/save")
    second = ann.call("POST", f"/api/conversations/{cid}/save")
    assert first.status_code == second.status_code == 200
    assert body_of(second) == {"saved": True, "saves": 1}
    assert body_of(bob.call("POST", f"/api/conversations/{cid}/save"))["saves"] == 2
    assert body_of(bob.call("DELETE", f"/api/conversations/{cid}/save")) == {"saved": False, "saves": 1}
    assert body_of(bob.call("DELETE", f"/api/conversations/{cid}/save")) == {"saved": False, "saves": 1}
    row = next(r for r in body_of(client.http.get("/api/conversations?type=new")) if r["id"] == cid)
    assert row["saves"] == 1
    assert body_of(ann.call("GET", f"/api/me/status?ids={cid},abcdefg")) == {"saved": [cid], "owned": []}
    mine = share(ann, chat(2))["id"]
    assert body_of(ann.call("GET", f"/api/me/status?ids={cid},{mine}&owned=1")) == {"saved": [cid], "owned": [mine]}
    assert ann.call("POST", "/api/conversations/zzzzzzz/save").status_code == 404


def test_my_saves_are_newest_first_with_a_cursor(client):
    from chalicelib import saves

    reader = sign_up(client, "Reader")
    ids = [create(client, chat(2, title=f"saved {i}"))["id"] for i in range(5)]
    base = time.time()
    for i, cid in enumerate(ids):  # saved a second apart, in this order
        saves.set_saved(cid, reader.sub, True, now=base + i)
    page = body_of(reader.call("GET", "/api/me/saves"))
    assert [r["id"] for r in page["conversations"]] == ids[::-1] and page["cursor"] is None
    # Two at a time, following the cursor (the API's page size is 50).
    seen, cursor = [], None
    while True:
        rows, cursor = saves.list_saved(reader.sub, cursor, size=2)
        seen += [r["id"] for r in rows]
        if not cursor:
            break
    assert seen == ids[::-1]
    second = body_of(reader.call("GET", "/api/me/saves?cursor=" + saves.list_saved(reader.sub, size=2)[1]))
    assert [r["id"] for r in second["conversations"]] == ids[::-1][2:]
    bad = reader.call("GET", "/api/me/saves?cursor=WzEsMl0")
    assert bad.status_code == 400 and body_of(bad)["error"]["code"] == "invalid_cursor"


def test_concurrent_saves_and_unsaves_keep_the_count_exact(client, aws):
    from chalicelib import saves

    cid = create(client, chat(2))["id"]
    users = [f"user-{i}" for i in range(12)]

    def churn(user: str) -> None:
        for _ in range(3):
            saves.set_saved(cid, user, True)
            saves.set_saved(cid, user, True)
        saves.set_saved(cid, user, False)
        if users.index(user) % 2 == 0:
            saves.set_saved(cid, user, True)

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(churn, users))
    stored = [i for i in partition(aws, cid) if i["part"]["S"].startswith("~save#")]
    assert len(stored) == 6
    assert int(_meta(client, cid)["saves"]) == 6


# ---------------------------------------------------------------- comments

def test_comments_are_anchored_to_an_existing_message_and_sanitized(client, ann, bob):
    cid = share(ann, chat(3))["id"]
    posted = bob.call("POST", f"/api/conversations/{cid}/comments",
                      {"position": 1, "content": "**Nice** <script>alert(1)</script> [x](javascript:alert(1))"})
    assert posted.status_code == 201, posted.body
    comment = body_of(posted)
    assert "<strong>Nice</strong>" in comment["html"]
    assert "<script" not in comment["html"] and "&lt;script&gt;" in comment["html"]
    assert "href" not in comment["html"]  # the javascript: link stays text
    assert comment["author"] == "Bob <b>" and comment["position"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", comment["createdAt"])  # as every date
    for body, field in [({"position": 3, "content": "past the end"}, "position"),
                        ({"position": -1, "content": "negative"}, "position"),
                        ({"position": 0, "content": "x" * 5001}, "content"),
                        ({"position": 0, "content": "   "}, "body"),
                        ({"position": 0, "content": "hi", "parentId": "nope"}, "parentId")]:
        response = bob.call("POST", f"/api/conversations/{cid}/comments", body)
        assert response.status_code == 400, body
        assert body_of(response)["error"].get("field") == (None if field == "body" else field), body
    assert bob.call("POST", "/api/conversations/zzzzzzz/comments", {"position": 0, "content": "x"}).status_code == 404
    assert client.http.post(f"/api/conversations/{cid}/comments", headers={"content-type": "application/json"},
                            body=json.dumps({"position": 0, "content": "anon"})).status_code == 401
    assert int(_meta(client, cid)["comments"]) == 1
    exactly = bob.call("POST", f"/api/conversations/{cid}/comments", {"position": 0, "content": "y" * 5000})
    assert exactly.status_code == 201


def test_replies_are_one_level_deep_and_listed_in_order(client, ann, bob):
    cid = share(ann, chat(4))["id"]
    first = body_of(bob.call("POST", f"/api/conversations/{cid}/comments", {"position": 1, "content": "first"}))
    second = body_of(ann.call("POST", f"/api/conversations/{cid}/comments", {"position": 1, "content": "second"}))
    other = body_of(ann.call("POST", f"/api/conversations/{cid}/comments", {"position": 3, "content": "elsewhere"}))
    reply = bob.call("POST", f"/api/conversations/{cid}/comments",
                     {"position": 1, "content": "a reply", "parentId": first["id"]})
    assert reply.status_code == 201
    reply = body_of(reply)
    assert reply["parentId"] == first["id"]
    # No reply to a reply, and a reply must be on its parent's message.
    assert bob.call("POST", f"/api/conversations/{cid}/comments",
                    {"position": 1, "content": "deeper", "parentId": reply["id"]}).status_code == 400
    assert bob.call("POST", f"/api/conversations/{cid}/comments",
                    {"position": 2, "content": "moved", "parentId": first["id"]}).status_code == 400
    listing = body_of(client.http.get(f"/api/conversations/{cid}/comments"))
    assert listing["count"] == 4
    assert [c["id"] for c in listing["positions"]["1"]] == [first["id"], second["id"]]
    assert [r["id"] for r in listing["positions"]["1"][0]["replies"]] == [reply["id"]]
    assert [c["id"] for c in listing["positions"]["3"]] == [other["id"]]
    assert "2" not in listing["positions"]
    anonymous_view = listing["positions"]["1"][0]
    assert anonymous_view["canDelete"] is False and anonymous_view["mine"] is False
    as_owner = body_of(ann.call("GET", f"/api/conversations/{cid}/comments"))
    assert as_owner["owner"] is True and as_owner["positions"]["1"][0]["canDelete"] is True


def test_comments_are_deleted_by_their_author_or_the_owner_only(client, ann, bob):
    cid = share(ann, chat(2))["id"]
    carol = sign_up(client, "Carol")
    by_bob = body_of(bob.call("POST", f"/api/conversations/{cid}/comments", {"position": 0, "content": "bob's"}))
    reply = body_of(carol.call("POST", f"/api/conversations/{cid}/comments",
                               {"position": 0, "content": "carol's reply", "parentId": by_bob["id"]}))
    by_carol = body_of(carol.call("POST", f"/api/conversations/{cid}/comments", {"position": 1, "content": "hers"}))
    assert int(_meta(client, cid)["comments"]) == 3
    assert carol.call("DELETE", f"/api/conversations/{cid}/comments/{by_bob['id']}").status_code == 403
    assert bob.call("DELETE", f"/api/conversations/{cid}/comments/{by_carol['id']}").status_code == 403
    # The author deletes a reply; the owner deletes a thread (with what is left under it).
    assert body_of(carol.call("DELETE", f"/api/conversations/{cid}/comments/{reply['id']}")) == {"deleted": 1}
    assert int(_meta(client, cid)["comments"]) == 2
    body_of(carol.call("POST", f"/api/conversations/{cid}/comments",
                       {"position": 0, "content": "again", "parentId": by_bob["id"]}))
    assert body_of(ann.call("DELETE", f"/api/conversations/{cid}/comments/{by_bob['id']}")) == {"deleted": 2}
    assert carol.call("DELETE", f"/api/conversations/{cid}/comments/{by_carol['id']}").status_code == 200
    assert int(_meta(client, cid)["comments"]) == 0
    assert body_of(client.http.get(f"/api/conversations/{cid}/comments"))["positions"] == {}
    assert carol.call("DELETE", f"/api/conversations/{cid}/comments/{by_carol['id']}").status_code == 404


def test_comments_are_rate_limited_per_user(client, monkeypatch):
    from chalicelib import settings

    cid = create(client, chat(2))["id"]
    chatty = sign_up(client, "Chatty")
    limit = settings.get().comment_limit
    statuses = [chatty.call("POST", f"/api/conversations/{cid}/comments", {"position": 0, "content": f"#{i}"})
                .status_code for i in range(limit + 1)]
    assert statuses == [201] * limit + [429]
    # Per user, not per address: someone else still may.
    assert sign_up(client, "Quiet").call("POST", f"/api/conversations/{cid}/comments",
                                         {"position": 0, "content": "hi"}).status_code == 201


# ---------------------------------------------------------------- cascades

def test_deleting_a_conversation_removes_its_saves_and_comments(client, ann, bob, aws):
    created = share(ann, chat(2))
    cid = created["id"]
    bob.call("POST", f"/api/conversations/{cid}/save")
    bob.call("POST", f"/api/conversations/{cid}/comments", {"position": 0, "content": "soon gone"})
    assert len(partition(aws, cid)) == 4
    response = client.http.delete(f"/api/conversations/{cid}",
                                  headers={"authorization": f"Bearer {created['deleteToken']}"})
    assert response.status_code == 204
    assert not partition(aws, cid)
    assert cid not in [r["id"] for r in body_of(bob.call("GET", "/api/me/saves"))["conversations"]]


def test_a_save_landing_during_a_delete_goes_too(client, ann, aws):
    """The delete read the meta item (0 saves), then a save landed: the counts in its condition catch it."""
    from chalicelib import cleanup, conversations
    from chalicelib.models import ConversationMeta

    cid = create(client, chat(2))["id"]
    stale = ConversationMeta.get(cid, "meta", consistent_read=True)
    assert ann.call("POST", f"/api/conversations/{cid}/save").status_code == 200
    conversations.remove(conversations.Owned(stale, ConversationMeta.token_hash == stale.token_hash))
    cleanup.finish_or_defer(cid)
    assert not partition(aws, cid)


@pytest.mark.parametrize("mode", ["delete", "anonymize"])
def test_deleting_an_account(client, aws, mode):
    leaving, other = sign_up(client, "Leaving"), sign_up(client, "Other")
    own = share(leaving, chat(2, visibility="public", title="leaving public"))["id"]
    elsewhere = share(other, chat(2))["id"]
    leaving.call("POST", f"/api/conversations/{elsewhere}/save")
    leaving.call("POST", f"/api/conversations/{elsewhere}/comments", {"position": 1, "content": "my words"})
    other.call("POST", f"/api/conversations/{own}/save")
    response = leaving.call("DELETE", "/api/me", {"mode": mode})
    assert response.status_code == 200, response.body
    assert body_of(response) == {"deleted": True, "conversations": 1, "comments": 1, "saves": 1}
    assert set_cookies(response)["sg_session"] == ""
    assert form_post(client, "/signin", {"email": leaving.email, "password": leaving.password}).status_code == 401
    assert int(_meta(client, elsewhere)["saves"]) == 0
    comments = body_of(client.http.get(f"/api/conversations/{elsewhere}/comments"))
    if mode == "delete":
        assert client.http.get(f"/api/conversations/{own}").status_code == 404
        assert comments["count"] == 0 and comments["positions"] == {}
    else:
        assert client.http.get(f"/api/conversations/{own}").status_code == 200
        assert _meta(client, own)["user_key"] is None
        assert [c["author"] for c in comments["positions"]["1"]] == ["former member"]
    assert not [i for i in scan_all(aws, "conversations") if leaving.sub in repr(i)]


def test_anonymous_sharing_still_works_and_a_bad_cookie_is_not_ignored(client):
    assert create(client, chat(2))["id"]
    response = client.http.post("/api/conversations", headers={
        "content-type": "application/json", "cookie": "sg_session=forged", "origin": SITE,
        "x-forwarded-for": new_ip()}, body=json.dumps(chat(2)))
    assert response.status_code == 401

