"""What a new user tripped on (issue 36), each in a real Chromium against `chalice local` + moto: the owner's
tools after the extension's Open, My shares following a retitle and listing a share once, actions that ask
first, comments off said out loud, the comment panel beside the header, the owner controls' layout, Explore's
filters keeping each other."""
from __future__ import annotations

import uuid

import pytest
import requests
from conftest import ARTIFACTS, SITE, chat, new_ip, serious_violations
from playwright.sync_api import expect
from test_pages import _create_http
from test_social_pages import _sign_up

pytestmark = pytest.mark.browser


@pytest.fixture()
def page(browser, chalice_local):
    context = browser.new_context(base_url=chalice_local, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _open_as_owner(page, created: dict) -> None:
    """What the extension's Open does: the page with the delete key in its fragment."""
    page.goto(f"/c/{created['id']}#token={created['deleteToken']}")
    expect(page).to_have_url(f"{SITE}/c/{created['id']}")
    # The key is kept only once the server says it is this conversation's (an asynchronous check), and the
    # owner's tools then appear: a test that went on before that (to /mine) found no share, under load.
    expect(page.get_by_role("form", name="Manage your conversation")).to_be_visible()


def test_the_owner_tools_appear_after_open_without_a_reload(page):
    created = _create_http(chat(title="Opened from the extension"))
    _open_as_owner(page, created)
    tools = page.get_by_role("form", name="Manage your conversation")
    expect(tools).to_be_visible()
    expect(tools.get_by_label("Title")).to_be_visible()
    expect(tools.get_by_label("Visibility")).to_be_visible()
    expect(tools.get_by_role("checkbox")).to_be_visible()
    expect(page.locator("#delete")).to_be_visible()


def test_my_shares_follows_a_retitle_here_and_elsewhere(page):
    created = _create_http(chat(title="Old title"))
    _open_as_owner(page, created)
    tools = page.get_by_role("form", name="Manage your conversation")
    tools.get_by_label("Title").fill("New title")
    tools.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved: “New title”, unlisted, comments on.")
    page.goto("/mine")
    expect(page.locator("#mine-list .card-title")).to_have_text(["New title"])
    # Retitled from another device (the API with the key): this browser's list shows the current title too.
    changed = requests.patch(f"{SITE}/api/conversations/{created['id']}", json={"title": "Renamed elsewhere"},
                             headers={"Authorization": f"Bearer {created['deleteToken']}",
                                      "X-Forwarded-For": new_ip()}, timeout=30)
    assert changed.status_code == 200, changed.text
    page.goto("/mine")
    expect(page.locator("#mine-list .card-title")).to_have_text(["Renamed elsewhere"])


def test_comments_off_is_said_to_readers_owner_and_savers(page, browser):
    email, password = f"off-{uuid.uuid4().hex[:8]}@example.test", "a long password"
    created = _create_http(chat(title="Quiet conversation", visibility="public"))
    # A reader signs up, saves it and comments.
    reader = browser.new_context(base_url=SITE).new_page()
    _sign_up(reader, email, password, "Reader")
    reader.goto(f"/c/{created['id']}")
    reader.locator("[data-save]").click()
    expect(reader.locator("[data-save]")).to_have_attribute("aria-pressed", "true")
    reader.locator(".bubble").first.click()
    reader.get_by_label("Your comment").fill("Nice one.")
    reader.get_by_role("button", name="Post").click()
    expect(reader.locator("#threads .comment")).to_have_count(1)
    # The owner turns comments off, and the confirmation says so.
    _open_as_owner(page, created)
    expect(page.locator("#comments-off")).to_be_hidden()
    tools = page.get_by_role("form", name="Manage your conversation")
    tools.get_by_role("checkbox").uncheck()
    tools.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved: “Quiet conversation”, public, comments off.")
    expect(page.locator("#comments-off")).to_contain_text("readers do not see them")
    assert serious_violations(page) == []
    # A reader (the commenter too) is told why there are no comments.
    reader.goto(f"/c/{created['id']}")
    reader.reload()  # past this browser's minute of cache, as a reader arriving later
    expect(reader.locator("#comments-off")).to_be_visible()
    expect(reader.locator("#comments-off")).to_have_text(
        "Comments are off: the person who shared this conversation turned them off.")
    expect(reader.locator(".bubble")).to_have_count(0)
    # The saver's list says comments off, not "1 comment" they cannot read.
    reader.goto("/saved")
    expect(reader.locator(".card .meta")).to_contain_text("comments off")
    expect(reader.locator(".card .meta")).not_to_contain_text("1 comment")
    reader.context.close()


def test_a_share_made_signed_in_is_listed_once_and_a_taken_down_one_says_so(page):
    from chalicelib import moderation

    email, password = f"once-{uuid.uuid4().hex[:8]}@example.test", "a long password"
    _sign_up(page, email, password, "Owner")
    # Shared while signed in from this browser (as the extension does with the session): its key is here too.
    answer = page.evaluate("""async (body) => {
        const r = await fetch('/api/conversations', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                      body: JSON.stringify(body)});
        return r.json(); }""", chat(title="Shared signed in"))
    page.evaluate("""(c) => { const s = JSON.parse(localStorage.getItem('sharegpt:shared') || '{}');
        s[c.id] = {token: c.deleteToken, title: 'Shared signed in', savedAt: new Date().toISOString()};
        localStorage.setItem('sharegpt:shared', JSON.stringify(s)); }""", answer)
    # And one shared signed out, then taken down by the moderators.
    doomed = _create_http(chat(title="Soon taken down"))
    page.evaluate("""(c) => { const s = JSON.parse(localStorage.getItem('sharegpt:shared') || '{}');
        s[c.id] = {token: c.deleteToken, title: 'Soon taken down', savedAt: new Date().toISOString()};
        localStorage.setItem('sharegpt:shared', JSON.stringify(s)); }""", doomed)
    moderation.take_down(doomed["id"], "spam", "Spam.")
    page.goto("/mine")
    expect(page.locator("#owned-list .card-title")).to_have_text(["Shared signed in"])
    browser_list = page.locator("#mine-list .card")
    expect(browser_list).to_have_count(1)  # the signed-in share is not listed a second time
    removed = browser_list.first
    expect(removed).to_contain_text("Soon taken down")
    expect(removed).to_contain_text("Removed by the moderators")
    expect(removed.get_by_role("button", name="Delete")).to_have_count(0)
    expect(removed.get_by_role("button", name="Copy link")).to_have_count(0)
    removed.get_by_role("button", name="Forget Soon taken down in this browser").click()
    expect(page.locator("#mine-empty")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "mine-signed-in-1280.png"), full_page=True)


