"""The extension's readers (extension/sites/) on real conversations (fixtures cut from real ChatGPT and Claude
answers and exports): every visible turn, in order, as blocks; nothing the sharer did not see."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

HERE = Path(__file__).resolve().parent
CHATS = HERE / "fixtures" / "chats"
NODE = shutil.which("node") or "node"


def read(site: str, source: Path | dict[str, Any], tmp_path: Path | None = None) -> dict[str, Any]:
    """What the extension would send for this chat JSON: {payload, summary, withoutSteps}."""
    if isinstance(source, dict):
        assert tmp_path is not None
        path = tmp_path / "chat.json"
        path.write_text(json.dumps(source))
        return _run(site, path)
    return json.loads(_read_fixture(site, source))  # a fresh copy: tests may change what they get


@cache
def _read_fixture(site: str, path: Path) -> str:
    return json.dumps(_run(site, path))


def _run(site: str, path: Path) -> dict[str, Any]:
    result = subprocess.run([NODE, str(HERE / "readers_cli.js"), site, str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((CHATS / name).read_text())


def blocks(payload: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for m in payload["messages"] for b in m["content"] if b["type"] == kind]


def texts_never_visible(data: dict[str, Any]) -> list[str]:
    """Long strings of everything a reader of the chat never saw: system and hidden messages, custom
    instructions, memory, tool answers (web pages, quoted files, errors, sandbox notices); a code run's output
    is shown (collapsed, under its code), as in the chat."""
    hidden = []
    for node in data["mapping"].values():
        message = node.get("message")
        if not message:
            continue
        content, metadata = message["content"], message.get("metadata") or {}
        invisible = (message["author"]["role"] in ("system", "tool")
                     or metadata.get("is_visually_hidden_from_conversation")
                     or content["content_type"] in ("user_editable_context", "model_editable_context"))
        if content["content_type"] == "execution_output" and not content.get("text", "").startswith("Code execution"):
            invisible = False
        if invisible:
            strings = [p for p in content.get("parts") or [] if isinstance(p, str)]
            for value in [content.get("text"), content.get("result"), content.get("user_profile"),
                          content.get("user_instructions"), *strings]:
                if isinstance(value, str):
                    hidden += [line.strip() for line in value.splitlines() if len(line.strip()) >= 40]
    return hidden


CHATGPT_FIXTURES = sorted(p.name for p in CHATS.glob("chatgpt_*.json"))


@pytest.mark.parametrize("name", CHATGPT_FIXTURES)
def test_nothing_the_reader_never_saw_is_published(name):
    data = fixture(name)
    payload = read("chatgpt", CHATS / name)["payload"]
    published = json.dumps(payload, ensure_ascii=False)
    leaked = [text for text in texts_never_visible(data) if json.dumps(text, ensure_ascii=False)[1:-1] in published]
    assert leaked == []
    assert not any(ch in published for ch in ("\ue200", "\ue201", "\ue202", "【")), "citation markers left"
    assert "sandbox:" not in "".join(b["text"] for b in blocks(payload, "text"))
    # Turns alternate: one user message, then one assistant message holding everything until the next question.
    roles = [m["role"] for m in payload["messages"]]
    assert all(a != b for a, b in zip(roles, roles[1:], strict=False)), roles


def test_voice_turns_are_text_marked_spoken():
    payload = read("chatgpt", CHATS / "chatgpt_voice.json")["payload"]
    # 36 turns, as ChatGPT shows them (the first reader kept 2; then 28, dropping the 4 spoken questions
    # ChatGPT kept no transcript of, which merged the replies around each into one bubble).
    assert len(payload["messages"]) == 36
    roles = [m["role"] for m in payload["messages"]]
    assert roles == ["user", "assistant"] * 18
    untranscribed = [m["content"] for m in payload["messages"]
                     if m["content"] == [{"type": "text", "text": "_Voice message (no transcript)_", "spoken": True}]]
    assert len(untranscribed) == 4
    first_user, first_answer = payload["messages"][0], payload["messages"][1]
    assert first_user["content"] == [{"type": "text", "text": first_user["content"][0]["text"], "spoken": True}]
    assert first_user["content"][0]["text"].startswith("So I got a new alternator")
    assert first_answer["content"][0]["spoken"] is True
    assert any(t["title"].startswith("Searched the web: 2006 Mustang") for t in blocks(payload, "tool"))
    assert payload["model"] == "GPT-5 Thinking"  # the name ChatGPT shows, not its slug


def test_canvas_code_runs_and_agent_steps():
    payload = read("chatgpt", CHATS / "chatgpt_agent_canvas_python.json")["payload"]
    published = json.dumps(payload)
    (document,) = blocks(payload, "document")
    # Titled as the app titles it (the canvas's answer), not by the call's internal name look_what_cat_picked.
    assert document["title"] == "Look What Cat Picked" and document["content"].startswith("# LOOK WHAT THE CAT")
    code = blocks(payload, "code")
    assert code and all(c["language"] == "python" for c in code)
    assert any(c.get("output") == "'/mnt/data/look_what_the_cat_cherry_picked.pdf'" for c in code)
    for plumbing in ("Successfully created text document", "Code execution state reset", "ModuleNotFoundError",
                     "textdoc_id", '"cmd"'):
        assert plumbing not in published, plumbing
    # Images the tools made are image blocks; screenshots of the agent's sandbox are not published.
    data = fixture("chatgpt_agent_canvas_python.json")
    made = [p for n in data["mapping"].values() if n.get("message") and n["message"]["author"]["role"] == "tool"
            and n["message"]["content"]["content_type"] == "multimodal_text"
            for p in n["message"]["content"]["parts"] if isinstance(p, dict)]
    images = blocks(payload, "image")
    assert len(images) == len(made) == 6 and "Generated image" in {i["name"] for i in images}
    assert "`look_what_the_cat_cherry_picked.pdf`" in published  # a sandbox link shows the file's name
    # Every assistant message is one turn, never a user turn followed by a user turn.
    assert payload["messages"][-1]["role"] == "assistant"


def test_an_uploaded_files_text_is_never_published_only_its_chip():
    data = fixture("chatgpt_files_tether_quote.json")
    quoted = [n["message"]["content"]["text"] for n in data["mapping"].values()
              if n.get("message") and n["message"]["content"]["content_type"] == "tether_quote"]
    payload = read("chatgpt", CHATS / "chatgpt_files_tether_quote.json")["payload"]
    published = json.dumps(payload, ensure_ascii=False)
    assert quoted and all(q.splitlines()[2] not in published for q in quoted if len(q.splitlines()) > 2)
    assert "PROGRESSION TIMELINE MASTER" not in published
    user = payload["messages"][0]
    files = [b for b in user["content"] if b["type"] == "file"]
    assert len(files) == 19 and len({f["name"] for f in files}) == 19  # attached through hidden messages, once each
    assert files[0] == {"type": "file", "name": "Forbidden_Modern_Terms_TeOga_Alternatives.md",
                        "mimeType": "text/markdown"}
    assert set(files[0]) <= {"type", "name", "mimeType", "size"}  # a chip: never the content


def test_the_visible_branch_and_an_answer_in_several_parts():
    data = fixture("chatgpt_reasoning_branch.json")
    payload = read("chatgpt", CHATS / "chatgpt_reasoning_branch.json")["payload"]
    last = payload["messages"][-1]["content"]
    assert [b["type"] for b in last] == ["reasoning", "text", "reasoning", "text"]
    assert last[0]["title"] == "Worked for 7 seconds" and "**Continuing the story**" in last[0]["text"]
    # commentary then final: separate blocks, so "…Debug Vault.**Chapter 5" can no longer be glued.
    assert last[3]["text"].startswith("**Chapter 5")
    # The other leaf's answer is not on the visible branch.
    other = [n for n in data["mapping"].values() if not n["children"] and n["id"] != data["current_node"]]
    assert other
    for node in other:
        for part in node["message"]["content"].get("parts") or []:
            if isinstance(part, str) and len(part) > 40:
                assert part[:60] not in json.dumps(payload, ensure_ascii=False)


def test_old_citations_become_links():
    payload = read("chatgpt", CHATS / "chatgpt_browsing_citations.json")["payload"]
    answer = payload["messages"][3]["content"][0]["text"]
    oscar = "[Oscar — django-oscar 3.2 documentation](https://django-oscar.readthedocs.io/en/stable/)"
    assert f"requirements well ({oscar})" in answer
    assert [t["title"] for t in blocks(payload, "tool")] == ["Read a web page", "Browsed the web"]
    assert payload["model"] == "GPT-4"


def test_images_keep_their_names_and_sizes():
    payload = read("chatgpt", CHATS / "chatgpt_export_image.json")["payload"]
    first = payload["messages"][0]["content"]
    assert first[0] == {"type": "image", "name": "BE5F438F-8A64-4D2D-A395-F81569CBD555.jpeg",
                        "width": 1536, "height": 1152}
    assert first[1]["text"].startswith("Interpret this painting")
    assert payload["model"] == "GPT-4o"
    assert read("chatgpt", CHATS / "chatgpt_export_image.json")["fetches"] == [
        "file-service://file-6y9faxjcnXrzx8UTUQepS7"]
    generated_read = read("chatgpt", CHATS / "chatgpt_imagegen_user_images.json")
    generated = generated_read["payload"]
    # Every image has a pointer the extension fetches its bytes by (the user's upload, the generated ones).
    assert len(generated_read["fetches"]) == 3
    assert all(f.startswith(("file-service://", "sediment://")) for f in generated_read["fetches"])
    names = [i["name"] for i in blocks(generated, "image")]
    assert names == ["aluminum-wheelchair-how-to-calculate-slope.webp", "Generated image", "Generated image"]
    assert not [t for t in blocks(generated, "tool") if "t2uay3k" in t["title"]]


@pytest.mark.parametrize("slug, name", [
    ("gpt-5-t-mini", "GPT-5 Thinking mini"), ("gpt-5-2-thinking", "GPT-5.2 Thinking"), ("gpt-4-1-mini", "GPT-4.1 mini"),
    ("gpt-4o", "GPT-4o"), ("gpt-5", "GPT-5"), ("gpt-5-mini-mini", None), ("text-davinci-002-render-sha", "GPT-3.5")])
def test_chatgpt_model_slugs_are_named_as_the_app_names_them(slug, name, tmp_path):
    data = fixture("chatgpt_export_image.json")
    for node in data["mapping"].values():
        if node.get("message"):
            node["message"]["metadata"]["model_slug"] = slug
    assert read("chatgpt", data, tmp_path)["payload"].get("model") == name


def test_the_model_falls_back_to_the_conversations_default():
    data = fixture("chatgpt_export_image.json")
    for node in data["mapping"].values():
        if node.get("message"):
            node["message"]["metadata"].pop("model_slug", None)
    data["default_model_slug"] = "gpt-4o-mini"
    assert read("chatgpt", data, Path(__import__("tempfile").mkdtemp()))["payload"]["model"] == "GPT-4o mini"


def test_claude_api_answer_and_export_without_a_current_leaf(tmp_path):
    api = read("claude", CHATS / "claude_api_text.json")["payload"]
    assert api["title"] == "Create Google Document" and len(api["messages"]) == 6
    assert api["source"] == "claude" and api["messages"][2]["content"] == [{"type": "text", "text": "hi"}]
    export = fixture("claude_export_thinking_search.json")
    # An older second branch: the newest leaf wins.
    stale = dict(export["chat_messages"][-1], uuid="stale-leaf", created_at="2020-01-01T00:00:00Z",
                 content=[{"type": "text", "text": "an abandoned older branch"}])
    export["chat_messages"].append(stale)
    read_back = read("claude", export, tmp_path)
    payload = read_back["payload"]
    published = json.dumps(payload)
    assert "abandoned older branch" not in published and len(payload["messages"]) == 4
    user, assistant = payload["messages"][0]["content"], payload["messages"][1]["content"]
    assert user[0] == {"type": "image", "name": "1776007249059_image.png"}
    assert [b["type"] for b in assistant] == ["reasoning", "tool", "reasoning", "tool", "reasoning", "text"]
    search = assistant[1]
    assert search["title"] == "Searched the web: Escher surrogate reaction Rev Mod Phys 84 353 2012"
    assert search["links"][0]["url"] == "https://journals.aps.org/rmp/abstract/10.1103/RevModPhys.84.353"
    assert read_back["summary"] == {"turns": 4, "images": 1, "files": 0, "reasoning": 4, "tools": 2}
    assert [b["type"] for b in read_back["withoutSteps"]["messages"][1]["content"]] == ["text"]


def test_claude_attachments_publish_names_never_their_extracted_text(tmp_path):
    data = fixture("claude_api_text.json")
    data["chat_messages"][0]["attachments"] = [{"file_name": "salary.xlsx", "file_size": 20480,
                                                "file_type": "application/vnd.ms-excel",
                                                "extracted_content": "Alice 120000 Bob 95000"}]
    data["chat_messages"][1]["content"].append({"type": "tool_use", "name": "artifacts", "id": "t1", "input": {
        "id": "plan", "type": "text/markdown", "title": "Plan", "command": "create", "content": "Step one"}})
    data["chat_messages"][5]["content"][0]["citations"] = [
        {"url": "https://en.wikipedia.org/wiki/Mind_uploading", "title": "Mind uploading", "start_index": 0},
        {"details": {"type": "web_search_citation", "url": "https://example.org/brain"}, "start_index": 9},
        {"url": "https://en.wikipedia.org/wiki/Mind_uploading", "title": "Mind uploading (again)"},
        {"url": "javascript:alert(1)", "title": "not a source"}]
    data["chat_messages"][3]["content"].append({"type": "tool_use", "name": "artifacts", "id": "t2", "input": {
        "id": "plan", "command": "update", "old_str": "one", "new_str": "two"}})
    payload = read("claude", data, tmp_path)["payload"]
    assert "Alice 120000" not in json.dumps(payload)
    assert {"type": "file", "name": "salary.xlsx", "mimeType": "application/vnd.ms-excel", "size": 20480} in \
        payload["messages"][0]["content"]
    (document,) = blocks(payload, "document")
    assert document == {"type": "document", "title": "Plan", "format": "markdown", "content": "Step two"}
    cited = payload["messages"][5]["content"][0]["text"]
    assert cited.endswith("Sources:\n\n1. [Mind uploading](https://en.wikipedia.org/wiki/Mind_uploading)\n"
                          "2. [https://example.org/brain](https://example.org/brain)")
    assert "javascript" not in cited


@pytest.mark.parametrize("site, name", [("chatgpt", n) for n in CHATGPT_FIXTURES] +
                         [("claude", "claude_api_text.json"), ("claude", "claude_export_thinking_search.json")])
def test_every_payload_is_a_valid_create_body(site, name):
    from chalicelib.validation import parse_create

    payload = read(site, CHATS / name)["payload"]
    request = parse_create(json.dumps(payload).encode(), 2000)
    assert request.messages is not None and len(request.messages) == len(payload["messages"])


@pytest.mark.parametrize("slug, shown", [
    ("text-davinci-002-render-sha", "GPT-3.5"),  # a 2023 conversation: ChatGPT showed "GPT-3.5" or nothing
    ("gpt-4-browsing", "GPT-4"), ("gpt-4o", "GPT-4o"), ("gpt-4-1-mini", "GPT-4.1 mini"),
    ("gpt-5", "GPT-5"), ("gpt-5-thinking", "GPT-5 Thinking"), ("gpt-5-2-thinking", "GPT-5.2 Thinking"),
    ("o3-mini-high", "o3-mini-high"), ("agent-mode", "Agent mode"),
    ("auto", None), ("research-preview-internal", None), ("", None),  # unknown: left out, never leaked
])
def test_the_model_is_the_name_the_site_shows_or_nothing(tmp_path, slug, shown):
    data = fixture("chatgpt_export_image.json")
    for node in data["mapping"].values():
        if node.get("message"):
            node["message"]["metadata"]["model_slug"] = slug
    data["default_model_slug"] = slug
    assert read("chatgpt", data, tmp_path)["payload"].get("model") == shown


@pytest.mark.parametrize("slug, shown", [
    ("claude-3-5-sonnet-20241022", "Claude 3.5 Sonnet"), ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5"),
    ("claude-opus-4-1-20250805", "Claude Opus 4.1"), ("claude-3-opus-20240229", "Claude 3 Opus"),
    ("claude-opus-4-5-20251101", "Claude Opus 4.5"), ("claude-haiku-4-5-20251001", "Claude Haiku 4.5"),
    ("claude-sonnet-4-20250514", "Claude Sonnet 4"), ("claude-3-7-sonnet-20250219", "Claude 3.7 Sonnet"),
    ("claude-opus-4-5", "Claude Opus 4.5"), ("claude-internal-eval", None),
])
def test_a_claude_model_is_its_public_name(tmp_path, slug, shown):
    assert read("claude", {**fixture("claude_api_text.json"), "model": slug}, tmp_path)["payload"].get("model") == shown


@pytest.mark.parametrize("slug, shown", [
    ("grok-3", "Grok 3"), ("grok-4", "Grok 4"), ("grok-4-heavy", "Grok 4 Heavy"), ("grok-3-mini", "Grok 3 Mini"),
    ("grok-4-fast", "Grok 4 Fast"), ("grok-internal-preview", None),
])
def test_a_grok_model_is_its_public_name(tmp_path, slug, shown):
    data = fixture("grok_websearch_citations.json")
    for response in data["responses"]:
        response["model"] = slug
    assert read("grok", data, tmp_path)["payload"].get("model") == shown


@pytest.mark.parametrize("slug, shown", [
    # The API's aliases moved from V3/R1 to V3.1 and V3.2: they do not say which model answered.
    ("deepseek-chat", None), ("deepseek-reasoner", None), ("", None), ("deepseek-v3.2", "DeepSeek-V3.2"),
    ("deepseek-r1", "DeepSeek-R1"),
])
def test_a_deepseek_model_is_named_only_when_its_version_is_known(tmp_path, slug, shown):
    data = fixture("deepseek_branches_edits_think.json")
    for message in data["data"]["biz_data"]["chat_messages"]:
        message["model"] = slug
    assert read("deepseek", data, tmp_path)["payload"].get("model") == shown


def test_the_conversations_own_date_is_sent_when_the_site_gives_it(tmp_path):
    chatgpt = read("chatgpt", CHATS / "chatgpt_voice.json")["payload"]
    assert chatgpt["startedAt"] == "2025-10-30T20:47:10.937Z"  # create_time 1761857230.937661
    assert read("claude", CHATS / "claude_export_thinking_search.json")["payload"]["startedAt"] \
        == "2026-04-12T15:21:03.426Z"
    assert read("claude", CHATS / "claude_api_text.json")["payload"]["startedAt"] == "2025-03-05T18:06:10.831Z"
    undated = fixture("chatgpt_voice.json")
    undated["create_time"] = "yesterday"
    assert "startedAt" not in read("chatgpt", undated, tmp_path)["payload"]


def test_a_file_marker_is_the_file_card_the_app_shows_never_raw():
    """Agent mode's answer says `{{file:file-2QL5…}}` where ChatGPT shows the PDF it made: the text is cut
    there and the file's chip (its name from the conversation's own references) stands between."""
    payload = read("chatgpt", CHATS / "chatgpt_agent_canvas_python.json")["payload"]
    assert "{{file:" not in json.dumps(payload)
    chip = {"type": "file", "name": "look_what_the_cat_cherry_picked_images.pdf", "mimeType": "application/pdf"}
    (answer,) = [m["content"] for m in payload["messages"] if m["role"] == "assistant" and chip in m["content"]]
    visible = [b for b in answer if b["type"] in ("text", "file")]
    kinds = [b["type"] for b in visible]
    assert kinds[kinds.index("file") - 1] == "text"
    assert visible[kinds.index("file") - 1]["text"].endswith("Grab the updated PDF here:")
    assert visible[kinds.index("file") + 1]["text"].startswith("Enjoy")
    # In a reasoning summary the marker reads as the file's name.
    assert any("`look_what_the_cat_cherry_picked_images.pdf`" in b["text"] for b in answer if b["type"] == "reasoning")


def test_an_image_the_agent_opened_again_is_shown_once(tmp_path):
    data = fixture("chatgpt_agent_canvas_python.json")
    shown = read("chatgpt", CHATS / "chatgpt_agent_canvas_python.json")["fetches"]
    # The same screenshot pointer answered twice, as an agent re-opening a file does.
    for node in list(data["mapping"].values()):
        message = node.get("message") or {}
        parts = (message.get("content") or {}).get("parts") or []
        if message.get("author", {}).get("role") == "tool" and any(
                isinstance(p, dict) and p.get("content_type") == "image_asset_pointer" for p in parts):
            message["content"]["parts"] = parts + parts
    assert read("chatgpt", data, tmp_path)["fetches"] == shown and len(shown) == len(set(shown)) == 6


def test_a_search_step_lists_the_pages_it_read_and_a_spoken_answer_its_source():
    """The voice chat's web search: the step lists the pages it read (ChatGPT's source list), and the spoken
    answer, whose transcript has no citation marker, keeps its source chip as a numbered source."""
    payload = read("chatgpt", CHATS / "chatgpt_voice.json")["payload"]
    (search,) = [b for b in blocks(payload, "tool") if b["title"].startswith("Searched the web: 2006 Mustang")]
    assert len(search["links"]) == 9 and all(link["url"].startswith("https://") for link in search["links"])
    forum = "https://www.s197forum.com/threads/06-mustang-gt-check-charging-system-and-battery-light-coming-on.79122/"
    assert search["links"][0]["url"].startswith(forum) and search["links"][0]["title"]
    cited = [b["text"] for b in blocks(payload, "text") if b.get("spoken") and "Sources:" in b["text"]]
    assert len(cited) == 1 and f"1. [06 mustang gt check charging system and battery light ...]({forum}" in cited[0]
    assert "\ue200" not in json.dumps(payload)


def test_a_reply_the_person_stopped_keeps_what_streamed_marked_stopped(tmp_path):
    """ChatGPT marks a reply its person stopped (finish_details: interrupted, client_stopped): what streamed
    until then is kept, "Stopped" after it; one stopped before anything streamed still is a turn, so two
    questions never sit side by side."""
    payload = read("chatgpt", CHATS / "chatgpt_imagegen_user_images.json")["payload"]
    stopped = [m["content"] for m in payload["messages"] if {"type": "text", "text": "_Stopped_"} in m["content"]]
    assert len(stopped) == 2
    for content in stopped:
        at = content.index({"type": "text", "text": "_Stopped_"})
        assert content[at - 1]["type"] == "text" and len(content[at - 1]["text"]) > 100  # the streamed part
    data = fixture("chatgpt_imagegen_user_images.json")
    for node in data["mapping"].values():
        message = node.get("message") or {}
        details = (message.get("metadata") or {}).get("finish_details") or {}
        if details.get("reason") == "client_stopped" and message["content"].get("parts"):
            message["content"]["parts"] = [""]  # stopped before a word streamed
    roles = [m["role"] for m in read("chatgpt", data, tmp_path)["payload"]["messages"]]
    assert all(a != b for a, b in zip(roles, roles[1:], strict=False)), roles


def test_a_canvas_rewrite_the_person_stopped_keeps_the_partial_document(tmp_path):
    """A whole-document rewrite stopped mid-stream: its JSON is cut off, the canvas showed the document as far
    as it streamed. That reply is kept (the partial document, then "Stopped"), so turns still alternate."""
    data = json.loads((HERE / "fixtures" / "chatgpt_rich_conversation.json").read_text())
    last = data["current_node"]
    data["mapping"][last]["children"] = ["u3"]
    data["mapping"]["u3"] = {"id": "u3", "parent": last, "children": ["rw"], "message": {
        "id": "u3", "create_time": 1760000020, "author": {"role": "user"}, "recipient": "all", "metadata": {},
        "content": {"content_type": "text", "parts": ["Rewrite the solution as a short story."]}}}
    cut = json.dumps({"updates": [{"pattern": ".*", "multiple": False,
                                   "replacement": "# A story\n\nOnce, x met two roots: x = 2 and x = \u00e9t\u00e9"}]})
    cut = cut[:cut.index("t\\u00e9") + 5]  # the stream stopped inside an escape (\\u00e of the second é)
    data["mapping"]["rw"] = {"id": "rw", "parent": "u3", "children": [], "message": {
        "id": "rw", "create_time": 1760000021, "author": {"role": "assistant"}, "recipient": "canmore.update_textdoc",
        "content": {"content_type": "code", "language": "json", "text": cut},
        "metadata": {"finish_details": {"type": "interrupted", "reason": "client_stopped"}}}}
    data["current_node"] = "rw"
    payload = read("chatgpt", data, tmp_path)["payload"]
    roles = [m["role"] for m in payload["messages"]]
    assert roles[-2:] == ["user", "assistant"] and all(a != b for a, b in zip(roles, roles[1:], strict=False))
    document, stopped = payload["messages"][-1]["content"]
    assert document["type"] == "document" and document["title"] == "worked solution"
    assert document["content"] == "# A story\n\nOnce, x met two roots: x = 2 and x = ét"
    assert stopped == {"type": "text", "text": "_Stopped_"}
    # The earlier version stays where it was made.
    assert blocks(payload, "document")[0]["content"].startswith("# Worked solution")


# ---------------------------------------------------------------- DeepSeek and Grok (issue 24)

SITE_MARKUP = ("[citation:", "[reference:", "<grok:", "</grok:", "<xai:", ")]}'")


def _no_site_markup(payload: dict[str, Any]) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    assert not [m for m in SITE_MARKUP if m in text], [m for m in SITE_MARKUP if m in text]
    assert not re.search("[\ue000-\uf8ff]", text)


def test_deepseek_follows_the_branch_on_screen_with_thinking_and_resolved_citations():
    """The real envelope (fragments schema): three roots (the first prompt edited twice) and regenerated
    answers; the branch on screen is current_message_id up to its root; THINK is reasoning with its time;
    [citation:N] becomes a link to result N, or nothing when no result has that number."""
    data = fixture("deepseek_branches_edits_think.json")
    payload = read("deepseek", CHATS / "deepseek_branches_edits_think.json")["payload"]
    assert payload["source"] == "deepseek" and payload["title"] == "test_chat"
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant"]
    shown = {m["message_id"]: m for m in data["data"]["biz_data"]["chat_messages"]}
    current = shown[data["data"]["biz_data"]["chat_session"]["current_message_id"]]
    root = shown[current["parent_id"]]
    assert payload["messages"][0]["content"] == [{"type": "text", "text": root["fragments"][0]["content"]}]
    tool, reasoning, answer = payload["messages"][1]["content"]
    assert tool["type"] == "tool" and [link["url"] for link in tool["links"]] == [
        "https://www.masterclass.com/articles/first-person-point-of-view",
        "https://en.wikipedia.org/wiki/First-person_narrative"]
    think = next(f for f in current["fragments"] if f["type"] == "THINK")
    assert reasoning == {"type": "reasoning", "title": f"Thought for {round(think['elapsed_secs'])}s",
                         "text": think["content"]}
    assert "([Wikipedia](https://en.wikipedia.org/wiki/First-person_narrative))" in answer["text"]
    assert answer["text"].endswith("a diary frame helps.")  # [citation:7] named no result: gone
    _no_site_markup(payload)
    # Another branch: the first answer of the first root, when it is the one on screen.
    data["data"]["biz_data"]["chat_session"]["current_message_id"] = 2
    other = read("deepseek", data["data"]["biz_data"], Path(__import__("tempfile").mkdtemp()))["payload"]
    assert [m["role"] for m in other["messages"]] == ["user", "assistant"]
    assert other["messages"][1]["content"][0]["text"].startswith(shown[2]["fragments"][0]["content"][:40])


def test_deepseek_reads_the_flat_schema_too(tmp_path):
    """The older flat messages (content, thinking_content, search_results, tips): the same blocks; DeepSeek's
    own UI tips are not content; an INCOMPLETE answer is kept as what the person saw."""
    data = fixture("deepseek_branches_edits_think.json")
    for message in data["data"]["biz_data"]["chat_messages"]:
        fragments = message.pop("fragments")
        text = {f["type"]: f for f in fragments}
        message["content"] = (text.get("REQUEST") or text.get("RESPONSE") or {}).get("content", "")
        if "THINK" in text:
            message["thinking_content"] = text["THINK"]["content"]
            message["thinking_elapsed_secs"] = text["THINK"]["elapsed_secs"]
        if "SEARCH" in text:
            message["search_results"] = text["SEARCH"]["results"]
        message["tips"] = [{"type": "TIP", "position": "BOTTOM", "content": "DeepSeek can make mistakes."}]
    current = data["data"]["biz_data"]["chat_session"]["current_message_id"]
    next(m for m in data["data"]["biz_data"]["chat_messages"] if m["message_id"] == current)["status"] = "INCOMPLETE"
    payload = read("deepseek", data, tmp_path)["payload"]
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant"]
    kinds = [b["type"] for b in payload["messages"][1]["content"]]
    assert kinds == ["reasoning", "tool", "text"]
    assert "DeepSeek can make mistakes" not in json.dumps(payload)
    assert "([MasterClass](https://www.masterclass.com/articles/first-person-point-of-view))" in \
        payload["messages"][1]["content"][2]["text"]
    _no_site_markup(payload)


def test_grok_reads_the_branch_its_searches_and_its_citation_cards():
    """load-responses (real shape): the human turn, then the answer with its thinking time as reasoning, one
    tool step per web search with the pages it found, and every <grok:render> citation card resolved into a
    link titled as the search result with that URL."""
    data = fixture("grok_websearch_citations.json")
    payload = read("grok", CHATS / "grok_websearch_citations.json")["payload"]
    assert payload["source"] == "grok" and payload["model"] == "Grok 3"
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant"]
    assert payload["messages"][0]["content"] == [{"type": "text", "text": data["responses"][0]["message"]}]
    answer = payload["messages"][1]["content"]
    assert answer[0] == {"type": "reasoning", "title": "Thought for 3s", "text": ""}  # a label: no thoughts shared
    tools = [b for b in answer if b["type"] == "tool"]
    cards = [s for s in data["responses"][1]["steps"] if "tool_usage_card" in s["tags"]]  # not raw results
    assert len(tools) == len(cards) == 6 and all(t["links"] for t in tools)
    assert tools[0]["title"].startswith("Searched the web: when will training 7B")
    text = answer[-1]["text"]
    assert text.count("](https://") == len(data["responses"][1]["cardAttachmentsJson"])
    assert "([How Far Can a 7B Model Really Go in 2026? I Tested It ...](https://medium.com/" in text
    _no_site_markup(payload)


def test_grok_follows_the_newest_branch_given_the_tree(tmp_path):
    data = fixture("grok_websearch_citations.json")
    human, first = data["responses"]
    second = {**first, "responseId": "regen-1", "message": "A shorter answer, regenerated.", "steps": [],
              "cardAttachmentsJson": [], "createTime": "2026-04-02T06:30:00.000Z"}
    data["responses"].append(second)
    nodes = {"responseNodes": [{"responseId": r["responseId"], "sender": r["sender"],
                                "parentResponseId": r.get("parentResponseId")} for r in data["responses"]]}
    path = tmp_path / "grok.json"
    path.write_text(json.dumps(data))
    payload = read("grok", path)["payload"]
    assert payload["messages"][-1]["content"][-1]["text"] == "A shorter answer, regenerated."
    assert nodes["responseNodes"][2]["parentResponseId"] == human["responseId"]


def test_gemini_reads_batchexecute_oldest_first_with_the_chosen_draft_and_its_thoughts():
    """hNvQHb's raw answer (")]}'", length lines, positional arrays, turns newest first): turns in order, the
    draft the app chose (not the other), its thoughts as reasoning, an image it drew as an image block fetched
    from Google's image host, and neither the image placeholder nor <FollowUp> left in the text."""
    result = read("gemini", CHATS / "gemini_thinking_drafts.txt")
    payload = result["payload"]
    assert payload["source"] == "gemini" and payload["model"] == "Gemini 3 Pro"
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant", "user", "assistant"]
    assert payload["messages"][1]["content"][0] == {"type": "text", "text": "Here is the illustration:"}
    assert result["fetches"] == ["https://lh3.googleusercontent.com/gg/AAr7zX2manuscript=s1024"]
    reasoning, answer = payload["messages"][3]["content"]
    assert reasoning["type"] == "reasoning" and reasoning["text"].startswith("**Assessing Translation Needs**")
    assert answer["text"].startswith("P258071 - The Shaykh: Yes.") and "not chosen" not in json.dumps(payload)
    assert "FollowUp" not in answer["text"] and "googleusercontent.com/image_generation" not in json.dumps(payload)
    _no_site_markup(payload)


