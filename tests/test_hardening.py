"""What an outside security review and schema fuzzing found (issue 12), each pinned by a test that failed
before its fix."""
from __future__ import annotations

import pytest
from conftest import body_of, nothing_stored, post_json, share

pytestmark = pytest.mark.api

# ---------------------------------------------------------------- 1. CPU denial of service on create

@pytest.mark.parametrize("payload, field", [
    ({"items": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "<div>" * 16000}]}, "items.1.value"),
    ({"items": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "<b><i>" * 50000}]}, "items.1.value"),
    ({"items": [{"from": "gpt", "value": "<p>fine</p>"}, {"from": "gpt", "value": "<div>" * 100000}]},
     "items.1.value"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<" * 1_000_000}]},
     "messages.1.content"),
    # The budget is per conversation: many modest messages add up.
    ({"messages": [{"role": "assistant", "content": "[" * 450_000} for _ in range(4)]}, "messages.3.content"),
], ids=["div-16000", "b-i-50000", "div-100000", "markdown-lt-1M", "budget-summed"])
def test_pathological_markup_is_refused_before_any_parser_runs(client, aws, payload, field):
    with nothing_stored():
        response = post_json(client, payload)

    assert response.status_code == 400, response.body[:300]
    error = body_of(response)["error"]
    assert error["code"] == "too_complex" and error["field"] == field


def test_real_shapes_within_the_limits_still_render(client):
    nested = "<ul><li>" * 30 + "deep" + "</li></ul>" * 30
    table = "| n | square |\n|---|---|\n" + "".join(f"| {i} | {i * i} |\n" for i in range(1500))
    entities = "Compare `a < b` and a < b && c > d. " * 1000
    response = post_json(client, {"messages": [
        {"role": "user", "content": "a big table please"},
        {"role": "assistant", "content": table},
        {"role": "assistant", "content": entities},
    ]})
    assert response.status_code == 201, response.body[:300]
    seed = post_json(client, {"items": [{"from": "human", "value": "nest"}, {"from": "gpt", "value": nested}]})
    assert seed.status_code == 201, seed.body[:300]

    got = body_of(client.http.get(f"/api/conversations/{body_of(response)['id']}"))
    assert got["messages"][1]["html"].count("<tr>") == 1501
    assert got["messages"][2]["html"].count("a &lt; b &amp;&amp; c &gt; d") == 1000
    html = body_of(client.http.get(f"/api/conversations/{body_of(seed)['id']}"))["messages"][1]["html"]
    assert html.count("<ul>") == 30 and "deep" in html


def test_depth_counts_unclosed_tags_and_skips_void_ones():
    from chalicelib.complexity import html_depth, markdown_markup

    assert html_depth("<div><p>a</p><p>b<br><img src=x></p></div>") == 2
    assert html_depth("<b><i>" * 10) == 20  # never closed: html5lib keeps them open too
    assert html_depth("</div>" * 5 + "<div></div>") == 1
    assert markdown_markup("plain words only") == 0
    assert markdown_markup("**a** [b](c) `d` <e> & |") == 15 * 4 + 7 + 7 + 11 * 2 + 48 * 2 + 48 + 15
    assert markdown_markup("x" * 300) == 12  # plain text: a unit per 25 characters


def test_text_runs_are_one_token_and_sanitizing_keeps_entities_and_table_text():
    from chalicelib.sanitize import clean_html

    assert clean_html("a &lt; b &amp;&amp; c &gt; d") == "a &lt; b &amp;&amp; c &gt; d"
    assert clean_html("<p>x <b>y</b> z &amp; w</p>") == "<p>x <b>y</b> z &amp; w</p>"
    table = "<table><tbody>" + "<tr><td>1</td><td>2 &lt; 3</td></tr>\n" * 3 + "</tbody></table>"
    assert clean_html(table) == table


# ---------------------------------------------------------------- 6. stored poison and 500s from odd input