def test_deleting_what_is_already_gone_says_so(page):
    created = _create_http(chat(title="Deleted elsewhere"))
    _open_as_owner(page, created)
    page.goto("/mine")
    expect(page.locator("#mine-list .card-title")).to_have_text(["Deleted elsewhere"])
    gone = requests.delete(f"{SITE}/api/conversations/{created['id']}",
                           headers={"Authorization": f"Bearer {created['deleteToken']}"}, timeout=30)
    assert gone.status_code == 204
    page.get_by_role("button", name="Delete Deleted elsewhere").click()
    assert serious_violations(page) == []  # the question asked in place
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator("#status")).to_contain_text("already gone")
    expect(page.locator("#status")).not_to_contain_text("Deleted “")
    expect(page.locator("#mine-list .card")).to_have_count(0)


def test_the_comment_panel_leaves_the_header_visible_at_1280_px(page):
    created = _create_http(chat(title="Panel and header"))
    page.goto(f"/c/{created['id']}")
    page.locator(".bubble").first.click()
    expect(page.locator("#comments-panel")).to_be_visible()
    nav = page.get_by_role("navigation", name="Site")
    for name in ("Explore", "My shares", "Import", "Sign in"):
        link = nav.get_by_role("link", name=name)
        expect(link).to_be_visible()
        # Not covered: the element at its centre is the link itself.
        assert link.evaluate("""el => { const r = el.getBoundingClientRect();
            return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"""), name
    # The header moved with the conversation: their right edges line up left of the panel.
    panel_left = page.locator("#comments-panel").evaluate("el => el.getBoundingClientRect().left")
    header_right = page.locator("header.site").evaluate("el => el.getBoundingClientRect().right")
    main_right = page.locator("main").evaluate("el => el.getBoundingClientRect().right")
    assert header_right <= panel_left and abs(header_right - main_right) < 1
    page.screenshot(path=str(ARTIFACTS / "panel-header-1280.png"))


