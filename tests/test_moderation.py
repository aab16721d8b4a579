"""Moderation: reports (anyone, once per client per target), holds before review, the moderators' queue and
actions, takedowns that stay done, and an audit log no route can change. Against the moto server's Cognito
(a real moderators group; sessions are real ID tokens) and DynamoDB."""
from __future__ import annotations

import itertools
import json
import re
import uuid

import awscalls
import pytest
from conftest import BUCKET, SITE, body_of, chat, create, new_ip, scan_all, share
from test_accounts import Session, form_post, set_cookies, sign_up, token_like

pytestmark = pytest.mark.api
_moderators = itertools.count(1)


def moderator(client) -> Session:
    """A confirmed account in the moderators group (as `make run MODERATOR_EMAIL=...` makes it), signed in."""
    from scripts import devstack

    email, password = f"mod{next(_moderators)}-{uuid.uuid4().hex[:6]}@example.test", "moderate carefully"
    with awscalls.paused():  # the set-up's admin calls are the operator's, not the app's
        devstack.create_moderator(email, password, "Mod")
    response = form_post(client, "/signin", {"email": email, "password": password})
    assert response.status_code == 200, response.body
    return Session(client, set_cookies(response), email, password)


@pytest.fixture(scope="module")
def mod(client) -> Session:
    return moderator(client)


def report(client, cid: str, reason: str, ip: str | None = None, **extra):
    return client.http.post("/api/reports", headers={"content-type": "application/json",
                                                     "x-forwarded-for": ip or new_ip()},
                            body=json.dumps({"conversation": cid, "reason": reason, **extra}))


def queue(mod: Session) -> list[dict]:
    rows, cursor = [], None
    while True:
        answer = body_of(mod.call("GET", "/api/moderation/reports" + (f"?cursor={cursor}" if cursor else "")))
        rows += answer["reports"]
        cursor = answer["next"]
        if not cursor:
            return rows


def listed(client, cid: str, title_word: str) -> dict[str, bool]:
    from chalicelib import listings

    new = {r["id"] for r in body_of(client.http.get("/api/conversations?type=new"))}
    found = {r["id"] for r in body_of(client.http.get(f"/api/conversations?search={title_word}"))}
    sitemap = client.http.get("/sitemap.xml").body.decode()
    return {"new": cid in new, "search": cid in found, "sitemap": f"/c/{cid}" in sitemap,
            "count": listings.count_public(title_word)[0] > 0}


def test_three_clients_reporting_private_information_unlist_a_public_conversation(client, mod, aws):
    cid = create(client, chat(title="Quokkaphone numbers", visibility="public"))["id"]
    assert all(listed(client, cid, "quokkaphone").values())
    same = new_ip()
    for _ in range(3):  # one client, three times: counts once
        assert report(client, cid, "personal_info", ip=same, note="my number").status_code == 202
    assert report(client, cid, "personal_info").status_code == 202  # a second client
    assert all(listed(client, cid, "quokkaphone").values())  # two do not hold it
    case = next(r for r in queue(mod) if r["conversation"] == cid)
    assert case["reporters"] == 2 and case["reasons"] == {"personal_info": 2}
    assert report(client, cid, "personal_info").status_code == 202  # the third
    assert not any(listed(client, cid, "quokkaphone").values())
    # Readable by link meanwhile, as what it now is to readers: unlisted and out of search engines. Nothing
    # says a report holds it (the reporter's target learns nothing from the API they could not see).
    answer = client.http.get(f"/api/conversations/{cid}")
    assert answer.status_code == 200
    assert body_of(answer)["visibility"] == "unlisted" and "held" not in body_of(answer)
    published = aws["s3"].get_object(Bucket=BUCKET, Key=f"pages/c/{cid}")["Body"].read().decode()
    assert '<meta name="robots" content="noindex, nofollow">' in published
    assert '<span class="visibility">unlisted</span>' in published and ">public<" not in published
    assert client.http.get(f"/c/{cid}").headers["X-Robots-Tag"].startswith("noindex")


