"""Deletes and takedowns racing the writes that publish a page (issue 30): two threads of owner edits, or a
stranger's comments, while the owner deletes the conversation or a moderator takes it down. Each round is
different (random offsets; the page's S3 PUT held 20 ms to widen the window, as a large conversation's is),
and none may leave a page: once the removal has answered and the writes have ended, no object at
pages/c/<id>, and the site's /c/<id> never answers 200. The fuzz tier, beside tests/test_races.py."""
from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import BUCKET, chat, share
from faults import Delay

from scripts import callrecorder

pytestmark = pytest.mark.fuzz
ROUNDS = 50


def _page(aws, cid: str) -> bool:
    return bool(aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"pages/c/{cid}").get("KeyCount"))


def _round(number: int, writer: Callable[[dict[str, Any], int], None], remove: Callable[[dict[str, Any]], None],
           owner: str) -> dict[str, Any]:
    """Create a conversation, then run two writers (each a few writes) and the removal together, the removal
    started 0-80 ms in; returns the conversation once all three ended."""

    created = share(chat(6, title=f"Race {number}",
                                                                          visibility="public"), owner=owner)
    offset = random.Random(number).uniform(0, 0.08)
    errors: list[BaseException] = []

    def guarded(action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - a writer losing to the removal answers an error: expected
            from chalicelib.errors import ApiError

            if not isinstance(exc, ApiError) or exc.status not in (404, 409, 410, 400, 403):
                errors.append(exc)

    def writes(which: int) -> None:
        for step in range(4):
            guarded(functools.partial(writer, created, which * 10 + step))

    def removal() -> None:
        time.sleep(offset)
        try:
            _until_it_answers(remove, created)
        except Exception as exc:  # noqa: BLE001 - judged below
            errors.append(exc)

    threads = [threading.Thread(target=writes, args=(0,)), threading.Thread(target=writes, args=(1,)),
               threading.Thread(target=removal)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    return created


def _until_it_answers(remove: Callable[[dict[str, Any]], None], created: dict[str, Any]) -> None:
    """As a client does: a removal that lost a race (409) is sent again, until it answers."""
    from chalicelib.errors import ApiError

    for _ in range(5):
        try:
            remove(created)
            return
        except ApiError as exc:
            if exc.status != 409:
                raise
    raise AssertionError("the removal lost five races in a row")


def _race(client, aws, writer, remove, owner: str = "race-owner") -> None:
    left = []
    with callrecorder.listening(Delay("PutObject", "pages/c/", 0.02)):
        for number in range(ROUNDS):
            created = _round(number, writer, remove, owner)
            if _page(aws, created["id"]) or client.http.get(f"/c/{created['id']}").status_code == 200:
                left.append(created["id"])
    assert left == [], f"{len(left)} of {ROUNDS} rounds left a page readable: {left}"


def _edit(created: dict[str, Any], step: int) -> None:
    from chalicelib import sharing

    sharing.update(created["id"], None, title=f"Edit {step}", token=created["deleteToken"])


def _comment(created: dict[str, Any], step: int) -> None:
    from chalicelib import comments, published

    # As the route does: the comment, then its page drawn again.
    comments.add(created["id"], f"stranger-{step // 10}", "Stranger", 1, f"Comment {step}")
    published.publish_after_change(created["id"])


def _delete(created: dict[str, Any]) -> None:
    from chalicelib import sharing

    sharing.delete(created["id"], created["deleteToken"])


def _take_down(created: dict[str, Any]) -> None:
    from chalicelib import moderation

    moderation.take_down(created["id"], "spam", "Spam.")


def test_racing_edits_never_bring_back_a_deleted_page(client, aws):
    _race(client, aws, _edit, _delete)


def test_racing_edits_never_bring_back_a_taken_down_page(client, aws):
    _race(client, aws, _edit, _take_down)


def test_racing_comments_never_bring_back_a_deleted_page(client, aws):
    _race(client, aws, _comment, _delete)


def test_racing_comments_never_bring_back_a_taken_down_page(client, aws):
    _race(client, aws, _comment, _take_down)
