"""/import (issue 14): a ChatGPT or Claude data export read in the browser, listed, searched, previewed, and the
chosen conversations shared (with an image from the zip); nothing else of the export leaves the page. The
exports are built here from the real-shaped fixtures in tests/fixtures/chats."""
from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import media_files
import pytest
import requests
from conftest import ARTIFACTS, ENV, SITE, serious_violations
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CHATS = Path(__file__).parent / "fixtures" / "chats"
CHATGPT = ["chatgpt_imagegen_user_images.json", "chatgpt_export_image.json", "chatgpt_voice.json",
           "chatgpt_reasoning_branch.json", "chatgpt_browsing_citations.json", "chatgpt_agent_canvas_python.json",
           "chatgpt_files_tether_quote.json"]
PHOTO_ID = "file_0000000059f871fd99dc5787ebecec17"  # the user's photo in the wheelchair-ramp conversation
SECRET = "private-person@example.test"  # in user.json: must never leave the page


def _chatgpt_zip(path: Path, photo: bytes | None = None) -> Path:
    """An export as ChatGPT sends it: conversations.json, the account's user.json, chat.html, and the user's
    uploaded image named by its file id (`photo`, or a phone photo of 160 x 120)."""
    conversations = [json.loads((CHATS / name).read_text()) for name in CHATGPT]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps(conversations))
        archive.writestr("user.json", json.dumps({"id": "user-abc", "email": SECRET, "phone_number": "+15550100"}))
        archive.writestr("chat.html", "<html><body>all my chats</body></html>")
        archive.writestr(f"{PHOTO_ID}-7d0c6a7e-1f0b-4a4e-9f51-1c9e7e3b2f10.webp",
                         photo or media_files.phone_jpeg(160, 120, 1))
    return path


def _rows(page) -> list[str]:
    return page.locator("#import-list .import-title").all_inner_texts()


@pytest.fixture()
def page(browser, chalice_local):
    context = browser.new_context(base_url=chalice_local, viewport={"width": 375, "height": 800})
    yield context.new_page()
    context.close()


def test_an_export_is_listed_searched_previewed_and_the_chosen_conversations_shared(page, tmp_path):
    export = _chatgpt_zip(tmp_path / "chatgpt-export.zip")
    sent: list[tuple[str, str, bytes]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data_buffer or b"")))
    page.goto("/")
    page.get_by_role("link", name="Share from your ChatGPT, Claude, DeepSeek or Grok data export").click()
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#status")).to_have_text("7 conversations read from your export, with 1 image.")
    titles = _rows(page)
    assert titles[0] == "Wheelchair ramp design" and titles[-1] == "Oscar for Rental Webshop"  # newest first
    expect(page.locator("#import-list li").first.locator(".meta")).to_have_text("27 Jan 2026 · ChatGPT · 30 turns")

    page.get_by_label("Search titles").fill("ALTERNATOR")
    assert _rows(page) == ["Alternator upgrade success"]
    page.get_by_label("Search titles").fill("")
    page.get_by_role("button", name="Preview Wheelchair ramp design").click()
    preview = page.locator("#import-preview")
    expect(preview.locator(".summary")).to_contain_text("Will publish: 30 turns, 3 images")
    expect(preview).to_contain_text("1 of 3 images found in the export.")

    page.get_by_role("checkbox", name="Wheelchair ramp design").check()
    page.get_by_role("checkbox", name="Alternator upgrade success").check()
    page.get_by_role("button", name="Share 2 selected").click()
    expect(page.locator("#import-results li[data-id]")).to_have_count(2, timeout=30_000)
    expect(page.locator("#status")).to_have_text("Done: 2 of 2 shared. They are in My shares.")
    ids = page.locator("#import-results li[data-id]").evaluate_all("items => items.map(i => i.dataset.id)")

    ramp = requests.get(f"{SITE}/api/conversations/{ids[0]}", timeout=30).json()
    assert ramp["title"] == "Wheelchair ramp design"
    images = [b for m in ramp["messages"] for b in (m.get("content") or []) if isinstance(b, dict)
              and b.get("type") == "image"]
    assert [bool(b.get("media")) for b in images] == [True, False, False]  # the one the zip holds
    assert (images[0]["width"], images[0]["height"]) == (160, 120)

    # Nothing of the export went anywhere but these two creates and the one image's upload.
    posts = [(url, body) for method, url, body in sent if method == "POST"]
    creates = [json.loads(body) for url, body in posts if url == f"{SITE}/api/conversations"]
    assert sorted(c["title"] for c in creates) == ["Alternator upgrade success", "Wheelchair ramp design"]
    everything = b"".join(body for _, body in posts)
    for other in ("Oscar for Rental Webshop", "Format story with codeblocks", "Review provided files", SECRET,
                  "all my chats"):
        assert other.encode() not in everything
    media_origin = ENV["AWS_ENDPOINT_URL"]
    assert {url.split("/")[2] for url, _ in posts} <= {SITE.split("/")[2], media_origin.split("/")[2]}
    assert [url for url, _ in posts if url.startswith(media_origin)] != []  # the photo went to storage

    # Their pages show them; My shares holds their keys.
    page.goto(f"/c/{ids[0]}")
    expect(page.locator("figure.image img")).to_have_count(1)
    page.goto("/mine")
    expect(page.locator(f"#mine-list .card[data-id='{ids[-1]}']")).to_have_count(1)
    listed = page.locator("#mine-list .card").evaluate_all("cards => cards.map(c => c.dataset.id)")
    assert set(ids) <= set(listed)


