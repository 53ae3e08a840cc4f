"""Exercises of 02_batch_deployment: partition sizing, schedules, and data staleness."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd

from workshop_lib.exercises.core import Exercise, close_to, register

MB = 1_000_000
ROWS_TOLERANCE = 0.001  # within 0.1 % of the exact row count (round, int or ceil all pass)
RowsPerPartition = Callable[[pd.DataFrame, float], float]


def _sizing_cases() -> list[tuple[pd.DataFrame, int]]:
    """Partitions the notebook never showed: other row counts, column sets and targets."""
    from workshop_lib import data
    from workshop_lib.batch import INPUT_COLUMNS

    rng = random.Random(20250201)
    cases: list[tuple[pd.DataFrame, int]] = []
    for seed in (101, 202, 303):
        columns = [INPUT_COLUMNS[0], *rng.sample(INPUT_COLUMNS[1:], rng.randint(4, 10))]
        sample = data.make_applications(rng.randint(2_000, 9_000), seed=seed)[columns]
        cases.append((sample, rng.choice([40, 64, 128, 200, 250])))
    return cases


def _exact_rows(sample: pd.DataFrame, target_mb: float) -> float:
    bytes_per_row = sample.memory_usage(deep=True).sum() / len(sample)
    return target_mb * MB / bytes_per_row


def _solution_rows_per_partition() -> RowsPerPartition:
    def rows_per_partition(sample, target_mb):
        bytes_per_row = sample.memory_usage(deep=True).sum() / len(sample)
        return round(target_mb * 1_000_000 / bytes_per_row)

    return rows_per_partition


def _check_rows_per_partition(answer: RowsPerPartition) -> tuple[bool, str]:
    if not callable(answer):
        return False, f"pass your function itself, not {answer!r}"
    for sample, target_mb in _sizing_cases():
        got, expected = answer(sample.copy(), target_mb), _exact_rows(sample, target_mb)
        where = f"a {len(sample):,}-row partition of {sample.shape[1]} columns at {target_mb} MB"
        if not float(got) > 0:
            return False, f"for {where} your function says {got!r}: a partition holds rows"
        if abs(float(got) - expected) > ROWS_TOLERANCE * expected:
            size_mb = float(got) * target_mb / expected
            return False, (
                f"for {where} your function says {float(got):,.0f} rows, which make "
                f"{size_mb:.1f} MB partitions, not {target_mb} MB"
            )
    return True, "rows = target bytes / measured bytes per row, on partitions you had not seen"


register(
    Exercise(
        id="02.1",
        prompt=(
            "Write rows_per_partition(sample, target_mb): `sample` is one partition in memory "
            "(a DataFrame); return how many rows a partition (a Parquet row group) must hold "
            "to take `target_mb` MB in memory."
        ),
        hint=(
            "measure the sample's bytes per row as batch.partition_bytes measures a partition "
            "(memory_usage, deep=True); rows = target bytes / bytes per row; 1 MB = 1e6 bytes"
        ),
        checker=_check_rows_per_partition,
        solution=_solution_rows_per_partition,
        wrong_answer=lambda: lambda sample, target_mb: round(target_mb * MB / 76),
    )
)


def _schedule_context() -> dict:
    return {"after": datetime(2025, 1, 31, 12, 0, tzinfo=UTC)}


def _solution_weekday_cron(after):
    return "0 6 * * 1-5"


def _check_weekday_cron(answer, after) -> tuple[bool, str]:
    from workshop_lib.batch.scheduling import next_fire_times

    fires = next_fire_times(str(answer), after, 6)
    labels = [f.strftime("%a %H:%M") for f in fires]
    expected = ["Mon 06:00", "Tue 06:00", "Wed 06:00", "Thu 06:00", "Fri 06:00", "Mon 06:00"]
    if labels == expected:
        return True, f"{answer!r} fires {', '.join(labels[:3])}, ..."
    return False, f"{answer!r} fires {', '.join(labels)}"


register(
    Exercise(
        id="02.2",
        prompt="Write the cron expression of a job that runs at 06:00 UTC on weekdays only.",
        hint="fields: minute hour day-of-month month day-of-week; Monday is 1, Friday is 5",
        checker=_check_weekday_cron,
        solution=_solution_weekday_cron,
        example_context=_schedule_context,
        wrong_answer=lambda after: "0 6 * * *",
    )
)


def _staleness_context() -> dict:
    return {
        "scored_at": "2025-01-31T02:41:07.250+00:00",
        "now": datetime(2025, 2, 1, 9, 15, tzinfo=UTC),
    }


def _solution_age_hours(scored_at, now):
    return (now - datetime.fromisoformat(scored_at)).total_seconds() / 3600


def _check_age_hours(answer, scored_at, now) -> tuple[bool, str]:
    expected = (now - datetime.fromisoformat(scored_at)) / timedelta(hours=1)
    return close_to(answer, expected, rel=1e-4, what="age in hours")


register(
    Exercise(
        id="02.3",
        prompt=(
            "A prediction was stored at `scored_at` (an ISO string). How many hours old is it "
            "at `now`?"
        ),
        hint="datetime.fromisoformat reads the string; subtract, then total_seconds() / 3600",
        checker=_check_age_hours,
        solution=_solution_age_hours,
        example_context=_staleness_context,
        wrong_answer=lambda scored_at, now: (
            (now - datetime.fromisoformat(scored_at)).seconds / 3600
        ),
    )
)
