"""The extension in real Firefox (Debian's firefox-esr, over WebDriver BiDi: tests/firefox_bidi.py), installed
from the built Firefox package (what users install), against `chalice local` + moto: the options page saves a
server with a port, the Share button appears on a ChatGPT page, and sharing creates the conversation."""
from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import SITE
from firefox_bidi import EXTENSION_UUID, FIREFOX, Firefox

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
ADDON_ID = json.loads((ROOT / "extension" / "manifest.json").read_text())["browser_specific_settings"]["gecko"]["id"]
OPTIONS = f"moz-extension://{EXTENSION_UUID}/options.html"


@pytest.fixture(scope="module")
def firefox_package(tmp_path_factory) -> Path:
    """dist/sharegpt-firefox.zip as `make extension` builds it."""
    from scripts.build_extension import build

    if not Path(FIREFOX).exists():  # CI installs it with Chromium (make browser-deps): missing is a failure
        pytest.fail("firefox-esr is not installed: make browser-deps installs it (Debian's security suite)")
    return next(p for p in build(tmp_path_factory.mktemp("dist")) if p.name == "sharegpt-firefox.zip")


@pytest.fixture()
def firefox(firefox_package):
    browser = Firefox(ADDON_ID)
    try:
        browser.install(firefox_package)
        yield browser
    finally:
        browser.stop()


def _save_server(firefox: Firefox, server: str) -> str:
    firefox.navigate(OPTIONS)
    firefox.wait_for("document.getElementById('server').value")  # the background answered with the default
    firefox.evaluate(f"(document.getElementById('server').value = {json.dumps(server)}, true)")
    firefox.click("document.querySelector('#form button').getBoundingClientRect().toJSON()")
    return firefox.wait_for("(t => t.startsWith('Saved') || document.getElementById('status')"
                            ".classList.contains('error') ? t : '')(document.getElementById('status').textContent)")


def test_the_options_page_saves_a_server_with_a_port(firefox, chalice_local):
    """Firefox answers permissions.contains false for http://127.0.0.1:8000/* although http://127.0.0.1/* was
    granted at install, and a permissions.request after an await is outside the click: the check never ended."""
    assert chalice_local.startswith("http://127.0.0.1:")  # a server on a port
    status = _save_server(firefox, chalice_local)
    assert status.startswith(f"Saved. {chalice_local} answers:"), status
    stored = firefox.evaluate("browser.storage.local.get('server')")
    assert stored == {"server": chalice_local}


FIXTURES = Path(__file__).parent / "fixtures"
CHATGPT_JSON = json.loads((FIXTURES / "chatgpt_conversation.json").read_text())
CHATGPT_ID = "6745f0c2-aaaa-8000-bbbb-000000000001"


def chatgpt(method: str, url: str) -> tuple[int, str, str | bytes]:
    """chatgpt.com as the tests answer it (as test_extension's route does for Chromium): conversations, the
    file download API and the image bytes behind it."""
    import test_extension as chromium

    path = url.split("chatgpt.com", 1)[1].split("?")[0]
    if path == "/api/auth/session":
        return 200, "application/json", json.dumps({"accessToken": "test-access-token"})
    if path == f"/backend-api/conversation/{CHATGPT_ID}":
        return 200, "application/json", json.dumps(CHATGPT_JSON)
    if path == f"/backend-api/conversation/{chromium.IMAGES_ID}":
        return 200, "application/json", json.dumps(chromium.IMAGES_JSON)
    if path.startswith("/backend-api/files/download/"):
        file_id = path.rsplit("/", 1)[1]
        if file_id not in chromium.IMAGE_BYTES:
            return 404, "application/json", json.dumps({"detail": "File not found"})
        return 200, "application/json", json.dumps({
            "status": "success", "download_url": f"https://chatgpt.com/backend-api/estuary/content?id={file_id}&sig=abc"})
    if path == "/backend-api/estuary/content":
        file_id = url.split("id=", 1)[1].split("&")[0]
        return 200, "image/png", chromium.IMAGE_BYTES[file_id]()
    if path.startswith("/c/"):
        return 200, "text/html; charset=utf-8", (FIXTURES / "chatgpt_page.html").read_text()
    return 404, "text/plain", ""


