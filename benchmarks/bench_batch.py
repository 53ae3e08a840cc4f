"""Batch job throughput against in-memory ``predict_proba``, measured in one run.

    .venv/bin/python -m benchmarks.bench_batch            # 2,000,000 rows in 1,000,000-row files
    .venv/bin/python -m benchmarks.bench_batch --quick    # 60,000 rows: the smoke test

Prints rows per second of (1) one ``predict_proba`` call on the whole in-memory table, (2) the
batch job's scoring stage (Parquet read + ``map_partitions`` scoring) and (3) the job end to end
(Parquet in, SQLite out), with the ratios and their targets (0.8x and 0.9x).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from workshop_lib import batch, paths, schema
from workshop_lib.registry import Registry

DAY = "2025-01-31"
TARGETS = {"scoring stage": 0.8, "end to end": 0.9}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast run (smoke test)")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rows-per-file", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--registry", type=Path, default=None, help="registry folder")
    parser.add_argument("--workdir", type=Path, default=paths.RUNTIME_DIR / "bench_batch")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.rows_per_file = 60_000, 30_000
    return args


def in_memory_rows_per_second(registry: Registry, files: list[Path]) -> float:
    """One ``predict_proba`` call on the whole table, already in memory."""
    frame = pd.concat([batch.read_file(path) for path in files], ignore_index=True)
    model = registry.load().model
    started = time.perf_counter()
    model.predict_proba(frame[schema.FEATURES])
    return len(frame) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    registry = Registry(args.registry)
    database = args.workdir / "predictions.db"
    for path in (
        database,
        database.with_name("predictions.db-wal"),
        database.with_name("predictions.db-shm"),
    ):
        path.unlink(missing_ok=True)  # a fresh database: every row is written, none skipped
    files = batch.write_day(
        DAY, args.rows, root=args.workdir / "data", rows_per_file=args.rows_per_file
    )
    print(
        f"{args.rows:,} rows in {len(files)} file(s), "
        f"{batch.partition_bytes(files) / 1e6:.0f} MB per partition in memory"
    )
    baseline = in_memory_rows_per_second(registry, files)
    run = batch.run_day(
        DAY,
        data_root=args.workdir / "data",
        store_url=f"sqlite:///{database}",
        registry=registry,
        workers=args.workers,
    )
    figures = {
        "in-memory predict_proba": baseline,
        "scoring stage": run.rows / run.seconds["score"],
        "end to end": run.rows_per_second,
    }
    for name, rows_per_second in figures.items():
        line = f"{name:>24}: {rows_per_second:>10,.0f} rows/s"
        if name in TARGETS:
            ratio = rows_per_second / baseline
            verdict = "meets" if ratio >= TARGETS[name] else "BELOW"
            line += f"  = {ratio:.2f}x in-memory ({verdict} target {TARGETS[name]}x)"
        print(line)
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in run.seconds.items())
    print(f"job stages: {stages}")
    return figures


if __name__ == "__main__":
    main()