@pytest.mark.parametrize("raw, field", [
    ('{"messages": [{"role": "user", "content": "a\\ud800b"}]}', "messages.0.content"),
    ('{"messages": [{"role": "assistant", "content": "```py\\nx = \\"\\udfff\\"\\n```"}]}', "messages.0.content"),
    ('{"items": [{"from": "gpt", "value": "<p>\\udbff</p>"}]}', "items.0.value"),
    ('{"title": "\\ud83d", "messages": [{"role": "user", "content": "hi"}]}', "title"),
    ('{"messages": [{"role": "user", "content": "\\udc00 becomes the title"}]}', "messages.0.content"),
])
def test_a_lone_surrogate_is_refused_and_never_stored(client, aws, raw, field):
    with nothing_stored():
        response = post_json(client, None, raw=raw)

    assert response.status_code == 400
    assert body_of(response)["error"] == {**body_of(response)["error"], "code": "invalid_text", "field": field}


def test_a_real_surrogate_pair_is_fine(client):
    response = post_json(client, None, raw='{"messages": [{"role": "user", "content": "smile \\ud83d\\ude00"}]}')
    assert response.status_code == 201
    got = client.http.get(f"/api/conversations/{body_of(response)['id']}")
    assert body_of(got)["messages"][0]["content"] == "smile \U0001F600"


HOSTILE_JSON = {
    "nested": "[" * 100_000 + "]" * 100_000,
    "nested-object": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "5000-digits": '{"title": ' + "9" * 5000 + "}",
    "5000-digit-position": '{"position": ' + "1" * 5000 + ', "content": "x"}',
}


@pytest.mark.parametrize("shape", sorted(HOSTILE_JSON))
@pytest.mark.parametrize("path", ["/api/conversations", "/api/conversations/AbCdEf1/comments", "/signin",
                                  "/signup", "/reset", "/signup/confirm"])
def test_hostile_json_is_a_400_on_every_json_route(client, path, shape):
    from conftest import SITE

    response = client.http.post(path, headers={"content-type": "application/json", "origin": SITE,
                                               "x-forwarded-for": "198.51.100.7"}, body=HOSTILE_JSON[shape])

    assert 400 <= response.status_code < 500, (path, shape, response.status_code, response.body[:200])
    if response.headers.get("content-type", "").startswith("application/json") and response.body:
        assert "error" in body_of(response)


def test_odd_paging_values_are_400s_not_500s(client):
    import base64
    import json as jsonlib

    bool_cursor = base64.urlsafe_b64encode(jsonlib.dumps([True, "abcdefg"]).encode()).decode().rstrip("=")
    for query in ("page=%C2%B2", "page=99999999999999999999", f"cursor={bool_cursor}",
                  f"type=new&cursor={bool_cursor}"):
        response = client.http.get(f"/api/conversations?{query}")
        assert response.status_code == 400, (query, response.body[:200])
        assert body_of(response)["error"]["code"] in ("invalid_request", "invalid_cursor")
    page = client.http.get(f"/explore?cursor={bool_cursor}")
    assert page.status_code == 200 and b"Explore" in page.body


