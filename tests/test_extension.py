"""The browser extension, loaded unpacked into Debian's Chromium, sharing from fake chat sites into the real
`chalice local` + moto stack. The test browser answers https://chatgpt.com and https://claude.ai itself
from fixtures shaped like the real answers (see ../shared/reference/chat-sources.md)."""
from __future__ import annotations

import json
import re
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from conftest import CHROMIUM_ARGS, ENV, SITE, devstack
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "extension"
FIXTURES = Path(__file__).parent / "fixtures"
SITE_FILES = [f"sites/{name}.js" for name in ("chatgpt", "claude", "deepseek", "grok", "gemini", "perplexity")]
CHATGPT_JSON = json.loads((FIXTURES / "chatgpt_conversation.json").read_text())
CLAUDE_JSON = json.loads((FIXTURES / "claude_conversation.json").read_text())
SECOND_JSON = {"title": "Second conversation", "current_node": "b", "mapping": {
    "a": {"id": "a", "parent": None, "children": ["b"], "message": {
        "id": "a", "author": {"role": "user"}, "content": {"content_type": "text", "parts": ["Second question"]},
        "recipient": "all", "metadata": {}}},
    "b": {"id": "b", "parent": "a", "children": [], "message": {
        "id": "b", "author": {"role": "assistant"}, "content": {"content_type": "text", "parts": ["Second answer"]},
        "recipient": "all", "metadata": {"model_slug": "gpt-4o-mini"}}}}}
# Voice, a photo and a file, reasoning, a code run, a web search, a canvas document with an update, citations,
# math and a sandbox link, with custom instructions, a hidden file-search quote and raw search results around them.
RICH_JSON = json.loads((FIXTURES / "chatgpt_rich_conversation.json").read_text())
RICH_ID = "6745f0c2-aaaa-8000-bbbb-000000000003"
CHATGPT_ID = "6745f0c2-aaaa-8000-bbbb-000000000001"
SECOND_ID = "6745f0c2-aaaa-8000-bbbb-000000000002"
CLAUDE_ID = CLAUDE_JSON["uuid"]
# A real conversation's shape: the user's photo and two generated images, all `sediment://` pointers.
IMAGES_JSON = json.loads((FIXTURES / "chats" / "chatgpt_imagegen_user_images.json").read_text())
IMAGES_ID = "6745f0c2-aaaa-8000-bbbb-000000000004"
# Claude's answer for a chat where the person pasted a screenshot: files_v2 with preview and thumbnail assets.
CLAUDE_IMAGE_ID = "0b9a3c1e-1111-4222-8333-777788889999"
CLAUDE_FILE = "019d8248-00b6-769d-a7ff-fe95364a4142"
CLAUDE_IMAGE_JSON = json.loads(json.dumps(CLAUDE_JSON).replace(CLAUDE_ID, CLAUDE_IMAGE_ID))
CLAUDE_IMAGE_JSON["chat_messages"][0]["files_v2"] = [{
    "file_kind": "image", "file_uuid": CLAUDE_FILE, "file_name": "screenshot.png", "created_at": "2026-11-20T09:41:00Z",
    "thumbnail_url": f"/api/org-1/files/{CLAUDE_FILE}/thumbnail",
    "preview_url": f"/api/org-1/files/{CLAUDE_FILE}/preview",
    "thumbnail_asset": {"url": f"/api/org-1/files/{CLAUDE_FILE}/thumbnail", "file_variant": "thumbnail",
                        "primary_color": "ffffff", "image_width": 200, "image_height": 150},
    "preview_asset": {"url": f"/api/org-1/files/{CLAUDE_FILE}/preview", "file_variant": "preview",
                      "primary_color": "ffffff", "image_width": 800, "image_height": 600}}]
PHOTO_FILE, GENERATED_FILE, EXPIRED_FILE = ("file_0000000059f871fd99dc5787ebecec17",
                                            "file_000000006ef47230931d2c3ed4704c8a",
                                            "file_00000000b6c071fd9da51959ba6c50ae")
# DeepSeek and Grok as their web apps answer (fixtures cut from real conversations, tests/fixtures/chats).
DEEPSEEK_JSON = json.loads((FIXTURES / "chats" / "deepseek_branches_edits_think.json").read_text())
DEEPSEEK_ID = DEEPSEEK_JSON["data"]["biz_data"]["chat_session"]["id"]
GROK_JSON = json.loads((FIXTURES / "chats" / "grok_websearch_citations.json").read_text())
GROK_ID = "8e2a7b1c-4d5e-4f60-9a1b-2c3d4e5f6a7b"
GEMINI_TEXT = (FIXTURES / "chats" / "gemini_thinking_drafts.txt").read_text()
# The app's conversation list (rpc MaZiqc), where Gemini names its conversations: the read call carries no title.
GEMINI_LIST = (FIXTURES / "chats" / "gemini_list_titles.txt").read_text()
GEMINI_ID = "9cf87bbddf79d497"
PERPLEXITY_JSON = json.loads((FIXTURES / "chats" / "perplexity_thread_two_turns.json").read_text())
PERPLEXITY_SLUG = "still-paying-traffic-report-apps-Xy12.ab"


