"""Link-preview cards drawn from whatever a sharer typed: always a 1200×630 PNG, in bounded time."""
from __future__ import annotations

import io
import time

import pytest

pytestmark = pytest.mark.unit

ODD_TEXTS = [
    "#¡I'\U000eff70\U000e6aedQe\r\U000dc35c,\U00012d6eSGK\U0008a6fc\x96¢)\\ª٣¼",  # made raqm_layout fail
    "مرحبا بالعالم — שלום עולם",  # right to left
    "e\u0301\u0301\u0301\u0301" * 200,  # stacked combining marks
    "🙂🚀👩‍👩‍👧‍👦" * 50,  # emoji the font does not have
    "x" * 100_000,  # one word wider than any card
    "\u202egnp.exe\u202c",  # a bidi override
    "",
]


@pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
def test_any_text_draws_a_card_quickly(text):
    from PIL import Image

    from chalicelib import cards

    start = time.perf_counter()
    png = cards.render(text or "Untitled", text[:100] or None, "chatgpt", text)
    elapsed = time.perf_counter() - start
    with Image.open(io.BytesIO(png)) as card:
        assert (card.format, card.size) == ("PNG", (1200, 630))
    assert elapsed < 1.0, elapsed


def test_a_long_title_is_cut_to_three_lines_with_an_ellipsis():
    from PIL import Image, ImageDraw

    from chalicelib import cards

    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    lines = cards._lines(draw, "word " * 200, cards._font(True, 60), 1056, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert cards._lines(draw, "Short title", cards._font(True, 60), 1056, 3) == ["Short title"]


def test_the_card_is_sent_in_its_own_palette_and_looks_the_same():
    """Encoded in a palette of its colours and their blends: a third of the bytes of the full-colour PNG, and
    no pixel further from the drawing than half a step of a blend (the panel and the accent keep their colour)."""
    from PIL import Image, ImageChops, ImageStat

    from chalicelib import cards

    args = ("Streaming responses in aiohttp, a title long enough to wrap", "gpt-4o", "chatgpt",
            "How do I stream a big file without reading it all into memory? " * 4)
    drawn = cards.picture(*args)
    png = cards.render(*args)
    with Image.open(io.BytesIO(png)) as card:
        assert card.mode == "P" and len(png) < 30_000
        sent = card.convert("RGB")
    full = io.BytesIO()
    drawn.save(full, "PNG", compress_level=6)
    assert len(png) < len(full.getvalue()) / 2
    difference = ImageChops.difference(drawn, sent)
    assert max(high for _, high in difference.getextrema()) <= 12
    assert max(ImageStat.Stat(difference).mean) < 0.5
    for point in ((600, 5), (100, 450), (5, 600)):  # the accent bar, the excerpt's panel, the paper
        assert sent.getpixel(point) == drawn.getpixel(point)
