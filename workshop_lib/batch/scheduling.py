"""Run the batch job every day: a cron schedule, a small real scheduler loop, and backfills.

A production scheduler (cron, Airflow, Dagster, a Kubernetes CronJob) does three things this
module does in a few lines, so you can watch them happen:

- turn a cron expression into fire times (``next_fire_times``, with ``croniter``);
- map each fire time to the day of data it scores (``data_date_for``: yesterday's applications);
- run past days that were missed, one after another (``backfill``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from croniter import croniter

from workshop_lib.batch.inputs import parse_day

DAILY = "30 2 * * *"  # every day at 02:30 UTC, once yesterday's applications are complete
MAX_BACKFILL_DAYS = 366


def check_cron(expression: str) -> str:
    """Return ``expression`` if croniter accepts it, else a ``ValueError`` naming it."""
    if not croniter.is_valid(expression):
        raise ValueError(
            f"{expression!r} is not a valid cron expression (minute hour day month weekday, "
            f"optionally a sixth field for seconds), e.g. {DAILY!r}"
        )
    return expression


def next_fire_times(expression: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` times the schedule fires strictly after ``after`` (UTC if naive)."""
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    schedule = croniter(check_cron(expression), after)
    return [schedule.get_next(datetime) for _ in range(count)]


def data_date_for(fired_at: datetime) -> date:
    """The day a run fired at ``fired_at`` scores: the whole of the previous day."""
    return fired_at.date() - timedelta(days=1)


def days_between(start: str | date, end: str | date) -> list[date]:
    """Every day from ``start`` to ``end``, both included."""
    first, last = parse_day(start), parse_day(end)
    if last < first:
        raise ValueError(f"backfill end {last} is before its start {first}")
    count = (last - first).days + 1
    if count > MAX_BACKFILL_DAYS:
        raise ValueError(f"backfill of {count} days is longer than {MAX_BACKFILL_DAYS} days")
    return [first + timedelta(days=i) for i in range(count)]


@dataclass
class Outcome:
    """One day's result in a backfill or one tick of the scheduler."""

    day: date
    ok: bool
    result: Any = None
    error: str | None = None
    fired_at: datetime | None = None

    def __str__(self) -> str:
        return f"{self.day}: {'ok' if self.ok else 'FAILED'} {self.error or self.result}"


def run_job(job: Callable[[date], Any], day: date, fired_at: datetime | None = None) -> Outcome:
    """Run ``job`` for one day; a failure is recorded, not raised, so other days still run."""
    try:
        return Outcome(day, True, job(day), fired_at=fired_at)
    except Exception as error:  # each day fails on its own; the message is kept
        return Outcome(day, False, error=f"{type(error).__name__}: {error}", fired_at=fired_at)


def backfill(
    start: str | date,
    end: str | date,
    job: Callable[[date], Any],
    report: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run ``job`` for every day from ``start`` to ``end`` in order; return each outcome."""
    outcomes = []
    for day in days_between(start, end):
        outcome = run_job(job, day)
        outcomes.append(outcome)
        if report:
            report(outcome)
    return outcomes


def run_schedule(
    expression: str,
    job: Callable[[date], Any],
    *,
    max_runs: int | None = None,
    report: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """The scheduler loop: sleep until the next fire time, run the job for its day, repeat.

    Runs forever unless ``max_runs`` is given. A run that takes longer than the interval makes
    the loop skip the fire times it missed (no pile-up), as cron does.
    """
    check_cron(expression)
    if max_runs is not None and max_runs < 1:
        raise ValueError(f"max_runs must be >= 1, got {max_runs}")
    outcomes: list[Outcome] = []
    while max_runs is None or len(outcomes) < max_runs:
        fired_at = next_fire_times(expression, datetime.now(UTC))[0]
        while (wait := (fired_at - datetime.now(UTC)).total_seconds()) > 0:
            time.sleep(min(wait, 60.0))
        outcome = run_job(job, data_date_for(fired_at), fired_at)
        outcomes.append(outcome)
        if report:
            report(outcome)
    return outcomes