def _text(*texts: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": text} for text in texts]


EXPECTED_BRANCH = [
    {"role": "user", "content": _text("How do I add numbers in Python?")},
    {"role": "assistant", "content": _text(CHATGPT_JSON["mapping"]["a1"]["message"]["content"]["parts"][0])},
    {"role": "user", "content": _text("And floats?")},
    # An answer in two nodes: two blocks, so the page shows a paragraph break where one was (never glued).
    {"role": "assistant", "content": _text("Floats add the same way, ", "but mind rounding.")},
]

# How the fake chat sites answer; each test starts from these defaults.
DEFAULTS = {"session": {"accessToken": "test-access-token"}, "backend": "json", "page": "full"}
site_state: dict = {}


@pytest.fixture(autouse=True)
def reset_site_state():
    site_state.clear()
    site_state.update(DEFAULTS)


def _fulfil_json(route, body, status=200):
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def chatgpt(route):
    path = route.request.url.split("chatgpt.com", 1)[1].split("?")[0]
    if path == "/api/auth/session":
        return _fulfil_json(route, site_state["session"])
    if path.startswith("/backend-api/conversation/"):
        if route.request.headers.get("authorization") != "Bearer test-access-token":
            return _fulfil_json(route, {"detail": "Unauthorized"}, 401)
        if site_state["backend"] != "json":
            return _fulfil_json(route, {"detail": "error"}, int(site_state["backend"]))
        cid = path.rsplit("/", 1)[1]
        known = {CHATGPT_ID: CHATGPT_JSON, SECOND_ID: SECOND_JSON, RICH_ID: RICH_JSON, IMAGES_ID: IMAGES_JSON}
        return _fulfil_json(route, known.get(cid, {"detail": "nope"}), 200 if cid in known else 404)
    if path.startswith("/backend-api/files/download/"):
        # ChatGPT's file download API: a signed URL for the bytes (here on its own origin, as /estuary is).
        file_id = path.rsplit("/", 1)[1]
        if route.request.headers.get("authorization") != "Bearer test-access-token" or file_id not in IMAGE_BYTES:
            return _fulfil_json(route, {"detail": "File not found"}, 404)
        return _fulfil_json(route, {"status": "success", "download_url":
                                    f"https://chatgpt.com/backend-api/estuary/content?id={file_id}&sig=abc"})
    if path == "/backend-api/estuary/content":
        file_id = route.request.url.split("id=", 1)[1].split("&")[0]
        data = IMAGE_BYTES[file_id]()
        return route.fulfill(status=200, content_type="image/webp" if file_id == PHOTO_FILE else "image/png", body=data)
    if path.startswith("/c/") or path == "/":
        html = (FIXTURES / "chatgpt_page.html").read_text()
        if site_state["page"] == "empty":
            html = "<!doctype html><title>ChatGPT</title><header id='page-header'></header><main></main>"
        return route.fulfill(status=200, content_type="text/html", body=html)
    return route.fulfill(status=404, body="")


def _photo() -> bytes:
    import media_files

    return media_files.phone_jpeg(120, 90, orientation=1)


def _generated() -> bytes:
    import media_files

    return media_files.generated_png(96, 64)


IMAGE_BYTES = {PHOTO_FILE: _photo, GENERATED_FILE: _generated}  # the third one has expired


def claude(route):
    path = route.request.url.split("claude.ai", 1)[1].split("?")[0]
    if path == "/api/organizations":
        return _fulfil_json(route, [{"uuid": "org-1", "name": "Personal"}])
    if path == f"/api/organizations/org-1/chat_conversations/{CLAUDE_ID}":
        if site_state["backend"] != "json":
            return _fulfil_json(route, {"type": "error"}, int(site_state["backend"]))
        return _fulfil_json(route, CLAUDE_JSON)
    if path == f"/api/organizations/org-1/chat_conversations/{CLAUDE_IMAGE_ID}":
        return _fulfil_json(route, CLAUDE_IMAGE_JSON)
    if path == f"/api/org-1/files/{CLAUDE_FILE}/preview":
        return route.fulfill(status=200, content_type="image/png", body=_generated())
    if path.startswith("/chat/"):
        return route.fulfill(status=200, content_type="text/html", body=(FIXTURES / "claude_page.html").read_text())
    return route.fulfill(status=404, body="")


def open_root_build(tmp: Path) -> Path:
    """The extension with its shadow root opened, and nothing else changed: Playwright's locators cannot enter
    a closed root, so the dialog tests drive this copy; test_the_page_cannot_reach_or_press_the_interface loads
    the real, closed one."""
    import shutil

    copy = tmp / "extension-open-root"
    shutil.copytree(EXTENSION, copy)
    script = (copy / "content.js").read_text()
    assert script.count('attachShadow({ mode: "closed" })') == 1
    opened = script.replace('attachShadow({ mode: "closed" })', 'attachShadow({ mode: "open" })')
    (copy / "content.js").write_text(opened)
    return copy


def _site_page(site: str, script: str = "") -> str:
    """The conversation's page as the site draws it (tests/fixtures/<site>_page.html, which says whose notes its
    markup follows), read by the extension only when the site's JSON cannot be had."""
    return (FIXTURES / f"{site}_page.html").read_text().replace("</head>", f"{script}</head>", 1)


def deepseek(route):
    url = route.request.url
    path = url.split("chat.deepseek.com", 1)[1].split("?")[0]
    if path == "/api/v0/chat/history_messages":
        if site_state["backend"] != "json":
            return _fulfil_json(route, {"code": 50000, "msg": "error", "data": None}, int(site_state["backend"]))
        if route.request.headers.get("authorization") != "Bearer ds-user-token" or f"={DEEPSEEK_ID}" not in url:
            return _fulfil_json(route, {"code": 40003, "msg": "unauthorized", "data": None}, 401)
        return _fulfil_json(route, DEEPSEEK_JSON)
    if path.startswith("/a/chat/s/"):
        # The app keeps its bearer token in the page's storage, as DeepSeek's does.
        script = "<script>localStorage.setItem('userToken', JSON.stringify({value: 'ds-user-token'}))</script>"
        return route.fulfill(status=200, content_type="text/html", body=_site_page("deepseek", script))
    return route.fulfill(status=404, body="")


def grok(route):
    path = route.request.url.split("grok.com", 1)[1].split("?")[0]
    base = f"/rest/app-chat/conversations/{GROK_ID}"
    if path.startswith("/rest/") and site_state["backend"] != "json":
        return _fulfil_json(route, {"error": {"code": 13, "message": "error"}}, int(site_state["backend"]))
    if path == f"{base}/response-node":
        return _fulfil_json(route, {"responseNodes": [
            {"responseId": r["responseId"], "sender": r["sender"], "parentResponseId": r.get("parentResponseId")}
            for r in GROK_JSON["responses"]], "inflightResponses": []})
    if path == f"{base}/load-responses" and route.request.method == "POST":
        asked = set(json.loads(route.request.post_data or "{}").get("responseIds", []))
        return _fulfil_json(route, {"responses": [r for r in GROK_JSON["responses"] if r["responseId"] in asked]})
    if path == f"/c/{GROK_ID}":
        return route.fulfill(status=200, content_type="text/html", body=_site_page("grok"))
    return route.fulfill(status=404, body="")


def gemini(route):
    path = route.request.url.split("gemini.google.com", 1)[1].split("?")[0]
    if path == "/_/BardChatUi/data/batchexecute" and route.request.method == "POST":
        if site_state["backend"] != "json":
            return route.fulfill(status=int(site_state["backend"]), body=")]}'\n")
        from urllib.parse import parse_qs

        form = parse_qs(route.request.post_data or "")
        asked = json.loads(form["f.req"][0])[0][0]
        if form.get("at") == ["gemini-at-token"] and asked[0] == "MaZiqc":
            return route.fulfill(status=200, content_type="application/json; charset=utf-8", body=GEMINI_LIST)
        if form.get("at") != ["gemini-at-token"] or asked[0] != "hNvQHb" or json.loads(asked[1])[0] != f"c_{GEMINI_ID}":
            return route.fulfill(status=400, body=")]}'\n")
        return route.fulfill(status=200, content_type="application/json; charset=utf-8", body=GEMINI_TEXT)
    if path == f"/app/{GEMINI_ID}":
        # The page carries its inline configuration, as Gemini's does (the token the app posts as `at`).
        return route.fulfill(status=200, content_type="text/html", body=_site_page("gemini"))
    return route.fulfill(status=404, body="")


def perplexity(route):
    path = route.request.url.split("www.perplexity.ai", 1)[1].split("?")[0]
    if path == f"/rest/thread/{PERPLEXITY_SLUG}":
        if site_state["backend"] != "json":
            return _fulfil_json(route, {"detail": "error"}, int(site_state["backend"]))
        return _fulfil_json(route, PERPLEXITY_JSON)
    if path == f"/search/{PERPLEXITY_SLUG}":
        return route.fulfill(status=200, content_type="text/html", body=_site_page("perplexity"))
    return route.fulfill(status=404, body="")


def launch(playwright, tmp_path_factory, extension_dir: Path):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("profile")), executable_path="/usr/bin/chromium", headless=False,
        args=["--headless=new", *CHROMIUM_ARGS, f"--disable-extensions-except={extension_dir}",
              f"--load-extension={extension_dir}"])
    context.route("https://chatgpt.com/**", chatgpt)
    context.route("https://claude.ai/**", claude)
    context.route("https://chat.deepseek.com/**", deepseek)
    context.route("https://grok.com/**", grok)
    context.route("https://gemini.google.com/**", gemini)
    context.route("https://www.perplexity.ai/**", perplexity)
    return context


