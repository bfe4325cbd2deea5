"""Benchmark: point (lon/lat) -> micro-grid lookup with zhili.kit.geo.PolygonIndex.

Builds its own city-sized synthetic tiling (clipped Voronoi cells of seeds that are denser in the core and
in a few sub-centres) over a 0.6° x 0.5° box around lon 121.55, lat 29.8, then measures:

* index build time and resident-memory growth,
* bulk ``locate_many`` throughput over 1 M random points (best of 3),
* single ``locate`` latency over 100,000 random points, each call timed with ``time.perf_counter_ns``,
* the same for a plain shapely ``STRtree`` (the baseline), and that both give identical answers.

Two point distributions: uniform over the box, and "weighted", drawn like the seeds (so most lookups land
in the dense core, where polygons are smallest and most points need an exact polygon test).

Every polygon count runs in a fresh subprocess so memory figures do not bleed into each other.

    .venv/bin/python benchmarks/bench_point_lookup.py [--polygons 40000] [--points 1000000] [--seed 1]
        [--extra-sizes 10000,50000] [--single 100000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from zhili.kit.geo import PolygonIndex  # noqa: E402

BOX = (121.25, 29.55, 121.85, 30.05)  # 0.6° x 0.5° around (121.55, 29.8)
CORE = (121.55, 29.8)
SUBCENTRES = [(121.40, 29.90), (121.72, 29.70), (121.65, 29.95), (121.35, 29.65)]
BUDGET_BULK = 500_000  # points/s
BUDGET_SINGLE_US = 50.0


# -- synthetic city --------------------------------------------------------------------------------------


def sample_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """n points in BOX: 30 % uniform, 40 % around the core (σ ≈ 5 km), 30 % around four sub-centres."""
    x0, y0, x1, y1 = BOX
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = max(1024, int((n - have) * 1.2))
        kind = rng.uniform(size=m)
        pts = np.empty((m, 2))
        uni = kind < 0.3
        core = (kind >= 0.3) & (kind < 0.7)
        sub = kind >= 0.7
        pts[uni] = rng.uniform([x0, y0], [x1, y1], (int(uni.sum()), 2))
        pts[core] = rng.normal(CORE, (0.05, 0.045), (int(core.sum()), 2))
        centres = np.asarray(SUBCENTRES)[rng.integers(0, len(SUBCENTRES), int(sub.sum()))]
        pts[sub] = centres + rng.normal(0.0, 0.025, (int(sub.sum()), 2))
        ok = (pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1)
        out.append(pts[ok])
        have += int(ok.sum())
    return np.concatenate(out)[:n]


def voronoi_tiling(n: int, seed: int) -> list[shapely.Polygon]:
    rng = np.random.default_rng(seed)
    seeds = sample_points(rng, n)
    frame = shapely.box(*BOX)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame)
    clipped = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
    polys = [g for g in clipped if isinstance(g, shapely.Polygon) and not g.is_empty]
    if len(polys) != n:
        raise RuntimeError(f"expected {n} Voronoi cells, got {len(polys)}")
    return polys


# -- measurement helpers ---------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def malloc_trim() -> bool:
    """Hand freed heap back to the OS (glibc), so RSS shows what the index keeps rather than build garbage."""
    try:
        import ctypes

        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def percentiles_us(ns: list[int]) -> dict[str, float]:
    arr = np.asarray(ns, dtype=np.float64) / 1000.0
    return {
        "mean_us": float(arr.mean()),
        "p50_us": float(np.percentile(arr, 50)),
        "p99_us": float(np.percentile(arr, 99)),
        "max_us": float(arr.max()),
    }


def time_single(fn: Any, pts: np.ndarray) -> dict[str, float]:
    coords = pts.tolist()
    for x, y in coords[:1000]:  # warm-up
        fn(x, y)
    clock = time.perf_counter_ns
    times: list[int] = []
    append = times.append
    gc.collect()
    for x, y in coords:
        t0 = clock()
        fn(x, y)
        append(clock() - t0)
    return percentiles_us(times)


def timer_overhead_ns() -> float:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(100_000):
        t0 = clock()
        samples.append(clock() - t0)
    return float(np.median(samples))


def best_of(fn: Any, repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def strtree_bulk(tree: shapely.STRtree, ids: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The baseline: vectorised STRtree query, lowest id per point, -1 outside."""
    pts, polys = tree.query(shapely.points(x, y), predicate="intersects")
    out = np.full(x.shape, -1, dtype=np.int64)
    pid = ids[polys]
    order = np.lexsort((pid, pts))
    pts, pid = pts[order], pid[order]
    first = np.flatnonzero(np.concatenate(([True], pts[1:] != pts[:-1]))) if pts.size else pts
    out[pts[first]] = pid[first]
    return out