@pytest.mark.parametrize("width", [375, 1280])
def test_the_owner_controls_lay_out_their_labels(browser, chalice_local, width):
    context = browser.new_context(base_url=chalice_local, viewport={"width": width, "height": 900})
    page = context.new_page()
    created = _create_http(chat(title="Layout of the owner controls"))
    _open_as_owner(page, created)
    tools = page.get_by_role("form", name="Manage your conversation")
    expect(tools).to_be_visible()
    box = tools.get_by_role("checkbox").bounding_box()
    words = tools.locator("label.choice span").bounding_box()
    assert box and words
    # The box sits beside its words (on their first line), not above them.
    assert box["x"] + box["width"] <= words["x"] and abs(box["y"] - words["y"]) < words["height"]
    select = tools.get_by_label("Visibility")
    for value in ("unlisted", "public"):
        select.select_option(value)
        assert select.evaluate("""el => { const c = document.createElement('canvas').getContext('2d');
            c.font = getComputedStyle(el).font;
            return c.measureText(el.selectedOptions[0].text).width + 30 <= el.clientWidth; }"""), value
    page.screenshot(path=str(ARTIFACTS / f"owner-tools-{width}.png"))
    context.close()


def test_explore_filters_keep_each_other(page):
    title = f"Filterable {uuid.uuid4().hex[:6]} walrus"
    mine = _create_http({**chat(title=title, visibility="public"), "source": "claude"})
    _create_http({**chat(title=title, visibility="public"), "source": "chatgpt"})
    page.goto("/explore?tab=top")
    order = page.get_by_role("navigation", name="Order")
    expect(order.get_by_role("link", name="Top")).to_have_attribute("aria-current", "page")
    # A search: newest first, and the order says so (Top is not shown as current).
    page.get_by_label("Search titles").fill("walrus")
    page.get_by_role("button", name="Search").click()
    expect(order.get_by_role("link", name="Top")).to_have_count(0)
    expect(order.get_by_role("link", name="New")).to_have_attribute("aria-current", "page")
    expect(page.locator("#order-note")).to_contain_text("newest first")
    # Choosing an assistant keeps the search.
    page.get_by_role("navigation", name="Assistant").get_by_role("link", name="Claude").click()
    expect(page.get_by_label("Search titles")).to_have_value("walrus")
    cards = page.locator(".card-title")
    expect(cards.filter(has_text=title)).to_have_count(1)
    assert cards.filter(has_text=title).get_attribute("href") == f"/c/{mine['id']}"
    assert serious_violations(page) == []  # Top shown as not available, the note, both filters
    # A new search keeps the assistant.
    page.get_by_label("Search titles").fill(title.split()[1])
    page.get_by_role("button", name="Search").click()
    assistant = page.get_by_role("navigation", name="Assistant")
    expect(assistant.get_by_role("link", name="Claude")).to_have_attribute("aria-current", "page")
    expect(cards.filter(has_text=title)).to_have_count(1)
    # Back to all assistants keeps the search too.
    assistant.get_by_role("link", name="All assistants").click()
    expect(cards.filter(has_text=title)).to_have_count(2)