def test_a_claude_export_json_is_listed_and_shared_into_the_signed_in_account(page, tmp_path):
    import uuid

    page.goto("/signup")
    page.get_by_label("Email").fill(f"import-{uuid.uuid4().hex[:8]}@example.test")
    page.get_by_label("Name shown on your comments").fill("Importer")
    page.get_by_label("Password (at least 8 characters)").fill("a long password")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/mine")
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps([json.loads((CHATS / n).read_text())
                                  for n in ("claude_export_thinking_search.json", "claude_api_text.json")]))
    page.goto("/import")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#status")).to_have_text("2 conversations read from your export.")
    assert _rows(page) == ["Identifying potential defects", "Create Google Document"]
    expect(page.locator("#import-list li").first.locator(".meta")).to_have_text("12 Apr 2026 · Claude · 4 turns")
    page.get_by_role("checkbox", name="Create Google Document").check()
    page.get_by_role("button", name="Share 1 selected").click()
    expect(page.locator("#import-results li[data-id]")).to_have_count(1, timeout=30_000)
    cid = page.locator("#import-results li[data-id]").get_attribute("data-id")
    stored = requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()
    assert stored["source"] == "claude" and len(stored["messages"]) == 6
    page.goto("/mine")  # shared while signed in: the account's, on every device
    assert page.locator("#owned-list .card").evaluate_all("cards => cards.map(c => c.dataset.id)") == [cid]


def _grok_export(path: Path) -> Path:
    """Grok's "Download your data" zip: ttl/30d/export_data/<uuid>/prod-grok-backend.json, snake case with BSON
    dates, as described from a real export (SHAPES.md); its one conversation is the load-responses fixture's."""
    from datetime import datetime

    responses = json.loads((CHATS / "grok_websearch_citations.json").read_text())["responses"]

    def bson(iso: str | None) -> dict | None:
        if not iso:
            return None
        ms = int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
        return {"$date": {"$numberLong": str(ms)}}

    def response(r: dict) -> dict:
        return {"_id": r["responseId"], "message": r["message"], "model": r["model"],
                "sender": "human" if r["sender"] == "human" else "assistant", "create_time": bson(r["createTime"]),
                "parent_response_id": r.get("parentResponseId"), "web_search_results": r["webSearchResults"],
                "steps": r["steps"], "card_attachments_json": r["cardAttachmentsJson"], "generated_image_urls": [],
                "thinking_start_time": bson(r.get("thinkingStartTime")),
                "thinking_end_time": bson(r.get("thinkingEndTime"))}

    entry = {"conversation": {"id": "8e2a7b1c-4d5e-4f60-9a1b-2c3d4e5f6a7b", "title": "Pretraining a 7B model",
                              "create_time": "2026-04-02T06:26:13.519Z"},
             "responses": [{"response": response(r), "share_link": None} for r in responses]}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ttl/30d/export_data/0b1c2d3e/prod-grok-backend.json",
                         json.dumps({"conversations": [entry], "projects": [], "tasks": [], "media_posts": []}))
        archive.writestr("ttl/30d/export_data/0b1c2d3e/prod-mc-asset-server/a1/content", b"\x89PNG not read")
    return path


