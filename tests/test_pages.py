"""The share pages in a real Chromium (Debian's, driven by Playwright) against `chalice local` + moto."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from conftest import ARTIFACTS, ENV, SITE, body_of, chat, create, new_ip, post_json, serious_violations
from playwright.sync_api import expect
from test_structured import STRUCTURED

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
BATCH = 16
VECTORS = [line for line in (Path(__file__).parent / "xss_vectors.txt").read_text().splitlines() if line.strip()]
ALLOWED_ORIGINS = {SITE, ENV["AWS_ENDPOINT_URL"]}
# Every way a payload could show it ran: dialogs are also watched, these make a sentinel count.
SENTINEL = """
window.__xss = 0;
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = function () { window.__xss += 1; };
}
"""
WIDE_CODE = "```python\n" + "x = " + "'" + "w" * 300 + "'\n```"
WIDE_TABLE = "| " + " | ".join(f"column {i} with a long header" for i in range(12)) + " |\n|" + "---|" * 12 + "\n| " + \
    " | ".join("cell" for _ in range(12)) + " |"
RICH = {
    "title": "Rendering check: code, tables and lists", "model": "gpt-4o", "source": "chatgpt", "visibility": "public",
    "messages": [
        {"role": "user", "content": "Line one\nLine two <b>not bold</b>"},
        {"role": "assistant", "content": "Here:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
                                         "1. first\n   - nested\n2. second\n\n> quoted\n\n" + WIDE_TABLE},
        {"role": "user", "content": "And something wide?"},
        {"role": "assistant", "content": WIDE_CODE},
    ],
}


@pytest.fixture()
def context(browser, chalice_local):
    """A fresh browser profile that records any request to somewhere other than this app and its avatar host."""
    ctx = browser.new_context(base_url=chalice_local)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=chalice_local)
    ctx.outside = []

    def watch(request):
        # The browser's proxy setting (conftest) already keeps anything non-local from leaving the machine.
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc}" not in ALLOWED_ORIGINS:
            ctx.outside.append(request.url)
    ctx.on("request", watch)
    yield ctx
    ctx.close()


def _create_http(payload: dict) -> dict:
    response = requests.post(f"{SITE}/api/conversations", json=payload, headers={"X-Forwarded-For": new_ip()},
                             timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def test_conversation_page_renders_messages_code_and_exports(context):
    created = _create_http(RICH)
    page = context.new_page()
    response = page.goto(f"/c/{created['id']}")
    assert response.status == 200
    assert page.title() == "Rendering check: code, tables and lists · ShareGPT"
    roles = page.locator(".msg .role").all_inner_texts()
    assert [r.lower() for r in roles] == ["user", "assistant", "user", "assistant"]
    # Human text is text: kept line breaks, markup shown literally.
    first = page.locator(".msg.user .body").first
    assert first.inner_text() == "Line one\nLine two <b>not bold</b>"
    assert first.locator("b").count() == 0
    # Highlighted server-side, labelled and copyable in the browser.
    code = page.locator(".msg.assistant pre code").first
    assert code.locator("span.tok-k").first.inner_text() == "def"
    assert page.locator(".code-bar span").first.inner_text() == "python"
    page.locator(".copy-code").first.click()
    assert page.evaluate("navigator.clipboard.readText()") == "def add(a, b):\n    return a + b\n"
    page.locator("#copy-link").click()
    assert page.evaluate("navigator.clipboard.readText()") == created["shortUrl"]
    assert page.locator(".msg.assistant ol > li > ul > li").inner_text() == "nested"
    # Exports download with a file name and round-trip the messages.
    files = {}
    for label, fmt in (("Markdown", "md"), ("ShareGPT JSON", "json"), ("OpenAI JSONL", "jsonl")):
        with page.expect_download() as info:
            page.get_by_role("link", name=label).click()
        download = info.value
        assert download.suggested_filename == f"sharegpt-{created['id']}.{fmt}"
        files[fmt] = Path(download.path()).read_text()
    contents = [m["content"] for m in RICH["messages"]]
    sharegpt = json.loads(files["json"])
    assert sharegpt["id"] == created["id"]
    assert [(t["from"], t["value"]) for t in sharegpt["conversations"]] == list(zip(
        ["human", "gpt", "human", "gpt"], contents, strict=True))
    lines = files["jsonl"].splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["messages"] == [{"role": m["role"], "content": m["content"]} for m in RICH["messages"]]
    assert files["md"].startswith("# Rendering check: code, tables and lists\n")
    assert "## User\n\n> Line one\n> Line two <b>not bold</b>" in files["md"]
    assert context.outside == []


def test_head_and_headers_follow_visibility(chalice_local):
    public = _create_http({**chat(title="Indexable one"), "visibility": "public"})
    unlisted = _create_http({**chat(title="Hidden one")})
    for created, indexable in ((public, True), (unlisted, False)):
        response = requests.get(f"{SITE}/c/{created['id']}", timeout=30)
        assert response.status_code == 200
        csp = response.headers["Content-Security-Policy"]
        for directive in ("script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert "s-maxage" in response.headers["Cache-Control"]
        html = response.text
        assert f'<link rel="canonical" href="{SITE}/c/{created["id"]}">' in html
        assert '<meta property="og:title"' in html and '<meta name="twitter:card"' in html
        assert '<meta name="description" content="turn 0">' in html
        assert ("noindex" in response.headers.get("X-Robots-Tag", "")) is not indexable
        assert ('<meta name="robots" content="noindex' in html) is not indexable
        assert "<script>" not in html and " style=" not in html  # nothing inline for the CSP to allow


def test_unknown_and_deleted_pages_are_real_404_pages(context):
    page = context.new_page()
    for path in ("/c/Zzzzzzz", "/c/bad"):
        response = page.goto(path)
        assert response.status == 404
        assert page.locator("h1").inner_text() == "Not found"


def body_of_http(path: str) -> dict:
    return requests.get(f"{SITE}{path}", timeout=30).json()


def test_views_rise_with_visits_from_different_people_and_a_view_calls_no_api(browser, chalice_local):
    """A reader's view is the page and static files: no beacon, no API call; the count comes from the
    (local stand-in of the) CDN's access log, folded later."""
    from chalicelib import jobs

    created = _create_http({**chat(title="Count my views"), "visibility": "public"})
    for _ in range(3):
        ctx = browser.new_context(base_url=chalice_local, extra_http_headers={"X-Forwarded-For": new_ip()})
        page = ctx.new_page()
        asked: list[str] = []
        page.on("request", lambda r, asked=asked: asked.append(r.url))
        page.goto(f"/c/{created['id']}")
        page.wait_for_load_state("networkidle")
        assert [url for url in asked if "/api/" in url] == []
        ctx.close()
    assert body_of_http(f"/api/conversations/{created['id']}")["views"] == 0
    jobs.fold_views()
    assert body_of_http(f"/api/conversations/{created['id']}")["views"] == 3


