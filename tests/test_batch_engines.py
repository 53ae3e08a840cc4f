"""The pandas and Spark engines store exactly the Dask engine's predictions, row by row."""

from __future__ import annotations

import pandas as pd

from tests.helpers import BATCH_DAY as DAY
from tests.helpers import require_in_ci
from tests.helpers import stored_predictions as predictions
from workshop_lib import batch
from workshop_lib.batch import pandas_engine


def run_with(day, url: str, engine: batch.Engine) -> batch.RunSummary:
    return batch.run_day(
        DAY,
        data_root=day["data_root"],
        store_url=url,
        registry=day["registry"],
        workers=1,
        engine=engine,
    )


def test_pandas_engine_stores_the_dask_predictions(scored_day, tmp_path):
    url = f"sqlite:///{tmp_path / 'pandas.db'}"
    summary = run_with(scored_day, url, pandas_engine.PandasEngine())
    assert (summary.status, summary.rows, summary.written) == ("succeeded", 3_000, 3)
    pd.testing.assert_frame_equal(predictions(url), scored_day["dask"])


def test_spark_engine_stores_the_dask_predictions_and_skips_a_rerun(scored_day, tmp_path):
    require_in_ci("java")
    from workshop_lib.batch import spark_engine

    url = f"sqlite:///{tmp_path / 'spark.db'}"
    with spark_engine.spark_session() as session:
        engine = spark_engine.SparkEngine(session, output_root=tmp_path / "scored")
        summary = run_with(scored_day, url, engine)
        assert (summary.status, summary.rows, summary.written) == ("succeeded", 3_000, 3)
        pd.testing.assert_frame_equal(predictions(url), scored_day["dask"])
        again = run_with(scored_day, url, engine)
    assert (again.written, again.skipped) == (0, 3)
    assert batch.runs(url)["scheduler"].tolist() == ["spark local[1]"] * 2
    assert not list((tmp_path / "scored").iterdir())  # the staging Parquet is cleaned up


def test_the_jvm_start_notices_are_dropped_and_every_other_line_passes(capfd):
    """What a process started inside the block writes on stderr reaches this process's stderr,
    except the JVM's start-up notices (a notebook's saved output shows no such notice)."""
    import subprocess
    import sys
    import time

    from workshop_lib.batch import spark_engine

    lines = "WARNING: Using incubator modules: jdk.incubator.vector\\nan error Spark reports\\n"
    with spark_engine._jvm_start_notices_dropped():
        child = subprocess.Popen([sys.executable, "-c", f"import sys; sys.stderr.write('{lines}')"])
    assert child.wait(timeout=30) == 0
    seen = ""
    for _ in range(100):  # the forwarding thread passes the line on within moments
        seen += capfd.readouterr().err
        if "an error Spark reports" in seen:
            break
        time.sleep(0.05)
    assert "an error Spark reports" in seen
    assert "incubator" not in seen