def test_a_newline_in_next_never_reaches_the_location_header(client):
    from conftest import SITE, new_ip

    response = client.http.post("/signup", headers={"content-type": "application/x-www-form-urlencoded",
                                                      "origin": SITE, "x-forwarded-for": new_ip()},
                                body="email=next-nl%40example.test&password=long+enough+pw&name=Nl"
                                     "&next=%2Fsaved%0D%0ASet-Cookie%3A+x%3D1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/mine"


def test_confirming_a_sign_up_without_a_code_is_a_400(client):
    from conftest import SITE

    response = client.http.post("/signup/confirm", headers={"content-type": "application/json", "origin": SITE},
                                body='{"email": "someone@example.test"}')
    assert response.status_code == 400
    assert body_of(response)["error"]["field"] == "code"


@pytest.mark.parametrize("path", ["/AbCdEf1%0A", "/c/AbCdEf1%0A", "/identicons/AbCdEf1.svg%0A",
                                  "/api/conversations/AbCdEf1%0A"])
def test_ids_with_a_trailing_newline_are_not_found(client, path):
    assert client.http.get(path).status_code == 404


# ---------------------------------------------------------------- 11. racing owner edits

def test_racing_owner_edits_never_leave_search_entries_behind(client, aws):
    import threading

    from conftest import scan_all

    from chalicelib import sharing
    from chalicelib.errors import ApiError
    from chalicelib.keys import META
    from chalicelib.models import ConversationMeta
    from chalicelib.words import index_words

    for attempt in range(12):
        request = {"title": f"Racing edits alpha{attempt}", "visibility": "public",
                   "messages": [{"role": "user", "content": "hi"}]}
        cid = share(request, owner="racer-sub")["id"]
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def edit(barrier: threading.Barrier, outcomes: list[object], cid: str, **change) -> None:
            barrier.wait()
            try:
                outcomes.append(sharing.update(cid, "racer-sub", **change))
            except ApiError as exc:
                outcomes.append(exc.status)

        shared = (barrier, outcomes, cid)
        threads = [threading.Thread(target=edit, args=shared, kwargs={"visibility": "unlisted"}),
                   threading.Thread(target=edit, args=shared, kwargs={"title": f"Renamed gamma{attempt}"})]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        meta = ConversationMeta.get(cid, META, consistent_read=True)
        entries = {e["word"]["S"] for e in scan_all(aws, "search") if e["id"]["S"] == cid}
        expected = set(index_words(meta.title)) if meta.visibility == "public" else set()
        assert entries == expected, (attempt, outcomes, meta.title, meta.visibility)
        assert set(meta.words or ()) == expected
        assert all(o == 409 or isinstance(o, dict) for o in outcomes)


# ---------------------------------------------------------------- 3. search cost amplification

@pytest.fixture(scope="module")
def common_word(client):
    """260 public conversations sharing the word 'ubiquitousword'; 3 of them also 'rarebird'."""

    for i in range(260):
        title = f"Ubiquitousword number{i}" + (" rarebird" if i in (3, 150, 255) else "")
        share(
            {"title": title, "visibility": "public", "messages": [{"role": "user", "content": "x"}]})
    return "ubiquitousword"


def test_a_search_reads_a_bounded_number_of_pages_and_says_where_it_stopped(client, common_word, monkeypatch):
    import awscalls

    from chalicelib import listings

    monkeypatch.setattr(listings, "SEARCH_PAGE_ENTRIES", 20)  # 260 entries: far more than 5 x 20
    start = len(awscalls.RECORDED)
    response = client.http.get(f"/api/conversations?search={common_word}+neverseenword")
    queries = [c for c in awscalls.RECORDED[start:] if c[1] == "Query"]

    assert response.status_code == 200 and body_of(response) == []
    assert len(queries) == listings.SEARCH_QUERY_BUDGET
    assert 'rel="next"' in response.headers["Link"]  # go on from where reading stopped, or refine

    rows, cursor, found = None, None, set()
    for _ in range(20):  # following the cursor finds the rare matches, five Queries at a time
        rows, cursor = listings.list_public(search=f"{common_word} rarebird", cursor=cursor)
        found |= {r["title"] for r in rows}
        if cursor is None:
            break
    assert found == {f"Ubiquitousword number{i} rarebird" for i in (3, 150, 255)}


def test_a_search_count_is_capped_and_says_so(client, common_word, monkeypatch):
    from chalicelib import listings

    assert listings.count_public(common_word) == (260, False)
    monkeypatch.setattr(listings, "SEARCH_COUNT_ENTRIES", 100)
    response = client.http.get(f"/api/conversations/count?search={common_word}")
    assert body_of(response) == 100 and response.headers["X-Count-Capped"] == "true"
    assert "X-Count-Capped" not in client.http.get("/api/conversations/count").headers


def test_deep_search_pages_past_the_budget_are_refused(client, common_word, monkeypatch):
    from chalicelib import listings

    monkeypatch.setattr(listings, "SEARCH_PAGE_ENTRIES", 20)
    response = client.http.get(f"/api/conversations?search={common_word}+neverseenword&page=3")
    assert response.status_code == 400 and body_of(response)["error"]["code"] == "search_too_broad"


# ---------------------------------------------------------------- 2. rate limits bypassed through API Gateway

@pytest.fixture
def origin_secret(monkeypatch):
    from chalicelib import settings

    monkeypatch.setenv("ORIGIN_VERIFY_SECRET", "s3cret-origin-value")
    settings.get.cache_clear()
    yield "s3cret-origin-value"
    monkeypatch.delenv("ORIGIN_VERIFY_SECRET")
    settings.get.cache_clear()


def test_direct_calls_without_the_cdn_secret_are_refused(client, origin_secret):
    created = client.http.get("/api/conversations/count", headers={"x-origin-verify": origin_secret})
    assert created.status_code == 200
    for headers in ({}, {"x-origin-verify": "wrong"}, {"x-origin-verify": origin_secret + "x"}):
        response = client.http.get("/api/conversations/count", headers=headers)
        assert response.status_code == 403 and body_of(response)["error"]["code"] == "direct_access"
        page = client.http.get("/explore", headers={**headers, "accept": "text/html"})
        assert page.status_code == 403 and b"<html" in page.body
    # The short link reads nothing and needs no secret on its cold start.
    assert client.http.get("/AbCdEf1").status_code == 301


def test_forwarded_for_counts_only_behind_the_cdn(client, origin_secret, monkeypatch):
    """Through the CDN (secret present) X-Forwarded-For names the client, so two clients get two windows."""
    from chalicelib import settings

    monkeypatch.setenv("CREATE_LIMIT", "1")
    settings.get.cache_clear()
    through_cdn = {"content-type": "application/json", "x-origin-verify": origin_secret}
    first = client.http.post("/api/conversations", headers={**through_cdn, "x-forwarded-for": "203.0.113.50"},
                             body='{"messages": [{"role": "user", "content": "a"}]}')
    second = client.http.post("/api/conversations", headers={**through_cdn, "x-forwarded-for": "203.0.113.51"},
                              body='{"messages": [{"role": "user", "content": "b"}]}')
    direct = client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                            "x-forwarded-for": "203.0.113.52"},
                              body='{"messages": [{"role": "user", "content": "c"}]}')
    assert (first.status_code, second.status_code, direct.status_code) == (201, 201, 403)