def _page_published(aws, cid: str) -> bool:
    return bool(aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"pages/c/{cid}").get("KeyCount"))


def _readable(client, cid: str) -> list[int]:
    return [client.http.get(f"/api/conversations/{cid}").status_code,
            client.http.get(f"/c/{cid}", headers={"accept": "text/html"}).status_code,
            client.http.get(f"/api/conversations/{cid}/export?format=markdown").status_code]


def _audit_actions(mod, cid: str) -> list[str]:
    return [e["action"] for e in body_of(mod.call("GET", "/api/moderation/log"))["entries"]
            if e["conversation"] == cid]


def test_one_anonymous_child_safety_report_only_queues_the_case_first(client, aws, mod):
    """A single report changes nothing readers see: page, API and export stay, and so does the page object;
    the case goes to the top of the queue."""
    cid = create(client, chat(title="Reported once", visibility="public"))["id"]
    assert report(client, cid, "child_safety").status_code == 202
    assert _readable(client, cid) == [200, 200, 200] and _page_published(aws, cid)
    cases = queue(mod)
    position = next(n for n, case in enumerate(cases) if case["conversation"] == cid)
    assert cases[position]["reasons"] == {"child_safety": 1} and cases[position]["severity"] == 0
    assert all(case["severity"] == 0 for case in cases[:position])  # ahead of every other kind of report


def test_corroborated_child_safety_reports_hold_it_and_the_audit_log_says_so(client, aws, mod):
    """Three networks (the documented rule without a signed-in reporter) hold it: 451 on page, API and
    export, no page object, and an automatic `hold` entry in the audit log."""
    cid = create(client, chat(title="Held when corroborated", visibility="public"))["id"]
    for _ in range(2):
        assert report(client, cid, "child_safety").status_code == 202
    assert _readable(client, cid) == [200, 200, 200]
    assert report(client, cid, "child_safety").status_code == 202
    assert _readable(client, cid) == [451, 451, 451] and not _page_published(aws, cid)
    assert _audit_actions(mod, cid) == ["hold"]


def test_only_an_established_account_corroborates_with_one_network_less(client, aws):
    """Two networks hold for child safety when one reporter is signed in to an account over a day old; an
    account made today (anyone's for the asking) does not count for it."""
    import time

    from chalicelib import moderation

    new_account = sign_up(client, "Made today")
    fresh = create(client, chat(title="Reported with a new account", visibility="public"))["id"]
    assert report(client, fresh, "child_safety").status_code == 202
    made_today = new_account.call("POST", "/api/reports", {"conversation": fresh, "reason": "child_safety"})
    assert made_today.status_code == 202
    assert _readable(client, fresh) == [200, 200, 200]

    older = sign_up(client, "Here since yesterday")
    held = create(client, chat(title="Reported with an old account", visibility="public"))["id"]
    assert report(client, held, "child_safety").status_code == 202
    # The same call the route makes, a day and a second later (moto cannot backdate an account).
    moderation.report(held, None, "child_safety", "", "", network="an-established-readers-network",
                      account=older.sub, now=time.time() + 86_401)
    assert _readable(client, held) == [451, 451, 451]


def test_the_addresses_of_one_ipv6_block_are_one_reporter(client, aws, mod):
    cid = create(client, chat(title="Reported from one block", visibility="public"))["id"]
    for host in (1, 2, 0xbeef, 0xffff):
        assert report(client, cid, "child_safety", ip=f"2001:db8:aa:bb::{host:x}").status_code == 202
    assert _readable(client, cid) == [200, 200, 200]
    case = next(r for r in queue(mod) if r["conversation"] == cid)
    assert case["reporters"] == 1
    # Another block and an IPv4 address corroborate it.
    assert report(client, cid, "child_safety", ip="2001:db8:aa:cc::1").status_code == 202
    assert report(client, cid, "child_safety").status_code == 202
    assert _readable(client, cid) == [451, 451, 451]