def _share_the_one_conversation(page, export: Path, title: str, meta: str) -> dict:
    """Open an export of one conversation, check how it is listed, share it: what the server stored."""
    page.goto("/import")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#status")).to_have_text("1 conversation read from your export.")
    assert _rows(page) == [title]
    expect(page.locator("#import-list li").first.locator(".meta")).to_have_text(meta)
    page.get_by_role("checkbox", name=title).check()
    page.get_by_role("button", name="Share 1 selected").click()
    expect(page.locator("#import-results li[data-id]")).to_have_count(1, timeout=30_000)
    cid = page.locator("#import-results li[data-id]").get_attribute("data-id")
    return requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()


def test_a_grok_export_is_listed_and_shared(page, tmp_path):
    stored = _share_the_one_conversation(page, _grok_export(tmp_path / "grok.zip"), "Pretraining a 7B model",
                                         "02 Apr 2026 · Grok · 2 turns")
    assert stored["source"] == "grok" and stored["model"] == "Grok 3" and len(stored["messages"]) == 2
    assert sum(b["type"] == "tool" for b in stored["messages"][1]["content"]) == 6
    assert "<grok:" not in json.dumps(stored)


def test_a_deepseek_export_is_listed_and_shared(page, tmp_path):
    """DeepSeek's export zip (conversations.json and the account's user.json): its conversation is listed as
    DeepSeek's, not taken for ChatGPT's (both keep a `mapping`), and shared with its thinking, searches and
    resolved citations; nothing of user.json leaves the page."""
    from export_files import deepseek_conversation

    envelope = json.loads((CHATS / "deepseek_branches_edits_think.json").read_text())
    path = tmp_path / "deepseek_data.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps([deepseek_conversation(envelope)]))
        archive.writestr("user.json", json.dumps({"user_id": "u-1", "email": SECRET, "mobile": "+8613800000000"}))
    sent: list[bytes] = []
    page.on("request", lambda r: sent.append(r.post_data_buffer or b""))
    stored = _share_the_one_conversation(page, path, "test_chat", "22 Nov 2025 · DeepSeek · 2 turns")
    assert stored["source"] == "deepseek" and [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    assert [b["type"] for b in stored["messages"][1]["content"]] == ["tool", "reasoning", "text"]
    assert "[citation:" not in json.dumps(stored)
    assert not any(SECRET.encode() in body for body in sent)


@pytest.mark.parametrize("name, content, message", [
    ("broken.zip", b"PK\x03\x04" + bytes(range(256)) * 4, "This file is not a readable zip archive."),
    ("other.zip", None, "There is no conversations.json in this zip: is it a ChatGPT, Claude, DeepSeek or Grok data "
                        "export?"),
    ("conversations.json", b'{"hello": "world"}', "This JSON is not a ChatGPT, Claude or DeepSeek export: its "
                                                  "conversations.json is a list of conversations."),
    ("conversations.json", b"[1, 2, 3]", "This JSON is not a ChatGPT, Claude or DeepSeek export."),
    ("conversations.json", b'[{"title": "x", "mapping": {', "The export is damaged or cut short."),
    ("notes.txt", b"just some notes", "This JSON is not a ChatGPT, Claude or DeepSeek export: its conversations.json "
                                      "is a list of conversations."),
], ids=["not-a-zip", "zip-without-export", "object", "numbers", "cut-short", "text"])
def test_a_file_that_is_not_an_export_gets_a_clear_message(page, tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("photos/holiday.txt", "not an export")
    else:
        path.write_bytes(content)
    sent: list[str] = []
    page.goto("/import")
    page.on("request", lambda r: sent.append(r.method))
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(path)
    expect(page.get_by_role("alert")).to_have_text(message)
    assert "POST" not in sent
    assert page.locator("#import-list-section").is_hidden()


def _big_export(path: Path, target: int = 50 * 2**20) -> int:
    """A synthetic ChatGPT export of about `target` bytes of conversations.json: real-shaped conversations of
    varied words, so it compresses like text does."""
    rng = random.Random(14)
    vocabulary = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))))
                  for _ in range(5000)]
    template = json.loads((CHATS / "chatgpt_voice.json").read_text())
    count, size = 0, 0
    buffer = io.StringIO()
    buffer.write("[")
    while size < target:
        text = " ".join(rng.choices(vocabulary, k=2500))
        conversation = dict(template, title=f"Synthetic conversation {count}: {' '.join(rng.choices(vocabulary, k=4))}",
                            create_time=1_700_000_000 + count, id=f"synthetic-{count}")
        mapping = json.loads(json.dumps(template["mapping"]))
        for node in mapping.values():
            message = node.get("message")
            if message and message.get("author", {}).get("role") == "assistant":
                for index, part in enumerate(message["content"].get("parts") or []):
                    if isinstance(part, str):
                        message["content"]["parts"][index] = text
                break
        conversation["mapping"] = mapping
        chunk = ("," if count else "") + json.dumps(conversation)
        buffer.write(chunk)
        size += len(chunk)
        count += 1
    buffer.write("]")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("conversations.json", buffer.getvalue())
    return count


