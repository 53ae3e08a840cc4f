"""Exercises of 02_batch_deployment: partition sizing, schedules, and data staleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workshop_lib.exercises.core import Exercise, close_to, register

MB = 1_000_000
TARGET_MB, SIZE_TOLERANCE = 100, 0.05  # "about 100 MB": within 5 %


def _sizing_context() -> dict:
    return {"bytes_per_row": 76.0}


def _solution_rows_per_file(bytes_per_row):
    return round(100 * 1_000_000 / bytes_per_row)


def _check_rows_per_file(answer, bytes_per_row) -> tuple[bool, str]:
    if float(answer) != int(answer) or int(answer) < 1:
        return False, f"a file holds a whole, positive number of rows, not {answer!r}"
    size_mb = int(answer) * bytes_per_row / MB
    if abs(size_mb - TARGET_MB) > TARGET_MB * SIZE_TOLERANCE:
        size = "too small" if size_mb < TARGET_MB else "too large"
        return False, f"{int(answer):,} rows make {size_mb:.1f} MB partitions: {size}"
    return True, f"{int(answer):,} rows make {size_mb:.1f} MB partitions"


register(
    Exercise(
        id="02.1",
        prompt=(
            "A partition costs `bytes_per_row` bytes per row in memory. How many rows per "
            "file give partitions of about 100 MB?"
        ),
        hint="rows = target bytes / bytes per row; 1 MB is 1,000,000 bytes here",
        checker=_check_rows_per_file,
        solution=_solution_rows_per_file,
        example_context=_sizing_context,
        wrong_answer=lambda bytes_per_row: round(1 * 1_000_000 / bytes_per_row),
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
