"""The schedule: cron fire times, the day each run scores, a real scheduler loop, backfills."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, date, datetime

import pytest

from workshop_lib import batch
from workshop_lib.batch import scheduling
from workshop_lib.paths import PROJECT_ROOT


def test_daily_schedule_fires_at_0230_utc_and_scores_the_previous_day():
    fires = scheduling.next_fire_times(scheduling.DAILY, datetime(2025, 1, 31, 12, 0), 3)
    assert fires == [datetime(2025, 2, d, 2, 30, tzinfo=UTC) for d in (1, 2, 3)]
    assert scheduling.data_date_for(fires[0]) == date(2025, 1, 31)


def test_weekday_schedule_skips_the_weekend():
    friday_noon = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    fires = scheduling.next_fire_times("0 6 * * 1-5", friday_noon, 2)
    assert [f.strftime("%a %H:%M") for f in fires] == ["Mon 06:00", "Tue 06:00"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-01-05", "2025-01-01", "is before its start"),
        ("2025-01-01", "2026-06-01", "longer than 366 days"),
        ("2025-13-01", "2025-01-02", "is not a date like 2025-01-31"),
    ],
)
def test_bad_backfill_ranges_are_refused_by_name(start, end, message):
    with pytest.raises(ValueError, match=message):
        scheduling.days_between(start, end)


def test_bad_cron_expression_is_named():
    with pytest.raises(ValueError, match="'every day' is not a valid cron expression"):
        scheduling.next_fire_times("every day", datetime(2025, 1, 1))


def test_backfill_runs_every_day_in_order_and_keeps_going_after_a_failure():
    seen = []

    def job(day: date) -> str:
        seen.append(day)
        if day == date(2025, 1, 2):
            raise FileNotFoundError("no data")
        return "done"

    outcomes = scheduling.backfill("2025-01-01", "2025-01-03", job)
    assert seen == [date(2025, 1, d) for d in (1, 2, 3)]
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].error == "FileNotFoundError: no data"
    assert "FAILED" in str(outcomes[1])


def test_the_scheduler_loop_runs_the_job_at_each_fire_time():
    started = time.monotonic()
    outcomes = scheduling.run_schedule("* * * * * *", lambda day: day, max_runs=2)
    gap = (outcomes[1].fired_at - outcomes[0].fired_at).total_seconds()
    assert gap == 1.0 and time.monotonic() - started >= 1.0
    assert all(o.ok and o.day == scheduling.data_date_for(o.fired_at) for o in outcomes)
    assert all(o.fired_at.microsecond == 0 for o in outcomes)


def test_cli_backfills_several_days_into_the_database(tmp_path, registry):
    database = f"sqlite:///{tmp_path / 'p.db'}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "apps.batch_job",
            "--backfill",
            "2025-01-01",
            "2025-01-03",
            "--generate",
            "3000",
            "--rows-per-file",
            "1500",
            "--data",
            str(tmp_path / "data"),
            "--db",
            database,
            "--registry",
            str(registry.root),
            "--quiet",
        ],  # fmt: skip
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 day(s) succeeded, 0 failed" in result.stdout
    log = batch.runs(database)
    assert log["run_date"].tolist() == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert set(log["status"]) == {"succeeded"}
    for day in ("2025-01-01", "2025-01-02", "2025-01-03"):
        assert batch.stored_for_day(day, database) == 3_000