def test_delete_from_the_sharing_browser_only(browser, context):
    created = _create_http(chat(title="Delete me from the page"))
    cid = created["id"]
    # Another browser (no token) sees no Delete button.
    stranger = browser.new_context(base_url=SITE)
    other = stranger.new_page()
    other.goto(f"/c/{cid}")
    assert other.locator("#delete").is_hidden()
    stranger.close()

    page = context.new_page()
    page.goto(f"/c/{cid}#token={created['deleteToken']}")
    expect(page).to_have_url(f"{SITE}/c/{cid}")  # the token left the address bar...
    expect(page.locator("#delete")).to_be_visible()  # once the server confirmed the key
    stored = page.evaluate("JSON.parse(localStorage.getItem('sharegpt:shared'))")
    assert stored[cid]["token"] == created["deleteToken"]  # ...for this browser's storage
    assert page.locator("#delete").is_visible()
    page.goto("/mine")
    expect(page.locator("#mine-list .card-title")).to_have_text(["Delete me from the page"])

    page.goto(f"/c/{cid}")
    page.locator("#delete").click()
    assert page.locator("#delete-confirm").is_visible()  # a confirmation first
    page.locator("#delete-no").click()
    assert page.locator("#delete-confirm").is_hidden()
    page.locator("#delete").click()
    page.locator("#delete-yes").click()
    page.locator("#gone").wait_for()
    assert "deleted" in page.locator("#gone").inner_text()
    assert requests.get(f"{SITE}/c/{cid}", timeout=30).status_code == 404
    assert requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).status_code == 404
    page.goto("/mine")
    expect(page.locator("#mine-empty")).to_be_visible()
    assert page.locator("#mine-list .card").count() == 0


