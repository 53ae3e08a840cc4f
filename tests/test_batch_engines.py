"""The pandas and Spark engines store exactly the Dask engine's predictions, row by row."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import require_in_ci
from workshop_lib import batch
from workshop_lib.batch import pandas_engine
from workshop_lib.store import PredictionStore

DAY = "2025-01-31"
COLUMNS = "application_id, probability, decision, model_version, source"


def predictions(url: str) -> pd.DataFrame:
    return PredictionStore(url).read(f"SELECT {COLUMNS} FROM predictions ORDER BY application_id")


@pytest.fixture
def day(tmp_path, registry):
    data_root = tmp_path / "data"
    # Dask scores row groups (three per file here), pandas and Spark whole files: same scores
    batch.write_day(DAY, 3_000, root=data_root, rows_per_file=1_000, seed=5, row_group_rows=400)
    dask_url = f"sqlite:///{tmp_path / 'dask.db'}"
    batch.run_day(DAY, data_root=data_root, store_url=dask_url, registry=registry)
    return {"data_root": data_root, "registry": registry, "dask": predictions(dask_url)}


def run_with(day, url: str, engine: batch.Engine) -> batch.RunSummary:
    return batch.run_day(
        DAY,
        data_root=day["data_root"],
        store_url=url,
        registry=day["registry"],
        workers=1,
        engine=engine,
    )


def test_pandas_engine_stores_the_dask_predictions(day, tmp_path):
    url = f"sqlite:///{tmp_path / 'pandas.db'}"
    summary = run_with(day, url, pandas_engine.PandasEngine())
    assert (summary.status, summary.rows, summary.written) == ("succeeded", 3_000, 3)
    pd.testing.assert_frame_equal(predictions(url), day["dask"])


def test_spark_engine_stores_the_dask_predictions_and_skips_a_rerun(day, tmp_path):
    require_in_ci("java")
    from workshop_lib.batch import spark_engine

    url = f"sqlite:///{tmp_path / 'spark.db'}"
    with spark_engine.spark_session() as session:
        engine = spark_engine.SparkEngine(session, output_root=tmp_path / "scored")
        summary = run_with(day, url, engine)
        assert (summary.status, summary.rows, summary.written) == ("succeeded", 3_000, 3)
        pd.testing.assert_frame_equal(predictions(url), day["dask"])
        again = run_with(day, url, engine)
    assert (again.written, again.skipped) == (0, 3)
    assert batch.runs(url)["scheduler"].tolist() == ["spark local[1]"] * 2
    assert not list((tmp_path / "scored").iterdir())  # the staging Parquet is cleaned up