def test_past_the_hourly_budget_corroborated_reports_only_queue(client, aws, monkeypatch):
    from chalicelib import settings

    monkeypatch.setenv("HOLD_BUDGET_PER_HOUR", "0")
    settings.get.cache_clear()
    try:
        cid = create(client, chat(title="Past the budget", visibility="public"))["id"]
        for _ in range(3):
            assert report(client, cid, "child_safety").status_code == 202
        assert _readable(client, cid) == [200, 200, 200]
    finally:
        monkeypatch.delenv("HOLD_BUDGET_PER_HOUR")
        settings.get.cache_clear()


def test_a_dismissal_sticks_against_a_new_report(client, mod):
    cid = create(client, chat(title="Dismissed once", visibility="public"))["id"]
    for _ in range(3):
        report(client, cid, "child_safety")
    assert _readable(client, cid)[0] == 451
    assert mod.call("POST", "/api/moderation/actions", {"conversation": cid, "action": "dismiss"}).status_code == 200
    assert _readable(client, cid) == [200, 200, 200]
    for reason in ("spam", "child_safety"):  # one new network each: no hold without a new corroboration
        assert report(client, cid, reason).status_code == 202
    assert _readable(client, cid) == [200, 200, 200]


def test_a_child_safety_hold_survives_unlist_and_the_owners_suspension(client, mod):
    owner = sign_up(client, "Held owner")
    held, other = (body_of(owner.call("POST", "/api/conversations", chat(title=title, visibility="public")))["id"]
                   for title in ("Held, then more", "The owner's other"))
    for _ in range(3):
        report(client, held, "child_safety")
    assert _readable(client, held)[0] == 451
    for action, target in (("suspend_owner", other), ("unlist", held)):
        answer = mod.call("POST", "/api/moderation/actions", {"conversation": target, "action": action,
                                                               "reason": "Looked at it."})
        assert answer.status_code == 200, answer.body
        assert _readable(client, held) == [451, 451, 451], action
    # Restoring the suspension releases the owner's other conversations, not this case's hold.
    assert mod.call("POST", "/api/moderation/actions", {"conversation": other, "action": "restore",
                                                         "reason": "Suspension lifted."}).status_code == 200
    assert _readable(client, held) == [451, 451, 451] and _readable(client, other)[0] == 200
    assert mod.call("POST", "/api/moderation/actions", {"conversation": held, "action": "restore",
                                                         "reason": "Reviewed: fine."}).status_code == 200
    assert _readable(client, held) == [200, 200, 200]


def test_bad_reports_are_refused_naming_the_field_and_store_nothing(client, aws):
    cid = create(client, chat())["id"]
    before = len(scan_all(aws, "moderation"))
    for body, field in (({"conversation": cid, "reason": "boring"}, "reason"),
                        ({"conversation": cid, "reason": "spam", "note": "x" * 1001}, "note"),
                        ({"conversation": cid, "reason": "spam", "contact": "not an email"}, "contact"),
                        ({"reason": "spam"}, "conversation"),
                        ({"conversation": cid, "reason": 3}, "reason")):
        answer = client.http.post("/api/reports", headers={"content-type": "application/json",
                                                           "x-forwarded-for": new_ip()}, body=json.dumps(body))
        assert answer.status_code == 400 and body_of(answer)["error"]["field"] == field, body
    assert report(client, "Zz9Zz9Y", "spam").status_code == 404
    assert report(client, cid, "spam", comment="0123456789abcdef0").status_code == 404
    assert len(scan_all(aws, "moderation")) == before


def test_reports_are_rate_limited_per_client(client):
    ids = [create(client, chat())["id"] for _ in range(21)]
    ip = new_ip()
    statuses = [report(client, cid, "spam", ip=ip).status_code for cid in ids]
    assert statuses[:20] == [202] * 20 and statuses[20] == 429


