"""Exercises of 02_batch_deployment: partition sizing, schedules, and data staleness."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd

from workshop_lib.exercises.core import Exercise, as_number, close_to, needs_function, register

MB = 1_000_000
ROWS_TOLERANCE = 0.001  # within 0.1 % of the exact row count (round, int or ceil all pass)
RowsPerPartition = Callable[[pd.DataFrame, float], float]


def _sizing_cases(seed: int) -> list[tuple[pd.DataFrame, int]]:
    """Partitions the notebook never showed: other row counts, column sets and targets."""
    from workshop_lib import data, schema
    from workshop_lib.batch import INPUT_COLUMNS

    rng = random.Random(seed)
    cases: list[tuple[pd.DataFrame, int]] = []
    for _ in range(3):
        # a text column in every case: strings are what memory_usage counts only with deep=True
        text = rng.choice(schema.CATEGORICAL_FEATURES)
        others = [c for c in INPUT_COLUMNS[1:] if c != text]
        columns = [INPUT_COLUMNS[0], text, *rng.sample(others, rng.randint(3, 9))]
        rows = rng.randint(2_000, 9_000)
        sample = data.make_applications(rows, seed=rng.randint(1, 10**6))[columns]
        # a partition keeps the index of the rows it holds (not a RangeIndex): its 8 bytes a
        # row count, so a measure without the index is off on every draw
        sample = sample.sample(frac=0.9, random_state=rng.randint(0, 2**31))
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


def _check_rows_per_partition(answer: RowsPerPartition, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "rows_per_partition(sample, target_mb)")) is not None:
        return False, problem
    for sample, target_mb in _sizing_cases(seed):
        where = f"a {len(sample):,}-row partition of {sample.shape[1]} columns at {target_mb} MB"
        got = as_number(answer(sample.copy(), target_mb), where)
        expected = _exact_rows(sample, target_mb)
        if not got > 0:
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


def _weekday_fires(after: datetime, count: int) -> list[datetime]:
    """The next ``count`` weekday 06:00 UTC instants strictly after ``after``."""
    day = after.replace(hour=6, minute=0, second=0, microsecond=0)
    fires: list[datetime] = []
    while len(fires) < count:
        if day > after and day.weekday() < 5:
            fires.append(day)
        day += timedelta(days=1)
    return fires


def _check_weekday_cron(answer: str, seed: int) -> tuple[bool, str]:
    from workshop_lib.batch.scheduling import next_fire_times

    if not isinstance(answer, str):
        return False, f"answer with a cron expression (a str), not {type(answer).__name__}"
    rng = random.Random(seed)
    for _ in range(3):
        after = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 2 * 525_600))
        fires = next_fire_times(answer, after, 8)
        if fires != _weekday_fires(after, 8):
            labels = ", ".join(f.strftime("%a %d %b %H:%M") for f in fires)
            return False, f"after {after:%a %d %b %Y %H:%M} UTC, {answer!r} fires {labels}"
    return True, f"{answer!r} fires at 06:00 on every weekday and never at the weekend"


def _solution_weekday_cron() -> str:
    return "0 6 * * 1-5"  # minute 0, hour 6, any day of the month, any month, Monday-Friday


register(
    Exercise(
        id="02.2",
        prompt="Write the cron expression of a job that runs at 06:00 UTC on weekdays only.",
        hint="fields: minute hour day-of-month month day-of-week; Monday is 1, Friday is 5",
        checker=_check_weekday_cron,
        solution=_solution_weekday_cron,
        wrong_answer=lambda: "0 6 * * *",
    )
)


def _staleness_cases(seed: int) -> list[tuple[str, datetime]]:
    """Stored-at strings in several time zones, read at instants from minutes to weeks later."""
    rng = random.Random(seed)
    cases = []
    spans = (rng.uniform(0.2, 20), rng.uniform(26, 60), rng.uniform(100, 400))
    for span_hours, offset_hours in zip(spans, rng.sample([0, 2, -5, 5.5], 3), strict=True):
        offset = timedelta(hours=offset_hours)  # at least two cases outside UTC
        scored = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 3e7))
        local = scored.astimezone(timezone(offset)).replace(microsecond=rng.randint(0, 999) * 1000)
        now = (local + timedelta(hours=span_hours)).astimezone(UTC).replace(microsecond=0)
        cases.append((local.isoformat(timespec="milliseconds"), now))
    # a scorer whose clock runs minutes ahead: stamped after `now`, the age is negative
    scored = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 1e7))
    ahead = scored.astimezone(timezone(timedelta(hours=2))).replace(microsecond=0)
    now = (scored - timedelta(minutes=rng.uniform(2, 12))).replace(microsecond=0)
    cases.append((ahead.isoformat(timespec="milliseconds"), now))
    return cases


def _check_age_hours(answer: Callable[[str, datetime], float], seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "age_hours(scored_at, now)")) is not None:
        return False, problem
    for scored_at, now in _staleness_cases(seed):
        expected = (now - datetime.fromisoformat(scored_at)) / timedelta(hours=1)
        where = f"scored_at={scored_at!r}, now={now.isoformat()}"
        passed, message = close_to(
            as_number(answer(scored_at, now), where), expected, rel=1e-4, what="age in hours"
        )
        if not passed:
            skew = " (stamped after now: the scorer's clock runs ahead)" if expected < 0 else ""
            return False, f"for {where}{skew}: {message}"
    return True, (
        "right from minutes to weeks, in every time zone, and negative for a clock that runs "
        "ahead: the age decides staleness"
    )


def _solution_age_hours() -> Callable[[str, datetime], float]:
    def age_hours(scored_at, now):
        return (now - datetime.fromisoformat(scored_at)).total_seconds() / 3600

    return age_hours


register(
    Exercise(
        id="02.3",
        prompt=(
            "Write age_hours(scored_at, now): how many hours old a prediction stored at "
            "`scored_at` (an ISO string with a time zone) is at `now` (an aware datetime); "
            "negative when it was stamped after `now` (the scorer's clock ran ahead)."
        ),
        hint="datetime.fromisoformat reads the string; subtract, then total_seconds() / 3600",
        checker=_check_age_hours,
        solution=_solution_age_hours,
        wrong_answer=lambda: (
            lambda scored_at, now: (now - datetime.fromisoformat(scored_at)).seconds / 3600
        ),
    )
)
