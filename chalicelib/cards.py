"""Link-preview cards: the 1200×630 PNG a chat app or social site shows for a shared link (`og:image`).

Drawn with Pillow when asked for (published.card), not when a conversation is shared, and kept by the CDN,
not in S3: most shared links are unfurled a few times or never, and a card drawn and stored at every create
was a fifth of the create's price (an S3 PUT, $5 a million, and the drawing). In the DejaVu fonts shipped in
chalicelib/fonts (Bitstream Vera licence, LICENSE-DejaVu.txt): nothing is fetched to draw one. Light theme,
big type: it must read at thumbnail size. Its URL, `/cards/<id>/<hash>.png`, is the hash of what it shows: a
new title is a new URL, and the old one is invalidated. (Cards drawn before lived in S3 under the same
names; a delete still removes such an object.)
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import keys, settings

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
FONTS = Path(__file__).parent / "fonts"
SITE_NAME = "ShareGPT"
INK, MUTED, ACCENT, PAPER, PANEL = (17, 24, 39), (75, 85, 99), (16, 163, 127), (255, 255, 255), (243, 244, 246)
# What is read of the texts: a card shows a few lines, so a long title costs nothing more.
MAX_TITLE = 180
MAX_EXCERPT = 400
# Part of every card's key: a change of the drawing below gives new URLs to the cards it draws from then.
DESIGN = "1"
# Drawn when a sharer's text defeats the font machinery: a card without their words beats no card.
PLAIN_TITLE = "A shared AI conversation"


@lru_cache(maxsize=8)
def _font(bold: bool, size: int) -> Any:
    from PIL import ImageFont

    # Basic layout: no libraqm (a client's string of stray marks made raqm_layout fail), the same on every host.
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size,
                              layout_engine=ImageFont.Layout.BASIC)


def _lines(draw: Any, text: str, font: Any, width: int, limit: int) -> list[str]:
    """Greedy word wrap to `limit` lines, the last one ending in "…" when the text goes on. Linear: each word
    is measured once (a word wider than the card is cut by characters)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while draw.textlength(current, font=font) > width and len(current) > 1:
            current = current[: max(1, len(current) * width // int(draw.textlength(current, font=font) + 1))]
        if len(lines) == limit:
            break
    if current and len(lines) < limit:
        lines.append(current)
    if len(lines) == limit and " ".join(lines) != " ".join(text.split()):
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip(" ,;:.") + "…"
    return lines


def render(title: str, model: str | None, source: str | None, excerpt: str) -> bytes:
    """The card as PNG bytes: the title (up to three lines), model and source, the conversation's first words,
    and the site's name."""
    from PIL import Image

    out = io.BytesIO()
    # In a palette of the card's own colours and their anti-aliasing blends: the same picture at a third of
    # the bytes (about 20 KB, not 60), and every unfurler's fetch is bytes out of the CDN.
    picture(title, model, source, excerpt).quantize(palette=_palette(), dither=Image.Dither.NONE).save(
        out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def picture(title: str, model: str | None, source: str | None, excerpt: str) -> Any:
    """The card as drawn, in full colour (a Pillow image): what `render` encodes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 14), fill=ACCENT)
    inner = WIDTH - 2 * MARGIN
    y = 70
    details = " · ".join(part for part in (model, {"chatgpt": "ChatGPT", "claude": "Claude"}.get(source or "", source))
                         if part)
    if details:
        draw.text((MARGIN, y), details[:80], font=_font(False, 30), fill=ACCENT)
        y += 56
    title_font = _font(True, 60)
    for line in _lines(draw, title[:MAX_TITLE], title_font, inner, 3):
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 74
    y += 20
    excerpt_lines = _lines(draw, excerpt[:MAX_EXCERPT], _font(False, 32), inner - 48, max(1, (500 - y) // 44))
    if excerpt_lines:
        draw.rounded_rectangle((MARGIN, y, WIDTH - MARGIN, y + 28 + 44 * len(excerpt_lines)), radius=18, fill=PANEL)
        for number, line in enumerate(excerpt_lines):
            draw.text((MARGIN + 24, y + 14 + 44 * number), line, font=_font(False, 32), fill=MUTED)
    draw.text((MARGIN, HEIGHT - 92), SITE_NAME, font=_font(True, 40), fill=INK)
    draw.text((WIDTH - MARGIN, HEIGHT - 84), settings.get().site_url.split("://", 1)[-1][:40],
              font=_font(False, 28), fill=MUTED, anchor="ra")
    return image


@lru_cache(maxsize=1)
def _palette() -> Any:
    """Every colour a card is drawn in: each text colour blended in 16 steps over each ground it is drawn on."""
    from PIL import Image

    colors: list[tuple[int, ...]] = []
    for ink, ground in ((INK, PAPER), (ACCENT, PAPER), (MUTED, PAPER), (MUTED, PANEL)):
        for step in range(16):
            blend = tuple(round(i * step / 15 + g * (1 - step / 15)) for i, g in zip(ink, ground, strict=True))
            if blend not in colors:
                colors.append(blend)
    palette = Image.new("P", (1, 1))
    palette.putpalette([value for color in colors for value in color])
    return palette


def draw(title: str, model: str | None, source: str | None, excerpt: str) -> bytes:
    """`render`; if the text defeats the font machinery (logged), the card without the sharer's words."""
    try:
        return render(title, model, source, excerpt)
    except (OSError, ValueError, RuntimeError):
        logging.getLogger(__name__).warning("a card without its text", exc_info=True)
        return render(PLAIN_TITLE, None, None, "")


def card_key(conversation_id: str, title: str, model: str | None, source: str | None) -> str:
    """Where the conversation's card is (or will be, once asked for): named by what it shows, so a create
    names it without drawing it. The excerpt is not in the name: a conversation's messages never change."""
    shown = json.dumps([DESIGN, title, model, source, settings.get().site_url], ensure_ascii=False)
    return keys.card_object(conversation_id, hashlib.sha256(shown.encode()).hexdigest())

