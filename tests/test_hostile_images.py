"""Hostile images (issue 20), each through a `chalice local` of its own (so its peak memory is this module's)
and the suite's moto server: what an attacker uploads, then references in a create. Every answer is a clear
4xx before any decoding, or a 201 whose image work is bounded; the app process's memory stays small, since
decoding happens in a confined child; and what is published carries nothing of the upload but its pixels."""
from __future__ import annotations

import io
import json
import time

import media_files as files
import pytest
import requests
from conftest import BUCKET, ENV, TABLE_PREFIX, new_ip, nothing_stored

from scripts import devstack

pytestmark = pytest.mark.api

# Generous for CI: each refusal below takes milliseconds here, an accepted create well under a second.
REFUSED_WITHIN = 3.0
# `chalice local` with boto3, PynamoDB and Pillow loaded is ~110 MB; decoding any of these in the process
# itself took 1.5 to 2.2 GB.
PEAK_MEMORY = 350 * 2**20


@pytest.fixture(scope="module")
def site(moto_server):
    port = devstack.free_port()
    address = f"http://127.0.0.1:{port}"
    process = devstack.start_chalice(port, {**ENV, "SITE_URL": address, "MEDIA_LIMIT_PER_HOUR": "1000",
                                            "IP_HASH_SALT": "hostile-images"})
    try:
        yield address, process.pid
    finally:
        devstack.stop(process)


def _peak_memory(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def _upload(address: str, data: bytes, content_type: str, ip: str) -> str:
    answer = requests.post(f"{address}/api/media", timeout=30, headers={"x-forwarded-for": ip},
                           json={"sha256": files.sha(data), "size": len(data), "contentType": content_type})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    if not result["stored"]:
        assert files.post_upload(result["upload"], data) in (200, 201, 204)
    return result["id"]


def _share(address: str, images: list[tuple[bytes, str]]) -> tuple[requests.Response, float, list[str]]:
    """Upload each image, then create a conversation showing them all; (answer, seconds the create took, ids)."""
    ip = new_ip()
    ids = [_upload(address, data, content_type, ip) for data, content_type in images]
    blocks = [{"type": "image", "name": f"image {n}", "media": media_id} for n, media_id in enumerate(ids)]
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Look"}, *blocks]},
                         {"role": "assistant", "content": "I see."}]}
    started = time.monotonic()
    answer = requests.post(f"{address}/api/conversations", json=body, timeout=60, headers={"x-forwarded-for": ip})
    return answer, time.monotonic() - started, ids


def _published(aws, media_id: str) -> bytes | None:
    try:
        return aws["s3"].get_object(Bucket=BUCKET, Key=f"media/{media_id}")["Body"].read()
    except aws["s3"].exceptions.NoSuchKey:
        return None


def _counted(aws, media_id: str) -> bool:
    return "Item" in aws["dynamodb"].get_item(TableName=f"{TABLE_PREFIX}-counters", ConsistentRead=True,
                                              Key={"key": {"S": f"refs#media/{media_id}"}})


def _refused(aws, site, images, code: str, field: str, words: str) -> None:
    address, pid = site
    answer, seconds, ids = _share(address, images)
    assert answer.status_code == 413, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == (code, field) and words in error["message"]
    assert seconds < REFUSED_WITHIN, f"refused after {seconds:.2f} s"
    # Nothing stored: no reference counted, nothing published; the upload waits for its day to expire.
    assert not any(_counted(aws, media_id) or _published(aws, media_id) for media_id in ids)
    assert _peak_memory(pid) < PEAK_MEMORY


def test_a_gif_whose_second_frame_outgrows_a_one_pixel_screen_is_refused_unread(aws, site):
    data = files.gif_canvas_bomb(9000)
    assert data[6:10] == b"\x01\x00\x01\x00" and len(data) < 70_000  # the header says 1 x 1
    _refused(aws, site, [(data, "image/gif")], "image_too_complex", "messages.0.content.1.media", "9000 x 9000")


def test_a_gif_of_690000_frames_is_refused_at_its_frame_count(aws, site):
    data = files.gif_of_many_frames()
    assert 9 * 2**20 < len(data) <= 10 * 2**20
    _refused(aws, site, [(data, "image/gif")], "image_too_complex", "messages.0.content.1.media", "300 frames")


def test_a_jpeg_of_40000_repeated_scans_is_refused_at_its_scan_count(aws, site):
    data = files.jpeg_of_repeated_scans()
    _refused(aws, site, [(data, "image/jpeg")], "image_too_complex", "messages.0.content.1.media", "scans")