def test_delete_from_my_shares(context):
    created = _create_http(chat(title="Delete me from my shares"))
    page = context.new_page()
    page.goto(f"/c/{created['id']}#token={created['deleteToken']}")
    expect(page).to_have_url(f"{SITE}/c/{created['id']}")
    expect(page.locator("#delete")).to_be_visible()
    page.goto("/mine")
    page.get_by_role("button", name="Delete Delete me from my shares").click()
    # It asks first: Cancel keeps it, with focus back on Delete.
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name="Delete Delete me from my shares")).to_be_focused()
    assert requests.get(f"{SITE}/api/conversations/{created['id']}", timeout=30).status_code == 200
    page.get_by_role("button", name="Delete Delete me from my shares").click()
    page.get_by_role("button", name="Yes, delete it").click()
    page.locator("#status").filter(has_text="Deleted").wait_for()
    assert page.locator("#mine-list .card").count() == 0
    assert requests.get(f"{SITE}/c/{created['id']}", timeout=30).status_code == 404


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [375, 1280])
def test_no_horizontal_page_scroll_and_screenshots(browser, chalice_local, width):
    created = _create_http(RICH)
    structured = _create_http(STRUCTURED)
    ctx = browser.new_context(base_url=chalice_local, viewport={"width": width, "height": 900})
    page = ctx.new_page()
    for name, path in (("conversation", f"/c/{created['id']}"), ("structured", f"/c/{structured['id']}"),
                       ("explore", "/explore"), ("home", "/"), ("mine", "/mine")):
        if name == "structured":  # open every collapsed step: their content must fit too
            page.goto(path)
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            assert _no_horizontal_scroll(page), f"{name} (opened) scrolls sideways at {width}px"
        page.goto(path)
        assert _no_horizontal_scroll(page), f"{name} scrolls sideways at {width}px"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    # Wide code and tables scroll inside their own box instead.
    page.goto(f"/c/{created['id']}")
    assert page.evaluate("[...document.querySelectorAll('.msg pre')].some(p => p.scrollWidth > p.clientWidth)")
    ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_accessibility_problems(browser, chalice_local, scheme):
    axe = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
    created = _create_http(RICH)
    structured = _create_http(STRUCTURED)
    ctx = browser.new_context(base_url=chalice_local, color_scheme=scheme)
    page = ctx.new_page()
    for path in (f"/c/{created['id']}", f"/c/{structured['id']}#open", "/explore", "/", "/mine", "/c/Zzzzzzz",
                 "/signin", "/signup", "/reset"):
        page.goto(path)
        if path.endswith("#open"):  # reasoning, code runs and tool steps opened: checked as a reader sees them
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        page.evaluate(axe)  # evaluated through DevTools, so the page's CSP does not apply to it
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{path} ({scheme}): {serious}"
    ctx.close()


