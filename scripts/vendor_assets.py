"""Copy the pinned npm packages' distributable files into zhili/web/static/vendor (run by `make assets`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "zhili" / "web" / "static" / "vendor"

# package -> [(source inside the package, destination under vendor/)]
FILES = {
    "leaflet": [("dist/leaflet.js", "leaflet/leaflet.js"), ("dist/leaflet.css", "leaflet/leaflet.css"),
                ("dist/images", "leaflet/images"), ("LICENSE", "leaflet/LICENSE")],
    "echarts": [("dist/echarts.common.min.js", "echarts/echarts.common.min.js"), ("LICENSE", "echarts/LICENSE")],
}


def main() -> int:
    for package, items in FILES.items():
        base = NODE / package
        if not base.exists():
            print(f"missing node_modules/{package}: run `npm ci` first", file=sys.stderr)
            return 1
        for src, dst in items:
            source, target = base / src, VENDOR / dst
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                shutil.copy2(source, target)
    (VENDOR / ".stamp").write_text("ok\n")
    print(f"vendored {', '.join(FILES)} into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
