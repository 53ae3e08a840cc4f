"""Dask and Spark clusters of processes store exactly the one-process run's predictions."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import require_in_ci
from workshop_lib import batch
from workshop_lib.scaling import clusters
from workshop_lib.store import PredictionStore

pytestmark = pytest.mark.slow
DAY = "2025-01-31"
COLUMNS = "application_id, probability, decision, model_version"


def predictions(url: str) -> pd.DataFrame:
    return PredictionStore(url).read(f"SELECT {COLUMNS} FROM predictions ORDER BY application_id")


@pytest.fixture
def day(tmp_path, registry):
    data_root = tmp_path / "data"
    batch.write_day(DAY, 3_000, root=data_root, rows_per_file=1_000, seed=5, row_group_rows=400)
    local = f"sqlite:///{tmp_path / 'local.db'}"
    batch.run_day(DAY, data_root=data_root, store_url=local, registry=registry)
    return {"data_root": data_root, "registry": registry, "local": predictions(local)}


def test_a_dask_cluster_of_processes_stores_the_local_predictions(day, tmp_path):
    from distributed import Client, get_task_stream

    url = f"sqlite:///{tmp_path / 'cluster.db'}"
    with clusters.start_dask_cluster(workers=2) as cluster, Client(cluster.address) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        assert len(cluster.processes) == 3 and cluster.memory_mb() > 0
        with get_task_stream(client) as tasks:
            summary = batch.run_day(
                DAY, data_root=day["data_root"], store_url=url, registry=day["registry"],
                scheduler=client,
            )  # fmt: skip
        workers = set(client.scheduler_info()["workers"])
    assert (summary.status, summary.rows, summary.written) == ("succeeded", 3_000, 3)
    assert {task["worker"] for task in tasks.data} == workers  # both processes scored
    pd.testing.assert_frame_equal(predictions(url), day["local"])
    assert batch.runs(url)["scheduler"].tolist() == [f"distributed {cluster.address}"]


def test_a_spark_standalone_cluster_stores_the_local_predictions(day, tmp_path):
    require_in_ci("java")
    from workshop_lib.batch import spark_engine

    url = f"sqlite:///{tmp_path / 'spark.db'}"
    with clusters.start_spark_cluster() as cluster:
        assert cluster.address.startswith("spark://") and cluster.memory_mb() > 0
        with spark_engine.spark_session(master=cluster.address) as session:
            engine = spark_engine.SparkEngine(session, output_root=tmp_path / "scored")
            summary = batch.run_day(
                DAY, data_root=day["data_root"], store_url=url, registry=day["registry"],
                workers=1, engine=engine,
            )  # fmt: skip
    assert (summary.status, summary.rows, summary.written) == ("succeeded", 3_000, 3)
    pd.testing.assert_frame_equal(predictions(url), day["local"])
    assert batch.runs(url)["scheduler"].tolist() == [f"spark {cluster.address}"]