def test_a_note_with_html_is_stored_and_shown_as_text(client, mod):
    cid = create(client, chat(title="Note check"))["id"]
    note = '<img src=x onerror=alert(1)> <b>call me</b>'
    assert report(client, cid, "harassment", note=note).status_code == 202
    case = next(r for r in queue(mod) if r["conversation"] == cid)
    assert case["notes"][0]["note"] == note  # text, kept as written
    page = mod.call("GET", "/moderation").body.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/moderation/reports", None), ("GET", "/api/moderation/log", None),
    ("POST", "/api/moderation/actions", {"conversation": "Zz9Zz9Z", "action": "dismiss", "reason": ""})])
def test_moderation_routes_refuse_everyone_but_moderators(client, mod, method, path, body):
    headers = {"content-type": "application/json"} if body else {}
    anonymous = getattr(client.http, method.lower())(path, headers=headers, body=json.dumps(body) if body else None)
    assert anonymous.status_code == 401
    member = sign_up(client, "Member")
    assert member.call(method, path, body).status_code == 403
    # A token that claims the group but is not signed by the pool: the signature check holds.
    from cryptography.hazmat.primitives.asymmetric import rsa

    forged = token_like(mod, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                        **{"cognito:groups": ["moderators"]})
    forged_call = getattr(client.http, method.lower())(path, headers={**headers, "cookie": f"sg_session={forged}",
                                                                      "origin": SITE},
                                                       body=json.dumps(body) if body else None)
    assert forged_call.status_code == 401
    if method == "POST":
        assert mod.call(method, path, body, origin="https://evil.example").status_code == 403
        assert body_of(mod.call(method, path, body, origin="https://evil.example"))["error"]["code"] == "csrf"
    assert mod.call(method, path, body).status_code in (200, 404)  # a moderator gets through


def test_the_queue_puts_the_most_severe_first_then_the_most_reported(client, mod):
    spam = create(client, chat(title="Queue spam"))["id"]
    harass = create(client, chat(title="Queue harassment"))["id"]
    popular_spam = create(client, chat(title="Queue popular spam"))["id"]
    report(client, spam, "spam")
    report(client, harass, "harassment")
    for _ in range(3):
        report(client, popular_spam, "spam")
    order = [r["conversation"] for r in queue(mod) if r["conversation"] in {spam, harass, popular_spam}]
    assert order == [harass, popular_spam, spam]


def test_a_takedown_removes_it_everywhere_keeps_a_tombstone_and_blocks_its_images(client, mod, aws):
    from media_files import generated_png, sha, upload
    from test_media import _image_chat

    from chalicelib import cdn

    owner = sign_up(client, "Owner of takedown")
    png = generated_png(21, 13)
    media = upload(client, png, "image/png", new_ip())
    cid = body_of(owner.call("POST", "/api/conversations", {**_image_chat(media), "title": "Takedown target",
                                                             "visibility": "public"}))["id"]
    report(client, cid, "illegal", note="pirated")
    answer = mod.call("POST", "/api/moderation/actions", {"conversation": cid, "action": "takedown",
                                                         "reason": "It reproduces a paid book."})
    assert answer.status_code == 200 and body_of(answer)["action"] == "takedown"
    gone = client.http.get(f"/api/conversations/{cid}")
    assert gone.status_code == 410
    assert body_of(gone)["error"]["message"] == "Removed by the moderators: illegal content."
    page = client.http.get(f"/c/{cid}", headers={"accept": "text/html"})
    assert page.status_code == 410 and b"Removed by the moderators" in page.body and b"Takedown target" not in page.body
    assert client.http.get(f"/api/conversations/{cid}/export").status_code == 410
    assert not aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"media/{media}").get("KeyCount")
    assert f"/c/{cid}" in cdn.INVALIDATED[-1]
    assert not any(listed(client, cid, "takedown").values())
    # The owner sees the statement in /mine (and in their API list), never the content.
    mine = owner.call("GET", "/mine").body.decode()
    assert "It reproduces a paid book." in mine and "illegal content" in mine
    rows = body_of(owner.call("GET", "/api/me/conversations"))["conversations"]
    assert any(r["id"] == cid and r["removed"]["statement"] == "It reproduces a paid book." for r in rows)
    # Its images' bytes cannot be shared again, by upload request or by create.
    again = client.http.post("/api/media", headers={"content-type": "application/json", "x-forwarded-for": new_ip()},
                             body=json.dumps({"sha256": sha(png), "size": len(png), "contentType": "image/png"}))
    assert again.status_code == 403 and body_of(again)["error"]["code"] == "blocked_media"
    reshare = client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                              "x-forwarded-for": new_ip()},
                               body=json.dumps(_image_chat(media)))
    assert reshare.status_code == 403 and body_of(reshare)["error"]["code"] == "blocked_media"
    # The id is never drawn again.

    ids = iter([cid, "Nw1dNw1"])
    fresh = share(chat(), new_id=lambda: next(ids))
    assert fresh["id"] == "Nw1dNw1"
    assert client.http.get(f"/api/conversations/{cid}").status_code == 410


