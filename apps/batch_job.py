"""The daily batch job: score a day's applications (Dask, pandas or Spark) and store them.

    python -m apps.batch_job --date 2025-01-31                   # one day
    python -m apps.batch_job --backfill 2025-01-01 2025-01-07    # several past days, in order
    python -m apps.batch_job --schedule                          # every day at 02:30 UTC, forever

Add ``--generate 200000`` to create a day's synthetic input first when it has none, ``--dask
local`` to run on a distributed LocalCluster (its dashboard link is printed) or ``--dask
tcp://host:8786`` to use a remote Dask scheduler. ``--engine spark`` scores on Apache Spark
(``local[1]``, needs Java 17) and ``--engine pandas`` one partition after another without
an engine; both store exactly what the Dask engine stores. Exit code 1 means a run failed;
the run log (``batch_runs`` in the database) says why. Days run from 2025-01-01 (each has its
own block of application ids, above the stream's); an earlier date is refused at once (exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from workshop_lib import batch
from workshop_lib.batch import pandas_engine, scheduling, spark_engine
from workshop_lib.registry import Registry
from workshop_lib.store import DEFAULT_STORE_URL


def day_argument(text: str) -> date:
    """A command-line date; a bad one is a usage error that says what a date looks like."""
    try:
        return batch.parse_day(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def rows_argument(text: str) -> int:
    """Rows to generate for a day: 0 (none) up to one less than a day's block of ids."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < batch.IDS_PER_DAY:
        raise argparse.ArgumentTypeError(
            f"a day holds 0 to {batch.IDS_PER_DAY - 1:,} generated rows (its block of ids), "
            f"got {value:,}"
        )
    return value


ENGINES = ("dask", "pandas", "spark")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=day_argument, help="score one day, e.g. 2025-01-31")
    when.add_argument(
        "--backfill",
        nargs=2,
        type=day_argument,
        metavar=("START", "END"),
        help="days, inclusive",
    )
    when.add_argument("--schedule", action="store_true", help="run on the cron schedule")
    parser.add_argument("--cron", default=scheduling.DAILY, help="schedule (with --schedule)")
    parser.add_argument("--max-runs", type=int, default=None, help="stop after N scheduled runs")
    parser.add_argument("--data", type=Path, default=batch.DATASET_DIR, help="Parquet dataset")
    parser.add_argument("--db", default=DEFAULT_STORE_URL, help="predictions database URL")
    parser.add_argument("--registry", type=Path, default=None, help="model registry folder")
    parser.add_argument("--model", default="production", help="stage or version to score with")
    parser.add_argument(
        "--engine", choices=ENGINES, default="dask", help="what scores the partitions"
    )
    parser.add_argument("--spark-master", default="local[1]", help="with --engine spark")
    parser.add_argument(
        "--dask", default="threads", help="threads | sync | local | tcp://scheduler:8786"
    )
    parser.add_argument("--workers", type=int, default=2, help="partitions scored at once")
    parser.add_argument("--force", action="store_true", help="rescore days already written")
    parser.add_argument(
        "--generate", type=rows_argument, default=0, help="make N rows for a day with none"
    )
    parser.add_argument("--rows-per-file", type=int, default=500_000, help="with --generate")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


@contextlib.contextmanager
def dask_scheduler(choice: str, workers: int) -> Iterator[Any]:
    """``"threads"``/``"sync"`` as they are, or a distributed client (local or remote)."""
    if choice in ("threads", "sync"):
        yield choice
        return
    from dask.distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if choice == "local":
            cluster = stack.enter_context(
                LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0")
            )
            choice = cluster.scheduler_address
        elif not choice.startswith(("tcp://", "tls://")):
            raise SystemExit(f"--dask {choice!r}: use threads, sync, local or tcp://host:port")
        client = stack.enter_context(Client(choice))
        print(f"Dask scheduler: {choice}", flush=True)
        yield client


@contextlib.contextmanager
def batch_engine(args: argparse.Namespace) -> Iterator[batch.Engine | None]:
    """The engine of ``--engine``: None for Dask (``run_day``'s own), else pandas or Spark."""
    if args.engine == "pandas":
        yield pandas_engine.PandasEngine()
    elif args.engine == "spark":
        try:
            with spark_engine.spark_session(args.spark_master) as session:
                yield spark_engine.SparkEngine(session)
        except spark_engine.JavaMissingError as error:
            raise SystemExit(f"--engine spark: {error}") from None
    else:
        yield None


def score_day(
    day: date, args: argparse.Namespace, scheduler: Any, engine: batch.Engine | None
) -> batch.RunSummary:
    """One day: generate its input if asked and missing, then run the job."""
    if args.generate and not batch.day_folder(day, args.data).is_dir():
        batch.write_day(day, args.generate, root=args.data, rows_per_file=args.rows_per_file)
    return batch.run_day(
        day,
        data_root=args.data,
        store_url=args.db,
        registry=Registry(args.registry),
        model=args.model,
        scheduler=scheduler,
        workers=1 if args.engine != "dask" else args.workers,
        force=args.force,
        progress=not args.quiet,
        engine=engine,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with dask_scheduler(args.dask, args.workers) as scheduler, batch_engine(args) as engine:

        def job(day: date) -> batch.RunSummary:
            return score_day(day, args, scheduler, engine)

        if args.date:
            outcomes = [scheduling.run_job(job, args.date)]
            print(outcomes[0], flush=True)
        elif args.backfill:
            first, last = args.backfill
            outcomes = scheduling.backfill(first, last, job, report=print)
        else:
            print(f"scheduler: cron {args.cron!r}, each run scores the previous day", flush=True)
            outcomes = scheduling.run_schedule(args.cron, job, max_runs=args.max_runs, report=print)
    failed = [o for o in outcomes if not o.ok]
    print(f"{len(outcomes) - len(failed)} day(s) succeeded, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