def test_perplexity_export_has_one_user_turn_per_query_and_numbered_sources_without_the_hidden_ones():
    data = fixture("perplexity_export_two_turns.json")
    markdown = __import__("base64").b64decode(data["file_content_64"]).decode()
    payload = read("perplexity", CHATS / "perplexity_export_two_turns.json")["payload"]
    assert payload["source"] == "perplexity" and payload["title"] == "还能赚钱的违章举报平台一览"
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant", "user", "assistant"]
    assert payload["messages"][2]["content"][0]["text"] == "上海地区交通违法举报平台及奖励情况"
    first = payload["messages"][1]["content"][0]["text"]
    assert "[1](https://baike.pcauto.com.cn/433730.html)" in first and "[^1_" not in first
    cited = {int(n) for n in re.findall(r"\[\^1_(\d+)\]", markdown.split("<span style=\"display:none\">")[0])}
    sources = re.findall(r"^(\d+)\. \[", first.split("Sources:")[1], re.M)
    assert {int(n) for n in sources} == cited  # the cited ones, numbered as cited; the hidden list not published
    assert "display:none" not in json.dumps(payload) and "pplx-full-logo" not in json.dumps(payload)
    _no_site_markup(payload)


def test_perplexity_thread_json_reads_the_plan_and_resolves_numbered_citations():
    """The thread JSON (entries with blocks, field names from public parsers: no stored thread was found):
    the search plan as reasoning, [n] markers as links to web result n, an internal model slug named."""
    payload = read("perplexity", CHATS / "perplexity_thread_two_turns.json")["payload"]
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant", "user", "assistant"]
    assert payload["model"] == "Perplexity Pro"
    plan, answer = payload["messages"][1]["content"]
    assert plan == {"type": "reasoning", "title": "Search plan",
                    "text": "- Find the platforms that still pay for reports\n- Check each city's current rules"}
    assert "[1](https://baike.pcauto.com.cn/433730.html)" in answer["text"] and "\nSources:\n" in answer["text"]
    _no_site_markup(payload)


