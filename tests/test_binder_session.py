"""On Binder, notebooks 02b and 09 say that Spark and Airflow are skipped there, and why."""

from __future__ import annotations

import json

import pytest

from workshop_lib import paths
from workshop_lib.support import binder, tools


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


def test_notebook_09_asks_before_starting_a_spark_cluster():
    notebook = json.loads(
        (paths.PROJECT_ROOT / "notebooks" / "09_best_practices_and_scaling.ipynb").read_text()
    )
    code = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    spark = [source for source in code if "spark_cluster" in source]
    assert spark and all(tools.needs_of(source) == ["spark"] for source in spark)
    binder_session = {"BINDER_LAUNCH_HOST": "https://mybinder.org/"}
    assert tools.skip_reason(["spark"], binder_session) == binder.SKIPPED_ON_BINDER["spark"]


def test_binder_builds_mlserver_s_environment_from_its_pins():
    post_build = (paths.PROJECT_ROOT / "binder" / "postBuild").read_text()
    assert "-r requirements-mlserver.txt" in post_build and ".venv-mlserver" in post_build