@pytest.fixture(scope="module")
def open_root_package(tmp_path_factory) -> Path:
    """The Firefox package built from the extension with its shadow root opened (test_extension does the same
    for Chromium: a closed root cannot be reached by the test; test_the_page_cannot_reach... keeps it closed)."""
    from test_extension import open_root_build

    from scripts.build_extension import build

    source = open_root_build(tmp_path_factory.mktemp("source"))
    return next(p for p in build(tmp_path_factory.mktemp("dist"), source) if p.name == "sharegpt-firefox.zip")


ROOT_OF = "document.querySelector('sgpt-action')?.shadowRoot"
# The dialog's Share button, scrolled into view (a long dialog can put it below the fold), as a box to click;
# only once the images note has its figures, as its new text can re-wrap the dialog and move the button.
SHARE_BUTTON = (f"(b => b && !{ROOT_OF}.querySelector('.images-note')?.textContent.startsWith('fetching') && "
                f"(b.scrollIntoView({{block: 'center'}}), b.getBoundingClientRect().toJSON()))"
                f"([...({ROOT_OF}?.querySelectorAll('.dialog button') || [])].find(b => b.textContent === 'Share'))")


@contextmanager
def share_dialog(package: Path, server: str, url: str, answer: Any) -> Iterator[Firefox]:
    """Firefox with the package installed and pointed at `server`, on the chat page `url` (its site answered by
    `answer`), the Share button pressed as a person presses it; stopped afterwards whatever happens."""
    browser = Firefox(ADDON_ID)
    try:
        browser.install(package)
        assert _save_server(browser, server).startswith("Saved")
        browser.intercept("/".join(url.split("/")[:3]) + "/", answer)
        browser.navigate(url)
        browser.click(f"{ROOT_OF}?.querySelector('.share:not([hidden])')?.getBoundingClientRect().toJSON()")
        yield browser
    finally:
        browser.stop()


def test_the_share_button_appears_and_sharing_creates_the_conversation(open_root_package, chalice_local):
    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    with share_dialog(open_root_package, chalice_local, url, chatgpt) as browser:
        # The dialog says what will be published before anything is.
        summary = browser.wait_for(f"{ROOT_OF}?.querySelector('.summary')?.textContent")
        assert summary == "Will publish: 4 turns.", summary
        browser.click(SHARE_BUTTON)
        cid = browser.wait_for(f"{ROOT_OF}?.querySelector('.link')?.dataset.id")
        # Open: our page, in a new tab, with the delete key in the fragment (which leaves the address bar).
        opened = (f"(b => b && b.getBoundingClientRect().toJSON())([...{ROOT_OF}.querySelectorAll('.dialog button')]"
                  ".find(b => b.textContent === 'Open'))")
        browser.click(opened)
        page = browser.wait_for_context(f"{SITE}/c/{cid}")
        assert browser.evaluate("document.querySelector('h1').textContent", page) == stored_title(cid)
        # The toolbar popup lists what this browser shared (its delete keys stay in the add-on's storage).
        browser.navigate(f"moz-extension://{EXTENSION_UUID}/popup.html")
        listed = browser.wait_for("[...document.querySelectorAll('#shares li')].map(li => li.textContent).join('|')")
        assert stored_title(cid) in listed
    stored = requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["source"] == "chatgpt" and stored["messages"][0]["content"][0]["text"] == \
        "How do I add numbers in Python?"