def test_a_50_mb_export_lists_without_freezing_the_page(browser, chalice_local, tmp_path):
    export = tmp_path / "big-export.zip"
    count = _big_export(export)
    context = browser.new_context(base_url=chalice_local)
    # Every task that held the main thread more than 50 ms, from the first moment of the page.
    context.add_init_script("""
        window.__longest = 0;
        new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) window.__longest = Math.max(window.__longest, entry.duration);
        }).observe({ type: "longtask", buffered: true });
    """)
    page = context.new_page()
    page.goto("/import")
    page.wait_for_timeout(200)  # the page's own load is not what is measured: settle it first
    page.evaluate("window.__longest = 0")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#import-bar")).to_be_visible()
    expect(page.locator("#status")).to_have_text(f"{count:,} conversations read from your export.", timeout=180_000)
    expect(page.locator("#import-list li")).to_have_count(200)
    page.get_by_label("Search titles").fill("conversation 77:")
    expect(page.locator("#import-list li")).to_have_count(1)
    longest = page.evaluate("window.__longest")
    print(f"50 MB export: {count} conversations, longest main-thread task {longest:.0f} ms")
    assert longest < 200, longest
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_import_page_is_accessible_narrow_and_keyboard_usable(browser, chalice_local, tmp_path, scheme):
    export = _chatgpt_zip(tmp_path / "export.zip")
    context = browser.new_context(base_url=chalice_local, color_scheme=scheme, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto("/import")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#import-list li")).to_have_count(7)
    # Keyboard only: focus the search box, type, tab to the first result's checkbox and tick it with Space.
    page.get_by_label("Search titles").focus()
    page.keyboard.type("Alternator")
    expect(page.locator("#import-list li")).to_have_count(1)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="Alternator upgrade success")).to_be_checked()
    expect(page.get_by_role("button", name="Share 1 selected")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / f"import-375-{scheme}.png"), full_page=True)
    assert serious_violations(page) == []
    context.close()



# ---------------------------------------------------------------- what the import must survive (issue 20)

def _zip_entries(path: Path, entries: list[tuple[str, bytes, int]]) -> None:
    """A zip written by hand, so that its directory can lie: (name, deflated bytes, the size it claims)."""
    import struct

    local, directory, offset = b"", b"", 0
    for name, data, claimed in entries:
        encoded = name.encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, len(data), claimed, len(encoded), 0)
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, 0, len(data), claimed,
                                 len(encoded), 0, 0, 0, 0, 0, offset) + encoded
        local += header + encoded + data
        offset += len(header) + len(encoded) + len(data)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), offset, 0)
    path.write_bytes(local + directory + end)


