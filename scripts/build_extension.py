"""`make extension`: one zip per store from extension/, each with the manifest that store wants.

Chrome takes `background.service_worker` and ignores Firefox's settings; Firefox (121+) takes
`background.scripts` and needs `browser_specific_settings.gecko.id`. The unpacked folder keeps both, which
both browsers accept, so that it loads as is for development.
"""
from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "extension"


def build(out: Path, source: Path = SOURCE) -> list[Path]:
    """Both stores' packages of the extension in `source` (extension/; the tests build a copy too)."""
    manifest = json.loads((source / "manifest.json").read_text())
    chrome = {**manifest, "background": {"service_worker": manifest["background"]["service_worker"]}}
    chrome.pop("browser_specific_settings", None)
    firefox = {**manifest, "background": {"scripts": manifest["background"]["scripts"]}}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for store, store_manifest in (("chrome", chrome), ("firefox", firefox)):
        target = out / f"sharegpt-{store}.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(store_manifest, indent=2) + "\n")
            for path in sorted(source.rglob("*")):
                if path.is_file() and path.name != "manifest.json":
                    archive.write(path, path.relative_to(source).as_posix())
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    for path in build(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
