"""The apps' command lines answer bad arguments with a usage error that names the problem."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workshop_lib.paths import PROJECT_ROOT

BAD_COMMANDS = {
    "a date that is not one": (["-m", "apps.batch_job", "--date", "31/01/2025"], "not a date"),
    "a backfill end that is not a date": (
        ["-m", "apps.batch_job", "--backfill", "2025-01-01", "soon"],
        "'soon' is not a date",
    ),
    "a negative number of events": (
        ["-m", "apps.stream_worker", "--events", "-5"],
        "cannot generate -5 events",
    ),
    "a first application id of -5": (
        ["-m", "apps.stream_worker", "--first-id", "-5"],
        "application ids start at 1, got -5",
    ),
    "a first application id in the batch job's block": (
        ["-m", "apps.stream_worker", "--first-id", "1000000001"],
        "stream application ids run from 1 to 999,999,999",
    ),
    "a first application id that is not a number": (
        ["-m", "apps.stream_worker", "--first-id", "2**70"],
        "'2**70' is not a whole number",
    ),
    "a model file that does not exist": (
        ["apps/edge_device.py", "missing.onnx", "data/reference_sample.csv", "out.csv"],
        "the model file missing.onnx does not exist",
    ),
}


@pytest.mark.parametrize("case", BAD_COMMANDS)
def test_bad_arguments_are_usage_errors_not_tracebacks(case):
    arguments, message = BAD_COMMANDS[case]
    done = subprocess.run(
        [sys.executable, *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