def _deflate(*parts: bytes, zeros: int = 0) -> bytes:
    import zlib

    squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = b"".join(squeeze.compress(part) for part in parts)
    block = bytes(2**20)
    for _ in range(zeros // 2**20):
        out += squeeze.compress(block)
    return out + squeeze.flush()


def test_an_image_whose_zip_entry_lies_about_its_size_stops_inflating_at_the_limit(page, tmp_path):
    """The directory says 100 bytes; the entry inflates to 400 MB. The worker stops at 10 MB, and the share
    says which image is a placeholder and why; nothing of it is sent."""
    conversations = json.dumps([json.loads((CHATS / "chatgpt_imagegen_user_images.json").read_text())]).encode()
    export = tmp_path / "lying-export.zip"
    _zip_entries(export, [("conversations.json", _deflate(conversations), len(conversations)),
                          (f"{PHOTO_ID}-photo.jpg", _deflate(media_files.phone_jpeg(), zeros=400 * 2**20), 100)])
    assert export.stat().st_size < 2 * 2**20
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    page.goto("/import")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#status")).to_have_text("1 conversation read from your export, with 1 image.")
    page.get_by_role("button", name="Preview Wheelchair ramp design").click()
    expect(page.locator("#import-preview")).to_contain_text("0 of 3 images found in the export.", timeout=20_000)
    page.get_by_role("checkbox", name="Wheelchair ramp design").check()
    page.get_by_role("button", name="Share 1 selected").click()
    expect(page.locator("#import-results li[data-id]")).to_have_count(1, timeout=30_000)
    note = page.locator("#import-results .import-placeholders")
    expect(note).to_contain_text("(over 10 MB)")
    expect(note).to_contain_text("(not in the export)")
    assert not [url for url in sent if url.endswith("/api/media")]  # nothing asked to upload it


def test_a_conversation_that_does_not_read_is_skipped_and_counted_not_the_whole_export(page, tmp_path):
    good = json.loads((CHATS / "chatgpt_voice.json").read_text())
    # A title no reader can turn into text (String() of it throws): the conversation cannot be read.
    bad = dict(good, id="unreadable", title={"toString": "not a function"})
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps([bad, good, dict(bad, id="unreadable-too")]))
    page.goto("/import")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#status")).to_have_text(
        "1 conversation read from your export. 2 could not be read and were skipped.")
    assert _rows(page) == [good["title"]]


def test_a_failed_image_upload_is_shown_with_a_way_to_retry(page, tmp_path):
    # A photo no other test published: its bytes must really be uploaded.
    export = _chatgpt_zip(tmp_path / "chatgpt-export.zip", media_files.phone_jpeg(150, 110, 1))
    storage = ENV["AWS_ENDPOINT_URL"]
    page.route(f"{storage}/**", lambda route: route.fulfill(status=503, body="Slow Down")
               if route.request.method == "POST" else route.continue_())
    page.goto("/import")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    page.get_by_role("checkbox", name="Wheelchair ramp design").check()
    page.get_by_role("button", name="Share 1 selected").click()
    failed = page.locator("#import-results li").first
    expect(failed.locator(".error")).to_contain_text(
        "Wheelchair ramp design: not shared, an image could not be uploaded:", timeout=30_000)
    expect(failed.locator(".error")).to_contain_text("(storage answered 503).")
    expect(page.locator("#status")).to_have_text("Done: 0 of 1 shared. 1 needs attention below.")
    assert page.locator("#import-results li[data-id]").count() == 0  # no share with a silent placeholder
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # 375 px: the buttons fit
    page.locator("#import-results").screenshot(path=str(ARTIFACTS / "import-failed-upload-375.png"))
    assert serious_violations(page) == []

    page.unroute(f"{storage}/**")
    failed.get_by_role("button", name="Try again").click()
    expect(page.locator("#import-results li[data-id]")).to_have_count(1, timeout=30_000)
    expect(page.locator("#status")).to_have_text("Done: 1 of 1 shared. They are in My shares.")
    cid = page.locator("#import-results li[data-id]").get_attribute("data-id")
    stored = requests.get(f"{SITE}/api/conversations/{cid}", timeout=30).json()
    images = [b for m in stored["messages"] for b in (m.get("content") or []) if isinstance(b, dict)
              and b.get("type") == "image"]
    assert [bool(b.get("media")) for b in images] == [True, False, False]