@pytest.fixture(scope="module")
def extension(playwright, chalice_local, tmp_path_factory):
    """Chromium with the unpacked extension (a persistent context, as Manifest V3 requires), set to our server."""
    context = launch(playwright, tmp_path_factory, open_root_build(tmp_path_factory.mktemp("build")))
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    ext_id = worker.url.split("/")[2]
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"chrome-extension://{ext_id}/options.html")
    # The background script answered (the field shows its default) before the form is used.
    expect(page.locator("#server")).to_have_value("http://127.0.0.1:8000")
    page.locator("#server").fill(chalice_local)
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#status")).to_contain_text("Saved", timeout=30_000)  # on failure: what it said instead
    page.close()
    context.ext_id = ext_id
    context.worker = worker
    yield context
    context.close()


def _share(page, *, uncheck=(), public=False, title=None, donate=None) -> str:
    page.get_by_role("button", name="Share this conversation").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#sgpt-title").wait_for()
    if title is not None:
        dialog.locator("#sgpt-title").fill(title)
    boxes = dialog.locator(".messages input[type=checkbox]")
    for index in uncheck:
        boxes.nth(index).uncheck()
    if public:
        dialog.get_by_label("Public: also listed on Explore").check()
    if donate:
        dialog.get_by_label("Also donate to the open dataset").check()
        dialog.get_by_label("License").select_option(donate[0])
        if donate[1]:
            dialog.locator("#sgpt-attribution").fill(donate[1])
    dialog.get_by_role("button", name="Share", exact=True).click()
    link = dialog.locator(".link")
    link.wait_for()
    return link.get_attribute("data-id")