def test_the_stage_secret_comes_from_secrets_manager_once(aws, monkeypatch):
    import awscalls
    import boto3
    from conftest import TABLE_PREFIX

    from chalicelib import settings, stage_secrets

    manager = awscalls.ignore(boto3.client("secretsmanager", endpoint_url=aws["dynamodb"].meta.endpoint_url,
                                           region_name="us-east-1"))  # the test's own calls, not the app's
    arn = manager.create_secret(Name=f"{TABLE_PREFIX}-origin", SecretString="generated-at-deploy")["ARN"]
    monkeypatch.setenv("SECRETS_ARN", arn)
    monkeypatch.delenv("IP_HASH_SALT", raising=False)
    settings.get.cache_clear()
    stage_secrets._stage_secret.cache_clear()
    try:
        assert stage_secrets.origin_verify() == "generated-at-deploy"
        salt = stage_secrets.ip_hash_salt()
        assert len(salt) == 64 and "generated" not in salt and salt == stage_secrets.ip_hash_salt()
        manager.put_secret_value(SecretId=arn, SecretString="changed")
        assert stage_secrets.origin_verify() == "generated-at-deploy"  # read once per process
    finally:
        monkeypatch.delenv("SECRETS_ARN")
        settings.get.cache_clear()
        stage_secrets._stage_secret.cache_clear()


# ---------------------------------------------------------------- 4. deleted and edited pages leave the CDN

@pytest.fixture()
def distribution(aws, monkeypatch):
    """A CloudFront distribution on the moto server, set as the stage's (DISTRIBUTION_ID); yields (its id, a
    CloudFront client of the test's own)."""
    from conftest import cloudfront_distribution

    from chalicelib import settings

    made, cloudfront = cloudfront_distribution(aws["dynamodb"].meta.endpoint_url, "hardening")
    monkeypatch.setenv("DISTRIBUTION_ID", made)
    settings.get.cache_clear()
    yield made, cloudfront
    monkeypatch.delenv("DISTRIBUTION_ID")
    settings.get.cache_clear()