def test_twenty_big_webps_overrun_the_create_budget_before_any_is_decoded(aws, site):
    images = [(data, "image/webp") for data in files.big_webps(20)]
    # 6300 x 6300 is 39.7 million pixels: one fits the 60 million budget, the second does not.
    _refused(aws, site, images, "image_too_complex", "messages.0.content.2.media", "60 million")


def test_a_two_picture_mpo_publishes_its_first_picture_as_a_jpeg(aws, site):
    from PIL import Image

    address, pid = site
    answer, seconds, (media_id,) = _share(address, [(files.mpo(), "image/jpeg")])
    assert answer.status_code == 201, answer.text
    published = _published(aws, media_id)
    assert published is not None
    with Image.open(io.BytesIO(published)) as image:
        assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
        red, _, blue = image.convert("RGB").getpixel((8, 6))
        assert red > 150 and blue < 80  # the first picture (red), not the second (blue)
    assert published.count(b"\xff\xd8") == 1  # one picture in the file, no second image appended
    assert _peak_memory(pid) < PEAK_MEMORY


@pytest.mark.parametrize("fmt, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                               ("WEBP", "image/webp"), ("GIF", "image/gif")])
def test_only_pixels_are_published(aws, site, fmt, content_type):
    from PIL import Image

    data = files.marked_everywhere(fmt)
    assert data.count(files.MARKER) >= 3  # really carried: profile or comment, text or XMP, trailer
    answer, _, (media_id,) = _share(site[0], [(data, content_type)])
    assert answer.status_code == 201, answer.text
    published = _published(aws, media_id)
    assert published is not None and b"marker-7f3c" not in published and b"<script" not in published
    with Image.open(io.BytesIO(published)) as image:
        assert image.format == fmt and image.size == (24, 16)
        # No profile at all: the pixels were converted to sRGB, what browsers assume without one.
        assert "icc_profile" not in image.info and "exif" not in image.info and "comment" not in image.info
        shown = image.convert("RGB").getpixel((12, 8))
    with Image.open(io.BytesIO(data)) as original:  # the same colour as the upload (a GIF's is its palette's)
        sent = original.convert("RGB").getpixel((12, 8))
    assert all(abs(a - b) < 8 for a, b in zip(shown, sent, strict=True)), (shown, sent)


def test_a_create_whose_images_outlast_the_time_budget_is_refused_at_it(client, aws, monkeypatch):
    """Whatever a file hides from inspection, the decoding child is killed when the create's image time is
    spent (here made 50 ms, so an ordinary 3 MP PNG outlasts it), and nothing is stored."""
    from PIL import Image

    from chalicelib import media

    out = io.BytesIO()
    Image.effect_noise((2000, 1500), 40).convert("RGB").save(out, "PNG")
    media_id = files.upload(client, out.getvalue(), "image/png", new_ip())
    monkeypatch.setattr(media, "IMAGE_SECONDS", 0.05)
    body = {"messages": [{"role": "user", "content": [{"type": "image", "name": "noise.png", "media": media_id}]}]}
    started = time.monotonic()
    with nothing_stored():
        answer = client.http.post("/api/conversations", body=json.dumps(body),
                                  headers={"content-type": "application/json", "x-forwarded-for": new_ip()})
    assert answer.status_code == 413 and time.monotonic() - started < REFUSED_WITHIN
    error = json.loads(answer.body)["error"]
    assert error["code"] == "image_too_complex" and error["field"] == "messages.0.content.0.media"
    assert "take too long" in error["message"]
    assert not _counted(aws, media_id) and _published(aws, media_id) is None


def test_an_avatar_is_published_as_its_pixels_alone(client, aws):
    """The avatar of a create (API clients send one as a data: URI) carries nothing else either: a phone
    photo's GPS, camera, XMP and comment are gone, and it is upright."""
    import base64

    from PIL import Image

    photo = files.phone_jpeg(width=40, height=30, orientation=6)
    assert b"GPS" in photo or b"iPhone" in photo
    avatar = "data:image/jpeg;base64," + base64.b64encode(photo).decode()
    answer = client.http.post("/api/conversations", headers={"content-type": "application/json",
                                                             "x-forwarded-for": new_ip()},
                              body=json.dumps({"messages": [{"role": "user", "content": "hi"}], "avatarUrl": avatar}))
    assert answer.status_code == 201, answer.body
    conversation = json.loads(client.http.get(f"/api/conversations/{json.loads(answer.body)['id']}").body)
    key = conversation["avatar"].split(f"/{BUCKET}/", 1)[1]
    stored = aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    for secret in (b"GPSLatitude", b"xmpmeta", b"12 rue Example", b"iPhone", b"Exif\x00\x00"):
        assert secret not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (30, 40) and not image.getexif()