def test_hide_comment_replaces_its_text_and_keeps_the_replies(client, mod):
    author, replier = sign_up(client, "Rude"), sign_up(client, "Kind")
    cid = create(client, chat(4))["id"]
    rude = body_of(author.call("POST", f"/api/conversations/{cid}/comments", {"position": 1, "content": "you idiot"}))
    replier.call("POST", f"/api/conversations/{cid}/comments", {"position": 1, "content": "be nice",
                                                                "parentId": rude["id"]})
    assert report(client, cid, "harassment", comment=rude["id"]).status_code == 202
    assert mod.call("POST", "/api/moderation/actions", {"conversation": cid, "comment": rude["id"],
                                                        "action": "hide_comment", "reason": "An insult."}
                    ).status_code == 200
    (thread,) = body_of(client.http.get(f"/api/conversations/{cid}/comments"))["positions"]["1"]
    assert "idiot" not in thread["html"] and "Removed by the moderators" in thread["html"]
    assert [r["html"] for r in thread["replies"]] == ["<p>be nice</p>"]


def test_dismissed_reports_stay_closed_until_a_new_client_reports(client, mod):
    cid = create(client, chat(title="Dismiss me"))["id"]
    first = new_ip()
    report(client, cid, "spam", ip=first)
    assert mod.call("POST", "/api/moderation/actions", {"conversation": cid, "action": "dismiss", "reason": ""}
                    ).status_code == 200
    assert cid not in {r["conversation"] for r in queue(mod)}
    report(client, cid, "spam", ip=first)  # the same client again: stays closed
    assert cid not in {r["conversation"] for r in queue(mod)}
    report(client, cid, "spam")  # someone new: open again
    assert cid in {r["conversation"] for r in queue(mod)}


def test_unlist_and_restore_and_suspend_owner(client, mod):
    owner = sign_up(client, "Suspended soon")
    first = body_of(owner.call("POST", "/api/conversations", chat(title="Zebu first", visibility="public")))["id"]
    second = body_of(owner.call("POST", "/api/conversations", chat(title="Zebu second", visibility="public")))["id"]
    assert mod.call("POST", "/api/moderation/actions", {"conversation": first, "action": "unlist",
                                                        "reason": "Off-topic spam."}).status_code == 200
    assert not listed(client, first, "zebu")["new"]
    # The owner cannot list it again while it is held.
    assert owner.call("PATCH", f"/api/conversations/{first}", {"visibility": "public"}).status_code == 200
    assert not listed(client, first, "zebu")["new"]
    assert mod.call("POST", "/api/moderation/actions", {"conversation": first, "action": "restore",
                                                        "reason": "Reviewed again."}).status_code == 200
    assert listed(client, first, "zebu")["new"]
    assert mod.call("POST", "/api/moderation/actions", {"conversation": second, "action": "suspend_owner",
                                                        "reason": "Repeated spam."}).status_code == 200
    assert not listed(client, first, "zebu")["new"] and not listed(client, second, "zebu")["new"]
    refused = form_post(client, "/signin", {"email": owner.email, "password": owner.password})
    assert refused.status_code == 401
    assert owner.call("POST", "/api/conversations", chat()).status_code == 401  # sessions ended
    assert mod.call("POST", "/api/moderation/actions", {"conversation": second, "action": "restore",
                                                        "reason": "Appeal accepted."}).status_code == 200
    assert listed(client, first, "zebu")["new"] and listed(client, second, "zebu")["new"]
    assert form_post(client, "/signin", {"email": owner.email, "password": owner.password}).status_code == 200


