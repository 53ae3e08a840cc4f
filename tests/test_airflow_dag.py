"""The Airflow DAG really runs: one day (``airflow dags test``) and a three-day backfill.

Each run of logical day D must score D - 1 (Airflow 3's ``{{ ds }}`` is the day the run fires),
so the predictions database must hold exactly the days before the runs' dates, and no other.
Needs ``.venv-airflow`` (``make airflow-env``): skipped here without it, failed in CI.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta

import pytest

from workshop_lib import batch, paths
from workshop_lib.store import PredictionStore

AIRFLOW_BIN = paths.PROJECT_ROOT / ".venv-airflow" / "bin"
ROWS = 2_000


@pytest.fixture
def airflow_env(tmp_path, registry) -> dict[str, str]:
    if not (AIRFLOW_BIN / "airflow").exists():
        message = ".venv-airflow is missing; create it with: make airflow-env"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (.ci/run does this before make test)")
        pytest.skip(message)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(paths.PROJECT_ROOT / "apps" / "airflow" / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "PATH": f"{AIRFLOW_BIN}:{os.environ['PATH']}",
        "WORKBOOK_BATCH_ARGS": (
            f"--generate {ROWS} --rows-per-file {ROWS // 2} --data {tmp_path / 'data'} "
            f"--db sqlite:///{tmp_path / 'predictions.db'} --registry {registry.root}"
        ),
    }
    airflow(env, "airflow", "db", "migrate")
    return env


def airflow(env: dict[str, str], program: str, *args: str) -> str:
    done = subprocess.run(
        [str(AIRFLOW_BIN / program), *args],
        env=env,
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{program} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def stored_days(env: dict[str, str]) -> dict[str, int]:
    """Rows stored per scored day (the day is read back from the application id block)."""
    url = env["WORKBOOK_BATCH_ARGS"].split("--db ")[1].split()[0]
    runs = batch.runs(url)
    assert set(runs["status"]) == {"succeeded"}, runs[["run_date", "status", "error"]]
    return {day: batch.stored_for_day(day, url) for day in runs["run_date"]} | {
        "all": PredictionStore(url).count()
    }


def test_one_day_and_a_three_day_backfill_store_exactly_the_days_before(airflow_env):
    output = airflow(airflow_env, "airflow", "dags", "test", "daily_scoring", "2025-02-01")
    assert "score_yesterday" in output
    assert stored_days(airflow_env) == {"2025-01-31": ROWS, "all": ROWS}

    run_days = str(paths.PROJECT_ROOT / "apps" / "airflow" / "run_days.py")
    output = airflow(airflow_env, "python", run_days, "daily_scoring", "2025-02-10", "2025-02-12")
    assert output.count(": success") == 3, output
    expected = {(date(2025, 2, 10) + timedelta(days=n - 1)).isoformat(): ROWS for n in range(3)}
    assert stored_days(airflow_env) == {"2025-01-31": ROWS, **expected, "all": 4 * ROWS}