def _stored(cid: str) -> dict:
    response = requests.get(f"{SITE}/api/conversations/{cid}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _error_text(page) -> str:
    alert = page.get_by_role("dialog").get_by_role("alert")
    alert.wait_for()
    return alert.inner_text()


def test_share_stores_exactly_the_visible_chatgpt_branch(extension):
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    cid = _share(page)
    stored = _stored(cid)
    assert [{"role": m["role"], "content": m["content"]} for m in stored["messages"]] == EXPECTED_BRANCH
    assert (stored["title"], stored["model"], stored["source"], stored["visibility"]) == (
        "Adding numbers in Python", "GPT-4o", "chatgpt", "unlisted")
    assert '<code class="language-python">' in stored["messages"][1]["html"]
    assert "<table>" in stored["messages"][1]["html"]
    # The link, copied from the dialog.
    page.get_by_role("dialog").get_by_role("button", name="Copy link").click()
    assert page.evaluate("navigator.clipboard.readText()") == f"http://s.test/{cid}"
    listed = requests.get(f"{SITE}/api/conversations", params={"type": "new"}, timeout=30).json()
    assert cid not in {r["id"] for r in listed}
    page.close()


def test_a_share_can_be_donated_to_the_open_dataset_in_the_dialog(extension, aws):
    """Issue 35: off unless ticked; ticked, the license and attribution chosen reach the server, and the
    dialog says when it is published."""
    from conftest import TABLE_PREFIX

    def stored_donation(cid: str) -> dict:
        item = aws["dynamodb"].get_item(TableName=f"{TABLE_PREFIX}-conversations",
                                        Key={"id": {"S": cid}, "part": {"S": "meta"}})["Item"]
        return {k: v.get("S") or v.get("N") for k, v in item.items() if k.startswith("dataset_") or k == "donated"}

    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    plain = _share(page)
    assert stored_donation(plain) == {}
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    donated = _share(page, donate=("CC-BY-4.0", "Ada L."))
    expect(page.get_by_role("dialog").locator(".donated")).to_contain_text("Donated under CC-BY-4.0")
    found = stored_donation(donated)
    assert (found["dataset_license"], found["dataset_attribution"]) == ("CC-BY-4.0", "Ada L.")
    assert found["dataset_pk"].startswith("dataset#") and found["donated"]
    page.close()


def test_a_real_kind_of_conversation_reads_on_our_page_as_it_did_on_chatgpt(extension):
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{RICH_ID}")
    page.get_by_role("button", name="Share this conversation").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".summary")).to_have_text(
        "Will publish: 4 turns, 1 image, 1 file (name only), 1 reasoning summary, 2 tool steps.")
    expect(dialog.get_by_label("Include reasoning and tool steps")).to_be_checked()
    dialog.get_by_role("button", name="Share", exact=True).click()
    dialog.locator(".link").wait_for()
    cid = dialog.locator(".link").get_attribute("data-id")
    stored = _stored(cid)
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert "PRIVATE" not in json.dumps(stored) and "RAW SEARCH RESULTS" not in json.dumps(stored)
    assert "Successfully created" not in json.dumps(stored) and "sandbox:" not in json.dumps(stored)

    reader = extension.new_page()
    reader.goto(f"{SITE}/c/{cid}")
    answer = reader.locator(".msg.assistant").first
    # Math is MathML the browser lays out itself: no script, no font download.
    assert answer.locator("math").count() == 3
    expect(answer.locator('math[display="block"] mfrac')).to_have_count(1)
    # Reasoning, the code run and the search are one closed group under ChatGPT's label; the answer reads first.
    work = answer.locator("details.work")
    expect(work.locator(":scope > summary")).to_have_text("Thought for 12s")
    expect(work.get_by_text("It shows x^2")).to_be_hidden()
    work.locator(":scope > summary").click()
    reasoning = work.locator("details.reasoning")
    reasoning.locator("summary").click()
    expect(reasoning.get_by_text("It shows x^2")).to_be_visible()
    expect(answer.locator("details.code-run summary")).to_have_text("Ran python code")
    expect(answer.locator(".tool-step")).to_have_text("Searched the web: quadratic formula")  # one line: no links
    # The canvas document, in its final version, with a copy button.
    document = answer.locator("section.document")
    expect(document.locator("h3")).to_have_text("worked solution")
    expect(document.get_by_text("Factor the left side: (x-2)(x-3) = 0")).to_be_visible()
    expect(document.get_by_role("button", name="Copy the document worked solution")).to_be_visible()
    # Citations are links; the sandbox file is its name.
    expect(answer.get_by_role("link", name="Wikipedia")).to_have_attribute(
        "href", "https://en.wikipedia.org/wiki/Quadratic_formula")
    expect(answer.get_by_text("solution.pdf")).to_be_visible()
    # The photo is a named placeholder, the file a chip; voice turns are marked spoken.
    question = reader.locator(".msg.user").first
    expect(question.get_by_role("img", name="Image: whiteboard.jpeg")).to_be_visible()
    expect(question.locator(".file-chip")).to_contain_text("notes.pdf")
    expect(reader.locator(".msg.user .spoken")).to_have_count(1)
    assert "PRIVATE" not in reader.content()
    reader.close()

    # The switch off: the answer without its steps.
    page.reload()
    page.get_by_role("button", name="Share this conversation").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Include reasoning and tool steps").uncheck()
    dialog.get_by_role("button", name="Share", exact=True).click()
    dialog.locator(".link").wait_for()
    lean = _stored(dialog.locator(".link").get_attribute("data-id"))
    assert [b["type"] for b in lean["messages"][1]["content"]] == ["document", "text"]
    page.close()


def test_images_are_fetched_uploaded_and_shown_from_the_media_origin_only(extension):
    """A user's photo and a generated image are fetched through ChatGPT's download API, uploaded straight to
    storage, and shown on our page; the expired third one is a named placeholder, and the dialog says so."""
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{IMAGES_ID}")
    page.get_by_role("button", name="Share this conversation").click()
    dialog = page.get_by_role("dialog")
    note = dialog.locator(".images-note")
    expect(note).to_have_text(re.compile(r"^\(2 images, \d+ KB; 1 could not be fetched and will show by name\)$"))
    expect(dialog.get_by_label("Include images")).to_be_checked()
    dialog.get_by_role("button", name="Share", exact=True).click()
    dialog.locator(".link").wait_for()
    cid = dialog.locator(".link").get_attribute("data-id")
    images = [b for m in _stored(cid)["messages"] for b in (m.get("content") or []) if isinstance(b, dict)
              and b.get("type") == "image"]
    assert [bool(b.get("media")) for b in images] == [True, True, False]
    assert images[0]["media"].endswith(".jpg") and (images[0]["width"], images[0]["height"]) == (120, 90)
    assert images[1]["media"].endswith(".png") and (images[1]["width"], images[1]["height"]) == (96, 64)
    assert "fetch" not in json.dumps(images)

    reader = extension.new_page()
    origins: set[str] = set()
    reader.on("request", lambda request: origins.add("/".join(request.url.split("/")[:3])))
    reader.goto(f"{SITE}/c/{cid}")
    shown = reader.locator("figure.image img")
    expect(shown).to_have_count(2)
    for index in range(2):
        img = shown.nth(index)
        img.scroll_into_view_if_needed()
        reader.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert shown.first.get_attribute("loading") == "lazy" and shown.first.get_attribute("width") == "120"
    expect(reader.get_by_role("img", name="Image: Generated image")).to_have_count(1)  # the expired one
    media_origin = ENV["AWS_ENDPOINT_URL"]
    assert origins <= {SITE, media_origin}, origins
    reader.set_viewport_size({"width": 375, "height": 800})  # a phone: the photo fits, nothing scrolls sideways
    assert reader.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert shown.first.evaluate("img => img.getBoundingClientRect().width <= 375")
    reader.close()

    # The switch off: every image is a placeholder, nothing is uploaded.
    page.reload()
    page.get_by_role("button", name="Share this conversation").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".images-note")).not_to_have_text("fetching…")
    dialog.get_by_label("Include images").uncheck()
    dialog.get_by_role("button", name="Share", exact=True).click()
    dialog.locator(".link").wait_for()
    lean = _stored(dialog.locator(".link").get_attribute("data-id"))
    assert not [b for m in lean["messages"] for b in (m.get("content") or []) if isinstance(b, dict) and b.get("media")]
    page.close()