def test_a_share_is_donated_to_the_open_dataset_from_the_dialog_in_firefox(open_root_package, chalice_local, aws):
    """Issue 35 in Firefox: the donation is off until a person ticks it; the license and the name to credit
    chosen in the dialog reach the server, and the dialog says it is donated."""
    from conftest import TABLE_PREFIX

    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    with share_dialog(open_root_package, chalice_local, url, chatgpt) as browser:
        field = f"{ROOT_OF}.querySelector"
        browser.wait_for(f"{ROOT_OF}?.querySelector('.summary')?.textContent")  # the dialog is drawn
        assert browser.evaluate(f"!{field}('#sgpt-donate').checked && {field}('#sgpt-license').disabled")
        browser.click(f"{ROOT_OF}?.querySelector('#sgpt-donate')?.getBoundingClientRect().toJSON()")
        browser.wait_for(f"{field}('#sgpt-donate').checked && !{field}('#sgpt-license').disabled")
        # A <select>'s list is not page content to click: chosen as its change event says a person chose it.
        browser.evaluate(f"(s => (s.value = 'CC-BY-4.0', s.dispatchEvent(new Event('change')), true))"
                         f"({field}('#sgpt-license'))")
        browser.wait_for(f"!{field}('#sgpt-attribution').disabled")
        browser.evaluate(f"(i => (i.value = 'Ada L.', true))({field}('#sgpt-attribution'))")
        browser.click(SHARE_BUTTON)
        cid = browser.wait_for(f"{ROOT_OF}?.querySelector('.link')?.dataset.id")
        said = browser.wait_for(f"{ROOT_OF}?.querySelector('.donated')?.textContent")
        assert said.startswith("Donated under CC-BY-4.0"), said
    item = aws["dynamodb"].get_item(TableName=f"{TABLE_PREFIX}-conversations",
                                    Key={"id": {"S": cid}, "part": {"S": "meta"}})["Item"]
    assert (item["dataset_license"]["S"], item["dataset_attribution"]["S"]) == ("CC-BY-4.0", "Ada L.")
    assert item["dataset_pk"]["S"].startswith("dataset#")


def test_images_are_fetched_and_uploaded_in_firefox(open_root_package, chalice_local):
    """A user's photo and a generated image, fetched through ChatGPT's download API and uploaded by the
    background straight to storage; the expired third one stays a named placeholder."""
    import test_extension as chromium

    url = f"https://chatgpt.com/c/{chromium.IMAGES_ID}"
    with share_dialog(open_root_package, chalice_local, url, chatgpt) as browser:
        note = browser.wait_for(f"{ROOT_OF}?.querySelector('.images-note')?.textContent.includes('KB') && "
                                f"{ROOT_OF}.querySelector('.images-note').textContent")
        assert note.startswith("(2 images,") and "1 could not be fetched" in note
        browser.click(SHARE_BUTTON)
        cid = browser.wait_for(f"{ROOT_OF}?.querySelector('.link')?.dataset.id", timeout=40)
    images = [b for m in requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()["messages"]
              for b in m["content"] if b["type"] == "image"]
    assert [bool(b.get("media")) for b in images] == [True, True, False]
    assert (images[0]["width"], images[0]["height"]) == (120, 90) and images[1]["media"].endswith(".png")


def test_the_page_fallback_reads_blocks_in_firefox(open_root_package, chalice_local):
    """ChatGPT's JSON fails: the page is read with the bundled Turndown in Firefox's content-script world too
    (its UMD build attaches to the sandbox's global differently from Chromium's isolated world)."""
    def broken(method: str, url: str) -> tuple[int, str, str | bytes]:
        if "/backend-api/conversation/" in url:
            return 500, "application/json", json.dumps({"detail": "error"})
        return chatgpt(method, url)

    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    with share_dialog(open_root_package, chalice_local, url, broken) as browser:
        browser.click(SHARE_BUTTON)
        cid = browser.wait_for(f"{ROOT_OF}?.querySelector('.link')?.dataset.id", timeout=40)
    stored = requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()
    user, answer = stored["messages"]
    assert [b["type"] for b in user["content"]] == ["image", "text"] and user["content"][0]["media"]
    (text,) = [b["text"] for b in answer["content"] if b["type"] == "text"]
    assert "```python\nprint(1 + 2)\n```" in text and "| Operator | Meaning |" in text and "Copy code" not in text
    assert "Here \\(x^2\\)." in text


def test_failures_are_explained_in_firefox(open_root_package, chalice_local):
    """Signed out of the chat site, and a title the server refuses: the dialog says what is wrong."""
    def signed_out(method: str, url: str) -> tuple[int, str, str | bytes]:
        if url.startswith("https://chatgpt.com/api/auth/session"):
            return 200, "application/json", "{}"
        return chatgpt(method, url)

    alert = f"{ROOT_OF}?.querySelector('[role=alert]')?.textContent"
    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    with share_dialog(open_root_package, chalice_local, url, signed_out) as browser:
        assert "Sign in to ChatGPT" in browser.wait_for(alert)
    with share_dialog(open_root_package, chalice_local, url, chatgpt) as browser:
        browser.wait_for(f"Boolean({ROOT_OF}?.querySelector('#sgpt-title'))")
        browser.evaluate(f"Boolean(Object.assign({ROOT_OF}.querySelector('#sgpt-title'), {{value: 'x'.repeat(2001)}}))")
        browser.click(SHARE_BUTTON)
        assert "The server refused: title: String should have at most 2000 characters" in browser.wait_for(alert)


