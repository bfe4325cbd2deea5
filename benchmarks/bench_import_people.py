"""Benchmark: `zhili import people` of a department's csv of N people (default 1,000,000) into the registry.

1. The database must hold a district's standard addresses: build it once with
   `ZHILI_DATABASE_URL=... zhili demo --cases 0 --people 0` (or pass ``--demo`` to do it here).
2. Writes a synthetic 公安 export, streamed to disk: valid resident ID numbers (GB 11643 checksum, real birth
   dates), realistic names, mobile numbers, door-plate or building addresses of the district, residency, a few
   tags. Every row is valid, so the figure is the cost of a clean import.
3. Empties the registry tables (people, households, source records, reviews, conflicts, imports), imports the file
   in a child process (`zhili import people`), then imports it again (the re-run: every row unchanged), and reports
   for each run the seconds, rows/s, counts, the child's peak RSS and CPU seconds (resource.getrusage of the
   child: the importer's own cost, whatever else the machine runs) and the load average before and after.

    .venv/bin/python benchmarks/bench_import_people.py [--rows 1000000] [--batch 5000] [--demo] [--json]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench_reg] [--no-rerun]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_KEY = "6b" * 32
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉鹏飞宇浩然子涵梓轩欣怡诗雨佳琪思远博文晨曦海燕春梅志强德胜玉兰"
HEADER = ["人员编号", "姓名", "公民身份号码", "联系电话", "居住地址", "户籍类型", "人群标签"]
MAPPING = """source: 公安
id_column: 人员编号
columns: {name: 姓名, id_number: 公民身份号码, phone: 联系电话, address: 居住地址, residency: 户籍类型, tags: 人群标签}
residency: {户籍: registered, 流动: floating}
tags: {低保: low_income, 独居: elderly_alone, 残疾: disabled, 退役军人: veteran}
"""
REGIONS = ["330212", "330203", "330205", "330206", "330211", "330281", "330282", "330226", "330225", "410102",
           "340104", "510107", "362502", "421302"]
WEIGHTS = [60, 6, 4, 3, 3, 3, 2, 2, 2, 3, 3, 3, 3, 3]
TAGS = ["", "", "", "", "", "", "", "", "", "低保", "独居", "残疾", "退役军人"]


def _check(body: str) -> str:
    from stdnum.cn import ric

    return ric.calc_check_digit(body + "0")


def addresses(url: str) -> list[str]:
    """The district's door plates and buildings, as a source writes them (street + road + number + building)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT full_text FROM addresses WHERE active ORDER BY id"))]
    engine.dispose()
    if not rows:
        sys.exit("no standard addresses: build the demo district first (--demo, or zhili demo --cases 0 --people 0)")
    return [t.removeprefix("宁波市").removeprefix("鄞州区") for t in rows]


def write_file(path: Path, n: int, places: list[str], seed: int = 7) -> None:
    rng = random.Random(seed)
    start = date(1930, 1, 1)
    span = (date(2024, 12, 31) - start).days
    seq: dict[tuple[str, date], int] = {}
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(n):
            region = rng.choices(REGIONS, WEIGHTS)[0]
            born = start + timedelta(days=rng.randrange(span))
            k = seq.get((region, born), rng.randrange(0, 200))
            seq[(region, born)] = k + 1
            if k > 999 or len(seq) > 2_000_000:
                seq.clear()
                continue
            body = f"{region}{born:%Y%m%d}{k:03d}"
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.9 else ""
            w.writerow([f"GA{i:08d}", name, body + _check(body), phone, rng.choice(places),
                        "户籍" if region.startswith("3302") else "流动", rng.choice(TAGS)])


def _fresh(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    tables = ["registry_match_reviews", "registry_conflicts", "registry_records", "registry_imports", "person_rooms",
              "people", "households"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f"DELETE FROM {t}"))
    engine.dispose()


def run_import(url: str, file: Path, mapping: Path, batch: int) -> dict[str, Any]:
    env = {**os.environ, "ZHILI_DATABASE_URL": url, "ZHILI_SECRET_KEY": BENCH_KEY, "COLUMNS": "200"}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu0 = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    load = os.getloadavg()[0]
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "zhili.cli", "import", "people", str(file), "--mapping", str(mapping),
                          "--batch", str(batch), "--rejects", str(file.with_suffix(".rejects.csv"))],
                         env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu0
    if out.returncode != 0:
        sys.exit(f"import failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(max(peak, before) / 1024, 1),
            "child_cpu_s": round(cpu, 1), "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
            "summary": out.stdout.strip().splitlines()[-1][:300]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--database-url", default=os.environ.get(
        "ZHILI_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench_reg"))
    ap.add_argument("--demo", action="store_true", help="build the demo district in the database first")
    ap.add_argument("--no-rerun", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="write the csv here and keep it")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    url = args.database_url
    if args.demo:
        env = {**os.environ, "ZHILI_DATABASE_URL": url, "ZHILI_SECRET_KEY": BENCH_KEY}
        subprocess.run([sys.executable, "-m", "zhili.cli", "demo", "--cases", "0", "--people", "0"], env=env,
                       cwd=ROOT, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        file = args.keep or Path(tmp) / "people.csv"
        mapping = Path(tmp) / "people.yaml"
        mapping.write_text(MAPPING, encoding="utf-8")
        t0 = time.perf_counter()
        if not file.exists():
            write_file(file, args.rows, addresses(url))
        written = time.perf_counter() - t0
        rows = sum(1 for _ in file.open(encoding="utf-8")) - 1
        _fresh(url)
        first = run_import(url, file, mapping, args.batch)
        first["rows_per_s"] = round(rows / first["seconds"])
        result: dict[str, Any] = {"rows": rows, "file_mb": round(file.stat().st_size / 2**20, 1),
                                  "write_file_s": round(written, 1), "database": url.split("@")[-1],
                                  "import": first}
        if not args.no_rerun:
            again = run_import(url, file, mapping, args.batch)
            again["rows_per_s"] = round(rows / again["seconds"])
            result["rerun"] = again
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{rows:,} rows ({result['file_mb']} MB csv) into {result['database']}")
    for key in ("import", "rerun"):
        if key in result:
            r = result[key]
            print(f"  {key:7s} {r['seconds']:8.1f} s  {r['rows_per_s']:>8,} rows/s  peak RSS {r['peak_rss_mb']} MB  "
                  f"child CPU {r['child_cpu_s']} s  load {r['load_before']} -> {r['load_after']}")
            print(f"          {r['summary']}")


if __name__ == "__main__":
    main()
