"""pixels.inspect reads what decoding will cost from the file's structure: the canvas the decoder really
allocates, frames and scans; each walk bounded, whatever the file holds."""
from __future__ import annotations

import io
import struct
import time

import media_files as files
import pytest

from chalicelib import pixels

pytestmark = pytest.mark.unit


def _gif(screen: tuple[int, int], frames: list[tuple[int, int, int, int]]) -> bytes:
    body = b"".join(b"\x2c" + struct.pack("<HHHH", *frame) + b"\x00\x02\x02\x44\x01\x00" for frame in frames)
    return b"GIF89a" + struct.pack("<HH", *screen) + b"\x80\x00\x00" + b"\x00" * 6 + body + b";"


def test_a_gif_canvas_is_what_its_frames_reach_not_what_its_header_says():
    shape = pixels.inspect(_gif((1, 1), [(0, 0, 1, 1), (5000, 3000, 2, 2)]), "gif")
    assert (shape.width, shape.height, shape.frames) == (5002, 3002, 2)
    # A 1x1 frame placed far away: 7001 x 7001 is 49 million pixels, refused though every frame is 1 pixel.
    with pytest.raises(pixels.TooComplex, match="7001 x 7001"):
        pixels.inspect(_gif((1, 1), [(0, 0, 1, 1), (7000, 7000, 1, 1)]), "gif")


def test_an_animation_costs_every_frame_on_the_whole_canvas():
    shape = pixels.inspect(_gif((100, 100), [(0, 0, 1, 1)] * 300), "gif")
    assert shape.work == 100 * 100 * 300
    with pytest.raises(pixels.TooComplex, match="300 frames"):
        pixels.inspect(_gif((100, 100), [(0, 0, 1, 1)] * 301), "gif")


def test_a_gif_of_tiny_sub_blocks_is_refused_quickly():
    # One frame whose data is 5 million one-byte sub-blocks: a walk a byte pair at a time.
    descriptor = b"\x2c" + struct.pack("<HHHH", 0, 0, 10, 10) + b"\x00\x02"
    data = _gif((10, 10), [])[:-1] + descriptor + b"\x01\x00" * 5_000_000
    started = time.monotonic()
    with pytest.raises(pixels.TooComplex, match="tiny pieces"):
        pixels.inspect(data, "gif")
    assert time.monotonic() - started < 0.5


def test_real_files_read_as_their_size():
    from PIL import Image

    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif")):
        out = io.BytesIO()
        Image.new("RGB", (321, 123), (1, 2, 3)).save(out, fmt)
        shape = pixels.inspect(out.getvalue(), ext)
        assert (shape.width, shape.height, shape.frames) == (321, 123, 1), fmt
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, "JPEG", progressive=True)
    assert 2 <= pixels.inspect(out.getvalue(), "jpg").scans <= 20
    assert pixels.inspect(files.phone_jpeg(64, 48), "jpg")[1:3] == (64, 48)  # EXIF and XMP before the frame


def test_an_animated_webp_and_png_count_their_frames():
    from PIL import Image

    frames = [Image.new("RGB", (30, 20), (n * 20, 0, 0)) for n in range(5)]
    for fmt, ext in (("WEBP", "webp"), ("PNG", "png")):
        out = io.BytesIO()
        frames[0].save(out, fmt, save_all=True, append_images=frames[1:], duration=50)
        assert pixels.inspect(out.getvalue(), ext)[1:4] == (30, 20, 5), fmt


@pytest.mark.parametrize("data, ext", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, "png"),
    (b"\xff\xd8\xff\xe0\x00", "jpg"),
    (b"\xff\xd8\xff\xd9", "jpg"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "gif"),
    (b"RIFF\x10\x00\x00\x00WEBPJUNK\x00\x00\x00\x00", "webp"),
    (files.HTML_WITH_PNG_HEADER, "png"),
])
def test_truncated_or_empty_structures_are_unreadable(data, ext):
    with pytest.raises(ValueError, match="not a readable"):
        pixels.inspect(data, ext)


def test_a_pictures_hash_survives_copies_and_tells_pictures_apart():
    """What the takedown's near-copy block rests on (media.LOOKS_DISTANCE): the copies a re-share makes of one
    picture stay within it, 60 different pictures (1,770 pairs) never come within it, and a flat fill is not
    informative enough to block by."""
    import itertools

    from chalicelib.media import LOOKS_DISTANCE

    def looks(data: bytes, ext: str = "jpg") -> int:
        clean, _, _ = pixels.reencode(data, ext, 1)
        return pixels.looks(clean, ext)

    hashes, worst = [], 0
    for seed in range(60):
        original = files.scene(seed)
        own = looks(original)
        copies = [looks(files.reencoded(original, quality=89)), looks(original + b"\0"),
                  looks(files.reencoded(original, scale=0.5, quality=80)),
                  looks(files.reencoded(original, "PNG"), "png")]
        worst = max([worst] + [pixels.distance(own, copy) for copy in copies])
        assert pixels.informative(own)
        hashes.append(own)
    assert worst <= LOOKS_DISTANCE // 2, worst
    closest = min(pixels.distance(a, b) for a, b in itertools.combinations(hashes, 2))
    assert closest > LOOKS_DISTANCE, closest
    assert not pixels.informative(looks(files.generated_png(40, 30), "png"))
