"""Benchmark: `zhili keys rotate` re-encryption speed on PostgreSQL (rows/s re-encrypted).

1. Creates the scratch database (psql, once) unless it exists, empties its public schema and migrates it.
2. Makes a key file in a temporary var dir and inserts ``--rows`` people (ID number and phone encrypted under k1,
   as the application writes them), in batches of 5,000.
3. Adds k2 (as `zhili keys rotate` does) and times kit/rekey.reencrypt to k2 with ``--batch`` rows per
   transaction; checks that nothing is left under k1 and that a sample decrypts to what was written.

    .venv/bin/python benchmarks/bench_keys_rotate.py [--rows 200000] [--batch 2000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench_keys]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench_keys"


def _ensure_database(url: str) -> None:
    from sqlalchemy import make_url

    u = make_url(url)
    conn = ["psql", "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", "-tAc"]
    found = subprocess.run([*conn, f"SELECT 1 FROM pg_database WHERE datname = '{u.database}'", "postgres"],
                           capture_output=True, text=True, check=True).stdout.strip()
    if found != "1":
        subprocess.run([*conn, f'CREATE DATABASE "{u.database}"', "postgres"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    from sqlalchemy import insert, select, text

    from zhili.db import make_engine
    from zhili.kit import crypto, keys, rekey
    from zhili.migrate import upgrade
    from zhili.models import metadata
    from zhili.registry.models import Person

    _ensure_database(args.database_url)
    var = Path(tempfile.mkdtemp(prefix="zhili-bench-keys-"))
    path = var / "keys.json"
    keys.init_file(path)
    crypto.configure("", var)
    engine = make_engine(args.database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)

    started = time.perf_counter()
    now = datetime.now(UTC)
    chunk = 5000
    for lo in range(0, args.rows, chunk):
        rows = [{"name": f"测试{i}", "id_number": f"330212{1950 + i % 60}0101{i % 10_000:04d}"[:18],
                 "id_number_bidx": f"{i:032x}", "phone": f"139{i:08d}", "phone_bidx": f"{i:032x}", "sex": "M",
                 "birth_date": date(1950 + i % 60, 1, 1), "residency": "registered", "status": "active",
                 "household_relation": "", "tags": [], "ethnicity": "", "work_place": "", "address_text": "",
                 "provenance": {}, "confirmed": {}, "created_at": now, "updated_at": now}
                for i in range(lo, min(lo + chunk, args.rows))]
        with engine.begin() as conn:
            conn.execute(insert(Person.__table__), rows)
    load = time.perf_counter() - started
    print(f"inserted {args.rows:,} people (2 encrypted values each) in {load:.1f} s "
          f"({args.rows / load:,.0f} rows/s)")

    keys.add_key(path)
    ring = crypto.reload(force=True)
    with engine.connect() as conn:
        todo = sum(rekey.pending(conn, metadata, ring.current).values())
    started = time.perf_counter()
    result = rekey.reencrypt(engine, metadata, ring.current, args.batch)
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        left = sum(rekey.pending(conn, metadata, ring.current).values())
        counts = rekey.counts(conn, metadata)[("people", "phone")]
    with engine.connect() as conn:
        sample = conn.execute(select(Person.phone).where(Person.id == args.rows // 2)).scalar_one()
    print(f"re-encrypted {result.rows:,} rows / {result.values:,} values of {todo:,} rows to {ring.current} "
          f"in {seconds:.1f} s: {result.rows / seconds:,.0f} rows/s, {result.values / seconds:,.0f} values/s "
          f"(batch {args.batch}); left {left}, kept {result.kept}, errors {result.errors}; people.phone {counts}; "
          f"sample decrypts: {sample == f'139{args.rows // 2 - 1:08d}'}")
    engine.dispose()


if __name__ == "__main__":
    main()