def test_a_share_made_while_signed_in_to_the_site_is_owned(extension):
    """The extension uses the site's session (its cookies) when there is one, and works anonymously when not."""
    import uuid

    site = extension.new_page()
    site.goto(f"{SITE}/signup")
    site.get_by_label("Email").fill(f"ext-{uuid.uuid4().hex[:8]}@example.test")
    site.get_by_label("Name shown on your comments").fill("Extension user")
    site.get_by_label("Password (at least 8 characters)").fill("a long password")
    site.get_by_role("button", name="Create account").click()
    site.wait_for_url(f"{SITE}/mine")
    chat_page = extension.new_page()
    chat_page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    owned = _share(chat_page)
    site.goto(f"{SITE}/mine")
    assert site.locator("#owned-list .card").evaluate_all("cards => cards.map(c => c.dataset.id)") == [owned]
    site.get_by_role("link", name="Account").click()
    site.get_by_role("button", name="Sign out").click()
    site.wait_for_url(f"{SITE}/")
    chat_page.reload()
    anonymous = _share(chat_page)
    assert _stored(anonymous)["id"] == anonymous
    from chalicelib.models import ConversationMeta
    assert ConversationMeta.get(owned, "meta").user_key is not None
    assert ConversationMeta.get(anonymous, "meta").user_key is None
    site.close()
    chat_page.close()


def test_partial_selection_public_and_an_edited_title(extension):
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    cid = _share(page, uncheck=[2, 3], public=True, title="Just the first answer")
    stored = _stored(cid)
    assert [m["content"] for m in stored["messages"]] == [m["content"] for m in EXPECTED_BRANCH[:2]]
    assert stored["visibility"] == "public" and stored["title"] == "Just the first answer"
    newest = requests.get(f"{SITE}/api/conversations", params={"type": "new"}, timeout=30).json()
    assert newest[0]["id"] == cid
    page.close()


def test_open_opens_the_page_with_the_delete_key_in_the_fragment(extension):
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    cid = _share(page, uncheck=[1, 2, 3])
    with extension.expect_page() as opened:
        page.get_by_role("dialog").get_by_role("button", name="Open").click()
    shared = opened.value
    # The key left the address bar (polled from here: the page's CSP forbids evaluated strings).
    expect(shared).to_have_url(f"{SITE}/c/{cid}")
    expect(shared.locator("#delete")).to_be_visible()  # the page can offer Delete too, once the key checks out
    shared.close()
    page.close()


def test_page_fallback_when_the_json_request_fails(extension):
    """The JSON is unreadable: the page itself is read into the same typed blocks the readers make (Turndown,
    bundled): the user's image and text; the answer as Markdown, its code fenced without the site's copy bar,
    its math as TeX, its table as a table."""
    site_state["backend"] = "500"
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    stored = _stored(_share(page))
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    user, answer = stored["messages"]
    assert [b["type"] for b in user["content"]] == ["image", "text"]
    assert user["content"][1]["text"] == "How do I add numbers in Python?"
    assert user["content"][0]["media"] and 'src="' in user["html"]  # fetched from the page and uploaded
    (text,) = [b["text"] for b in answer["content"] if b["type"] == "text"]
    assert text.startswith("Use `+`, from the page.")
    assert "```python\nprint(1 + 2)\n```" in text and "Copy code" not in text
    # Math from the page is KaTeX's TeX source, never its rendered HTML flattened to letters.
    assert "Here \\(x^2\\)." in text and "\\[a = b\\]" in text
    assert "katex" not in text and "msupsub" not in text
    assert "| Operator | Meaning |" in text and "| `-` | subtract |" in text
    assert re.search(r"^-\s+Works on \*\*ints\*\*$", text, re.M)
    assert '<code class="language-python">' in answer["html"] and "<table>" in answer["html"]
    assert "<math" in answer["html"]  # the TeX drawn as MathML by the server
    assert stored["model"] == "GPT-4.1 mini" and stored["title"] == "Adding numbers in Python"  # its public name
    page.close()


def test_claude_page_fallback_reads_blocks_too(extension):
    """Claude's page, read when its API fails: turns in order, the answer's Markdown from its rendered HTML,
    code fenced in its language (Claude's copy button left out)."""
    site_state["backend"] = "500"
    page = extension.new_page()
    page.goto(f"https://claude.ai/chat/{CLAUDE_ID}")
    stored = _stored(_share(page))
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["messages"][0]["content"] == [{"type": "text", "text": "Write a haiku about tides."}]
    answer = stored["messages"][3]["content"]
    assert [b["type"] for b in answer] == ["text", "document", "text"]
    text = answer[0]["text"]
    assert text.startswith("Here it is as code:") and "```python\nprint(\"Moon pulls the sea back\")\n```" in text
    assert "Copy" not in text and re.search(r"^1\.\s+Moon$", text, re.M)
    assert "\npython\n" not in text, text  # the code block's language label is not a paragraph
    # The artifact's card: a document with the card's title and kind, where the page showed it; no stray lines.
    assert answer[1] == {"type": "document", "title": "Tide haiku page", "format": "code", "language": "html",
                         "content": ""}
    assert answer[2] == {"type": "text", "text": "Open it to see the waves move."}
    html = stored["messages"][3]["html"]
    assert "<h3>Tide haiku page</h3>" in html and "Code · html · its content was not shared" in html
    page.close()


def _texts(message: dict) -> str:
    return "\n\n".join(b["text"] for b in message["content"] if b["type"] == "text")


def _deepseek_page_read(stored: dict) -> None:
    """DeepSeek's page (tests/fixtures/deepseek_page.html): the thought a reasoning step under its header, code
    from a bare <pre> fenced in the banner's language, without the banner's Copy and Download."""
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    asked = "How do I reverse a list in Python?\nWithout changing the original, please."
    assert stored["messages"][0]["content"] == _text(asked)  # its line break kept
    answer = stored["messages"][1]["content"]
    assert [b["type"] for b in answer] == ["reasoning", "text"]
    assert answer[0]["title"] == "Thought for 4 seconds" and answer[0]["text"].startswith("They want a copy")
    text = answer[1]["text"]
    assert text.startswith("Use a slice, which makes a **new** list:")
    assert "```python\nitems = [1, 2, 3]\nbackwards = items[::-1]\n```" in text
    assert "| `items[::-1]` | yes |" in text
    assert "Copy" not in text and "Download" not in text and "\npython\n" not in text
    assert _texts(stored["messages"][3]) == "The same slice works: `t[::-1]` returns a new tuple."
    assert stored["title"] == "Reversing a list"


