"""Creates racing the last delete of a shared object (an avatar, an image), 50 rounds each with the interleavings
spread by random delays: the fuzz tier, beside the API fuzzer (each takes seconds; `make test-fast` skips them).

Neither may leave a conversation pointing at a removed object, nor an object no conversation uses."""
from __future__ import annotations

import functools
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import media_files as files
import pytest
from conftest import share
from test_avatar_lifecycle import _avatar_key, _png, _references, _request, _stored
from test_media import _counter, _image_chat, _object

pytestmark = pytest.mark.fuzz


@pytest.fixture()
def slow_removal(monkeypatch):
    """Widen the race: the removal waits a little before deleting the object from S3."""
    from chalicelib import references

    real_s3 = references.s3

    class SlowDelete:
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        def delete_object(self, **kwargs):
            time.sleep(0.015)
            return self.client.delete_object(**kwargs)

    monkeypatch.setattr(references, "s3", lambda: SlowDelete(real_s3()))


def race(number: int, delete, create) -> tuple[list[dict], list[BaseException]]:
    """Run `delete` and `create` together, one of them started up to some ms after the other, by round
    `number`: the create before, during and after the removal over the rounds. (The create was always the
    later one: a create is slower than a delete, so in some runs it lost all 50 rounds and the test failed
    without having found anything.) Returns what the create made and what either raised."""
    barrier = threading.Barrier(2)
    made: list[dict] = []
    errors: list[BaseException] = []
    offset = random.Random(number).uniform(-0.08, 0.04)  # < 0: the delete starts later

    def run(action):
        barrier.wait()
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - judged by the caller
            errors.append(exc)

    def create_later():
        time.sleep(max(offset, 0))
        made.append(create())

    def delete_later():
        time.sleep(max(-offset, 0))
        delete()

    threads = [threading.Thread(target=run, args=(delete_later,)), threading.Thread(target=run, args=(create_later,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return made, errors


def test_a_create_racing_the_last_delete_never_points_at_a_removed_avatar(client, aws, slow_removal):
    from chalicelib import sharing

    def one_round(number: int) -> None:
        avatar = _png()
        old = share(_request(avatar))
        key = _avatar_key(aws, old["id"])
        made, errors = race(number, functools.partial(sharing.delete, old["id"], old["deleteToken"]),
                            lambda: share(_request(avatar)))
        assert errors == []
        (new,) = made
        # The new conversation's avatar exists, and is counted once.
        assert _avatar_key(aws, new["id"]) == key and _stored(aws, key), "a conversation points at a removed avatar"
        assert _references(aws, key)["n"] == {"N": "1"}
        sharing.delete(new["id"], new["deleteToken"])
        # ...and nothing outlives the last one: no object, no counter.
        assert not _stored(aws, key) and _references(aws, key) is None, "an avatar leaked"

    # 50 rounds, two at a time (each on its own avatar): the waits overlap, the races do not mix.
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one_round, range(50)))


def test_a_create_racing_the_last_delete_never_shows_a_removed_image_nor_leaks_one(client, aws, slow_removal):
    """The image is published by conversation A; B references it (already published: no upload left) while A,
    its last conversation, is deleted. Either B is stored and the image is there (counted once), or B is
    refused (409 `image_removed`, or 400 `image_not_uploaded` when the removal came first) and nothing of the
    image is left. 50 rounds over the interleavings."""
    from chalicelib import media, sharing
    from chalicelib.errors import ApiError

    def one_round(number: int) -> str:
        data = files.generated_png(20 + number, 10)
        # The domain function, not the in-process client: chalice's test client is not safe across threads.
        answer = media.request_upload(files.sha(data), len(data), "image/png")
        files.post_upload(answer["upload"], data)
        media_id = answer["id"]
        old = share(_image_chat(media_id))
        made, errors = race(number, functools.partial(sharing.delete, old["id"], old["deleteToken"]),
                            lambda: share(_image_chat(media_id)))
        if made:
            assert errors == []
            assert _object(aws, f"media/{media_id}") is not None, "a conversation shows a removed image"
            assert _counter(aws, media_id)["n"] == {"N": "1"}
            sharing.delete(made[0]["id"], made[0]["deleteToken"])
            outcome = "stored"
        else:
            (error,) = errors
            # Removed while this create counted it, or before it looked: either way the sharer uploads again.
            assert isinstance(error, ApiError) and error.code in ("image_removed", "image_not_uploaded"), error
            outcome = "refused"
        assert _object(aws, f"media/{media_id}") is None and _counter(aws, media_id) is None, "an image leaked"
        return outcome

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(one_round, range(50)))
    assert {"stored", "refused"} <= set(outcomes), outcomes  # both sides of the race were exercised
