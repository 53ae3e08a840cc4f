"""The daily batch job as an Apache Airflow 3 DAG: every day at 02:30 UTC, score the day before.

It runs the job through its own command line (``python -m apps.batch_job``) with the workbook's
main environment, so Airflow (in ``.venv-airflow``) never imports the model's libraries.

Pitfall: Airflow 3's default timetable (``CronTriggerTimetable``) makes ``{{ ds }}`` the day the
run FIRES, not the day before as in Airflow 2; the command therefore asks for
``macros.ds_add(ds, -1)``, yesterday's applications. ``make airflow`` runs it for one day;
``WORKBOOK_BATCH_ARGS`` adds options (e.g. ``--generate 20000 --db sqlite:///...``).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from airflow.timetables.trigger import CronTriggerTimetable

REPO = Path(__file__).resolve().parents[3]
PYTHON = REPO / ".venv" / "bin" / "python"
SCORED_DAY = "{{ macros.ds_add(ds, -1) }}"  # the day before the run fires

with DAG(
    dag_id="daily_scoring",
    schedule=CronTriggerTimetable("30 2 * * *", timezone="UTC"),
    start_date=datetime(2025, 1, 2),  # its first run scores 2025-01-01, the first batch day
    catchup=False,
    max_active_runs=1,
    tags=["workbook", "chapter-02"],
):
    BashOperator(
        task_id="score_yesterday",
        bash_command=(
            f"{PYTHON} -m apps.batch_job --date {SCORED_DAY} --quiet "
            + os.environ.get("WORKBOOK_BATCH_ARGS", "")
        ),
        cwd=str(REPO),
        retries=1,
    )
