"""Images in shares (issue 11): presigned uploads straight to S3, checks at create (magic bytes by a ranged GET,
hash, decodable), metadata stripped, dedup, limits, expiry of unreferenced uploads, and removal with the last
conversation (the race with a create is in test_races.py)."""
from __future__ import annotations

import base64
import io
import json

import awscalls
import media_files as files
import pytest
from conftest import BUCKET, TABLE_PREFIX, body_of, create, new_ip, nothing_stored, post_json, share

pytestmark = pytest.mark.api


def _image_chat(*media: str, **extra) -> dict:
    blocks = [{"type": "image", "name": f"photo {n}.jpg", "media": m} for n, m in enumerate(media)]
    return {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is in these?"}, *blocks]},
                         {"role": "assistant", "content": "A gradient."}], **extra}


def _object(aws, key: str) -> bytes | None:
    try:
        return aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except aws["s3"].exceptions.NoSuchKey:
        return None


def _counter(aws, media_id: str) -> dict | None:
    return aws["dynamodb"].get_item(TableName=f"{TABLE_PREFIX}-counters", ConsistentRead=True,
                                    Key={"key": {"S": f"refs#media/{media_id}"}}).get("Item")


def _media_request(client, body, ip=None):
    return post_json(client, body, ip=ip, path="/api/media")


