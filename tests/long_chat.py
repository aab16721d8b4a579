"""A long real-shaped DeepSeek conversation: 1,000 messages, about 2.5 MB, from the project's real fixtures.

The review's two real DeepSeek chats (1,018 and 684 messages, 2.4 MB) were refused at message 751 and 315 by the
old markup budget. Their shape: a question, then the model's thinking and a Markdown answer (headings, lists,
bold, code, tables), again and again. The texts here are the real ones of tests/fixtures/chats (DeepSeek,
ChatGPT, Grok, Claude), read by the extension's readers as the extension sends them, repeated to that size.
"""
from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

CHATS = Path(__file__).resolve().parent / "fixtures" / "chats"
READERS = Path(__file__).resolve().parent / "readers_cli.js"
SOURCES = [("deepseek", "deepseek_branches_edits_think.json"), ("chatgpt", "chatgpt_browsing_citations.json"),
           ("chatgpt", "chatgpt_reasoning_branch.json"), ("chatgpt", "chatgpt_agent_canvas_python.json"),
           ("grok", "grok_websearch_citations.json"), ("claude", "claude_export_thinking_search.json")]


def _read(site: str, name: str) -> list[dict]:
    done = subprocess.run([shutil.which("node") or "node", str(READERS), site, str(CHATS / name)],
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)["payload"]["messages"]


@cache
def long_deepseek_chat(messages: int = 1000) -> bytes:
    """The create body, as bytes."""
    answers, questions, thoughts = [], [], []
    for site, name in SOURCES:
        for message in _read(site, name):
            for block in message["content"]:
                text = block.get("text") or ""
                if message["role"] == "user" and text:
                    questions.append(text)
                elif block["type"] == "reasoning" and text:
                    thoughts.append(text)
                elif block["type"] == "text" and len(text) > 200:
                    answers.append(text)
    answer, question, thought = itertools.cycle(answers), itertools.cycle(questions), itertools.cycle(thoughts)
    turns = []
    for i in range(messages // 2):
        turns.append({"role": "user", "content": [{"type": "text", "text": next(question)[:1200]}]})
        turns.append({"role": "assistant", "content": [
            {"type": "reasoning", "title": "Thought for 9 seconds", "text": next(thought)[: 400 + (i * 53) % 1000]},
            {"type": "text", "text": "\n\n".join(next(answer) for _ in range(3))[:4200]}]})
    return json.dumps({"title": "A long DeepSeek chat", "source": "deepseek", "model": "DeepSeek-V3",
                       "visibility": "unlisted", "messages": turns}, ensure_ascii=False).encode()