def test_the_queue_shows_an_owners_earlier_takedowns(client, mod):
    owner = sign_up(client, "Repeat offender")
    first = body_of(owner.call("POST", "/api/conversations", chat(title="Offence one")))["id"]
    second = body_of(owner.call("POST", "/api/conversations", chat(title="Offence two")))["id"]
    report(client, first, "spam")
    mod.call("POST", "/api/moderation/actions", {"conversation": first, "action": "takedown", "reason": "Spam."})
    report(client, second, "spam")
    case = next(r for r in queue(mod) if r["conversation"] == second)
    assert case["ownerTakedowns"] == 1
    from chalicelib import pages

    assert "had 1 conversation taken down before" in pages.moderation_page([case], None)


def test_the_audit_log_has_one_entry_per_action_in_order_and_no_route_changes_it(client, mod):
    cid = create(client, chat(title="Audited"))["id"]
    report(client, cid, "spam")
    for action, reason in (("unlist", "One."), ("restore", "Two."), ("dismiss", "")):
        assert mod.call("POST", "/api/moderation/actions", {"conversation": cid, "action": action,
                                                            "reason": reason}).status_code == 200
    entries = [e for e in body_of(mod.call("GET", "/api/moderation/log"))["entries"] if e["conversation"] == cid]
    assert [e["action"] for e in entries] == ["dismiss", "restore", "unlist"]  # newest first
    assert entries[2]["reason"] == "One." and entries[2]["moderator"] == "Mod" and entries[0]["reporters"] == 1
    # Every date the API answers is ISO 8601; the log page writes it as every page does.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["at"]) for e in entries)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["firstReported"]) for row in queue(mod))
    page = mod.call("GET", "/moderation/log").body.decode()
    assert page.index("dismiss") < page.index("unlist")
    assert re.search(r"<td>\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC</td>", page)
    # No route writes the log but appending: the app has no update or delete of it, and the role may not.
    for method in ("PUT", "PATCH", "DELETE"):
        assert mod.call(method, "/api/moderation/log").status_code in (403, 405)
    policy = json.loads((__import__("pathlib").Path(__file__).parent.parent / "infra" / "policy.json").read_text())
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= set(deny["Action"])
    assert deny["Condition"]["ForAnyValue:StringEquals"]["dynamodb:LeadingKeys"] == ["audit"]


def test_the_owner_turns_comments_off_and_on_with_the_delete_key(client, aws):
    created = create(client, chat(4, title="Quiet please"))
    cid, key = created["id"], created["deleteToken"]
    commenter = sign_up(client, "Chatty")
    commenter.call("POST", f"/api/conversations/{cid}/comments", {"position": 1, "content": "first!"})
    off = client.http.patch(f"/api/conversations/{cid}", headers={"authorization": f"Bearer {key}",
                                                                  "content-type": "application/json"},
                            body=json.dumps({"comments": False}))
    assert off.status_code == 200 and body_of(off)["comments"] is False
    assert body_of(client.http.get(f"/api/conversations/{cid}/comments"))["positions"] == {}
    refused = commenter.call("POST", f"/api/conversations/{cid}/comments", {"position": 1, "content": "again"})
    assert refused.status_code == 403 and body_of(refused)["error"]["code"] == "comments_off"
    html = aws["s3"].get_object(Bucket=BUCKET, Key=f"pages/c/{cid}")["Body"].read().decode()
    assert "first!" not in html
    wrong = client.http.patch(f"/api/conversations/{cid}", headers={"authorization": "Bearer wrong",
                                                                    "content-type": "application/json"},
                              body=json.dumps({"comments": True}))
    assert wrong.status_code == 403
    on = client.http.patch(f"/api/conversations/{cid}", headers={"authorization": f"Bearer {key}",
                                                                 "content-type": "application/json"},
                           body=json.dumps({"comments": True}))
    assert on.status_code == 200
    assert "first!" in json.dumps(body_of(client.http.get(f"/api/conversations/{cid}/comments")))