PRINTED = {"title": "Printing a conversation", "source": "chatgpt", "messages": [
    {"role": "user", "content": "Show me a long line of code, a table and a link."},
    {"role": "assistant", "content": [
        {"type": "reasoning", "title": "Thought for 3 s", "text": "Hidden reasoning stays closed in print."},
        {"type": "text", "text": "Here is the code:\n\n```python\nvalue = " + " + ".join(["compute_something(x)"] * 12)
                                 + "\n```\n\n| name | size |\n|---|---|\n| alpha | 1 |\n\nSee the "
                                 "[Python docs](https://docs.python.org/3/library/functions.html) for more."}]}]}


def test_print_media_shows_the_conversation_as_a_document(browser, chalice_local):
    created = _create_http(PRINTED)
    context = browser.new_context(base_url=chalice_local, color_scheme="dark")
    page = context.new_page()
    page.goto(f"/c/{created['id']}")
    # The action on the page opens the browser's print dialog (stubbed here: headless has none).
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print or save as PDF").click()
    assert page.evaluate("window.printed") is True
    page.emulate_media(media="print")
    visible_controls = page.evaluate("""() => [
        ...document.querySelectorAll('button, nav, header.site, footer.site, form, details.menu')]
        .filter(el => el.offsetParent !== null || getComputedStyle(el).display !== 'none' && el.getClientRects().length)
        .map(el => el.outerHTML.slice(0, 60))""")
    assert visible_controls == []
    expect(page.get_by_text("Show me a long line of code")).to_be_visible()
    expect(page.locator("table")).to_be_visible()
    # Dark on screen, light on paper.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    # Code wraps instead of being cut at the page's edge.
    assert page.locator("pre code").evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A link's address follows it; the closed reasoning stays closed.
    after = page.locator(".msg a[href^='https://docs.python.org']").evaluate(
        "el => getComputedStyle(el, '::after').content")
    assert "https://docs.python.org/3/library/functions.html" in after
    assert page.locator("details.block").evaluate("el => el.open") is False
    # What Chromium's "Save as PDF" makes holds the conversation's words and none of the page's controls.
    import io

    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = " ".join(p.extract_text() for p in pdf.pages)
    squashed = " ".join(text.split())
    assert "Printing a conversation" in squashed and "Show me a long line of code" in squashed
    assert "compute_something(x)" in squashed and "alpha" in squashed
    assert "docs.python.org/3/library/functions.html" in squashed.replace(" ", "")
    assert "Copy link" not in squashed and "Print or save as PDF" not in squashed and "Explore" not in squashed
    context.close()


def _continue_links(page) -> dict[str, str]:
    page.get_by_text("Continue in…").click()
    links = page.locator("#continue-links a")
    expect(links).to_have_count(4)
    return {a.inner_text(): a.get_attribute("href") for a in links.all()}


