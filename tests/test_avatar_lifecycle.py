"""Avatars live as long as the last conversation that uses one: reference-counted in DynamoDB, removed from S3
and the CDN with the last conversation (the race with a create is in test_races.py)."""
from __future__ import annotations

import base64
import os

import pytest
from conftest import BUCKET, TABLE_PREFIX, share

pytestmark = pytest.mark.api


def _png() -> str:
    """A distinct small real PNG (four pixels of random colours) as a data: URI."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (2, 2), os.urandom(12)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _request(avatar: str) -> dict:
    return {"avatarUrl": avatar, "messages": [{"role": "user", "content": "hi"}]}


def _avatar_key(aws, conversation_id: str) -> str:
    item = aws["dynamodb"].get_item(TableName=f"{TABLE_PREFIX}-conversations", ConsistentRead=True,
                                    Key={"id": {"S": conversation_id}, "part": {"S": "meta"}})["Item"]
    return item["avatar_key"]["S"]


def _stored(aws, key: str) -> bool:
    try:
        aws["s3"].head_object(Bucket=BUCKET, Key=key)
        return True
    except aws["s3"].exceptions.ClientError:
        return False


def _references(aws, key: str) -> dict | None:
    return aws["dynamodb"].get_item(TableName=f"{TABLE_PREFIX}-counters", ConsistentRead=True,
                                    Key={"key": {"S": f"refs#{key}"}}).get("Item")


def test_an_avatar_goes_with_the_last_conversation_that_uses_it(client, aws):
    from chalicelib import cdn, sharing

    avatar = _png()
    first, second = (share(_request(avatar)) for _ in range(2))
    key = _avatar_key(aws, first["id"])
    assert _references(aws, key)["n"] == {"N": "2"}
    sharing.delete(first["id"], first["deleteToken"])
    assert _stored(aws, key) and _references(aws, key)["n"] == {"N": "1"}
    sharing.delete(second["id"], second["deleteToken"])
    assert not _stored(aws, key) and _references(aws, key) is None
    assert f"/{key}" in cdn.INVALIDATED[-1]  # and the CDN forgets the copy it cached "for good"
    # Shared again later: stored again.
    third = share(_request(avatar))
    assert _stored(aws, key) and _references(aws, key)["n"] == {"N": "1"}
    sharing.delete(third["id"], third["deleteToken"])


def test_an_avatar_stored_before_counting_is_left_alone(client, aws):
    from chalicelib import sharing

    made = share(_request(_png()))
    key = _avatar_key(aws, made["id"])
    aws["dynamodb"].delete_item(TableName=f"{TABLE_PREFIX}-counters", Key={"key": {"S": f"refs#{key}"}})
    sharing.delete(made["id"], made["deleteToken"])
    # Nothing says how many conversations use it: it stays, as every avatar did before.
    assert _stored(aws, key)
