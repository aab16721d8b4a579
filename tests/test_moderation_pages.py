"""The moderation loop in a real Chromium against `chalice local` + moto: a reader reports a conversation from
its page (a plain form), a moderator signs in, finds it first in the queue and takes it down with a reason;
then the page, the API, the short link, the export and the image are gone, no listing shows it, its owner
reads the statement in /mine, and the same image cannot be shared again."""
from __future__ import annotations

import json
import uuid

import awscalls
import pytest
import requests
from conftest import SITE, new_ip, serious_violations
from media_files import generated_png, sha, upload
from playwright.sync_api import expect
from test_accounts import sign_up
from test_social_pages import _sign_in

pytestmark = pytest.mark.browser


def test_report_review_and_takedown_end_to_end(browser, chalice_local, client, empty_moto):
    from scripts import devstack

    owner = sign_up(client, "Sharer")
    png = generated_png(33, 21)
    media = upload(client, png, "image/png", new_ip())
    body = {"title": "Narwhal ledger with a phone number", "visibility": "public", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Call me at +1 555 0100"},
                                     {"type": "image", "name": "ledger.png", "media": media}]},
        {"role": "assistant", "content": "Noted."}]}
    cid = json.loads(owner.call("POST", "/api/conversations", body).body)["id"]
    assert cid in requests.get(f"{SITE}/sitemap.xml", timeout=30).text

    # A reader reports it from the page: the Report link, the form, no script needed.
    reader = browser.new_context(base_url=chalice_local, java_script_enabled=False)
    page = reader.new_page()
    page.goto(f"/c/{cid}")
    page.get_by_role("link", name="Report", exact=True).click()
    expect(page.locator("h1")).to_contain_text("“Narwhal ledger with a phone number”")  # names what is reported
    page.get_by_label("Shares someone's private information").check()
    page.get_by_label("What should the moderators know?").fill("That is my phone number <b>please remove</b>")
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator("#report-sent")).to_contain_text("reached the moderators")
    reader.close()

    # A moderator signs in like anyone, and finds it first in the queue.
    email, password = f"mod-{uuid.uuid4().hex[:8]}@example.test", "moderate carefully"
    with awscalls.paused():
        devstack.create_moderator(email, password, "Mod")
    moderators = browser.new_context(base_url=chalice_local)
    mod = moderators.new_page()
    _sign_in(mod, email, password, then="/moderation")
    first = mod.locator(".case").first
    assert first.get_attribute("data-conversation") == cid
    expect(first).to_contain_text("someone's private information (1)")
    expect(first.locator(".notes")).to_contain_text("<b>please remove</b>")  # a note is text
    assert serious_violations(mod) == []
    expect(first).to_contain_text("Narwhal ledger with a phone number")  # its title, not only its id
    expect(mod.locator("header nav a", has_text="Moderation")).to_be_visible()  # the way back here
    # Take down asks first: declined, nothing happens.
    first.get_by_label("Statement of reasons").fill("It publishes a private phone number.")
    asked: list[str] = []
    mod.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    first.get_by_role("button", name="Take down").click()
    assert asked and "Take this conversation down?" in asked[0]
    assert mod.locator(f'.case[data-conversation="{cid}"]').count() == 1
    mod.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name="Take down").click()
    expect(mod.locator("#done")).to_contain_text(f"takedown {cid}")
    assert mod.locator(f'.case[data-conversation="{cid}"]').count() == 0
    mod.goto("/moderation/log")
    expect(mod.locator("#audit tbody tr").first).to_contain_text("takedown")
    moderators.close()

    # Gone everywhere: page, API, short link, export, image; and from every listing.
    stranger = browser.new_context(base_url=chalice_local)
    gone = stranger.new_page()
    response = gone.goto(f"/c/{cid}")
    assert response.status == 410
    expect(gone.locator("main")).to_contain_text("Removed by the moderators")
    assert "Narwhal" not in gone.content()
    assert gone.goto(f"/{cid}").status == 410  # the short link redirects to the page, which says so
    stranger.close()
    assert requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).status_code == 410
    assert requests.get(f"{SITE}/api/conversations/{cid}/export?format=markdown", timeout=30).status_code == 410
    from chalicelib import settings

    assert requests.get(f"{settings.get().media_base_url}/media/{media}", timeout=30).status_code in (403, 404)
    assert cid not in requests.get(f"{SITE}/sitemap.xml", timeout=30).text
    assert cid not in requests.get(f"{SITE}/explore?q=narwhal", timeout=30).text
    assert cid not in requests.get(f"{SITE}/explore?tab=new", timeout=30).text

    # Its owner reads the statement of reasons in My shares.
    owners = browser.new_context(base_url=chalice_local)
    mine = owners.new_page()
    _sign_in(mine, owner.email, owner.password, then="/mine")
    removed = mine.locator(f'.card.removed[data-id="{cid}"]')
    expect(removed).to_contain_text("It publishes a private phone number.")
    expect(removed).to_contain_text("someone's private information")
    owners.close()

    # The same bytes cannot come back.
    again = requests.post(f"{SITE}/api/media", json={"sha256": sha(png), "size": len(png), "contentType": "image/png"},
                          headers={"X-Forwarded-For": new_ip()}, timeout=30)
    assert again.status_code == 403 and again.json()["error"]["code"] == "blocked_media"