# -- one polygon count (runs in a child process) ---------------------------------------------------------


def run_size(n: int, n_points: int, n_single: int, seed: int, repeats: int, baseline: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    polys = voronoi_tiling(n, seed)
    gen_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed + 1000)
    ids = rng.permutation(n).astype(np.int64) * 7 + 100_000  # sparse, unordered ids like database keys

    gc.collect()
    malloc_trim()
    rss0 = rss_mb()
    peak_reset = reset_peak_rss()
    t0 = time.perf_counter()
    index = PolygonIndex(zip(ids.tolist(), polys, strict=True))
    build_s = time.perf_counter() - t0
    peak = peak_rss_mb()
    gc.collect()
    rss_untrimmed = rss_mb()
    trimmed = malloc_trim()
    rss1 = rss_mb()

    x0, y0, x1, y1 = BOX
    uniform = rng.uniform([x0, y0], [x1, y1], (n_points, 2))
    weighted = sample_points(rng, n_points)
    res: dict[str, Any] = {
        "polygons": n,
        "tiling_generation_s": gen_s,
        "build_s": build_s,
        "rss_before_build_mb": rss0,
        "rss_growth_mb": rss1 - rss0,
        "rss_growth_before_malloc_trim_mb": rss_untrimmed - rss0,
        "malloc_trim": trimmed,
        "peak_rss_growth_during_build_mb": (peak - rss0) if peak_reset else None,
        "index": index.stats(),
        "timer_overhead_ns": timer_overhead_ns(),
    }
    for name, pts in (("uniform", uniform), ("weighted", weighted)):
        x, y = pts[:, 0].copy(), pts[:, 1].copy()
        secs, got = best_of(lambda x=x, y=y: index.locate_many(x, y), repeats)
        single = time_single(index.locate, pts[:n_single])
        single_ids = [index.locate(a, b) for a, b in pts[:n_single].tolist()]
        res[name] = {
            "bulk_points": n_points,
            "bulk_best_s": secs,
            "bulk_points_per_s": n_points / secs,
            "single": single,
            "outside_points": int((got == -1).sum()),
            "single_vs_bulk_mismatches": int(
                sum(
                    (-1 if s is None else s) != g
                    for s, g in zip(single_ids, got[:n_single].tolist(), strict=True)
                )
            ),
        }
        if baseline:
            geoms = np.asarray(polys, dtype=object)
            t0 = time.perf_counter()
            tree = shapely.STRtree(geoms)
            shapely.prepare(geoms)
            tree_build = time.perf_counter() - t0
            b_secs, b_got = best_of(lambda x=x, y=y, tree=tree: strtree_bulk(tree, ids, x, y), 1)

            def one(lon: float, lat: float, tree: shapely.STRtree = tree) -> int | None:
                hit = tree.query(shapely.Point(lon, lat), predicate="intersects")
                return int(ids[hit].min()) if hit.size else None

            res[name]["strtree"] = {
                "build_s": tree_build,
                "bulk_points_per_s": n_points / b_secs,
                "single": time_single(one, pts[: max(1, n_single // 10)]),
                "mismatches_vs_index": int((b_got != got).sum()),
            }
    return res


# -- reporting -------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = float("nan")
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(mem_gb, 1),
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": ".".join(map(str, shapely.geos_version)),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_1_5_15": [round(v, 2) for v in os.getloadavg()],
    }


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"Point -> polygon lookup   {m['date']}")
    print(
        f"{m['cpus']} CPU ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"shapely {m['shapely']} (GEOS {m['geos']}), numpy {m['numpy']}"
    )
    print(
        f"load average at start {m['load_average_1_5_15']}, at end {report['load_average_at_end']}"
        " (other work on the machine inflates times)"
    )
    print(
        f"points: {report['args']['points']:,} bulk (best of {report['args']['repeats']}), "
        f"{report['args']['single']:,} single lookups; seed {report['args']['seed']}"
    )
    print()
    head = (
        f"{'polygons':>9} {'points':>9} {'build s':>8} {'mem MB':>7} {'bulk pts/s':>12} {'single mean':>11} "
        f"{'p50 µs':>7} {'p99 µs':>7} {'STRtree pts/s':>13} {'STRtree p50':>11} {'diff':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in report["results"]:
        for name in ("uniform", "weighted"):
            d = r[name]
            s = d["single"]
            st = d.get("strtree")
            print(
                f"{r['polygons']:>9,} {name:>9} {r['build_s']:>8.2f} {r['rss_growth_mb']:>7.1f} "
                f"{d['bulk_points_per_s']:>12,.0f} {s['mean_us']:>9.2f}µs "
                f"{s['p50_us']:>7.2f} {s['p99_us']:>7.2f} "
                + (
                    f"{st['bulk_points_per_s']:>13,.0f} {st['single']['p50_us']:>9.2f}µs "
                    f"{st['mismatches_vs_index'] + d['single_vs_bulk_mismatches']:>5}"
                    if st
                    else f"{'-':>13} {'-':>11} {d['single_vs_bulk_mismatches']:>5}"
                )
            )
    print()
    for r in report["results"]:
        ix = r["index"]
        peak = r["peak_rss_growth_during_build_mb"]
        print(
            f"{r['polygons']:>9,} polygons: grid {int(ix['grid_nx'])}x{int(ix['grid_ny'])} "
            f"({ix['cells'] / 1e6:.2f} M cells), {100 * ix['ambiguous_cell_share']:.1f}% cells need an exact "
            f"test ({ix['candidates_per_ambiguous_cell']:.2f} candidates each), tables "
            f"{ix['table_bytes'] / 1e6:.1f} MB, peak build growth "
            + (f"{peak:.0f} MB" if peak is not None else "n/a")
            + f"; timer overhead {r['timer_overhead_ns']:.0f} ns/call"
        )
    print()
    print(
        f"budget: bulk >= {BUDGET_BULK:,} points/s, single < {BUDGET_SINGLE_US:.0f} µs "
        "(diff = answers differing from the STRtree baseline + single-vs-bulk; must be 0)"
    )
    verdict = "PASS" if report["budget_met"] else "FAIL"
    print(f"budget at {report['args']['polygons']:,} polygons and every size: {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--polygons", type=int, default=40_000, help="micro-grids in the tiling (default 40000)")
    ap.add_argument(
        "--extra-sizes", default="10000,50000", help="further polygon counts, comma-separated ('' for none)"
    )
    ap.add_argument("--points", type=int, default=1_000_000, help="points per bulk run")
    ap.add_argument("--single", type=int, default=100_000, help="individually timed lookups")
    ap.add_argument("--repeats", type=int, default=3, help="bulk runs; the best counts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true", help="skip the STRtree baseline")
    ap.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    ap.add_argument("--save", metavar="PATH", help="also write the JSON report to PATH")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        res = run_size(args.polygons, args.points, args.single, args.seed, args.repeats, not args.no_baseline)
        print(json.dumps(res))
        return

    sizes = [args.polygons] + [int(s) for s in args.extra_sizes.split(",") if s.strip()]
    sizes = sorted(set(sizes))
    host = machine()
    results = []
    for n in sizes:
        print(f"... {n:,} polygons", file=sys.stderr, flush=True)
        cmd = [sys.executable, __file__, "--child", "--polygons", str(n), "--points", str(args.points)]
        cmd += ["--single", str(args.single), "--repeats", str(args.repeats), "--seed", str(args.seed)]
        if args.no_baseline:
            cmd.append("--no-baseline")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))

    ok = all(
        r[name]["bulk_points_per_s"] >= BUDGET_BULK
        and r[name]["single"]["mean_us"] < BUDGET_SINGLE_US
        and r[name]["single"]["p99_us"] < BUDGET_SINGLE_US
        and r[name]["single_vs_bulk_mismatches"] == 0
        and r[name].get("strtree", {}).get("mismatches_vs_index", 0) == 0
        for r in results
        for name in ("uniform", "weighted")
    )
    report = {
        "benchmark": "point_lookup",
        "command": " ".join([".venv/bin/python", "benchmarks/bench_point_lookup.py", *sys.argv[1:]]),
        "args": vars(args) | {"sizes": sizes},
        "machine": host,
        "budget": {"bulk_points_per_s": BUDGET_BULK, "single_us": BUDGET_SINGLE_US},
        "budget_met": ok,
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "results": results,
    }
    if args.save:
        Path(args.save).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_table(report)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
