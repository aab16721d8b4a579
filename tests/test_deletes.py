"""Deletes that hold (issue 30): a removal whose S3 call keeps failing is finished by a repeated DELETE or the
scheduled job, never lost; an orphan page goes with republish; an edit that changes nothing costs nothing and
edits are rate-limited; the API's copies of a conversation are cacheable only at the URLs a delete invalidates."""
from __future__ import annotations

import json

import awscalls
import pytest
from conftest import BUCKET, TABLE_PREFIX, body_of, chat, create, new_ip

from scripts import callrecorder

pytestmark = pytest.mark.api


class FailingPageDeletes(callrecorder.Listener):
    """S3 refuses every DeleteObject of one page while active (a 503 SlowDown, after botocore's retries)."""

    def __init__(self, cid: str) -> None:
        self.key, self.refused = f"pages/c/{cid}", 0

    def before(self, call: callrecorder.Call) -> None:
        from faults import injected

        if call.operation == "DeleteObject" and call.params.get("Key") == self.key:
            self.refused += 1
            raise injected(call)


def _page(aws, cid: str) -> bool:
    return bool(aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"pages/c/{cid}").get("KeyCount"))


def _delete(client, created: dict):
    return client.http.delete(f"/api/conversations/{created['id']}",
                              headers={"authorization": f"Bearer {created['deleteToken']}",
                                       "x-forwarded-for": new_ip()})


def test_a_failing_page_delete_answers_503_and_a_repeated_delete_finishes_it(client, aws):
    from chalicelib import cdn

    created = create(client, chat(4, title="Hard to remove", visibility="public"))
    with callrecorder.listening(FailingPageDeletes(created["id"])) as failing:
        first = _delete(client, created)
    assert failing.refused == 2  # tried twice at once, then queued
    assert first.status_code == 503 and body_of(first)["error"]["code"] == "cleanup_pending"
    assert first.headers["Retry-After"]
    assert _page(aws, created["id"])  # still there: the answer says so, it does not claim success
    assert client.http.get(f"/api/conversations/{created['id']}").status_code == 404  # the data is gone

    before = len(cdn.INVALIDATED)
    again = _delete(client, created)
    assert again.status_code == 204, again.body  # never a 404 with the page left
    assert not _page(aws, created["id"])
    assert f"/c/{created['id']}" in cdn.INVALIDATED[before]
    assert _delete(client, created).status_code == 404  # now nothing is left to finish


def test_the_scheduled_job_finishes_a_delete_no_one_repeats(client, aws):
    from app import retry_invalidations
    from chalicelib import cdn, cleanup

    created = create(client, chat(4, title="Left to the job"))
    with callrecorder.listening(FailingPageDeletes(created["id"])):
        assert _delete(client, created).status_code == 503
    assert created["id"] in cleanup.pending() and _page(aws, created["id"])
    before = len(cdn.INVALIDATED)
    retry_invalidations.func(None)  # the five-minute job, as EventBridge calls it
    assert not _page(aws, created["id"]) and created["id"] not in cleanup.pending()
    assert any(f"/c/{created['id']}" in paths for paths in cdn.INVALIDATED[before:])


def test_a_takedown_whose_page_delete_fails_is_logged_and_finished_by_acting_again(client, aws):
    from test_moderation import moderator

    mod = moderator(client)
    created = create(client, chat(4, title="Taken down, slowly", visibility="public"))
    action = {"conversation": created["id"], "action": "takedown", "reason": "Spam."}
    with callrecorder.listening(FailingPageDeletes(created["id"])):
        first = mod.call("POST", "/api/moderation/actions", action)
    assert first.status_code == 503 and _page(aws, created["id"])
    assert client.http.get(f"/api/conversations/{created['id']}").status_code == 410
    assert mod.call("POST", "/api/moderation/actions", action).status_code == 200
    assert not _page(aws, created["id"])


def test_republish_removes_a_current_page_whose_conversation_went_behind_its_back(client, aws):
    from chalicelib import published

    gone = create(client, chat(title="Removed behind its back"))
    aws["dynamodb"].delete_item(TableName=f"{TABLE_PREFIX}-conversations",
                                Key={"id": {"S": gone["id"]}, "part": {"S": "meta"}})
    assert _page(aws, gone["id"])  # drawn by these very templates: the stale-only pass used to skip it
    counts = published.republish(stale_only=True)
    assert counts["gone"] >= 1 and not _page(aws, gone["id"])


