"""Benchmark: category suggestion methods on the demo history, and the live suggestion's latency.

1. Builds a database (a fresh SQLite file in a temp dir unless --db names one): migrate, the demo district, the
   default responsibility rules, then `zhili.demo.history.generate_cases(n)` (a year of cases with texts made from
   templates, see zhili/demo/texts.py).
2. Reads the training set exactly as `zhili brain train-classifier` does (`brain.service.training_set`:
   registered, not rejected, active leaves, classes with >= 5 examples).
3. For each method: stratified 5-fold cross-validation through `classifier.cross_validate` (the code the
   evaluation command runs): accuracy, macro-F1, top-3 accuracy, training time per fold, batch prediction time;
   then a fit on everything: model size (stored bytes) and single-call `model.top()` latency p50/p99.
4. For the default method: the model stored and activated in the database, then `brain.service.suggest()` timed
   per call (the intake path: cache check + prediction + taxonomy names), p50/p99, and the keyword fallback's
   accuracy on the same texts for reference.

    .venv/bin/python benchmarks/bench_classifier.py [--cases 20000] [--folds 5] [--methods a,b] [--db URL]
        [--single 2000] [--json] [--title-only]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_KEY = "6b" * 32


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def prepare(url: str, var_dir: Path, cases: int, seed: int) -> dict[str, float]:
    os.environ.update(ZHILI_DATABASE_URL=url, ZHILI_SECRET_KEY=BENCH_KEY, ZHILI_VAR_DIR=str(var_dir),
                      ZHILI_EMBEDDED_WORKER="false")
    from sqlalchemy import text

    from zhili.auth.actor import system_actor
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.demo.build import build_demo
    from zhili.demo.history import generate_cases
    from zhili.kit import crypto
    from zhili.migrate import upgrade
    from zhili.taxonomy.seed import seed_default_rules

    get_settings.cache_clear()
    settings = get_settings()
    crypto.configure(settings.secret_key, settings.var_dir)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    timings: dict[str, float] = {}
    t = time.perf_counter()
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory, info={"actor": system_actor(), "ip": "bench"}) as session:
        build_demo(session, seed=seed)
        seed_default_rules(session)
    timings["demo_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with transaction(factory, info={"actor": system_actor(), "ip": "bench"}) as session:
        generate_cases(session, settings, cases, seed=seed)
    timings["history_s"] = time.perf_counter() - t
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--methods", default="")
    parser.add_argument("--db", default="")
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--title-only", action="store_true",
                        help="a harder variant: the methods see the titles only (short texts); no service part")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="zhili-bench-clf-"))
    url = args.db or f"sqlite:///{tmp}/bench.db"
    started = time.time()
    load_start = os.getloadavg()
    timings = prepare(url, tmp, args.cases, args.seed)

    from zhili.auth.actor import system_actor
    from zhili.brain import classifier, segment, service
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction

    segment.configure(tmp)
    settings = get_settings()
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        texts, labels, info = service.training_set(session, settings.brain_max_training_cases)
    if args.title_only:
        texts = [t.partition("\n")[0] for t in texts]
    methods = [m for m in args.methods.split(",") if m] or list(classifier.METHODS)
    rng = random.Random(args.seed)
    sample = rng.sample(range(len(texts)), min(args.single, len(texts)))
    results: list[dict[str, Any]] = []
    for name in methods:
        t = time.perf_counter()
        ev, _ = classifier.cross_validate(texts, labels, name, args.folds, seed=0)
        cv_s = time.perf_counter() - t
        t = time.perf_counter()
        model = classifier.fit(texts, labels, name, temperature=ev.temperature)
        fit_s = time.perf_counter() - t
        blob = model.to_bytes()
        model.top(texts[0])  # warm (jieba's dictionary for word features)
        lat = []
        for i in sample:
            t0 = time.perf_counter_ns()
            model.top(texts[i])
            lat.append((time.perf_counter_ns() - t0) / 1e6)
        results.append({"method": name, "label": classifier.METHODS[name].label, "accuracy": ev.accuracy,
                        "macro_f1": ev.macro_f1, "top3": ev.top3, "train_s_per_fold": ev.train_seconds,
                        "cv_s": cv_s, "fit_all_s": fit_s, "batch_predict_ms": ev.predict_ms,
                        "top_p50_ms": percentile(lat, 0.5), "top_p99_ms": percentile(lat, 0.99),
                        "features": model.n_features, "model_mb": len(blob) / 1e6, "temperature": ev.temperature})
        print(f"{name}: acc {ev.accuracy:.4f} macro-F1 {ev.macro_f1:.4f} top3 {ev.top3:.4f} "
              f"train {ev.train_seconds:.1f}s/fold p50 {results[-1]['top_p50_ms']:.3f} ms", file=sys.stderr)

    if args.title_only:
        print(json.dumps({"title_only": True, "training_set": info, "methods": results}, ensure_ascii=False,
                         indent=2, default=str))
        return
    # The live path: train + activate through the service, then suggest() per call.
    with transaction(factory, info={"actor": system_actor(), "ip": "bench"}) as session:
        t = time.perf_counter()
        outcome = service.train(session, settings, by="bench")
        train_service_s = time.perf_counter() - t
    service.forget()
    keyword_hits = keyword_top3 = 0
    live: list[float] = []
    with transaction(factory) as session:
        service.suggest(session, "路灯不亮", "")  # load the model once
        for i in sample:
            title, _, description = texts[i].partition("\n")
            t0 = time.perf_counter_ns()
            service.suggest(session, title, description)
            live.append((time.perf_counter_ns() - t0) / 1e6)
        index = service.leaves(session).keywords
        for i in sample:
            ranked = [c for c, _ in index.top(texts[i], 3)]
            keyword_hits += bool(ranked) and ranked[0] == labels[i]
            keyword_top3 += labels[i] in ranked
    report = {
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "load_start": load_start, "load_end": os.getloadavg(), "database": url.split(":")[0],
        "cases_generated": args.cases, "training_set": info, "prepare": timings, "folds": args.folds,
        "methods": results,
        "service": {"train_s": train_service_s, "scores": outcome.model.scores if outcome.model else None,
                    "suggest_p50_ms": percentile(live, 0.5), "suggest_p99_ms": percentile(live, 0.99),
                    "suggest_max_ms": max(live), "calls": len(live),
                    "keywords_top1": keyword_hits / len(sample), "keywords_top3": keyword_top3 / len(sample)},
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    print(f"training set: {info['samples']} cases, {info['classes']} classes (dropped: {info['dropped_classes']})")
    print(f"{'method':<18}{'acc':>8}{'macroF1':>9}{'top3':>8}{'s/fold':>8}{'fit all':>9}{'p50 ms':>8}"
          f"{'p99 ms':>8}{'MB':>7}")
    for r in results:
        print(f"{r['method']:<18}{r['accuracy']:>8.4f}{r['macro_f1']:>9.4f}{r['top3']:>8.4f}"
              f"{r['train_s_per_fold']:>8.1f}{r['fit_all_s']:>9.1f}{r['top_p50_ms']:>8.3f}{r['top_p99_ms']:>8.3f}"
              f"{r['model_mb']:>7.1f}")
    s = report["service"]
    print(f"service.suggest(): p50 {s['suggest_p50_ms']:.3f} ms, p99 {s['suggest_p99_ms']:.3f} ms over "
          f"{s['calls']} calls; train + CV through the service {s['train_s']:.1f} s")
    print(f"keyword fallback on the same texts: top-1 {s['keywords_top1']:.4f}, top-3 {s['keywords_top3']:.4f}")
    print(json.dumps({"prepare": timings, "load_start": load_start, "load_end": report["load_end"]}))


if __name__ == "__main__":
    main()
