"""On Binder, notebook 02b says that Spark and Airflow are skipped there, and why."""

from __future__ import annotations

import json

import pytest

from workshop_lib import paths
from workshop_lib.support import binder


@pytest.mark.parametrize("variable", binder.BINDER_VARIABLES)
def test_a_binder_session_is_recognised_by_any_of_its_variables(variable):
    assert binder.on_binder({variable: "https://mybinder.org"})
    assert binder.skipped_on_binder("spark", {variable: "x"}).startswith("skipped on Binder")


def test_a_clone_runs_everything():
    assert not binder.on_binder({"HOME": "/home/ada", "BINDER_REQUEST": ""})
    assert binder.skipped_on_binder("airflow", {}) is None


def test_an_unknown_engine_is_named():
    with pytest.raises(ValueError, match="'flink'"):
        binder.skipped_on_binder("flink", {})


def test_notebook_02b_asks_before_starting_spark_and_airflow():
    notebook = json.loads(
        (paths.PROJECT_ROOT / "notebooks" / "02b_batch_engines.ipynb").read_text()
    )
    code = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    setup = next(source for source in code if "java_missing()" in source)
    assert 'skipped_on_binder("spark")' in setup
    airflow = next(source for source in code if '"dags", "test"' in source)
    assert 'skipped_on_binder("airflow")' in airflow