def test_the_upload_is_a_presigned_post_for_exactly_one_key_type_and_size(client):
    data = files.phone_jpeg()
    answer = _media_request(client, {"sha256": files.sha(data), "size": len(data), "contentType": "image/jpeg"})
    assert answer.status_code == 200
    result = body_of(answer)
    assert result["id"] == f"{files.sha(data)}.jpg" and result["stored"] is False
    fields = result["upload"]["fields"]
    assert fields["key"] == f"uploads/{files.sha(data)}.jpg" and fields["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": fields["key"]} in conditions and {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", len(data), len(data)] in conditions
    assert result["upload"]["expiresIn"] <= 300 and "expiration" in policy
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and "AWSAccessKeyId" not in fields  # SigV4, not V2
    # The image bytes go to S3 itself, by a real multipart POST, and land privately under uploads/.
    assert files.post_upload(result["upload"], data) in (200, 204)


@pytest.mark.parametrize("body, field", [
    ({"sha256": "ab" * 32, "size": 10, "contentType": "image/svg+xml"}, "contentType"),
    ({"sha256": "not a hash", "size": 10, "contentType": "image/png"}, "sha256"),
    ({"sha256": "AB" * 32, "size": 10, "contentType": "image/png"}, "sha256"),
    ({"sha256": "ab" * 32, "size": 0, "contentType": "image/png"}, "size"),
    ({"sha256": "ab" * 32, "size": 1e3, "contentType": "image/png"}, "size"),
    ({"sha256": "ab" * 32, "size": True, "contentType": "image/png"}, "size"),
    ({"sha256": "ab" * 32, "size": "1000", "contentType": "image/png"}, "size"),
    ({"sha256": "ab" * 32, "size": 10, "contentType": "image/png", "key": "media/x.png"}, "key"),
])
def test_an_upload_request_that_is_not_an_image_is_refused(client, body, field):
    with nothing_stored():
        answer = _media_request(client, body)
    assert answer.status_code == 400 and body_of(answer)["error"]["field"] == field


def test_an_image_over_the_limit_is_refused_before_any_upload(client):
    answer = _media_request(client, {"sha256": "ab" * 32, "size": 10 * 2**20 + 1, "contentType": "image/png"})
    assert answer.status_code == 400 and body_of(answer)["error"]["field"] == "size"
    assert "10485760" in body_of(answer)["error"]["message"]


def test_upload_requests_are_rate_limited_per_client(client, monkeypatch):
    from chalicelib import settings

    monkeypatch.setenv("MEDIA_LIMIT_PER_HOUR", "3")
    settings.get.cache_clear()
    try:
        ip = new_ip()
        body = {"sha256": "cd" * 32, "size": 10, "contentType": "image/png"}
        statuses = [_media_request(client, body, ip).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert _media_request(client, body, new_ip()).status_code == 200  # another client is not limited
    finally:
        monkeypatch.delenv("MEDIA_LIMIT_PER_HOUR")
        settings.get.cache_clear()


def test_a_phone_photo_is_published_without_gps_exif_xmp_or_comment_and_upright(client, aws):
    from PIL import Image

    data = files.phone_jpeg(width=64, height=48, orientation=6)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # it really carries GPS
    media_id = files.upload(client, data, "image/jpeg", new_ip())
    made = create(client, _image_chat(media_id))
    published = _object(aws, f"media/{media_id}")
    assert published is not None and published != data
    with Image.open(io.BytesIO(published)) as image:
        assert image.format == "JPEG"
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
        assert "xmp" not in image.info and image.size == (48, 64)  # turned upright: orientation 6 applied
    for secret in (b"GPSLatitude", b"xmpmeta", b"12 rue Example", b"iPhone", b"Exif\x00\x00"):
        assert secret not in published
    head = aws["s3"].head_object(Bucket=BUCKET, Key=f"media/{media_id}")
    assert head["ContentType"] == "image/jpeg" and "immutable" in head["CacheControl"]
    # The original (with its metadata) is not kept: its upload is deleted once published.
    assert _object(aws, f"uploads/{media_id}") is None
    # The stored block has the real size, whatever the client claimed.
    stored = client.http.get(f"/api/conversations/{made['id']}")
    block = body_of(stored)["messages"][0]["content"][1]
    assert block == {"type": "image", "name": "photo 0.jpg", "media": media_id, "width": 48, "height": 64}


def test_a_generated_png_loses_its_text_chunks_and_a_gif_its_comment(client, aws):
    from PIL import Image

    png, gif = files.generated_png(), files.tiny_gif()
    ip = new_ip()
    png_id, gif_id = files.upload(client, png, "image/png", ip), files.upload(client, gif, "image/gif", ip)
    create(client, _image_chat(png_id, gif_id))
    with Image.open(io.BytesIO(_object(aws, f"media/{png_id}"))) as image:
        assert image.size == (40, 30) and not image.text
    published_gif = _object(aws, f"media/{gif_id}")
    assert b"gps 48.85" not in published_gif
    with Image.open(io.BytesIO(published_gif)) as image:
        assert image.format == "GIF" and "comment" not in image.info


@pytest.mark.parametrize("data, content_type", [
    (files.HTML_WITH_PNG_HEADER, "image/png"),
    (files.SVG, "image/png"),
    (files.generated_png(), "image/jpeg"),  # a PNG named as a JPEG
], ids=["png-header-on-html", "svg", "png-as-jpeg"])
def test_an_upload_that_is_not_the_image_it_claims_is_a_400_naming_the_block(client, aws, data, content_type):
    media_id = files.upload(client, data, content_type, new_ip())
    start = len(awscalls.RECORDED)
    with nothing_stored():
        answer = post_json(client, _image_chat(media_id))
    assert answer.status_code == 400, answer.body
    error = body_of(answer)["error"]
    assert error["code"] == "invalid_image" and error["field"] == "messages.0.content.1.media"
    gets = [brief for _, operation, brief in awscalls.RECORDED[start:] if operation == "GetObject"]
    if data is not files.HTML_WITH_PNG_HEADER:
        # Refused on its first bytes: one ranged GET, never the whole object.
        assert gets == [{"Bucket": BUCKET, "Key": f"uploads/{media_id}", "Range": "bytes=0-31"}]
    assert _object(aws, f"media/{media_id}") is None


def test_a_polyglot_is_published_as_the_image_alone(client, aws):
    data = files.polyglot()
    media_id = files.upload(client, data, "image/png", new_ip())
    create(client, _image_chat(media_id))
    published = _object(aws, f"media/{media_id}")
    assert published.startswith(files.PNG_SIGNATURE) and b"<script" not in published and b"<html" not in published


def test_an_upload_whose_bytes_do_not_match_its_hash_is_refused(client, aws):
    real, other = files.generated_png(41, 30), files.generated_png(42, 30)
    answer = body_of(_media_request(client, {"sha256": files.sha(real), "size": len(other),
                                             "contentType": "image/png"}))
    files.post_upload(answer["upload"], other)
    with nothing_stored():
        refused = post_json(client, _image_chat(answer["id"]))
    assert refused.status_code == 400 and "SHA-256" in body_of(refused)["error"]["message"]


def test_a_reference_to_nothing_uploaded_is_a_400_and_stores_nothing(client):
    missing = "0" * 64 + ".png"
    with nothing_stored():
        answer = post_json(client, _image_chat(missing))
    assert answer.status_code == 400
    assert body_of(answer)["error"] == {"code": "image_not_uploaded", "field": "messages.0.content.1.media",
                                        "message": body_of(answer)["error"]["message"]}
    bad = post_json(client, _image_chat("../avatars/x.png"))
    assert bad.status_code == 400 and body_of(bad)["error"]["field"] == "messages.0.content.1.media"


def test_too_many_images_in_one_conversation_is_a_413(client, monkeypatch):
    from chalicelib import settings

    monkeypatch.setenv("MAX_IMAGES", "2")
    settings.get.cache_clear()
    try:
        ids = [f"{n:064x}.png" for n in range(3)]
        with nothing_stored():
            answer = post_json(client, _image_chat(*ids))
        assert answer.status_code == 413
        assert body_of(answer)["error"]["code"] == "too_many_images"
        assert body_of(answer)["error"]["field"] == "messages.0.content.3.media"
    finally:
        monkeypatch.delenv("MAX_IMAGES")
        settings.get.cache_clear()


def test_images_over_the_conversations_total_are_a_413_before_any_is_read_whole(client, monkeypatch):
    from chalicelib import settings

    ip = new_ip()
    ids = [files.upload(client, files.generated_png(300 + n, 200), "image/png", ip) for n in range(2)]
    monkeypatch.setenv("MAX_IMAGES_TOTAL_BYTES", "1000")  # the two PNGs are ~1.3 KB each
    settings.get.cache_clear()
    try:
        start = len(awscalls.RECORDED)
        with nothing_stored():
            answer = post_json(client, _image_chat(*ids))
        assert answer.status_code == 413 and body_of(answer)["error"]["code"] == "images_too_large"
        reads = [brief.get("Range") for _, operation, brief in awscalls.RECORDED[start:] if operation == "GetObject"]
        assert reads == ["bytes=0-31", "bytes=0-31"]  # sized from the ranged reads only
    finally:
        monkeypatch.delenv("MAX_IMAGES_TOTAL_BYTES")
        settings.get.cache_clear()


def test_an_image_shared_twice_is_stored_once_and_goes_with_its_last_conversation(client, aws):
    from chalicelib import cdn

    data = files.phone_jpeg(30, 20, orientation=1)
    media_id = files.upload(client, data, "image/jpeg", new_ip())
    first = create(client, _image_chat(media_id, media_id))  # twice in one conversation: one reference
    assert _counter(aws, media_id)["n"] == {"N": "1"}
    # The second sharer is told it is there already: nothing to upload.
    again = body_of(_media_request(client, {"sha256": files.sha(data), "size": len(data),
                                            "contentType": "image/jpeg"}))
    assert again == {"id": media_id, "stored": True}
    second = create(client, _image_chat(media_id))
    assert _counter(aws, media_id)["n"] == {"N": "2"}
    assert client.http.delete(f"/api/conversations/{first['id']}",
                              headers={"authorization": f"Bearer {first['deleteToken']}"}).status_code == 204
    assert _object(aws, f"media/{media_id}") is not None and _counter(aws, media_id)["n"] == {"N": "1"}
    assert client.http.delete(f"/api/conversations/{second['id']}",
                              headers={"authorization": f"Bearer {second['deleteToken']}"}).status_code == 204
    assert _object(aws, f"media/{media_id}") is None and _counter(aws, media_id) is None
    assert f"/media/{media_id}" in cdn.INVALIDATED[-1]


def test_uploads_no_conversation_takes_expire_after_a_day(aws):
    """The bucket's lifecycle (the same rules as infra/stack.yaml): uploads/ expires (and the view fold's
    state); media/ never does."""
    rules = aws["s3"].get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    expiring = {rule["Filter"]["Prefix"]: rule["Expiration"]["Days"] for rule in rules if "Expiration" in rule}
    assert expiring == {"uploads/": 1, "views/": 3}
    cors = aws["s3"].get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert [rule["AllowedMethods"] for rule in cors] == [["POST"]]


def test_the_page_shows_the_image_lazily_at_its_size_and_the_export_links_it(client, aws):
    from chalicelib import settings

    data = files.generated_png(40, 30)
    media_id = files.upload(client, data, "image/png", new_ip())
    made = create(client, {"messages": [
        {"role": "user", "content": "Draw a lighthouse"},
        {"role": "assistant", "content": [{"type": "image", "name": "Generated image", "media": media_id,
                                           "alt": "A lighthouse at dusk", "width": 9999, "height": 1}]}]})
    page = client.http.get(f"/c/{made['id']}").body.decode()
    url = f"{settings.get().media_base_url}/media/{media_id}"
    assert (f'<img src="{url}" alt="A lighthouse at dusk" width="40" height="30" loading="lazy" '
            f'decoding="async">') in page
    assert f'<a href="{url}"' in page
    markdown = client.http.get(f"/api/conversations/{made['id']}/export?format=markdown").body.decode()
    assert f"![A lighthouse at dusk]({url})" in markdown


# ---------------------------------------------------------------- link-preview cards

def _card_key(aws, conversation_id: str) -> str:
    item = aws["dynamodb"].get_item(TableName=f"{TABLE_PREFIX}-conversations", ConsistentRead=True,
                                    Key={"id": {"S": conversation_id}, "part": {"S": "meta"}})["Item"]
    return item["card_key"]["S"]


def _get_card(client, key: str, accept: str = "*/*"):
    return client.http.get(f"/{key}", headers={"accept": accept})


def test_a_share_names_its_card_and_a_request_draws_it(client, aws):
    """A create draws no card (most links are unfurled a few times or never): its page and API name one, and a
    request for it (deployed: the CDN's miss) draws and answers it. Nothing is stored in S3."""
    from PIL import Image

    from chalicelib import published, settings

    made = create(client, {"title": "Streaming responses in aiohttp", "model": "gpt-4o", "source": "chatgpt",
                           "messages": [{"role": "user", "content": "How do I stream a big file?"},
                                        {"role": "assistant", "content": "Use a StreamResponse."}]})
    key = _card_key(aws, made["id"])
    assert key.startswith(f"cards/{made['id']}/") and key.endswith(".png")
    page = client.http.get(f"/c/{made['id']}").body.decode()
    url = f"{settings.get().site_url}/{key}"
    for tag in (f'<meta property="og:image" content="{url}">', '<meta property="og:image:width" content="1200">',
                '<meta property="og:image:height" content="630">',
                '<meta name="twitter:card" content="summary_large_image">'):
        assert tag in page
    assert body_of(client.http.get(f"/api/conversations/{made['id']}"))["card"] == url

    refused = _get_card(client, key, accept="text/html")
    assert refused.status_code == 406 and body_of(refused)["error"]["field"] == "accept"
    answer = _get_card(client, key, accept="image/avif,image/webp,image/*")
    headers = {name.lower(): value for name, value in answer.headers.items()}
    assert answer.status_code == 200 and headers["content-type"] == "image/png"
    assert headers["cache-control"] == published.CARD_CACHE  # the edge keeps it; a delete invalidates it
    with Image.open(io.BytesIO(answer.body)) as card:
        assert (card.format, card.size) == ("PNG", (1200, 630))
        # Light theme: mostly white, with dark text drawn on it.
        colors = card.convert("L").getcolors(1200 * 630)
        white = sum(count for count, value in colors if value > 240)
        dark = sum(count for count, value in colors if value < 60)
        assert white > 0.6 * 1200 * 630 and dark > 2000
    assert _object(aws, key) is None  # never stored: no PUT per create, none per card
    assert _get_card(client, key).body == answer.body  # drawn the same every time
    head = client.http.head(f"/{key}", headers={"accept": "*/*"})
    assert head.status_code == 200 and not head.body
    assert {name.lower(): value for name, value in head.headers.items()}["cache-control"] == "no-store"
    for name in ("0123456789abcdef.png", "card.png", "0123456789ABCDEF.png"):
        assert _get_card(client, f"cards/{made['id']}/{name}").status_code == 404
    assert _get_card(client, key.replace(made["id"], "Zz9Zz9Z")).status_code == 404


def test_a_retitle_names_a_new_card_and_invalidates_the_old_one_and_delete_invalidates_it(client, aws):
    from chalicelib import cdn, sharing

    made = share(
        {"title": "My old private title", "messages": [{"role": "user", "content": "hello"}]}, owner="sub-card")
    old = _card_key(aws, made["id"])
    assert _get_card(client, old).status_code == 200
    sharing.update(made["id"], "sub-card", title="A better title")
    new = _card_key(aws, made["id"])
    assert new != old and f"/{old}" in cdn.INVALIDATED[-1]
    assert _get_card(client, old).status_code == 404  # the old title's card is never drawn again
    assert _get_card(client, new).status_code == 200
    sharing.update(made["id"], "sub-card", visibility="public")  # same title: the same card
    assert _card_key(aws, made["id"]) == new
    sharing.delete(made["id"], made["deleteToken"])
    assert f"/{new}" in cdn.INVALIDATED[-1]
    assert _get_card(client, new).status_code == 404


def test_a_card_stored_before_cards_were_drawn_on_request_is_removed_with_its_conversation(client, aws):
    """Cards used to be stored in S3 under the name the conversation keeps: a delete still removes one."""
    from chalicelib import settings, sharing

    made = share({"title": "An older card", "messages": [{"role": "user", "content": "hello"}]})
    key = _card_key(aws, made["id"])
    aws["s3"].put_object(Bucket=settings.get().bucket, Key=key, Body=b"\x89PNG old", ContentType="image/png")
    sharing.delete(made["id"], made["deleteToken"])
    assert _object(aws, key) is None


@pytest.mark.parametrize("meanwhile", ["deleted", "retitled", "held for child safety"])
def test_a_card_drawn_while_its_conversation_changes_answers_as_after_the_change(client, aws, monkeypatch,
                                                                                meanwhile):
    """Drawn from a read: a delete, retitle or child-safety hold landing while it is drawn must not be
    answered around. The card is read again after drawing, and the answer is what it would be now."""
    from chalicelib import cards, moderation, published, sharing

    made = share({"title": "Racing the card", "messages": [{"role": "user", "content": "hello"}]}, owner="sub-race")
    key = _card_key(aws, made["id"])
    draw = cards.draw

    def change_then_draw(*args):
        if meanwhile == "deleted":
            sharing.delete(made["id"], made["deleteToken"])
        elif meanwhile == "retitled":
            sharing.update(made["id"], "sub-race", title="Another title")
        else:
            moderation.hold(made["id"], "child_safety")
        return draw(*args)

    monkeypatch.setattr(published.cards, "draw", change_then_draw)
    answer = _get_card(client, key)
    assert answer.status_code == (451 if meanwhile.startswith("held") else 404)
    assert "image/png" not in str(answer.headers)


def test_a_hold_for_child_safety_invalidates_the_card(client, aws):
    """Its title and first words must not live on in a preview: the card's path is invalidated with the page,
    and it is not drawn while the hold lasts; released, it is drawn again."""
    from chalicelib import cdn, moderation

    made = create(client, {"title": "Held card", "messages": [{"role": "user", "content": "hello"}]})
    key = _card_key(aws, made["id"])
    assert _get_card(client, key).status_code == 200
    moderation.hold(made["id"], "child_safety")
    assert any(f"/{key}" in paths for paths in cdn.INVALIDATED[-3:])
    assert _get_card(client, key).status_code == 451
    moderation.release(made["id"])
    assert _get_card(client, key).status_code == 200


def _oversized(client, first: str) -> dict:
    """A conversation whose body is past what an item holds (incompressible): it lives in S3."""
    import os

    blob = base64.b64encode(os.urandom(600_000)).decode()
    return create(client, {"title": "A long paste", "model": "gpt-4o", "source": "chatgpt", "messages": [
        {"role": "user", "content": first}, {"role": "assistant", "content": blob}]})


def test_a_card_of_an_oversized_conversation_reads_no_body_and_a_head_one_item(client, aws):
    """A miss is drawn from the body item's excerpt, not the body of up to 5 MB in S3 (here: removed, and the
    card is the same); a HEAD reads the meta item alone."""
    from chalicelib import cards, keys
    from chalicelib.models import ConversationBody, ConversationMeta

    first = "Summarise this log for me " * 30  # past the 400 characters a card reads
    made = _oversized(client, first)
    body = ConversationBody.get(made["id"], keys.BODY, consistent_read=True)
    assert body.s3_key and body.excerpt == first[:cards.MAX_EXCERPT]
    key = _card_key(aws, made["id"])
    aws["s3"].delete_object(Bucket=BUCKET, Key=ConversationMeta.get(made["id"], keys.META).body_key)
    start = len(awscalls.RECORDED)
    answer = _get_card(client, key)
    assert answer.status_code == 200
    assert answer.body == cards.draw("A long paste", "gpt-4o", "chatgpt", first)
    assert [operation for service, operation, _ in awscalls.RECORDED[start:]] == ["Query", "GetItem"]
    start = len(awscalls.RECORDED)
    assert client.http.head(f"/{key}", headers={"accept": "*/*"}).status_code == 200
    assert [operation for service, operation, _ in awscalls.RECORDED[start:]] == ["GetItem"]


def test_a_card_of_an_oversized_conversation_stored_without_an_excerpt_reads_its_body(client, aws):
    """Bodies stored in S3 before their item held the excerpt: the card reads the body, and is the same."""
    from chalicelib import cards

    made = _oversized(client, "What does this stack trace say?")
    aws["dynamodb"].update_item(TableName=f"{TABLE_PREFIX}-conversations",
                                Key={"id": {"S": made["id"]}, "part": {"S": "body"}}, UpdateExpression="REMOVE excerpt")
    start = len(awscalls.RECORDED)
    answer = _get_card(client, _card_key(aws, made["id"]))
    assert answer.status_code == 200
    assert answer.body == cards.draw("A long paste", "gpt-4o", "chatgpt", "What does this stack trace say?")
    assert "GetObject" in [operation for _, operation, _ in awscalls.RECORDED[start:]]


def test_a_head_for_a_card_answers_as_a_get_would(client, aws):
    """HEAD reads one item, but answers what GET would: 404 for another name, 451 held, 410 taken down."""
    from chalicelib import moderation

    made = create(client, {"title": "Head card", "messages": [{"role": "user", "content": "hello"}]})
    key = _card_key(aws, made["id"])

    def head(path: str) -> int:
        return client.http.head(f"/{path}", headers={"accept": "*/*"}).status_code

    assert head(key) == 200
    assert head(f"cards/{made['id']}/0123456789abcdef.png") == 404
    assert head(key.replace(made["id"], "Zz9Zz9Z")) == 404
    moderation.hold(made["id"], "child_safety")
    assert head(key) == 451
    moderation.release(made["id"])
    moderation.take_down(made["id"], "spam", "Spam.")
    assert head(key) == 410 and _get_card(client, key).status_code == 410


def test_a_transparent_palette_png_stays_transparent():
    from PIL import Image

    from chalicelib import pixels

    source = Image.new("P", (8, 8), 1)
    source.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    out = io.BytesIO()
    source.save(out, "PNG", transparency=1, pnginfo=None)
    clean, width, height = pixels.reencode(out.getvalue(), "png", 1)
    with Image.open(io.BytesIO(clean)) as image:
        assert (width, height) == (8, 8) and image.info.get("transparency") == 1
        assert image.convert("RGBA").getpixel((0, 0))[3] == 0
