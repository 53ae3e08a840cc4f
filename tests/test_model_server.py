"""MLServer serves the registry's model over the V2 protocol with the service's probabilities.

Both servers are real processes on one registry version: the workbook's service (its default
backend) and MLServer from its own environment (``make mlserver-env``).
"""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
from helpers import promoted_registry, require_in_ci

from workshop_lib import data, schema
from workshop_lib.scaling import model_server
from workshop_lib.support.servers import start_uvicorn

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mlserver_env():
    require_in_ci("mlserver")


def test_mlserver_answers_the_services_probability_to_1e_6(
    mlserver_env, tmp_path, trained, small_frames
):
    registry = promoted_registry(tmp_path / "models", trained, small_frames)
    repository = tmp_path / "mlserver"
    port = model_server.write_repository(registry, "1.0.0", repository, max_batch_size=16,
                                         max_batch_time_s=0.002)  # fmt: skip
    rows = data.json_applications(40, seed=12_345)
    env = {"MODEL_REGISTRY": str(registry.root), "PREDICTION_LOG": str(tmp_path / "log.jsonl")}
    with model_server.start_mlserver(repository, port) as mlserver, start_uvicorn(env=env) as api:
        served = httpx.post(f"{api.url}/predict/batch", json={"applications": rows}, timeout=30)
        v2 = httpx.post(
            f"{mlserver.url}/v2/models/{model_server.MODEL_NAME}/infer",
            json=model_server.v2_request(rows),
            timeout=30,
        )
        metadata = httpx.get(f"{mlserver.url}/v2/models/{model_server.MODEL_NAME}").json()
    assert served.status_code == 200 and v2.status_code == 200, v2.text[:300]
    ours = np.array([p["probability"] for p in served.json()["predictions"]])
    theirs = model_server.default_probabilities(v2.json())
    assert len(theirs) == len(rows)
    assert np.abs(ours - theirs).max() < 1e-6
    assert v2.json()["model_version"] == "1.0.0" and metadata["name"] == model_server.MODEL_NAME
    settings = json.loads(
        (repository / model_server.MODEL_NAME / "model-settings.json").read_text()
    )
    assert (settings["max_batch_size"], settings["max_batch_time"]) == (16, 0.002)


def test_a_v2_request_names_each_column_with_its_type():
    request = model_server.v2_request(data.json_applications(3, seed=1))
    types = {item["name"]: item["datatype"] for item in request["inputs"]}
    assert list(types) == schema.FEATURES
    assert types["age"] == "INT64" and types["annual_income"] == "FP64"
    assert types["home_ownership"] == "BYTES"
    assert all(item["shape"] == [3] for item in request["inputs"])
    assert request["outputs"] == [{"name": "predict_proba"}]