def test_continue_in_opens_the_assistants_with_the_conversation(browser, chalice_local):
    from urllib.parse import parse_qs, urlsplit

    context = browser.new_context(base_url=chalice_local, viewport={"width": 375, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    short = _create_http({"title": "Tides", "messages": [
        {"role": "user", "content": "Why are there two tides a day?"},
        {"role": "assistant", "content": "Because the Moon's pull and the Earth's **spin** combine.\n\n"
                                         "Twice a day, each place passes under both bulges."}]})
    page.goto(f"/c/{short['id']}")
    links = _continue_links(page)
    assert [urlsplit(u)._replace(query="").geturl() for u in links.values()] == [
        "https://chatgpt.com/", "https://claude.ai/new", "https://grok.com/", "https://www.perplexity.ai/search"]
    prompt = parse_qs(urlsplit(links["ChatGPT"]).query)["q"][0]
    assert prompt.startswith('This is a conversation titled "Tides"') and f"/c/{short['id']}" in prompt
    assert "User: Why are there two tides a day?" in prompt
    # As shown (not Markdown), a paragraph a line.
    assert "Assistant: Because the Moon's pull and the Earth's spin combine.\n" in prompt
    assert "\nTwice a day, each place passes under both bulges." in prompt
    expect(page.locator("#continue-cut")).to_be_hidden()
    assert page.get_by_role("link", name="Claude").get_attribute("target") == "_blank"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # open, at 375 px
    page.screenshot(path=str(ARTIFACTS / "continue-in-375.png"))
    assert serious_violations(page) == []  # the menu open

    # A long one: the link keeps the newest messages that fit, says so, and Copy as prompt copies it whole.
    long = _create_http({"title": "A long talk", "messages": [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"Message {i}: " + "words " * 150}
        for i in range(30)]})
    page.goto(f"/c/{long['id']}")
    links = _continue_links(page)
    for url in links.values():
        assert len(url) <= 6000
    prompt = parse_qs(urlsplit(links["Claude"]).query)["q"][0]
    assert "Message 29:" in prompt and "Message 0:" not in prompt
    assert "messages are left out; the whole is at" in prompt
    expect(page.locator("#continue-cut")).to_contain_text("longer than a link can carry")
    page.get_by_role("button", name="Copy as prompt").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Message 0:" in copied and "Message 29:" in copied
    context.close()


def test_the_home_page_names_every_site_and_export_it_reads(page):
    from chalicelib.pages import SOURCE_NAMES

    page.goto("/")
    sites = page.locator("#sites").inner_text()
    for name in SOURCE_NAMES.values():  # the six the extension reads
        assert name in sites, name
    exports = page.locator("#exports").inner_text()
    for name in ("ChatGPT", "Claude", "DeepSeek", "Grok"):  # the four /import reads
        assert name in exports, name


def test_the_owner_donates_from_the_page_after_reading_the_scrubbed_preview(page):
    """Issue 35: the owner's controls show the donation (off), the scrubbed text as text, then donate and
    withdraw; My shares says it is donated."""
    created = _create_http(chat(title="Donate from the page") | {"messages": [
        {"role": "user", "content": "Write to <b>ada@example.org</b> or call +44 20 7946 0958."},
        {"role": "assistant", "content": "I will not keep ada@example.org."}]})
    _open_as_owner(page, created)
    form = page.get_by_role("form", name="Open dataset")
    expect(form).to_be_visible()
    expect(form.locator("#donation-state")).to_have_text("Not donated.")
    expect(form.get_by_label("License")).to_be_disabled()
    form.locator("summary").click()
    preview = form.locator(".preview-turns")
    expect(preview).to_contain_text("[EMAIL]")
    expect(preview).to_contain_text("[PHONE]")
    expect(preview).not_to_contain_text("ada@example.org")
    assert preview.locator("b").count() == 0  # the text is text: nothing of it became markup
    expect(preview).to_contain_text("<b>[EMAIL]</b>")
    form.get_by_label("Also donate to the open dataset").check()
    form.get_by_label("License").select_option("CC-BY-4.0")
    form.get_by_label("Credit as (CC-BY-4.0, optional)").fill("Ada L.")
    form.get_by_role("button", name="Save donation").click()
    expect(page.locator("#status")).to_have_text("Donated under CC-BY-4.0.")
    expect(form.locator("#donation-state")).to_contain_text("Donated under CC-BY-4.0: published from")
    page.goto("/mine")
    expect(page.get_by_role("link", name="Donated (CC-BY-4.0): Donate from the page")).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"/c/{created['id']}#donation")
    form = page.get_by_role("form", name="Open dataset")
    form.get_by_label("Also donate to the open dataset").uncheck()
    form.get_by_role("button", name="Save donation").click()
    expect(page.locator("#status")).to_have_text("Not donated: later snapshots leave it out.")
    assert serious_violations(page) == []