def _sent_paths(cloudfront, distribution_id: str) -> list[list[str]]:
    """The paths of every invalidation CloudFront (moto) took for the distribution."""
    listed = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", [])
    return [cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])["Invalidation"]
            ["InvalidationBatch"]["Paths"]["Items"] for item in listed]


def test_delete_and_owner_edits_invalidate_the_conversations_cdn_paths(client, distribution):
    from conftest import chat, create

    from chalicelib import cdn, sharing

    distribution_id, cloudfront = distribution
    created = create(client, chat(2))
    response = client.http.delete(f"/api/conversations/{created['id']}",
                                  headers={"authorization": f"Bearer {created['deleteToken']}"})
    assert response.status_code == 204
    owned = share(chat(2, title="Edit me"), owner="cdn-sub")
    sharing.update(owned["id"], "cdn-sub", title="Edited")

    deleted, edited = cdn.INVALIDATED[-2:]
    # The conversation's paths, and its preview card (removed with it; replaced by the retitle).
    for paths, cid in ((deleted, created["id"]), (edited, owned["id"])):
        assert paths[:-1] == cdn.conversation_paths(cid) and paths[-1].startswith(f"/cards/{cid}/")
    sent = _sent_paths(cloudfront, distribution_id)
    assert sorted(map(sorted, sent)) == sorted(map(sorted, [deleted, edited]))
    # Exact paths only: CloudFront runs 15 wildcard invalidations at once but 3,000 exact paths.
    assert not [path for paths in sent for path in paths if "*" in path]
    cid = created["id"]
    assert {f"/c/{cid}", f"/{cid}", f"/api/conversations/{cid}", f"/api/conversations/{cid}/export",
            f"/api/conversations/{cid}/export?format=markdown"} <= set(deleted)


def test_an_invalidation_cloudfront_refuses_is_queued_and_sent_by_the_scheduled_job(client, distribution):
    """CloudFront refuses (too many invalidations in progress): the delete still answers 204, the paths wait
    in the durable queue, the scheduled job keeps them while CloudFront still refuses and sends them once it
    takes them."""
    from botocore.stub import Stubber
    from conftest import chat, create

    from app import retry_invalidations
    from chalicelib import cdn
    from chalicelib.aws import cloudfront as app_cloudfront

    distribution_id, cloudfront = distribution
    created = create(client, chat(2))
    with Stubber(app_cloudfront()) as refusing:
        for _ in range(2):
            refusing.add_client_error("create_invalidation", "TooManyInvalidationsInProgress", http_status_code=400)
        response = client.http.delete(f"/api/conversations/{created['id']}",
                                      headers={"authorization": f"Bearer {created['deleteToken']}"})
        assert response.status_code == 204
        queued = cdn.pending()
        assert set(cdn.conversation_paths(created["id"])) <= set(queued)
        assert cdn.retry_pending() == 0 and cdn.pending() == queued  # still refused: still queued
    assert _sent_paths(cloudfront, distribution_id) == []

    retry_invalidations.func(None)  # the scheduled function (Chalice wraps it for EventBridge)
    assert cdn.pending() == []
    (sent,) = _sent_paths(cloudfront, distribution_id)
    assert sorted(sent) == queued


def test_a_delete_key_check_answers_204_or_403(client):
    from conftest import chat, create

    created = create(client, chat(2))
    right = client.http.get(f"/api/conversations/{created['id']}/key",
                            headers={"authorization": f"Bearer {created['deleteToken']}"})
    wrong = client.http.get(f"/api/conversations/{created['id']}/key", headers={"authorization": "Bearer " + "A" * 32})
    missing = client.http.get("/api/conversations/Zz9Zz9Z/key", headers={"authorization": "Bearer x"})
    absent = client.http.get(f"/api/conversations/{created['id']}/key")
    assert (right.status_code, wrong.status_code, missing.status_code, absent.status_code) == (204, 403, 404, 401)
    assert right.headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------- 7. sessions end with sign-out and deletion