def test_the_abuse_page_and_every_footer_link_to_it(client):
    page = client.http.get("/abuse")
    assert page.status_code == 200 and b"abuse@example.com" in page.body
    assert b'href="/abuse"' in client.http.get("/explore").body


def test_a_flood_of_junk_cannot_hide_a_genuine_note(client, mod):
    """25 junk reports from 25 networks, then one with a contact: the genuine note is kept and shown first,
    and the queue says how many notes were not kept."""
    cid = create(client, chat(title="Flooded with junk", visibility="public"))["id"]
    for n in range(25):
        assert report(client, cid, "spam", note=f"junk {n}").status_code == 202
    assert report(client, cid, "spam", note="This is my address, please remove it",
                  contact="me@example.test").status_code == 202
    case = next(r for r in queue(mod) if r["conversation"] == cid)
    assert case["reporters"] == 26 and len(case["notes"]) == 5
    assert case["notes"][0] == {"reason": "spam", "note": "This is my address, please remove it",
                                "contact": "me@example.test", "signedIn": False}
    assert case["notesNotKept"] == 21
    page = mod.call("GET", "/moderation", origin=None).body.decode()
    assert "This is my address, please remove it" in page and "21 more notes not kept" in page


def test_a_preview_cut_inside_a_link_keeps_every_case_its_form(client, mod):
    """A first message made to put an open link across the preview's cut: the queue page, parsed as a
    browser parses it (html5lib follows the HTML standard's algorithm), has as many forms as cases, and every
    form is inside its own case."""
    import html5lib

    from chalicelib import moderation

    # The link's address starts just before the cut and runs past it: cut there, the attribute's quote
    # stays open and takes everything up to the next quote in the page, the case's form among it.
    padding = "word " * ((moderation.PREVIEW_CHARS - 100) // 5)
    trap = {"title": "A preview trap", "visibility": "public", "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": padding + "[a link](https://example.com/" + "x" * 2000 + ")"}]}
    cid = create(client, trap)["id"]
    assert report(client, cid, "child_safety", note="trap").status_code == 202
    preview = next(r for r in queue(mod) if r["conversation"] == cid)["preview"]
    assert len(preview) < moderation.PREVIEW_CHARS + 100 and preview.count("<a") == preview.count("</a>")
    page = html5lib.parse(mod.call("GET", "/moderation", origin=None).body.decode(), namespaceHTMLElements=False)
    cases = page.findall(".//li[@class='case']")
    assert cases and all(len(case.findall(".//form")) == 1 for case in cases)
    assert len(page.findall(".//form[@action='/moderation/actions']")) == len(cases)


def test_an_audit_entry_cannot_be_overwritten(client, mod):
    """Every write to the audit partition is a conditional put: writing an entry again fails."""
    from pynamodb.exceptions import PutError

    from chalicelib.models import AuditEntry

    cid = create(client, chat(title="Audited once", visibility="public"))["id"]
    report(client, cid, "spam")
    assert mod.call("POST", "/api/moderation/actions", {"conversation": cid, "action": "dismiss"}).status_code == 200
    (entry,) = [e for e in AuditEntry.query("audit") if e.conversation == cid]
    entry.reason = "rewritten"
    with pytest.raises(PutError):
        entry.save(condition=AuditEntry.sk.does_not_exist())  # what moderation._audit writes with
    assert next(e for e in AuditEntry.query("audit") if e.conversation == cid).reason == ""