def stored_title(cid: str) -> str:
    return requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()["title"]


def test_a_hostile_page_cannot_reach_or_press_the_interface(firefox, chalice_local):
    """The real package: the shadow root is closed to the page, and the page's own synthetic click on the host
    opens nothing; a person's click does."""
    firefox.intercept("https://chatgpt.com/", chatgpt)
    firefox.navigate(f"https://chatgpt.com/c/{CHATGPT_ID}")
    firefox.wait_for("document.querySelector('sgpt-action') !== null")
    assert firefox.evaluate("document.querySelector('sgpt-action').shadowRoot") is None
    covered = "document.elementFromPoint(innerWidth / 2, innerHeight / 2)?.tagName === 'SGPT-ACTION'"
    firefox.evaluate("(document.querySelector('sgpt-action').click(), true)")
    firefox.evaluate("new Promise(r => setTimeout(r, 300)).then(() => true)")  # a chance to be wrong
    assert firefox.evaluate(covered) is False
    firefox.click("document.querySelector('sgpt-action').getBoundingClientRect().toJSON()")
    firefox.wait_for(covered)


def _claude(path: str) -> tuple[int, str, str]:
    import test_extension as chromium

    if path == "/api/organizations":
        return 200, "application/json", json.dumps([{"uuid": "org-1", "name": "Personal"}])
    if path == f"/api/organizations/org-1/chat_conversations/{chromium.CLAUDE_ID}":
        return 200, "application/json", json.dumps(chromium.CLAUDE_JSON)
    return 200, "text/html", (FIXTURES / "claude_page.html").read_text()


def _deepseek(path: str) -> tuple[int, str, str]:
    import test_extension as chromium

    if path == "/api/v0/chat/history_messages":
        return 200, "application/json", json.dumps(chromium.DEEPSEEK_JSON)
    script = "<script>localStorage.setItem('userToken', JSON.stringify({value: 'ds-user-token'}))</script>"
    return 200, "text/html", chromium._site_page("deepseek", script)


def _grok(path: str) -> tuple[int, str, str]:
    import test_extension as chromium

    responses = chromium.GROK_JSON["responses"]
    if path.endswith("/response-node"):
        return 200, "application/json", json.dumps({"responseNodes": [
            {"responseId": r["responseId"], "sender": r["sender"], "parentResponseId": r.get("parentResponseId")}
            for r in responses]})
    if path.endswith("/load-responses"):
        return 200, "application/json", json.dumps({"responses": responses})
    return 200, "text/html", chromium._site_page("grok")


def _gemini(path: str) -> tuple[int, str, str]:
    import test_extension as chromium

    if path == "/_/BardChatUi/data/batchexecute":
        return 200, "application/json; charset=utf-8", chromium.GEMINI_TEXT
    return 200, "text/html", chromium._site_page("gemini")


def _perplexity(path: str) -> tuple[int, str, str]:
    import test_extension as chromium

    if path.startswith("/rest/thread/"):
        return 200, "application/json", json.dumps(chromium.PERPLEXITY_JSON)
    return 200, "text/html", chromium._site_page("perplexity")


SITES = {"claude.ai": _claude, "chat.deepseek.com": _deepseek, "grok.com": _grok, "gemini.google.com": _gemini,
         "www.perplexity.ai": _perplexity}


def _site(method: str, url: str) -> tuple[int, str, str]:
    """Every chat site the readers support, answered as test_extension's routes answer them for Chromium."""
    host, _, rest = url.split("://", 1)[1].partition("/")
    return SITES[host]("/" + rest.split("?")[0]) if host in SITES else (404, "text/plain", "")


@pytest.mark.parametrize("url,source,turns", [
    ("https://claude.ai/chat/{CLAUDE_ID}", "claude", 4),
    ("https://chat.deepseek.com/a/chat/s/{DEEPSEEK_ID}", "deepseek", 2),
    ("https://grok.com/c/{GROK_ID}", "grok", 2),
    ("https://gemini.google.com/app/{GEMINI_ID}", "gemini", 4),
    ("https://www.perplexity.ai/search/{PERPLEXITY_SLUG}", "perplexity", 4)])
