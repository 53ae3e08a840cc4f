"""The MLflow UI over the tracking store: a lean real server that lists the pipeline's runs."""

from __future__ import annotations

import httpx
import psutil
import pytest

from workshop_lib.cicd.mlflow_tracking import Tracking
from workshop_lib.cicd.mlflow_ui import start_mlflow_ui

pytestmark = pytest.mark.slow


def test_ui_serves_the_experiment_with_one_worker_and_no_job_runner(tmp_path):
    tracking = Tracking(tmp_path / "mlflow")
    tracking.client()  # creates the store and the experiment
    with start_mlflow_ui(tracking) as ui:
        found = httpx.post(
            f"{ui.url}/ajax-api/2.0/mlflow/experiments/search",
            json={"max_results": 10},
            timeout=30,
        ).json()
        assert tracking.experiment in {e["name"] for e in found["experiments"]}
        assert "<title>MLflow</title>" in httpx.get(ui.url, timeout=30).text
        root = psutil.Process(ui.process.pid)
        assert len([root, *root.children(recursive=True)]) <= 3  # the default starts about 15
    assert not ui.is_running()