def _grok_page_read(stored: dict) -> None:
    """Grok's page: rows by alignment, the thinking panel left out, code from a <code> laid out as a block
    (no <pre>), its language from the bar above it."""
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    assert stored["messages"][0]["content"] == _text("What learning rate should I start a 7B pretraining run with?")
    text = _texts(stored["messages"][1])
    assert [b["type"] for b in stored["messages"][1]["content"]] == ["text"]
    assert text.startswith("Start around **3e-4** with warmup, then cosine decay:")
    assert "```python\npeak_lr = 3e-4\nwarmup_steps = 2000\n```" in text and "| 65B | 1.5e-4 |" in text
    assert "LLaMA-style" not in json.dumps(stored) and "Thought for" not in json.dumps(stored)
    assert "Copy" not in text and "\npython\n" not in text
    assert stored["title"] == "Pretraining a 7B model"


def _gemini_page_read(stored: dict) -> None:
    """Gemini's page: the person's lines without the "You said" only screen readers hear, no "Gemini said",
    the collapsed thoughts left out, code fenced in the language its bar names (its <code> names none)."""
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["messages"][0]["content"] == _text('Translate "Where is the station?" into German.\nKeep it polite.')
    assert _texts(stored["messages"][1]) == "Politely: **Entschuldigung, wo ist der Bahnhof?**"
    text = _texts(stored["messages"][3])
    assert '```python\nquestion = "Entschuldigung, wo ist der Bahnhof?"\nprint(question)\n```' in text
    assert re.search(r"^-\s+Bahnhof: station$", text, re.M)
    everything = json.dumps(stored)
    assert all(label not in everything for label in ("You said", "Gemini said", "Show thinking", "Copy code"))
    # The tab says only "Gemini" (the list call failed with the read): the title is the first question's words.
    assert "\nPython\n" not in text
    assert stored["title"] == 'Translate "Where is the station?" into German. Keep it polite.'


def _perplexity_page_read(stored: dict) -> None:
    """Perplexity's page, both of its layouts of a query: the answers' Markdown, math as TeX."""
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["messages"][0]["content"] == _text("Which apps report traffic police checkpoints?")
    assert stored["messages"][2]["content"] == _text("Are they legal in Germany?")
    text = _texts(stored["messages"][1])
    assert re.search(r"^1\.\s+\*\*Waze\*\* \(community reports\)$", text, re.M) and "\\(v = d/t\\)" in text
    assert "katex" not in text and "v=d/t" not in text
    assert _texts(stored["messages"][3]) == "No: using them while driving is *prohibited* in Germany."


# Each newer site's page, read when its JSON cannot be had: the address, and what the stored share must be.
PAGE_READS = {
    "deepseek": ("https://chat.deepseek.com/a/chat/s/{DEEPSEEK_ID}", _deepseek_page_read),
    "grok": ("https://grok.com/c/{GROK_ID}", _grok_page_read),
    "gemini": ("https://gemini.google.com/app/{GEMINI_ID}", _gemini_page_read),
    "perplexity": ("https://www.perplexity.ai/search/{PERPLEXITY_SLUG}", _perplexity_page_read),
}


def page_read_url(source: str) -> str:
    return PAGE_READS[source][0].format(DEEPSEEK_ID=DEEPSEEK_ID, GROK_ID=GROK_ID, GEMINI_ID=GEMINI_ID,
                                        PERPLEXITY_SLUG=PERPLEXITY_SLUG)


@pytest.mark.parametrize("source", sorted(PAGE_READS))
def test_the_newer_sites_pages_are_read_when_their_json_fails(extension, source):
    site_state["backend"] = "500"
    page = extension.new_page()
    page.goto(page_read_url(source))
    stored = _stored(_share(page))
    assert stored["source"] == source
    PAGE_READS[source][1](stored)
    page.close()


def test_deepseek_shares_the_branch_on_screen_and_our_page_names_it(extension):
    page = extension.new_page()
    page.goto(f"https://chat.deepseek.com/a/chat/s/{DEEPSEEK_ID}")
    cid = _share(page)
    stored = _stored(cid)
    assert stored["source"] == "deepseek" and stored["title"] == "test_chat"
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    assert [b["type"] for b in stored["messages"][1]["content"]] == ["tool", "reasoning", "text"]
    assert "[citation:" not in json.dumps(stored)
    shown = extension.new_page()
    shown.goto(f"{SITE}/c/{cid}")
    expect(shown.locator(".meta .source")).to_have_text("DeepSeek")
    shown.close()
    page.close()


def test_grok_shares_with_its_searches_and_citations(extension):
    page = extension.new_page()
    page.goto(f"https://grok.com/c/{GROK_ID}")
    stored = _stored(_share(page))
    assert stored["source"] == "grok" and stored["model"] == "Grok 3"
    assert stored["title"] == "Pretraining a 7B model"
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    answer = stored["messages"][1]["content"]
    assert answer[0]["type"] == "reasoning" and sum(b["type"] == "tool" for b in answer) == 6
    assert "<grok:" not in json.dumps(stored) and "medium.com/illumination" in answer[-1]["text"]
    page.close()


def test_gemini_shares_through_its_own_batchexecute_call(extension):
    page = extension.new_page()
    page.goto(f"https://gemini.google.com/app/{GEMINI_ID}")
    stored = _stored(_share(page))
    assert stored["source"] == "gemini" and stored["model"] == "Gemini 3 Pro"
    # Named as the app's list names it (the tab only says "Gemini"), not by its first words.
    assert stored["title"] == "Hadith Authenticity and Narrator Discrepancies"
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["messages"][3]["content"][0]["type"] == "reasoning"
    page.close()


def test_perplexity_shares_its_thread_with_numbered_sources(extension):
    page = extension.new_page()
    page.goto(f"https://www.perplexity.ai/search/{PERPLEXITY_SLUG}")
    stored = _stored(_share(page))
    assert stored["source"] == "perplexity" and stored["model"] == "Perplexity Pro"
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    answer = stored["messages"][1]["content"][-1]["text"]
    assert "[1](https://baike.pcauto.com.cn/433730.html)" in answer and "Sources:" in answer
    page.close()