def test_every_other_supported_site_shares_in_firefox(open_root_package, chalice_local, url, source, turns):
    import test_extension as chromium

    target = url.format(**{name: getattr(chromium, name) for name in (
        "CLAUDE_ID", "DEEPSEEK_ID", "GROK_ID", "GEMINI_ID", "PERPLEXITY_SLUG")})
    with share_dialog(open_root_package, chalice_local, target, _site) as browser:
        browser.click(SHARE_BUTTON)
        cid = browser.wait_for(f"{ROOT_OF}?.querySelector('.link')?.dataset.id")
    stored = requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()
    assert stored["source"] == source and len(stored["messages"]) == turns


def _site_without_json(method: str, url: str) -> tuple[int, str, str]:
    """The newer sites with their JSON failing: only their pages can be read."""
    host, _, rest = url.split("://", 1)[1].partition("/")
    if host != "chatgpt.com" and re.match(r"(api|rest|_)/", rest):
        return 500, "application/json", json.dumps({"error": "unavailable"})
    return _site(method, url)


@pytest.mark.parametrize("source", ["deepseek", "gemini", "grok", "perplexity"])
def test_the_newer_sites_pages_are_read_in_firefox(open_root_package, chalice_local, source):
    """The same page readings as in Chromium, held to the same expectations, in Firefox's content-script world."""
    import test_extension as chromium

    with share_dialog(open_root_package, chalice_local, chromium.page_read_url(source), _site_without_json) as browser:
        browser.click(SHARE_BUTTON)
        cid = browser.wait_for(f"{ROOT_OF}?.querySelector('.link')?.dataset.id", timeout=40)
    stored = requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()
    assert stored["source"] == source
    chromium.PAGE_READS[source][1](stored)


def test_the_package_is_what_make_extension_builds(firefox_package):
    import zipfile

    with zipfile.ZipFile(firefox_package) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
    assert manifest["background"]["scripts"][-1] == "background.js" and manifest["manifest_version"] == 3
    assert {"content.js", "sites/common.js", "sites/grok.js", "vendor/turndown.js", "options.html"} <= names
    assert shutil.which("firefox-esr")
    assert requests.get(f"{SITE}/robots.txt", timeout=10).status_code == 200


def test_a_conversation_prints_as_a_document_and_continues_elsewhere_in_firefox(firefox, chalice_local):
    """The page's print stylesheet and its Continue in… menu, in Firefox: Firefox's own print to PDF holds the
    conversation's words and none of the page's controls, and the menu's links carry the conversation."""
    import base64
    import io
    from urllib.parse import parse_qs, urlsplit

    from pypdf import PdfReader

    created = requests.post(f"{SITE}/api/conversations", timeout=30, json={
        "title": "Printed in Firefox", "messages": [
            {"role": "user", "content": "Why is the sky blue?"},
            {"role": "assistant", "content": "Rayleigh scattering: see [the article](https://en.wikipedia.org/wiki/"
                                             "Rayleigh_scattering).\n\n```python\nprint('blue')\n```"}]}).json()
    firefox.navigate(f"{SITE}/c/{created['id']}")
    firefox.wait_for("document.getElementById('continue') && !document.getElementById('continue').hidden")
    firefox.click("document.querySelector('#continue summary').getBoundingClientRect().toJSON()")
    links = firefox.wait_for("[...document.querySelectorAll('#continue-links a')].map(a => [a.textContent, a.href])")
    named = dict(links)
    assert list(named) == ["ChatGPT", "Claude", "Grok", "Perplexity"]
    prompt = parse_qs(urlsplit(named["Claude"]).query)["q"][0]
    assert "User: Why is the sky blue?" in prompt and f"/c/{created['id']}" in prompt
    pdf = firefox.send("browsingContext.print", {"context": firefox.context, "background": True})["data"]
    pages = PdfReader(io.BytesIO(base64.b64decode(pdf))).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Printed in Firefox" in text and "Why is the sky blue?" in text and "print('blue')" in text
    assert "en.wikipedia.org/wiki/Rayleigh_scattering" in text.replace(" ", "")  # the link's address, printed
    for control in ("Copy link", "Print or save as PDF", "Continue in", "Explore", "Report abuse"):
        assert control not in text, control
