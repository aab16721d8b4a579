"""The default avatar: a symmetric 5x5 identicon SVG derived from a seed, drawn by the app itself."""
from __future__ import annotations

import hashlib


def identicon_svg(seed: str) -> str:
    """A deterministic, self-contained SVG (no script, no external reference)."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    cells = []
    for row in range(5):
        for col in range(3):
            if digest[2 + row * 3 + col] & 1:
                for x in {col, 4 - col}:
                    cells.append(f'<rect x="{x + 1}" y="{row + 1}" width="1" height="1"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" width="48" height="48">'
        f'<rect width="7" height="7" fill="hsl({hue},30%,92%)"/>'
        f'<g fill="hsl({hue},55%,45%)">{"".join(cells)}</g></svg>'
    )