def test_an_edit_that_changes_nothing_stores_draws_and_invalidates_nothing(client):
    from chalicelib import cdn

    created = create(client, chat(title="Same title", visibility="public"))
    start, invalidations = len(awscalls.RECORDED), len(cdn.INVALIDATED)
    answer = client.http.patch(f"/api/conversations/{created['id']}", body=json.dumps({
        "title": "Same title", "visibility": "public", "comments": True}), headers={
        "authorization": f"Bearer {created['deleteToken']}", "content-type": "application/json",
        "x-forwarded-for": new_ip()})
    assert answer.status_code == 200
    assert body_of(answer) == {"id": created["id"], "title": "Same title", "visibility": "public", "comments": True,
                              "dataset": None}
    calls = [(operation, brief.get("TableName")) for _, operation, brief in awscalls.RECORDED[start:]]
    assert not [c for c in calls if c[0] in ("PutObject", "DeleteObject", "TransactWriteItems", "CreateInvalidation")]
    assert calls == [("UpdateItem", f"{TABLE_PREFIX}-counters"), ("GetItem", f"{TABLE_PREFIX}-conversations")]
    assert len(cdn.INVALIDATED) == invalidations


def test_the_21st_edit_in_a_window_from_one_client_is_429(client, monkeypatch):
    from chalicelib import settings

    monkeypatch.setenv("EDIT_LIMIT", "20")  # the deployed default (the test stack allows the browser tiers more)
    settings.get.cache_clear()
    try:
        created = create(client, chat(title="Edited often"))
        ip = new_ip()
        answers = [client.http.patch(f"/api/conversations/{created['id']}", body=json.dumps({"title": f"T{n}"}),
                                     headers={"authorization": f"Bearer {created['deleteToken']}",
                                              "content-type": "application/json", "x-forwarded-for": ip})
                   for n in range(21)]
    finally:
        monkeypatch.delenv("EDIT_LIMIT")
        settings.get.cache_clear()
    assert [a.status_code for a in answers[:20]] == [200] * 20
    assert answers[20].status_code == 429 and body_of(answers[20])["error"]["code"] == "rate_limited"
    assert int(answers[20].headers["Retry-After"]) > 0


@pytest.mark.parametrize(("query", "cached"), [
    ("", True), ("?page=1", False), ("?type=new", False), ("?cursor=x&search=y", False), ("?foo=1", False)])
def test_a_conversation_is_cacheable_only_at_the_url_a_delete_invalidates(client, query, cached):
    created = create(client, chat(title="Cached where invalidated"))
    answer = client.http.get(f"/api/conversations/{created['id']}{query}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == ("public, max-age=60" if cached else "no-store")


@pytest.mark.parametrize(("query", "cached"), [
    ("", True), ("?format=markdown", True), ("?format=openai", True), ("?format=markdown&page=1", False),
    ("?format=markdown&format=markdown", False), ("?page=1", False)])
def test_an_export_is_cacheable_only_at_the_urls_a_delete_invalidates(client, query, cached):
    from chalicelib import cdn

    created = create(client, chat(title="Exported"))
    path = f"/api/conversations/{created['id']}/export{query}"
    answer = client.http.get(path)
    assert answer.status_code == 200
    assert (answer.headers["Cache-Control"] != "no-store") == cached
    assert (path in cdn.conversation_paths(created["id"])) == cached


def test_a_browsers_keys_are_checked_in_one_call(client):
    """POST /api/keys (My shares): which keys still hold a conversation, with its current title; which were
    taken down; which are gone. A wrong key is in no list: the answer tells a forger nothing it did not know."""
    from chalicelib import moderation

    def check(pairs: list[dict]):
        return client.http.post("/api/keys", headers={"content-type": "application/json",
                                                       "x-forwarded-for": new_ip()},
                                body=json.dumps({"keys": pairs}))

    held = create(client, chat(title="Still here"))
    deleted = create(client, chat(title="Deleted since"))
    removed = create(client, chat(title="Taken down since"))
    other = create(client, chat(title="Someone else's"))
    assert _delete(client, deleted).status_code == 204
    moderation.take_down(removed["id"], "spam", "Spam.")
    edited = client.http.patch(f"/api/conversations/{held['id']}", headers={
        "content-type": "application/json", "authorization": f"Bearer {held['deleteToken']}",
        "x-forwarded-for": new_ip()}, body=json.dumps({"title": "Retitled", "dataset": {"license": "CC0-1.0"}}))
    assert edited.status_code == 200
    pairs = [{"id": c["id"], "token": c["deleteToken"]} for c in (held, deleted, removed)]
    pairs.append({"id": other["id"], "token": held["deleteToken"]})  # a key that is not its conversation's
    pairs.append({"id": "nope!", "token": "x"})  # not an id at all: in no list
    response = check(pairs)
    assert response.status_code == 200, response.body
    assert body_of(response) == {"held": [{"id": held["id"], "title": "Retitled", "visibility": "unlisted",
                                           "dataset": "CC0-1.0"}],
                                 "removed": [removed["id"]], "gone": [deleted["id"]]}
    too_many = check([{"id": held["id"], "token": "t"}] * 51)
    assert too_many.status_code == 400 and body_of(too_many)["error"]["field"] == "keys"
    assert check([]).status_code == 200 and body_of(check([])) == {"held": [], "removed": [], "gone": []}
