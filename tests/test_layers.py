"""The domain's layers point down: `chalicelib`'s import graph, read with `ast`, has no cycle.

Every import of a chalicelib module counts: at module level, inside a function (an import kept lazy for cold
start is still a dependency), and under `if TYPE_CHECKING:` (a type-only cycle is still two modules that
cannot be understood apart). A lazy import placed to dodge a cycle therefore fails here as the cycle it
hides. The domain (what is stored) must not reach the publishing or moderation layers above it at all.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parent.parent / "chalicelib"
DOMAIN = {"conversations", "comments", "saves", "accounts", "media", "listings", "views", "references", "leftovers",
          "rendering", "validation", "avatars", "cards"}
ABOVE_THE_DOMAIN = {"published", "cdn", "cleanup", "moderation", "sharing", "closing", "jobs", "pages", "routes",
                    "callers", "http", "openapi"}


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def _targets(node: ast.AST, module: str, known: set[str]) -> list[str]:
    """The chalicelib modules an import statement in `module` names."""
    package = module.split(".")[:-1] if "." in module else []
    found: list[str] = []
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
            stem = base + (node.module.split(".") if node.module else [])
        elif node.module and (node.module == "chalicelib" or node.module.startswith("chalicelib.")):
            stem = node.module.split(".")[1:]
        else:
            return []
        for alias in node.names:  # `from . import x` names modules; `from .x import y` names x
            candidate = ".".join([*stem, alias.name])
            found.append(candidate if candidate in known else ".".join(stem))
    elif isinstance(node, ast.Import):
        found = [a.name.split(".", 1)[1] for a in node.names if a.name.startswith("chalicelib.")]
    return [name for name in found if name in known]


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """{module: the chalicelib modules it imports anywhere in its source}, relative to the package."""
    files = {_module_name(path, package): path for path in sorted(package.rglob("*.py"))}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        graph[module] = {target for node in ast.walk(tree) for target in _targets(node, module, known)} - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_chalicelib_has_no_import_cycle():
    graph = import_graph()
    assert {"conversations", "published", "moderation", "routes.api"} <= set(graph)  # the walk found the package
    assert cycles(graph) == []


def test_the_domain_knows_nothing_of_publishing_or_moderation():
    graph = import_graph()
    reaching_up = {module: sorted(target for target in graph[module] if target.split(".")[0] in ABOVE_THE_DOMAIN)
                   for module in sorted(DOMAIN)}
    assert {module: up for module, up in reaching_up.items() if up} == {}


def test_the_cycle_finder_finds_a_cycle_held_by_a_function_level_import(tmp_path):
    """The test above can fail: the cycle this reshape removed (the domain publishing from inside a function,
    the publisher reading the domain) is found, as is a type-only one."""
    package = tmp_path / "chalicelib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "conversations.py").write_text("from . import keys\n\n\ndef create():\n"
                                              "    from . import published\n\n    published.publish_new()\n")
    (package / "published.py").write_text("from . import conversations\n")
    (package / "keys.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                                     "    from chalicelib.media import Image\n")
    (package / "media.py").write_text("from .keys import META\n")
    graph = import_graph(package)
    assert graph["conversations"] == {"keys", "published"}
    assert sorted(cycles(graph)) == [["conversations", "published"], ["keys", "media"]]


def test_an_import_inside_a_function_says_why():
    """An import of our own modules inside a function is there only to keep a heavy library off a cold start,
    and says which: a `# lazy: ...` comment on its line or just above its block."""
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "routes" in path.parts:  # every route imports what it needs inside it (app.py says why, once)
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not (isinstance(node, ast.ImportFrom) and node.level):
                    continue
                block = node.lineno - 1
                while block > 0 and lines[block - 1].strip().startswith(("from ", "import ")):
                    block -= 1
                said = "# lazy:" in lines[node.lineno - 1] or (block > 0 and "# lazy:" in lines[block - 1])
                if not said:
                    unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert unexplained == []


def test_the_inline_stylesheet_is_minified_without_changing_a_rule():
    """pages.minify_css: comments and needless spaces go; strings, a descendant's pseudo-class and calc()'s
    operators stay; the whole stylesheet keeps every selector's braces balanced and is what the CSP's hash
    names."""
    import base64
    import hashlib

    from chalicelib import http, pages

    css = ('/* a "comment" */\n.a :hover ,  .b > .c {\n  width : calc(1px + 2px);\n  content: " ( ; } " ;\n}\n'
           "@media (max-width: 40rem) { .d { color: red; } }")
    assert pages.minify_css(css) == ('.a :hover,.b>.c{width :calc(1px + 2px);content:" ( ; } "}'
                                     "@media (max-width:40rem){.d{color:red}}")
    inline = pages.inline_css()
    assert inline.count("{") == inline.count("}") and "/*" not in inline
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" == pages.style_source() and pages.style_source() in http.csp()
