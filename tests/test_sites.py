"""One file per chat site in the extension (extension/sites/<name>.js), and a manifest that loads on each site
only the common files and that site's own.

Each site file is loaded in Node (`vm`, no DOM) after sites/common.js, as the extension, the background and the
import page load it: it must register exactly its own site, define no function named for another site, and
read nothing of the DOM or the network when it loads.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "extension"
SITES = EXTENSION / "sites"
# What every chat site's page loads besides its own file: the page fallback's Markdown converter, the shared
# reading tools and register, and the content script itself (last).
COMMON_BEFORE = ["vendor/turndown.js", "vendor/turndown-plugin-gfm.js", "sites/common.js"]
COMMON_AFTER = ["content.js"]
# Loads sites/common.js, then the given site files, in a bare context (no document, no window, no fetch) and
# prints what registered: names, hosts, fields, and every global the files left behind.
REGISTER = r"""
const fs = require("fs"), vm = require("vm");
const context = vm.createContext({});
for (const file of process.argv.slice(1)) vm.runInContext(fs.readFileSync(file, "utf8"), context, { filename: file });
const sites = context.ShareSites.all().map((s) => ({ name: s.name, label: s.label, hosts: s.hosts,
  fields: Object.keys(s).sort(), imageHosts: s.imageHosts.map(String) }));
process.stdout.write(JSON.stringify({ sites, globals: Object.keys(context).sort(),
                                      readers: Object.keys(context.ShareReaders).sort() }));
"""


def _site_names() -> list[str]:
    return sorted(path.stem for path in SITES.glob("*.js") if path.stem != "common")


def _load(*names: str) -> dict:
    files = [str(SITES / "common.js"), *(str(SITES / f"{name}.js") for name in names)]
    done = subprocess.run(["node", "-e", REGISTER, *files], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def _manifest() -> dict:
    return json.loads((EXTENSION / "manifest.json").read_text())


def test_every_site_the_server_knows_has_one_file_and_no_other():
    from chalicelib.keys import SOURCES

    assert _site_names() == sorted(SOURCES)
    assert not (EXTENSION / "readers.js").exists()


@pytest.mark.parametrize("name", _site_names())
def test_a_site_file_registers_its_own_site_and_nothing_else(name):
    loaded = _load(name)
    assert [site["name"] for site in loaded["sites"]] == [name]
    site = loaded["sites"][0]
    assert {"name", "label", "hosts", "imageHosts", "path", "read", "load", "pageTurns"} <= set(site["fields"])
    assert site["hosts"] and site["imageHosts"]
    # Its reader joins the shared ones; it leaves no global of its own behind.
    assert loaded["readers"] == sorted([name, "describe", "imageType", "summary", "withMedia", "withoutSteps"])
    assert loaded["globals"] == ["ShareReaders", "ShareSites"]


@pytest.mark.parametrize("name", _site_names())
def test_a_site_file_defines_only_its_own_sites_functions(name):
    """No function in one site's file is named for another site (a `grokText` in claude.js is code that
    belongs in grok.js), and no site's file names another site's hosts."""
    source = (SITES / f"{name}.js").read_text()
    defined = re.findall(r"\bfunction\s+(\w+)|\bconst\s+(\w+)\s*=", source)
    names = {a or b for a, b in defined}
    others = [other for other in _site_names() if other != name]
    assert [n for n in names if any(n.lower().startswith(other) for other in others)] == []
    other_hosts = {host for other in others for host in _load(other)["sites"][0]["hosts"]}
    assert [host for host in other_hosts if host in source] == []


def test_the_common_files_name_no_site():
    """content.js, background.js and sites/common.js work for any site: no site's host in their code."""
    hosts = {host for site in _load(*_site_names())["sites"] for host in site["hosts"]}
    for file in ("content.js", "background.js", "sites/common.js"):
        source = (EXTENSION / file).read_text()
        assert [host for host in sorted(hosts) if host in source] == [], file


def test_each_sites_manifest_entry_loads_the_common_files_and_that_sites_file_only():
    registered = {site["name"]: site for site in _load(*_site_names())["sites"]}
    entries = _manifest()["content_scripts"]
    assert len(entries) == len(registered)
    seen = set()
    for entry in entries:
        own = [file for file in entry["js"] if file.startswith("sites/") and file != "sites/common.js"]
        assert len(own) == 1, entry
        name = Path(own[0]).stem
        seen.add(name)
        assert entry["js"] == [*COMMON_BEFORE, f"sites/{name}.js", *COMMON_AFTER]
        # It runs on the site's pages, and only there.
        assert sorted(entry["matches"]) == sorted(f"https://{host}/*" for host in registered[name]["hosts"])
    assert seen == set(registered)


def test_the_background_loads_every_site_for_their_image_hosts():
    manifest = _manifest()
    sites = [f"sites/{name}.js" for entry in manifest["content_scripts"]
             for name in [Path(entry["js"][-2]).stem]]
    assert manifest["background"]["scripts"] == ["sites/common.js", *sites, "background.js"]
    # Every host the content scripts run on or fetch images from is one the extension may reach.
    permitted = set(manifest["host_permissions"])
    for site in _load(*_site_names())["sites"]:
        for host in site["hosts"]:
            assert f"https://{host}/*" in permitted


def test_the_import_page_is_served_the_extensions_own_files():
    static = ROOT / "chalicelib" / "static"
    for name in ("common", "chatgpt", "claude", "deepseek", "grok"):
        link = static / f"sites-{name}.js"
        assert link.is_symlink() and link.resolve() == (SITES / f"{name}.js").resolve()


def test_geminis_title_comes_from_the_apps_conversation_list():
    """The read call (hNvQHb) carries no title; the list the app's sidebar shows (MaZiqc) names each chat."""
    script = r"""
    const fs = require("fs"), vm = require("vm");
    const context = vm.createContext({});
    for (const file of process.argv.slice(1, 3)) vm.runInContext(fs.readFileSync(file, "utf8"), context);
    const [site] = context.ShareSites.all();
    const text = fs.readFileSync(process.argv[3], "utf8");
    const id = "9cf87bbddf79d497";
    process.stdout.write(JSON.stringify([site.title(text, id), site.title(text, "0000000000000000") ?? null,
                                         site.title("not a batchexecute answer", id) ?? null]));
    """
    answer = subprocess.run(["node", "-e", script, str(SITES / "common.js"), str(SITES / "gemini.js"),
                             str(ROOT / "tests" / "fixtures" / "chats" / "gemini_list_titles.txt")],
                            capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(answer.stdout) == ["Hadith Authenticity and Narrator Discrepancies", None, None]
