"""Run the daily DAG for several days in one process, with no scheduler: a backfill.

    AIRFLOW_HOME=runtime/airflow .venv-airflow/bin/python apps/airflow/run_days.py \\
        daily_scoring 2025-02-01 2025-02-03

Each day is one ``dag.test(logical_date=...)`` run, in order. ``airflow backfill create`` only
queues runs for a scheduler and an api-server to pick up; ``dag.test`` needs neither. Run it with
``.venv-airflow``'s Python after ``airflow db migrate``; the exit status is 1 when a run failed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

DAGS_FOLDER = Path(__file__).resolve().parent / "dags"


def days(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, inclusive; a reversed range is a usage error."""
    if last < first:
        raise SystemExit(f"the last day {last} is before the first day {first}")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument(
        "first", type=date.fromisoformat, help="first logical date, e.g. 2025-02-01"
    )
    parser.add_argument("last", type=date.fromisoformat, help="last logical date, inclusive")
    args = parser.parse_args(argv)
    from airflow.dag_processing.dagbag import DagBag  # Airflow lives in .venv-airflow only

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if args.dag_id not in bag.dag_ids:
        raise SystemExit(
            f"no DAG {args.dag_id!r} in {DAGS_FOLDER}; import errors: {bag.import_errors}"
        )
    dag = bag.get_dag(args.dag_id)
    failed = []
    for day in days(args.first, args.last):
        run = dag.test(logical_date=datetime(day.year, day.month, day.day, 2, 30, tzinfo=UTC))
        print(f"{args.dag_id} {day}: {run.state}", flush=True)
        if run.state != "success":
            failed.append(day)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