def test_each_site_may_have_images_fetched_only_from_its_own_hosts(extension):
    """The background fetches an image for a chat site's content script only from that site's own hosts: a
    script on Grok's page cannot have it fetch from ChatGPT's file host (or anywhere else)."""
    fetch = "([url, site]) => image(url, site).then((answer) => answer.ok ? 'ok' : answer.error.kind)"
    worker = extension.worker
    assert worker.evaluate(fetch, ["https://files.oaiusercontent.com/file-1?sig=x", "grok.com"]) == "refused"
    assert worker.evaluate(fetch, ["https://assets.grok.com/users/u/img.png", "chatgpt.com"]) == "refused"
    assert worker.evaluate(fetch, ["https://evil.example/x.png", "gemini.google.com"]) == "refused"
    assert worker.evaluate(fetch, ["http://assets.grok.com/x.png", "grok.com"]) == "refused"  # https only
    # Its own host is tried (unreachable from the test machine: nothing leaves it).
    assert worker.evaluate(fetch, ["https://assets.grok.com/users/u/img.png", "grok.com"]) != "refused"


def test_the_bundled_turndown_is_the_maintained_library_unchanged():
    """extension/vendor/ holds npm's turndown and turndown-plugin-gfm as published (package.json pins them)."""
    root = Path(__file__).resolve().parent.parent
    assert (root / "extension/vendor/turndown.js").read_bytes() == \
        (root / "node_modules/turndown/lib/turndown.browser.umd.js").read_bytes()
    assert (root / "extension/vendor/turndown-plugin-gfm.js").read_bytes() == \
        (root / "node_modules/turndown-plugin-gfm/dist/turndown-plugin-gfm.js").read_bytes()
    manifest = json.loads((root / "extension/manifest.json").read_text())
    for script in manifest["content_scripts"]:
        assert script["js"][:2] == ["vendor/turndown.js", "vendor/turndown-plugin-gfm.js"]


def test_claude_shares_the_current_branch(extension):
    page = extension.new_page()
    page.goto(f"https://claude.ai/chat/{CLAUDE_ID}")
    stored = _stored(_share(page))
    assert [(m["role"], m["content"]) for m in stored["messages"]] == [
        ("user", _text("Write a haiku about tides.")),
        ("assistant", _text("Moon pulls the sea back\nsand remembers every wave\nthen forgets again")),
        ("user", _text("Now one about rain.")),
        ("assistant", _text("Rain on the tin roof", "counting what the clouds forgot"))]
    assert (stored["title"], stored["model"], stored["source"]) == ("Haiku about tides", "Claude Sonnet 4", "claude")
    page.close()


def test_a_claude_screenshot_is_shared_as_an_image(extension):
    page = extension.new_page()
    page.goto(f"https://claude.ai/chat/{CLAUDE_IMAGE_ID}")
    stored = _stored(_share(page))
    (image,) = [b for b in stored["messages"][0]["content"] if b["type"] == "image"]
    assert image["name"] == "screenshot.png" and image["media"].endswith(".png")
    assert (image["width"], image["height"]) == (96, 64)  # the bytes' size, not the asset's claim
    page.close()


def test_the_button_survives_client_side_navigation(extension):
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    page.get_by_role("button", name="Share this conversation").wait_for()
    # The site re-renders its header and changes the URL without a page load.
    page.evaluate(f"""() => {{
        history.pushState({{}}, '', '/c/{SECOND_ID}');
        const header = document.createElement('header');
        header.id = 'page-header';
        document.getElementById('page-header').replaceWith(header);
        document.title = 'Second conversation';
    }}""")
    page.wait_for_function("document.querySelector('#page-header sgpt-action') !== null")
    stored = _stored(_share(page))
    assert stored["title"] == "Second conversation" and stored["model"] == "GPT-4o mini"
    assert [m["content"] for m in stored["messages"]] == [_text("Second question"), _text("Second answer")]
    # Off a conversation (the home page) the button hides.
    page.evaluate("history.pushState({}, '', '/')")
    page.wait_for_function("document.querySelector('sgpt-action').shadowRoot.querySelector('.share').hidden")
    page.close()


def test_the_shortcut_and_context_menu_path_opens_the_dialog(extension):
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    page.get_by_role("button", name="Share this conversation").wait_for()
    # What the keyboard command and the context-menu item do: message the tab's content script.
    extension.worker.evaluate("""async () => {
        const [tab] = await chrome.tabs.query({url: 'https://chatgpt.com/*'});
        await chrome.tabs.sendMessage(tab.id, {type: 'open-share'});
    }""")
    page.get_by_role("dialog").locator("#sgpt-title").wait_for()
    assert page.get_by_role("dialog").locator("#sgpt-title").input_value() == "Adding numbers in Python"
    page.close()


def test_failures_are_explained_in_the_page(extension, monkeypatch):
    page = extension.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    site_state["session"] = {}
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    page.get_by_role("button", name="Share this conversation").click()
    assert "Sign in to ChatGPT" in _error_text(page)

    site_state.update(DEFAULTS, backend="404", page="empty")
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    page.get_by_role("button", name="Share this conversation").click()
    assert "not found" in _error_text(page)

    site_state.update(DEFAULTS)
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    page.get_by_role("button", name="Share this conversation").click()
    page.get_by_role("dialog").locator("#sgpt-title").fill("x" * 2001)
    page.get_by_role("dialog").get_by_role("button", name="Share", exact=True).click()
    assert "The server refused: title: String should have at most 2000 characters" in _error_text(page)

    # Rate-limited: fill this client's window (all extension shares come from 127.0.0.1), then share.
    from chalicelib import settings, stage_secrets
    from chalicelib.clientip import ip_hash
    from chalicelib.models import Counter

    cfg = settings.get()
    now = time.time()
    key = f"rl#create#{ip_hash('127.0.0.1', stage_secrets.ip_hash_salt())}#{int(now // cfg.create_window_seconds)}"
    Counter(key, n=cfg.create_limit, expires=datetime.fromtimestamp(now + 700, tz=timezone.utc)).save()
    try:
        page.get_by_role("dialog").locator("#sgpt-title").fill("fine title")
        page.get_by_role("dialog").get_by_role("button", name="Share", exact=True).click()
        page.get_by_role("dialog").get_by_role("alert").filter(has_text="Try again in").wait_for()
        assert page.get_by_role("dialog").get_by_role("alert").get_attribute("data-kind") == "rate-limited"
    finally:
        Counter(key).delete()

    # Server unreachable: point the extension at a port nobody listens on.
    dead = f"http://127.0.0.1:{devstack.free_port()}"
    extension.worker.evaluate(f"chrome.storage.local.set({{server: '{dead}'}})")
    try:
        page.get_by_role("dialog").get_by_role("button", name="Share", exact=True).click()
        page.get_by_role("dialog").get_by_role("alert").filter(has_text="could not be reached").wait_for()
    finally:
        extension.worker.evaluate(f"chrome.storage.local.set({{server: '{SITE}'}})")
    assert dialogs == []  # messages in the page, never alert()
    page.close()