def test_explore_tabs_search_and_paging_show_public_conversations_only(context, aws):
    from cdn_log_files import hit, put_log
    from conftest import BUCKET

    from chalicelib import jobs

    public = [_create_http({**chat(title=f"Zebrafish explorecheck {i}"), "visibility": "public"})["id"]
              for i in range(55)]
    unlisted = [_create_http(chat(title=f"Zebrafish explorecheck secret {i}"))["id"] for i in range(3)]
    # More views than any other test gives a conversation.
    put_log(aws, BUCKET, [hit(public[7], new_ip(), 1_780_000_000 + fan) for fan in range(25)])
    jobs.fold_views()
    page = context.new_page()

    def card_ids() -> list[str]:
        return [href.rsplit("/", 1)[1] for href in page.locator(".card-title").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")]

    page.goto("/explore?tab=new")
    assert page.locator(".tabs a[aria-current]").inner_text() == "New"
    assert card_ids()[:3] == public[::-1][:3]
    page.goto("/explore")
    page.locator("#q").fill("EXPLORECHECK")
    page.get_by_role("button", name="Search").click()
    first = card_ids()
    assert len(first) == 50 and first == public[::-1][:50]
    page.get_by_role("link", name="Next").click()
    second = card_ids()
    assert second == public[::-1][50:]
    assert page.get_by_role("link", name="Next").count() == 0
    page.get_by_role("link", name="Previous").click()
    assert card_ids() == first
    page.goto("/explore?tab=top")
    assert card_ids()[0] == public[7]
    assert page.locator(".card .meta").first.inner_text().endswith("25 views")
    page.goto("/explore?q=nosuchwordanywhere")
    assert "No public conversation" in page.locator(".empty").inner_text()
    page.goto("/explore?cursor=garbage")  # a mangled cursor still gives a page
    assert page.locator("h1").inner_text() == "Explore"

    seen = set()
    for path in ("/explore?tab=new", "/explore?tab=top", "/explore?q=secret", "/"):
        page.goto(path)
        seen |= set(card_ids())
    assert seen and not seen & set(unlisted)
    sitemap = requests.get(f"{SITE}/sitemap.xml", timeout=30)
    assert sitemap.headers["Content-Type"].startswith("application/xml")
    assert all(f"/c/{cid}</loc>" in sitemap.text for cid in public)
    assert not any(cid in sitemap.text for cid in unlisted)
    robots = requests.get(f"{SITE}/robots.txt", timeout=30).text
    assert f"Sitemap: {SITE}/sitemap.xml" in robots


def test_xss_vectors_never_run_in_the_browser(context, client):
    assert len(VECTORS) >= 100
    dialogs = []
    page = context.new_page()
    page.add_init_script(SENTINEL)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ids, refused_avatars = [], 0
    for vector in VECTORS:
        # Every vector as a title (the listings below show them) and as an avatar.
        single = {"title": vector, "visibility": "public", "messages": [{"role": "user", "content": "x"}]}
        ids.append(create(client, single)["id"])
        response = post_json(client, {**single, "avatarUrl": vector})
        refused_avatars += response.status_code == 400 and body_of(response)["error"]["field"] == "avatarUrl"
    assert refused_avatars == len(VECTORS)  # an avatar must be an image: every vector is refused there
    # Every vector in every kind of turn, many to a page: one page load checks BATCH vectors at once.
    pages_to_check = []
    for start in range(0, len(VECTORS), BATCH):
        chunk = VECTORS[start:start + BATCH]
        head = [chunk[i % len(chunk)] for i in range(5)]  # title, model and source take turns too
        rich = {"title": head[0], "model": head[1][:200], "source": head[2][:200], "visibility": "public",
                "messages": [{"role": role, "content": v} for v in chunk for role in ("user", "assistant", "tool")]}
        seed = {"title": head[3], "model": head[4][:200],
                "items": [{"from": who, "value": v} for v in chunk for who in ("human", "gpt")]}
        pages_to_check += [create(client, rich)["id"], create(client, seed)["id"]]

    failures = []
    for cid in pages_to_check:
        page.goto(f"/c/{cid}")
        if page.evaluate("window.__xss") or dialogs:
            failures.append(cid)
    page.goto("/")
    page.evaluate("""ids => localStorage.setItem('sharegpt:shared', JSON.stringify(Object.fromEntries(
        ids.map((id, i) => [id, {token: 'x'.repeat(32), title: document.title + i,
                                 shortUrl: 'http://s.test/' + id}]))))""",
                  ids)
    titles = requests.get(f"{SITE}/api/conversations?type=new", timeout=30).json()
    listing_pages = ["/", "/mine", "/explore?tab=new", "/explore?tab=top"]
    page.goto("/explore?tab=new")
    for _ in range(4):  # the newest pages of Explore (50 a page) hold every vector's title
        nxt = page.get_by_role("link", name="Next")
        if nxt.count() == 0:
            break
        listing_pages.append(nxt.get_attribute("href"))
        page.goto(nxt.get_attribute("href"))
    for path in listing_pages:
        page.goto(path)
        if page.evaluate("window.__xss") or dialogs:
            failures.append(path)
    assert titles and failures == [] and dialogs == []
    assert context.outside == []


def test_a_crafted_key_in_a_link_is_checked_before_it_is_kept(context):
    """#token=... in a link is kept only if the server confirms it: a wrong one neither replaces this browser's
    working key nor plants the conversation in My shares."""
    mine = _create_http(chat(title="My own share"))
    theirs = _create_http(chat(title="Someone else's share"))
    page = context.new_page()
    page.goto(f"/c/{mine['id']}#token={mine['deleteToken']}")
    expect(page.locator("#delete")).to_be_visible()

    forged = "A" * 32
    for target in (mine, theirs):
        page.goto("/")
        with page.expect_response(lambda r: r.url.endswith("/key")) as checked:
            page.goto(f"/c/{target['id']}#token={forged}")
        assert checked.value.status == 403
        expect(page).to_have_url(f"{SITE}/c/{target['id']}")
    expect(page.locator("#delete")).to_be_hidden()

    stored = page.evaluate("JSON.parse(localStorage.getItem('sharegpt:shared'))")
    assert set(stored) == {mine["id"]} and stored[mine["id"]]["token"] == mine["deleteToken"]


def test_after_delete_the_browser_shows_no_cached_copy(context):
    created = _create_http(chat(title="Cached then deleted"))
    cid = created["id"]
    page = context.new_page()
    page.goto(f"/c/{cid}#token={created['deleteToken']}")
    expect(page.locator("#delete")).to_be_visible()
    page.goto(f"/c/{cid}")  # now in this browser's HTTP cache (max-age=300)
    page.locator("#delete").click()
    with page.expect_response(lambda r: r.url == f"{SITE}/c/{cid}") as reloaded:
        page.locator("#delete-yes").click()
    assert reloaded.value.status == 404  # fetched past the cache, replacing the stale copy
    page.locator("#gone").wait_for()
    response = page.goto(f"/c/{cid}")
    assert response.status == 404
    assert "Cached then deleted" not in page.content()


def test_long_documents_are_cards_and_the_page_stays_readable(browser, chalice_local):
    """Seven canvas manuscripts of a novel (ChatGPT's canmore documents): printed whole, such a page was
    561,131 px tall at 375 px. Each is now a card (title, kind, first lines, "Show all"), its whole text in the
    HTML behind a <details> that opens without JavaScript."""
    chapter = "\n\n".join(f"Paragraph {n} of the chapter, where the lighthouse keeper {'and the tide ' * 12}waits."
                          for n in range(200))  # ~400 lines
    documents = [{"type": "document", "title": f"Chapter {n + 1}", "format": "markdown",
                  "content": f"# Chapter {n + 1}\n\n{chapter}\n\nThe end of chapter {n + 1}."} for n in range(7)]
    short = {"type": "document", "title": "Outline", "format": "markdown", "content": "- one\n- two\n- three"}
    created = _create_http({"title": "A novel in canvas", "messages": [
        {"role": "user", "content": "Write the novel, chapter by chapter."},
        {"role": "assistant", "content": [short, *documents, {"type": "text", "text": "Here it is."}]}]})
    ctx = browser.new_context(base_url=chalice_local, viewport={"width": 375, "height": 800})
    page = ctx.new_page()
    page.goto(f"/c/{created['id']}")
    cards = page.locator(".document.doc-card")
    expect(cards).to_have_count(7)
    expect(page.locator(".document:not(.doc-card)")).to_have_count(1)  # the short one stays whole
    lines = documents[0]["content"].count("\n") + 1
    expect(cards.first.locator("summary")).to_have_text(f"Show all {lines} lines")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 9000, height  # seven manuscripts, each a card
    assert "The end of chapter 7." in page.content()  # the whole text is in the page, closed
    assert not page.get_by_text("The end of chapter 3.").is_visible()
    cards.nth(2).locator("summary").click()
    expect(page.get_by_text("The end of chapter 3.")).to_be_visible()
    expect(cards.nth(2).locator(".document-preview")).to_be_hidden()  # opened: the preview gives way
    assert _no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "documents-375.png"))
    assert serious_violations(page) == []
    ctx.close()