def test_opening_an_export_again_marks_what_this_browser_shared_from_it(page, tmp_path):
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps([json.loads((CHATS / n).read_text())
                                  for n in ("claude_export_thinking_search.json", "claude_api_text.json")]))
    page.goto("/import")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#import-list li")).to_have_count(2)
    expect(page.locator("#import-list .import-shared")).to_have_count(0)
    page.get_by_role("checkbox", name="Create Google Document").check()
    page.get_by_role("button", name="Share 1 selected").click()
    expect(page.locator("#import-results li[data-id]")).to_have_count(1, timeout=30_000)
    cid = page.locator("#import-results li[data-id]").get_attribute("data-id")

    page.reload()  # another visit, the same export
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(export)
    expect(page.locator("#import-list li")).to_have_count(2)
    marked = page.locator("#import-list li", has=page.locator(".import-shared"))
    expect(marked).to_have_count(1)
    expect(marked.locator(".import-title")).to_have_text("Create Google Document")
    assert marked.locator(".import-shared").get_attribute("href").endswith(f"/c/{cid}")


@pytest.mark.parametrize("kind", ["grok-brackets", "chatgpt-nesting", "chatgpt-endless-conversation"])
def test_a_crafted_zip_gets_a_sentence_not_a_crashed_tab(page, tmp_path, kind):
    """A small zip that inflates to tens of MB built to hurt: a Grok export of 60 MB of "[" (61 KB zipped),
    a conversations.json nesting "[" millions deep, one conversation that never closes. Each ends in a
    sentence, in seconds, and the page still works."""
    path = tmp_path / f"{kind}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if kind == "grok-brackets":
            archive.writestr("export/prod-grok-backend.json", "[" * (60 * 2**20))
        elif kind == "chatgpt-nesting":
            archive.writestr("conversations.json", '[{"title": "x", "mapping": ' + "[" * (40 * 2**20))
        else:
            archive.writestr("conversations.json", '[{"title": "x", "mapping": {}, "note": "' + "a" * (70 * 2**20))
    assert path.stat().st_size < 200_000
    page.goto("/import")
    page.get_by_label("Your export (.zip or conversations.json)").set_input_files(path)
    expected = ("over 64 MB" if kind == "chatgpt-endless-conversation"
                else "nests deeper than any chat export does")
    expect(page.get_by_role("alert")).to_contain_text(expected, timeout=30_000)
    expect(page.get_by_role("alert")).to_contain_text("cannot be read")
    # The page still answers: another file can be read.
    assert page.evaluate("1 + 1") == 2
    assert page.locator("#import-list-section").is_hidden()


def test_a_shared_link_can_be_copied_and_the_inputs_read_in_dark_mode(browser, chalice_local, tmp_path):
    context = browser.new_context(base_url=chalice_local, color_scheme="dark", viewport={"width": 375, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    stored = _share_the_one_conversation(page, _grok_export(tmp_path / "grok.zip"), "Pretraining a 7B model",
                                         "02 Apr 2026 · Grok · 2 turns")
    result = page.locator("#import-results li[data-id]")
    result.get_by_role("button", name="Copy the link to Pretraining a 7B model").click()
    assert page.evaluate("navigator.clipboard.readText()").endswith(stored["id"])
    # The search box is as readable as the page in dark mode (it looked disabled: light grey on dark).
    colours = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    body = page.evaluate(f"({colours})(document.body)")
    assert page.locator("#import-search").evaluate(colours) == body
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "import-dark-375.png"), full_page=True)
    context.close()