def test_a_takedown_blocks_copies_of_its_images_and_holds_the_others_that_show_them(client, aws, mod):
    """After a takedown, the bytes the site served, the original plus one byte and a quality-89 re-encode
    are all refused; another conversation that showed the image is held for review (out of every listing),
    in the audit log, and in the queue saying why."""
    import media_files as files
    from test_media import _image_chat

    original = files.scene(1234)
    media = files.upload(client, original, "image/jpeg", new_ip())
    taken = create(client, {**_image_chat(media), "title": "Taken down with its picture", "visibility": "public"})
    other = create(client, {**_image_chat(media), "title": "Another showing the picture", "visibility": "public"})
    served = aws["s3"].get_object(Bucket=BUCKET, Key=f"media/{media}")["Body"].read()
    assert served != original  # re-encoded, metadata stripped: another hash
    report(client, taken["id"], "illegal")
    assert mod.call("POST", "/api/moderation/actions", {"conversation": taken["id"], "action": "takedown",
                                                         "reason": "A paid book's pages."}).status_code == 200

    asked = client.http.post("/api/media", headers={"content-type": "application/json", "x-forwarded-for": new_ip()},
                             body=json.dumps({"sha256": files.sha(served), "size": len(served),
                                              "contentType": "image/jpeg"}))
    assert asked.status_code == 403 and body_of(asked)["error"]["code"] == "blocked_media"
    for copy in (original + b"\0", files.reencoded(original, quality=89)):
        copied = files.upload(client, copy, "image/jpeg", new_ip())
        answer = client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                                "x-forwarded-for": new_ip()},
                                  body=json.dumps(_image_chat(copied)))
        assert answer.status_code == 403 and body_of(answer)["error"]["code"] == "blocked_media"
        assert body_of(answer)["error"]["field"] == "messages.0.content.1.media"
    # A different picture still goes through.
    fine = files.upload(client, files.scene(4321), "image/jpeg", new_ip())
    assert client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                          "x-forwarded-for": new_ip()},
                            body=json.dumps(_image_chat(fine))).status_code == 201

    assert client.http.get(f"/api/conversations/{other['id']}").status_code == 200  # held, readable by link
    assert not any(listed(client, other["id"], "picture").values())
    assert _audit_actions(mod, other["id"]) == ["hold"]
    case = next(r for r in queue(mod) if r["conversation"] == other["id"])
    assert any(f"Shows an image of {taken['id']}" in n["note"] for n in case["notes"])


def test_a_refused_action_keeps_the_statement_and_says_what_is_missing(client):
    """Without the browser's check (a script, an old browser): the queue comes back with the case's error
    and what was typed, not a dead end."""
    mod = moderator(client)
    cid = json.loads(client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                                    "x-forwarded-for": new_ip()},
                                      body=json.dumps({"title": "Refused once", "visibility": "public",
                                                       "messages": [{"role": "user", "content": "a"}]})).body)["id"]
    report(client, cid, "spam")
    answer = client.http.post("/moderation/actions", headers={**mod.headers(),
                                                              "content-type": "application/x-www-form-urlencoded"},
                              body=f"conversation={cid}&action=unlist&reason=")
    assert answer.status_code == 400
    html = answer.body.decode()
    assert 'id="case-problem"' in html and "statement of reasons" in html.lower()


def test_a_child_safety_report_alerts_the_moderators_through_the_stages_topic(client, aws, monkeypatch):
    """The stage's SNS topic (moto's, an SQS queue subscribed to read what it sent) gets the alert of a child-
    safety report at once; a spam report alerts no one."""
    import boto3

    from chalicelib import settings

    endpoint = aws["s3"].meta.endpoint_url
    sns = awscalls.ignore(boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1"))
    sqs = awscalls.ignore(boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1"))
    topic = sns.create_topic(Name="sharegpt-test-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
    settings.get.cache_clear()
    try:
        cid = create(client, chat(title="Alerting", visibility="public"))["id"]
        assert report(client, cid, "spam").status_code == 202
        assert report(client, cid, "child_safety").status_code == 202
    finally:
        monkeypatch.delenv("ALERT_TOPIC_ARN")
        settings.get.cache_clear()
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    sent = [json.loads(m["Body"]) for m in messages]
    assert [(m["alert"], m["conversation"]) for m in sent] == [("child_safety_report", cid)]
    assert sent[0]["queue"].endswith("/moderation")
