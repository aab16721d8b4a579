"""Data exports written from the real-shaped fixtures in tests/fixtures/chats, for the exports no real sample
of was at hand (their shape as public readers of real exports describe it)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

BEIJING = timezone(timedelta(hours=8))  # DeepSeek's exports write local times with their offset


def deepseek_conversation(envelope: dict[str, Any]) -> dict[str, Any]:
    """One conversation of DeepSeek's export (conversations.json) from a history_messages answer: {id, title,
    inserted_at, updated_at, mapping}, where `root` holds the first prompts (every edit of it) and each node
    its message's model, time, files and fragments, with no role and no current message."""
    biz = envelope["data"]["biz_data"]
    session, messages = biz["chat_session"], biz["chat_messages"]

    def iso(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, BEIJING).isoformat(timespec="microseconds")

    def parent(message: dict[str, Any]) -> str:
        return "root" if message["parent_id"] is None else str(message["parent_id"])

    children: dict[str, list[str]] = defaultdict(list)
    for message in messages:
        children[parent(message)].append(str(message["message_id"]))
    mapping: dict[str, Any] = {"root": {"id": "root", "parent": None, "children": children["root"], "message": None}}
    for message in messages:
        node_id = str(message["message_id"])
        mapping[node_id] = {"id": node_id, "parent": parent(message), "children": children[node_id],
                            "message": {"files": message.get("files", []), "model": message.get("model", ""),
                                        "inserted_at": iso(message["inserted_at"]),
                                        "fragments": message["fragments"]}}
    return {"id": session["id"], "title": session["title"], "inserted_at": iso(session["inserted_at"]),
            "updated_at": iso(session["updated_at"]), "mapping": mapping}