def test_a_moderator_works_the_queue_at_1280_and_375_px(browser, chalice_local, client, empty_moto):
    """The Moderation link in the header, a case's title and state with only the actions that fit it, an
    action without its statement kept in place with what was typed, and an audit log whose words never break
    inside a word, at both widths; axe finds nothing serious."""
    from scripts import devstack

    public = json.loads(client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                                       "x-forwarded-for": new_ip()},
                                         body=json.dumps({"title": "Moderated at two widths", "visibility": "public",
                                                          "messages": [{"role": "user", "content": "hello"},
                                                                       {"role": "assistant", "content": "hi"}]})).body)
    requests.post(f"{SITE}/api/reports", json={"conversation": public["id"], "reason": "spam"},
                  headers={"X-Forwarded-For": new_ip()}, timeout=30)
    # A case whose preview would be cut inside a link's address (the cut used to swallow the next form).
    from chalicelib import moderation

    trap = {"title": "A preview trap", "visibility": "public", "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "word " * ((moderation.PREVIEW_CHARS - 100) // 5) +
         "[a link](https://example.com/" + "x" * 2000 + ")"}]}
    trapped = json.loads(client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                                        "x-forwarded-for": new_ip()},
                                          body=json.dumps(trap)).body)
    requests.post(f"{SITE}/api/reports", json={"conversation": trapped["id"], "reason": "spam"},
                  headers={"X-Forwarded-For": new_ip()}, timeout=30)
    email, password = f"mod-{uuid.uuid4().hex[:8]}@example.test", "moderate carefully"
    with awscalls.paused():
        devstack.create_moderator(email, password, "Moderator Extraordinaire")
    # Something in the audit log to read: an unlisting and a takedown with their statements.
    from test_moderation import moderator

    acting = moderator(client)
    for action in ("unlist", "takedown"):
        other = json.loads(client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                                          "x-forwarded-for": new_ip()},
                                            body=json.dumps({"title": f"Logged {action}", "visibility": "public",
                                                             "messages": [{"role": "user", "content": "x"}]})).body)
        assert acting.call("POST", "/api/moderation/actions", {
            "conversation": other["id"], "action": action,
            "reason": "Publishes a stranger's home address and phone number without their consent."}).status_code == 200
    for width in (1280, 375):
        context = browser.new_context(base_url=chalice_local, viewport={"width": width, "height": 900})
        page = context.new_page()
        _sign_in(page, email, password, then="/account")
        page.get_by_role("navigation", name="Site").get_by_role("link", name="Moderation").click()
        assert page.locator("#queue > .case").count() == page.locator("#queue > .case form").count() >= 2
        case = page.locator(f'.case[data-conversation="{public["id"]}"]')
        expect(case).to_contain_text("Moderated at two widths")
        expect(case.locator(".case-state")).to_contain_text("readable")
        buttons = case.locator("button").all_inner_texts()
        assert buttons == ["Dismiss", "Unlist", "Take down"], buttons  # no Restore: nothing to restore
        # Unlist without a statement: the browser asks for it in place (the form is not sent).
        case.get_by_role("button", name="Unlist").click()
        assert page.url.endswith("/moderation")
        assert case.get_by_label("Statement of reasons").evaluate("e => !e.validity.valid")
        assert serious_violations(page) == []
        page.goto("/moderation/log")
        assert serious_violations(page) == []
        # Each cell's words stay whole: no line of a cell ends inside a word.
        broken = page.evaluate("""() => [...document.querySelectorAll('#audit td, #audit th')].filter(cell => {
            const range = document.createRange();
            const text = cell.firstChild && cell.firstChild.nodeType === 3 ? cell.firstChild : null;
            if (!text) return false;
            let previous = null;
            for (let i = 0; i < text.length; i++) {
                range.setStart(text, i); range.setEnd(text, i + 1);
                const top = Math.round(range.getBoundingClientRect().top);
                if (previous !== null && top > previous && !/\\s/.test(text.data[i - 1]) && !/\\s/.test(text.data[i]))
                    return true;
                previous = top;
            }
            return false;
        }).map(cell => cell.textContent)""")
        assert broken == [], (width, broken)
        context.close()

