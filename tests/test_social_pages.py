"""Accounts, saves and comments in a real Chromium against `chalice local` + moto (Cognito included):
sign up, sign out, sign in, share while signed in, save, comment on the second message, reply, delete a
comment, manage the conversation as its owner, find it in /mine and /saved, sign out."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from conftest import ARTIFACTS, SITE, chat
from playwright.sync_api import expect
from test_pages import ROOT

pytestmark = pytest.mark.browser


def _axe_serious(page) -> list:
    page.evaluate((ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text())  # via DevTools: no CSP
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.fixture()
def page(browser, chalice_local):
    context = browser.new_context(base_url=chalice_local)
    yield context.new_page()
    context.close()


def _sign_up(page, email: str, password: str, name: str) -> None:
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name shown on your comments").fill(name)
    page.get_by_label("Password (at least 8 characters)").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{SITE}/mine")


def _sign_in(page, email: str, password: str, then: str = "/mine") -> None:
    page.goto(f"/signin?next={then}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{SITE}{then}")


def test_the_whole_social_flow_in_the_browser(page, browser):
    email, password = f"flow-{uuid.uuid4().hex[:8]}@example.test", "a long password"
    _sign_up(page, email, password, "Flo <i>")
    nav = page.get_by_role("navigation", name="Site")
    expect(nav.get_by_role("link", name="Account")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_be_hidden()
    session = next(c for c in page.context.cookies() if c["name"] == "sg_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").strip() == "sg_user=1"  # the tokens are out of the script's reach

    # Sign out, and back in through the form (a wrong password first).
    page.goto("/account")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{SITE}/")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not it at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
    _sign_in(page, email, password)

    # Share from the signed-in session (what the extension's background script does with the same cookies).
    created = page.evaluate("""async (payload) => {
        const response = await fetch('/api/conversations', {
            method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(payload)});
        return response.json();
    }""", chat(4, title="Flow conversation"))
    cid = created["id"]
    page.goto(f"/c/{cid}")

    # Save: the count is the server's.
    save = page.locator("main [data-save]")
    expect(save).to_have_attribute("aria-pressed", "false")
    save.click()
    expect(save).to_have_attribute("aria-pressed", "true")
    expect(save.locator(".count")).to_have_text("1")

    # Comment on the second message, then reply to it.
    bubbles = page.locator(".bubble .bubble-label")
    bubbles.nth(1).click()
    panel = page.get_by_role("complementary")
    expect(panel.get_by_role("heading", name="Comments on message 2")).to_be_visible()
    panel.get_by_label("Your comment").fill("Is this **right**? <img src=x onerror=alert(1)>")
    panel.get_by_role("button", name="Post").click()
    first = panel.locator(".comment").first
    expect(first.locator("strong").last).to_have_text("right")
    expect(first.locator("img")).to_have_count(0)
    expect(first.locator(".meta strong")).to_have_text("Flo <i>")
    # Written as every page writes a date ("07 Dec 2026"), from the API's ISO 8601.
    expect(first.locator(".meta time")).to_have_text(re.compile(r"^\d\d [A-Z][a-z]{2} \d{4}$"))
    expect(bubbles.nth(1)).to_have_text("1 comment")
    expect(bubbles.nth(0)).to_have_text("Comment")
    first.get_by_role("button", name="Reply to Flo <i>").click()
    expect(panel.locator("#replying")).to_contain_text("Replying to Flo <i>")
    panel.get_by_label("Your comment").fill("Yes, it is.")
    panel.get_by_role("button", name="Post").click()
    expect(panel.locator(".reply")).to_have_count(1)
    expect(panel.locator(".reply .body")).to_have_text("Yes, it is.")
    expect(bubbles.nth(1)).to_have_text("2 comments")
    assert _axe_serious(page) == []  # the open panel, with a thread and the owner's tools
    # A stranger sees the comments but can neither delete nor write.
    stranger = browser.new_context(base_url=SITE).new_page()
    stranger.goto(f"/c/{cid}")
    expect(stranger.locator(".bubble-label").nth(1)).to_have_text("2 comments")
    stranger.locator(".bubble").nth(1).click()
    expect(stranger.locator(".comment").first).to_be_visible()
    expect(stranger.get_by_role("button", name=re.compile("^Delete the comment"))).to_have_count(0)
    expect(stranger.get_by_role("link", name="Report the comment by Flo <i>").first).to_be_visible()
    expect(stranger.get_by_role("link", name="Sign in to comment")).to_be_visible()
    expect(stranger.locator("#owner-tools")).to_be_hidden()
    stranger.context.close()

    # One's own comments offer Delete, never Report.
    expect(panel.get_by_role("link", name=re.compile("^Report the comment"))).to_have_count(0)
    # Delete the reply.
    panel.get_by_role("button", name="Delete the comment by Flo <i>").last.click()
    panel.get_by_role("button", name="Yes, delete").click()  # it asks first
    expect(panel.locator(".reply")).to_have_count(0)
    expect(bubbles.nth(1)).to_have_text("1 comment")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # The owner's tools: a new title, published.
    tools = page.get_by_role("form", name="Manage your conversation")
    expect(tools).to_be_visible()
    tools.get_by_label("Title").fill("Flow, renamed")
    tools.get_by_label("Visibility").select_option("public")
    tools.get_by_role("button", name="Save changes").click()
    expect(page.locator("h1")).to_have_text("Flow, renamed")
    listed = requests.get(f"{SITE}/api/conversations?type=new", timeout=30).json()
    assert cid in [row["id"] for row in listed]

    # /mine (from the server, any device) and /saved.
    page.goto("/mine")
    expect(page.locator("#owned-list .card-title")).to_have_text(["Flow, renamed"])
    page.goto("/saved")
    expect(page.locator(".card-title")).to_have_text(["Flow, renamed"])
    expect(page.locator("[data-save]")).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=str(ARTIFACTS / "saved-1280.png"), full_page=True)
    assert _axe_serious(page) == []
    page.goto("/account")
    assert _axe_serious(page) == []

    # Sign out: the per-person pages send you to sign in.
    page.goto("/account")
    page.get_by_role("button", name="Sign out").click()
    page.goto("/saved")
    expect(page).to_have_url(f"{SITE}/signin?next=/saved")
    assert requests.get(f"{SITE}/api/conversations/{cid}/comments", timeout=30).json()["count"] == 1


def test_the_comment_panel_is_a_bottom_sheet_on_phones(browser, chalice_local):
    created = requests.post(f"{SITE}/api/conversations", json=chat(2), timeout=30).json()
    context = browser.new_context(base_url=chalice_local, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"/c/{created['id']}")
    page.locator(".bubble").first.click()
    panel = page.get_by_role("complementary")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box["width"] == 375 and box["y"] > 0 and box["y"] + box["height"] == pytest.approx(740, abs=1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "comments-375.png"))
    context.close()


def test_a_form_error_page_keeps_the_input_and_says_what_is_wrong(page):
    page.goto("/signup")
    page.get_by_label("Email").fill("taken-or-not@example.test")
    page.get_by_label("Name shown on your comments").fill("   ")
    page.get_by_label("Password (at least 8 characters)").fill("long enough password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("name")
    expect(page.get_by_label("Email")).to_have_value("taken-or-not@example.test")


def test_password_reset_and_account_deletion_through_the_forms(page):
    email = f"reset-{uuid.uuid4().hex[:8]}@example.test"
    _sign_up(page, email, "first password", "Resetter")
    page.goto("/account")
    page.get_by_role("button", name="Sign out").click()
    page.goto("/reset")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send me a code").click()
    # The local stage shows the code (and fills it in); in the cloud it arrives by email.
    expect(page.get_by_role("status")).to_contain_text("the code is moto-confirmation-code:")
    expect(page.get_by_label("Code")).to_have_value(re.compile(r"^moto-confirmation-code:\d{6}$"))
    page.get_by_label("New password (at least 8 characters)").fill("second password")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_have_text("Your password is changed. Sign in with it.")
    _sign_in(page, email, "second password", then="/account")

    # Delete the account: the form insists on a choice and a confirmation, then signs out.
    shared = page.evaluate("""async (payload) => (await (await fetch('/api/conversations', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(payload)})).json()).id""", chat(2))
    page.get_by_label("Delete them all").check()
    page.get_by_label("I understand this cannot be undone.").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(f"{SITE}/?account=deleted")
    expect(page.get_by_role("status")).to_contain_text("Your account is deleted")
    assert [c["name"] for c in page.context.cookies() if c["name"].startswith("sg_")] == []
    assert requests.get(f"{SITE}/api/conversations/{shared}", timeout=30).status_code == 404
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("second password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