def test_deepseek_reads_its_data_export_as_it_reads_the_app(tmp_path):
    """A conversation of DeepSeek's export (conversations.json: a mapping of nodes with fragments, no role, no
    current message) reads as the same conversation from the app's API: the branch of the newest message
    (here the one on screen), its thinking, searches and citations. A FILE fragment is the person's file, by
    name; when the newest message is on another branch, that branch is the one shared."""
    from export_files import deepseek_conversation

    envelope = fixture("deepseek_branches_edits_think.json")
    from_app = read("deepseek", CHATS / "deepseek_branches_edits_think.json")["payload"]
    exported = deepseek_conversation(envelope)
    assert "role" not in json.dumps(exported) and "current_message_id" not in json.dumps(exported)
    payload = read("deepseek", exported, tmp_path)["payload"]
    assert payload["messages"] == from_app["messages"] and payload["title"] == "test_chat"
    assert payload["startedAt"] == from_app["startedAt"]
    _no_site_markup(payload)

    first_root = exported["mapping"]["1"]["message"]
    first_root["fragments"].append({"type": "FILE", "files": [{"file_id": "f-1", "file_name": "notes.pdf"}]})
    regenerated = exported["mapping"]["3"]["message"]  # the first root's second answer
    regenerated["inserted_at"] = "2026-01-02T03:04:05.123456+08:00"  # now the newest: its branch is shown
    payload = read("deepseek", exported, tmp_path)["payload"]
    assert [m["role"] for m in payload["messages"]] == ["user", "assistant"]
    assert payload["messages"][0]["content"] == [{"type": "file", "name": "notes.pdf"},
                                                 {"type": "text", "text": first_root["fragments"][0]["content"]}]
    assert payload["messages"][1]["content"] == [{"type": "text", "text": regenerated["fragments"][0]["content"]}]


def test_a_browsing_step_lists_the_pages_it_opened_never_their_text():
    """ChatGPT's old browser (open_url, click) shows "Visited" pages under its step: their title and address
    come from each displayed page's citation metadata; the page text in it is plumbing."""
    payload = read("chatgpt", CHATS / "chatgpt_browsing_citations.json")["payload"]
    steps = blocks(payload, "tool")
    opened = {link["url"] for step in steps for link in step["links"]}
    assert "https://django-oscar.readthedocs.io/en/stable/ref/apps/order.html" in opened
    assert all(set(link) <= {"url", "title"} for step in steps for link in step["links"])
    published = json.dumps(payload)
    assert "Sample Oscar projects" not in published  # the displayed page's text