def test_right_to_left_text_reads_right_to_left_and_code_left_to_right(context):
    """The Gemini reference chat is Arabic and English: each block takes its direction from its own words, as
    on the site (dir="auto"), while code stays left to right."""
    created = _create_http({"source": "gemini", "messages": [
        {"role": "user", "content": "ما هو الفرق بين الصلاة في جماعة والصلاة منفردًا؟"},
        {"role": "assistant", "content": "الصلاة في جماعة أفضل.\n\n- البند الأول\n- second item in English\n\n"
                                         "An English paragraph.\n\n```python\nprint('مرحبا')\n```\n\n"
                                         "| الاسم | name |\n|---|---|\n| محمد | Ahmed |"}]})
    page = context.new_page()
    page.goto(f"/c/{created['id']}")
    direction = "el => getComputedStyle(el).direction"
    answer = page.locator(".msg").nth(1)
    assert answer.locator("p", has_text="الصلاة في جماعة").evaluate(direction) == "rtl"
    assert answer.locator("li", has_text="البند الأول").evaluate(direction) == "rtl"
    assert answer.locator("li", has_text="second item").evaluate(direction) == "ltr"
    assert answer.locator("p", has_text="An English paragraph").evaluate(direction) == "ltr"
    assert answer.locator("pre").evaluate(direction) == "ltr"
    assert page.locator(".msg").first.locator(".body").evaluate(direction) == "rtl"
    # A right-to-left cell starts at its right edge (a fixed `text-align: left` pulled it to the wrong side).
    cell = answer.locator("td", has_text="محمد")
    assert cell.evaluate(direction) == "rtl"
    assert cell.evaluate("el => getComputedStyle(el).textAlign") in ("start", "right")
    # An answer's list is a top-level list, marked as the sites mark one (a disc), although the page's
    # messages are themselves a list.
    assert answer.locator(".body > ul").evaluate("el => getComputedStyle(el).listStyleType") == "disc"


def test_a_long_document_title_wraps_and_its_button_keeps_its_word_at_375_px(browser, chalice_local):
    title = "look what the cat picked for the ultimate comparison of every weekend plan " * 2 + "x" * 60
    created = _create_http({"source": "chatgpt", "messages": [
        {"role": "user", "content": "a canvas please"},
        {"role": "assistant", "content": [{"type": "document", "title": title, "format": "code", "language": "python",
                                           "content": "print(1)\n" * 3},
                                          {"type": "text", "text": "```python\nprint(2)\n```"}]}]})
    page = browser.new_page(base_url=chalice_local, viewport={"width": 375, "height": 800})
    page.goto(f"/c/{created['id']}")
    page.wait_for_selector(".document > header button")
    one_line = """b => { const r = document.createRange(); r.selectNodeContents(b);
                        return r.getClientRects().length === 1 && r.getBoundingClientRect().width <= b.clientWidth; }"""
    buttons = page.locator(".document > header button, .code-bar button")
    assert buttons.count() >= 2
    for i in range(buttons.count()):
        assert buttons.nth(i).evaluate(one_line), buttons.nth(i).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.close()