def test_a_deleted_accounts_unexpired_token_cannot_write(client):
    from conftest import chat
    from test_accounts import Session, sign_up

    person = sign_up(client, "Leaver")
    kept = Session(client, dict(person.cookies), person.email, person.password)  # a copy of the cookies
    assert person.call("DELETE", "/api/me", {"mode": "delete"}).status_code == 200

    attempt = kept.call("POST", "/api/conversations", chat(2))
    assert attempt.status_code == 401 and body_of(attempt)["error"]["code"] == "session_ended"
    other = create_public(client)
    assert kept.call("POST", f"/api/conversations/{other}/save").status_code == 401
    assert kept.call("POST", f"/api/conversations/{other}/comments", {"position": 0, "content": "hi"}).status_code \
        == 401


def create_public(client) -> str:
    from conftest import chat, create

    return create(client, chat(2, visibility="public"))["id"]


def test_sign_out_revokes_the_refresh_token_and_deletion_signs_out_everywhere(client):
    """moto implements neither call faithfully (no RevokeToken; a global sign-out does not stop its refresh
    tokens), so the calls themselves are checked with botocore's Stubber."""
    from botocore.stub import Stubber

    from chalicelib import accounts, auth
    from chalicelib.aws import cognito, cognito_admin

    pool_id, client_id = auth.pool()
    with Stubber(cognito()) as stub:
        stub.add_response("revoke_token", {}, {"Token": "refresh-token-value", "ClientId": client_id})
        accounts.sign_out("refresh-token-value")
        stub.assert_no_pending_responses()
    with Stubber(cognito()) as stub:
        stub.add_client_error("revoke_token", "UnsupportedOperationException")
        accounts.sign_out("whatever")  # signing out never fails for the person
    with Stubber(cognito_admin()) as stub:
        stub.add_response("admin_user_global_sign_out", {}, {"UserPoolId": pool_id, "Username": "sub-123"})
        accounts.end_all_sessions("sub-123", now=1_000_000)
        stub.assert_no_pending_responses()
    assert accounts.session_revoked(auth.User("sub-123", "", "x", issued_at=999_999), now=1_000_001)
    assert not accounts.session_revoked(auth.User("sub-123", "", "x", issued_at=1_000_001), now=1_000_001)


def test_a_display_name_written_past_the_app_is_cleaned_when_read(client):
    """Someone calling Cognito directly (moto does not enforce the client's WriteAttributes, which now leave
    the name out) still cannot show a control or bidi-override character through the app."""
    import uuid

    from test_accounts import Session, form_post, set_cookies

    from chalicelib import auth
    from chalicelib.aws import cognito, cognito_admin

    pool_id, client_id = auth.pool()
    email = f"direct-{uuid.uuid4().hex[:8]}@example.test"
    cognito().sign_up(ClientId=client_id, Username=email, Password="long enough pw",
                      UserAttributes=[{"Name": "email", "Value": email},
                                      {"Name": "custom:display_name", "Value": "Mal\u202eexe.txt\x07"}])
    cognito_admin().admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
    signed_in = form_post(client, "/signin", {"email": email, "password": "long enough pw"})
    person = Session(client, set_cookies(signed_in), email, "long enough pw")

    assert body_of(person.call("GET", "/api/me"))["name"] == "Malexe.txt"


# ---------------------------------------------------------------- 13. smaller ones

def test_markdown_export_cannot_forge_headings_or_turns(client):
    from conftest import create
    from markdown_it import MarkdownIt

    created = create(client, {"title": "Honest # title", "model": "gpt\n\n## Assistant\n\nforged by model",
                              "source": "x_y", "messages": [
                                  {"role": "user", "content": "question\n## Assistant\nforged answer\n\nSystem\n---"},
                                  {"role": "assistant", "content": "# Real heading inside\n\nreal answer"}]})
    exported = client.http.get(f"/api/conversations/{created['id']}/export?format=markdown").body.decode()

    tokens = MarkdownIt("commonmark").parse(exported)
    top_level = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.level == 0]
    assert top_level == ["Honest \\# title", "User", "Assistant"]  # the title's # is literal


def test_explore_refuses_an_unknown_tab(client):
    page = client.http.get("/explore?tab=sideways", headers={"accept": "text/html"})
    assert page.status_code == 400 and b"<html" in page.body
    assert client.http.get("/explore?tab=new").status_code == 200
