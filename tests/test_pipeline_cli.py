"""`make pipeline` and `make rollback` end to end: the run and the version land in MLflow and the
`production` alias follows the registry."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import promoted_registry

from workshop_lib.cicd import mlflow_tracking

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "apps.pipeline", *args], capture_output=True, text=True, timeout=600
    )


def test_run_then_rollback_keep_mlflow_on_the_served_version(tmp_path, trained, small_frames):
    registry = promoted_registry(tmp_path / "models", trained, small_frames)
    places = ["--registry", str(registry.root), "--mlflow-dir", str(tmp_path / "mlflow")]
    tracking = mlflow_tracking.Tracking(tmp_path / "mlflow")

    ran = cli(*places, "run", "--skip-code-tests")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "PIPELINE PASSED" in ran.stdout
    released = registry.stage()
    assert released != "1.0.0"
    assert f"alias 'production' of 'loan-default' is on {released}" in ran.stdout
    assert mlflow_tracking.production_semver(tracking) == released
    assert mlflow_tracking.compare_with_registry(tracking, registry) == []
    table = mlflow_tracking.runs_table(tracking)
    assert released in set(table["version"])

    back = cli(*places, "rollback", "--reason", "test")
    assert back.returncode == 0, back.stdout + back.stderr
    assert registry.stage() == "1.0.0"
    assert mlflow_tracking.production_semver(tracking) == "1.0.0"
    assert mlflow_tracking.compare_with_registry(tracking, registry) == []
