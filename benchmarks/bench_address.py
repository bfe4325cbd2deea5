"""Benchmark: Chinese address matching on the demo district (~25,000 standard addresses, ~130 roads).

1. Builds the demo district into a scratch SQLite file (or uses ``--database-url``, already holding the demo).
2. Generates ``--queries`` (default 3,000) queries from random standard addresses, deterministic for ``--seed``:
   positives written the ways people write them (full text; road and number only; street abbreviated, 首南天童南路;
   Chinese numerals; full-width digits; one wrong character in the road name) and negatives that must be refused
   (a number the road does not have, an address in another city, garbage, an invented road).
3. Calls ``zhili.addresses.service.resolve`` for each one (single thread, gazetteer already loaded) and reports
   resolves/s, p50/p99/max latency, and accuracy: positives resolved to the right standard address / the right
   community, positives given a wrong point (the costly error), negatives correctly refused.

    .venv/bin/python benchmarks/bench_address.py [--queries 3000] [--seed 1] [--json]
        [--database-url sqlite:////tmp/zhili_demo.db]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from zhili.addresses import service  # noqa: E402
from zhili.addresses.models import Address, Road  # noqa: E402
from zhili.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from zhili.kit import crypto  # noqa: E402
from zhili.migrate import upgrade  # noqa: E402
from zhili.org.models import Area  # noqa: E402

CN = "零一二三四五六七八九"
POOL = "东西南北中山海江湖明光华兴宁安康泰丰和平新民学府"


def cn_number(n: int) -> str:
    """588 -> 五百八十八 (positional, as people say it)."""
    if n < 10:
        return CN[n]
    out, units = "", [(1000, "千"), (100, "百"), (10, "十")]
    zero = False
    for value, unit in units:
        d = n // value % 10
        if d:
            if zero and out:
                out += "零"
            out += ("" if (value == 10 and d == 1 and not out) else CN[d]) + unit
            zero = False
        elif out:
            zero = True
    if n % 10:
        out += ("零" if zero else "") + CN[n % 10]
    return out


def full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


def typo(name: str, rng: random.Random) -> str:
    core = name[:-2] if name.endswith("大道") else name[:-1]
    i = rng.randrange(len(core))
    return core[:i] + rng.choice([c for c in POOL if c != core[i]]) + core[i + 1:] + name[len(core):]


def make_queries(session, n: int, seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    areas = {a.id: a for a in session.scalars(select(Area))}
    roads = {r.id: r for r in session.scalars(select(Road))}
    rows = list(session.execute(select(Address.id, Address.road_id, Address.number, Address.building,
                                       Address.area_id, Address.parent_id)))
    top = {}
    for r in rows:
        top[r.road_id] = max(top.get(r.road_id, 0), r.number)
    queries = []  # (text, kind, expected address id or None, expected community id or None)
    for _ in range(n):
        if rng.random() < 0.8:
            r = rng.choice(rows)
            road = roads[r.road_id].name
            community = areas[r.area_id]
            street = areas[community.parent_id]
            b = f"{r.building}幢" if r.building else ""
            kind = rng.choice(["full", "dropped", "abbreviated", "numerals", "full_width", "typo"])
            text = {
                "full": f"宁波市鄞州区{street.name}{road}{r.number}号{b}",
                "dropped": f"{road}{r.number}号{b}",
                "abbreviated": f"{street.short_name}{road}{r.number}号{b}",
                "numerals": f"{road}{cn_number(r.number)}号" + (f"{cn_number(int(r.building))}幢" if b else ""),
                "full_width": full_width(f"{road}{r.number}号{b}"),
                "typo": f"{typo(road, rng)}{r.number}号{b}",
            }[kind]
            queries.append((text, kind, r.id, community.id))
        else:
            kind = rng.choice(["no_such_number", "other_city", "garbage", "invented_road"])
            road = rng.choice(list(roads.values()))
            text = {
                "no_such_number": f"{road.name}{top.get(road.id, 0) + rng.randint(100, 900)}号",
                "other_city": f"杭州市西湖区文三路{rng.randint(1, 500)}号",
                "garbage": "".join(rng.choice("的了是在我有这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之")
                                   for _ in range(rng.randint(4, 12))),
                "invented_road": "".join(rng.choice("甲乙丙丁戊己庚辛壬癸") for _ in range(3)) + f"路{rng.randint(1, 300)}号",
            }[kind]
            queries.append((text, kind, None, None))
    return queries


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    crypto.configure("5a" * 32)
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/demo.db"
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    if not args.database_url:
        from zhili.demo.build import build_demo

        upgrade(engine)
        t = time.perf_counter()
        with transaction(factory) as s:
            build_demo(s, seed=2026)
        print(f"demo built in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    with transaction(factory) as s:
        t = time.perf_counter()
        gaz = service.current_gazetteer(s, refresh_seconds=3600)
        load = time.perf_counter() - t
        queries = make_queries(s, args.queries, args.seed)
        service.resolve(s, "天童南路588号", refresh_seconds=3600)  # warm-up: builds the grid index once
        times, results = [], []
        start = time.perf_counter()
        for text, *_ in queries:
            t0 = time.perf_counter()
            results.append(service.resolve(s, text, refresh_seconds=3600))
            times.append(time.perf_counter() - t0)
        total = time.perf_counter() - start
        matcher_start = time.perf_counter()
        for text, *_ in queries:
            gaz.match(text)
        matcher_total = time.perf_counter() - matcher_start
    by_kind: dict[str, dict[str, int]] = {}
    for (_, kind, want, community), m in zip(queries, results, strict=True):
        k = by_kind.setdefault(kind, {"n": 0, "right": 0, "community": 0, "wrong_point": 0, "refused": 0})
        k["n"] += 1
        if not m.matched:
            k["refused"] += 1
        elif want is not None:
            k["right"] += m.standard_address_id == want
            k["wrong_point"] += m.standard_address_id != want
            k["community"] += m.community_code is not None and m.community_code == _code(factory, community)
    pos = [k for name, k in by_kind.items() if name in ("full", "dropped", "abbreviated", "numerals", "full_width",
                                                        "typo")]
    neg = [k for name, k in by_kind.items() if k not in pos]
    npos, nneg = sum(k["n"] for k in pos), sum(k["n"] for k in neg)
    ms = sorted(t * 1000 for t in times)
    report = {
        "addresses": len(gaz), "roads": len(gaz.roads), "gazetteer_load_s": round(load, 2),
        "queries": len(queries), "resolves_per_s": round(len(queries) / total),
        "matcher_only_per_s": round(len(queries) / matcher_total),
        "p50_ms": round(statistics.median(ms), 3), "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 3),
        "max_ms": round(ms[-1], 3),
        "positives_right_address_pct": round(100 * sum(k["right"] for k in pos) / npos, 1),
        "positives_right_community_pct": round(100 * sum(k["community"] for k in pos) / npos, 1),
        "positives_wrong_point_pct": round(100 * sum(k["wrong_point"] for k in pos) / npos, 2),
        "positives_refused_pct": round(100 * sum(k["refused"] for k in pos) / npos, 1),
        "negatives_refused_pct": round(100 * sum(k["refused"] for k in neg) / nneg, 1),
        "by_kind": {name: {**k, "right_pct": round(100 * (k["right"] if name not in (
            "no_such_number", "other_city", "garbage", "invented_road") else k["refused"]) / k["n"], 1)}
            for name, k in sorted(by_kind.items())},
    }
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
    tmp.cleanup()


_codes: dict[int, str] = {}


def _code(factory, area_id: int) -> str:  # type: ignore[no-untyped-def]
    if area_id not in _codes:
        with transaction(factory) as s:
            _codes.update(dict(s.execute(select(Area.id, Area.code)).tuples().all()))
    return _codes[area_id]


if __name__ == "__main__":
    main()
