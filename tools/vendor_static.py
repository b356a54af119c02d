#!/usr/bin/env python3
"""Refresh haven/static/vendor/ from the npm packages pinned in tools/static/package-lock.json.

Haven serves every script, style sheet and map file itself: nothing is loaded from a CDN. The copied
files are committed so that a fresh machine needs no Node.js; run this (needs npm) after changing a
version in tools/static/package.json, and commit the result.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "tools" / "static"
VENDOR = ROOT / "haven" / "static" / "vendor"

# package -> files (relative to the package) copied into vendor/<package>/
FILES = {
    "htmx.org": ["dist/htmx.min.js", "LICENSE"],
    "leaflet": [
        "dist/leaflet.js",
        "dist/leaflet.css",
        "dist/images/marker-icon.png",
        "dist/images/marker-icon-2x.png",
        "dist/images/marker-shadow.png",
        "dist/images/layers.png",
        "dist/images/layers-2x.png",
        "LICENSE",
    ],
    "topojson-client": ["dist/topojson-client.min.js", "LICENSE"],
    # Natural Earth 1:50m country boundaries (public domain) as TopoJSON: the offline base map.
    "world-atlas": ["countries-50m.json", "LICENSE"],
}


def main() -> None:
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=PACKAGES, check=True)
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for package, files in FILES.items():
        for name in files:
            source = PACKAGES / "node_modules" / package / name
            target = (
                VENDOR / package / Path(name).relative_to("dist")
                if name.startswith("dist/")
                else (VENDOR / package / name)
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    shutil.rmtree(PACKAGES / "node_modules")


if __name__ == "__main__":
    main()
