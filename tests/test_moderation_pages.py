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
    page.get_by_label("It shows someone's private information").check()
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
    first.get_by_label("Statement of reasons").fill("It publishes a private phone number.")
    first.get_by_role("button", name="Takedown").click()
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
