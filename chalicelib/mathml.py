"""TeX to MathML, on the server, once, at create time: browsers render MathML natively, so a reader needs no
KaTeX, no JavaScript and no font download.

latex2mathml writes the MathML; its output is not trusted as it is (it copies `\\text{...}` unescaped and keeps
`\\href` targets), so it is parsed as XML and rebuilt from an allow-list of the elements and attributes that
generator emits. Anything else, a formula too long or too deeply nested to convert in bounded time, or one the
converter refuses, shows as its TeX in `<code>`. Clients never send MathML: only TeX reaches this module.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from xml.etree import ElementTree

NS = "http://www.w3.org/1998/Math/MathML"
MAX_TEX_CHARS = 4000
MAX_BRACE_DEPTH = 40
MAX_ELEMENT_DEPTH = 80
ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot", "msup", "msub",
    "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "merror", "mmultiscripts", "mprescripts", "none",
})
ATTRIBUTES = frozenset({
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "accent", "accentunder",
    "movablelimits", "largeop", "symmetric", "minsize", "maxsize", "columnalign", "rowalign", "columnspacing",
    "rowspacing", "columnlines", "rowlines", "frame", "width", "height", "depth", "linethickness",
    "displaystyle", "scriptlevel", "notation", "form", "mathsize", "voffset",
})
# Keywords, lengths and booleans only: no URL, no CSS, no markup can be spelled with these.
_VALUE_RE = re.compile(r"[-\w. %]{0,64}")


def _fallback(tex: str, display: bool) -> str:
    return f'<code class="math-tex{" math-display" if display else ""}">{html.escape(tex)}</code>'


def _too_deep(tex: str) -> bool:
    depth = 0
    for char in tex:
        if char == "{":
            depth += 1
            if depth > MAX_BRACE_DEPTH:
                return True
        elif char == "}":
            depth -= 1
    return False


def _serialize(root: ElementTree.Element) -> str | None:
    """The tree as MathML text with every name checked and every text escaped; None if anything is not allowed."""
    out: list[str] = []
    # (element, depth, closing): an explicit stack, so no formula can exhaust Python's recursion limit.
    stack: list[tuple[ElementTree.Element, int, bool]] = [(root, 0, False)]
    while stack:
        element, depth, closing = stack.pop()
        name = element.tag[len(NS) + 2:] if element.tag.startswith("{" + NS + "}") else ""
        if closing:
            out.append(f"</{name}>{html.escape(element.tail or '')}")
            continue
        if name not in ELEMENTS or depth > MAX_ELEMENT_DEPTH:
            return None
        attributes = []
        if name == "math":
            attributes.append(f'xmlns="{NS}"')
        for key, value in element.attrib.items():
            if key not in ATTRIBUTES or not _VALUE_RE.fullmatch(value):
                return None
            attributes.append(f'{key}="{html.escape(value)}"')
        out.append(f"<{' '.join([name, *attributes])}>{html.escape(element.text or '')}")
        stack.append((element, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(list(element)))
    return "".join(out)


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """Safe MathML for one formula, or the TeX in `<code>` when it cannot be converted."""
    tex = tex.strip()
    if not tex or len(tex) > MAX_TEX_CHARS or _too_deep(tex):
        return _fallback(tex, display)
    from latex2mathml.converter import convert

    try:
        raw = convert(tex, display="block" if display else "inline")
        root = ElementTree.fromstring(raw)
    except Exception:  # noqa: BLE001 - any TeX the converter or the XML parser refuses is shown as TeX
        return _fallback(tex, display)
    return _serialize(root) or _fallback(tex, display)


# Per conversation: converting costs ~60 us a formula and up to ~18 us a TeX character, so a conversation
# converts at most this much TeX, each formula counting FORMULA_OVERHEAD characters more (about 1.1 s at worst,
# whatever the mix); formulas past it show as TeX. A math-heavy chat (500 formulas of 30 characters) fits.
MAX_TEX_PER_CONVERSATION = 60_000
FORMULA_OVERHEAD = 4


class MathBudget:
    """The TeX characters one conversation may still convert."""

    def __init__(self, chars: int | None = None) -> None:
        self.chars = MAX_TEX_PER_CONVERSATION if chars is None else chars

    def convert(self, tex: str, display: bool) -> str:
        self.chars -= len(tex) + FORMULA_OVERHEAD
        if self.chars < 0:
            return _fallback(tex.strip(), display)
        return tex_to_mathml(tex, display)


_budget: ContextVar[MathBudget | None] = ContextVar("math_budget", default=None)


@contextmanager
def conversation_budget() -> Iterator[None]:
    """Formulas converted inside the block share one budget (a conversation's create)."""
    token = _budget.set(MathBudget())
    try:
        yield
    finally:
        _budget.reset(token)


def current_budget() -> MathBudget:
    """The conversation's budget, or a fresh one outside a create (a comment)."""
    return _budget.get() or MathBudget()