def test_popup_lists_copies_and_deletes(extension):
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    cid = _share(page, title="Popup managed share")
    popup = extension.new_page()
    popup.goto(f"chrome-extension://{extension.ext_id}/popup.html")
    item = popup.locator(f"li[data-id='{cid}']")
    assert item.locator(".title").inner_text() == "Popup managed share"
    assert popup.locator("#server").inner_text() == f"Server: {SITE}"
    item.get_by_role("button", name="Copy: Popup managed share").click()
    assert popup.evaluate("navigator.clipboard.readText()") == f"http://s.test/{cid}"
    item.get_by_role("button", name="Delete: Popup managed share").click()
    item.get_by_role("button", name="Cancel: Popup managed share").click()  # it asks first: nothing deleted
    assert requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).status_code == 200
    item.get_by_role("button", name="Delete: Popup managed share").click()
    item.get_by_role("button", name="Yes, delete: Popup managed share").click()
    popup.locator("#status").filter(has_text="Deleted").wait_for()
    assert popup.locator(f"li[data-id='{cid}']").count() == 0
    assert requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).status_code == 404
    popup.close()
    page.close()


def test_options_check_the_server_before_saving(extension):
    options = extension.new_page()
    options.goto(f"chrome-extension://{extension.ext_id}/options.html")
    assert options.locator("#server").input_value() == SITE
    options.locator("#server").fill(f"http://127.0.0.1:{devstack.free_port()}")
    options.get_by_role("button", name="Save and check").click()
    options.locator("#status.error").filter(has_text="could not be reached").wait_for()
    assert extension.worker.evaluate("chrome.storage.local.get('server').then(s => s.server)") == SITE
    options.locator("#server").fill(f"{SITE}/")
    options.get_by_role("button", name="Save and check").click()
    options.locator("#status").filter(has_text="public conversations").wait_for()
    assert extension.worker.evaluate("chrome.storage.local.get('server').then(s => s.server)") == SITE
    options.close()


def test_make_extension_builds_a_zip_per_store(tmp_path):
    import subprocess
    import sys

    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_extension.py"), "--out", str(tmp_path)],
                   check=True, env=ENV)
    chrome = zipfile.ZipFile(tmp_path / "sharegpt-chrome.zip")
    firefox = zipfile.ZipFile(tmp_path / "sharegpt-firefox.zip")
    for archive in (chrome, firefox):
        assert {"manifest.json", "content.js", "background.js", "popup.html", "options.html",
                "sites/common.js", "sites/chatgpt.js"} <= set(archive.namelist())
    chrome_manifest = json.loads(chrome.read("manifest.json"))
    firefox_manifest = json.loads(firefox.read("manifest.json"))
    assert chrome_manifest["background"] == {"service_worker": "background.js"}
    assert "browser_specific_settings" not in chrome_manifest
    # Firefox's event page loads the chat sites' files first (their image hosts); Chrome's worker imports them.
    assert firefox_manifest["background"] == {"scripts": ["sites/common.js", *SITE_FILES, "background.js"]}
    assert firefox_manifest["browser_specific_settings"]["gecko"]["id"]


def test_the_firefox_package_passes_mozillas_linter(tmp_path):
    import subprocess
    import sys

    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_extension.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    linter = ROOT / "node_modules" / ".bin" / "addons-linter"
    result = subprocess.run([str(linter), str(tmp_path / "sharegpt-firefox.zip"), "--output", "json"],
                            capture_output=True, text=True, timeout=120)
    report = json.loads(result.stdout)
    assert report["errors"] == [] and report["warnings"] == [], report


def test_a_script_on_the_chat_page_cannot_press_share(extension):
    """Synthetic clicks (isTrusted false) are ignored, even where the page can reach the button."""
    page = extension.new_page()
    page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
    page.wait_for_function("document.querySelector('sgpt-action') !== null")
    page.evaluate("""() => {
        const button = document.querySelector('sgpt-action').shadowRoot.querySelector('.share');
        button.click();
        button.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    }""")
    page.wait_for_timeout(300)  # the dialog would open at once; give it the chance to be wrong
    assert page.get_by_role("dialog").count() == 0
    page.close()


def test_the_page_cannot_reach_or_press_the_interface(playwright, chalice_local, tmp_path_factory):
    """The real build: the shadow root is closed to the page, and a synthetic click on the host does nothing."""
    context = launch(playwright, tmp_path_factory, EXTENSION)
    try:
        page = context.new_page()
        page.goto(f"https://chatgpt.com/c/{CHATGPT_ID}")
        page.wait_for_function("document.querySelector('sgpt-action') !== null")
        assert page.evaluate("document.querySelector('sgpt-action').shadowRoot") is None
        box = page.locator("sgpt-action").bounding_box()
        assert box and box["width"] > 0
        # An open dialog's overlay covers the viewport: the middle of the page then belongs to the host.
        covered = "document.elementFromPoint(innerWidth / 2, innerHeight / 2)?.tagName === 'SGPT-ACTION'"
        page.evaluate("document.querySelector('sgpt-action').click()")
        page.wait_for_timeout(300)  # the dialog would open at once; give it the chance to be wrong
        assert page.evaluate(covered) is False
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a person's click
        page.wait_for_function(covered)
    finally:
        context.close()
