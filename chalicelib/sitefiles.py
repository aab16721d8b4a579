"""The site's own root files, `/favicon.ico` and `/robots.txt`: published to the bucket's `site/` at deploy and
served by CloudFront from there (never a Lambda); the app answers the same two paths for `make run`, which has
no CloudFront.

Browsers ask every site for /favicon.ico on their own, so the icon is that file (the pages name no other), and a
first visit loads the page's stylesheet and script besides: two static files, each immutable for a year.
"""
from __future__ import annotations

import io
from functools import cache
from typing import NamedTuple

from . import keys, settings
from .aws import s3

ICON_COLOUR = (10, 88, 202)  # the brand blue of the pages' accent (#0a58ca)
ICON_SIZES = (16, 32, 48)


class SiteFile(NamedTuple):
    body: bytes
    content_type: str
    cache_control: str


def robots_txt() -> str:
    site = settings.get().site_url
    return f"User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /mine\nSitemap: {site}/sitemap.xml\n"


@cache
def favicon_ico() -> bytes:
    """The site's mark (a rounded blue square with three lines, as the cards draw it) as an ICO of 16, 32 and
    48 px, drawn at 8x and scaled down so its edges are smooth. Drawn once per process."""
    from PIL import Image, ImageDraw  # lazy: Pillow only for the icon and the cards

    big = 48 * 8
    unit = big / 32
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(7 * unit), fill=(*ICON_COLOUR, 255))
    for y, length in ((11, 14), (16, 10), (21, 7)):
        draw.line((9 * unit, y * unit, (9 + length) * unit, y * unit), fill=(255, 255, 255, 255),
                  width=round(3 * unit))
        for x in (9, 9 + length):  # round caps
            r = 1.5 * unit
            draw.ellipse((x * unit - r, y * unit - r, x * unit + r, y * unit + r), fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.resize((48, 48), Image.Resampling.LANCZOS).save(out, format="ICO", sizes=[(s, s) for s in ICON_SIZES])
    return out.getvalue()


def files() -> dict[str, SiteFile]:
    """Path (under the site's root) -> what it serves."""
    return {"favicon.ico": SiteFile(favicon_ico(), "image/x-icon", "public, max-age=604800"),
            "robots.txt": SiteFile(robots_txt().encode(), "text/plain; charset=utf-8", "public, max-age=86400")}


def publish() -> list[str]:
    """Store the site's root files at `site/<name>` for CloudFront (run by `make deploy`); their keys."""
    cfg = settings.get()
    stored = []
    for name, found in files().items():
        key = keys.site_object(name)
        s3().put_object(Bucket=cfg.bucket, Key=key, Body=found.body, ContentType=found.content_type,
                        CacheControl=found.cache_control)
        stored.append(key)
    return stored
