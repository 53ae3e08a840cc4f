"""MLServer, Seldon's model server, serving a registry version over the V2 inference protocol.

The protocol (KServe's "open inference protocol", which Triton speaks too) sends one named,
typed input per column. With ``content_type = "pd"`` MLServer's scikit-learn runtime rebuilds
the DataFrame the pipeline was trained on and returns ``predict_proba``. MLServer runs in its
own environment (``make mlserver-env``, ``requirements-mlserver.txt``): it pins an older
FastAPI than the workbook's. Its runtime loads a joblib pickle, so the file is written here
from a version the registry has verified (hash and signature), into a private folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from workshop_lib import schema
from workshop_lib.registry import Registry
from workshop_lib.support import tools
from workshop_lib.support.servers import BackgroundServer, free_port, start_server

MODEL_NAME = "loan-risk"
INTEGER_COLUMNS = frozenset(f.name for f in schema.NUMERIC if f.integer)


def mlserver_program() -> Path:
    """The ``mlserver`` command of its own environment, or an error saying how to make it."""
    program = tools.locate("mlserver")
    if program is None:
        raise FileNotFoundError(tools.missing(["mlserver"])["mlserver"])
    return program


def write_repository(
    registry: Registry,
    version: str,
    folder: Path,
    *,
    max_batch_size: int = 0,
    max_batch_time_s: float = 0.0,
) -> int:
    """A model repository for MLServer serving ``version``; returns the HTTP port it will use.

    ``max_batch_size`` > 1 turns on MLServer's adaptive batching: requests arriving within
    ``max_batch_time_s`` of each other are scored in one call.
    """
    loaded = registry.load(version)  # verified: hash and signature
    model_dir = folder / MODEL_NAME
    model_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    joblib.dump(loaded.model, model_dir / "model.joblib")
    model_settings = {
        "name": MODEL_NAME,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "version": loaded.version, "content_type": "pd"},
        "max_batch_size": max_batch_size,
        "max_batch_time": max_batch_time_s,
    }
    (model_dir / "model-settings.json").write_text(json.dumps(model_settings, indent=2))
    port = free_port()
    settings = {
        "host": "127.0.0.1",
        "http_port": port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        "debug": False,
        "parallel_workers": 1,  # its default: one inference worker process
        "metrics_dir": str(folder / ".metrics"),
        "environments_dir": str(folder / ".envs"),
    }
    (folder / "settings.json").write_text(json.dumps(settings, indent=2))
    return port


def start_mlserver(
    folder: Path, port: int, timeout: float = 120.0, wait: bool = True
) -> BackgroundServer:
    """Start MLServer on the repository ``folder``; return once the model is ready (or at once
    with ``wait=False``: then ``wait_until_healthy``)."""
    return start_server(
        [str(mlserver_program()), "start", str(folder)],
        name="mlserver",
        health_path=f"/v2/models/{MODEL_NAME}/ready",
        port=port,
        cwd=folder,
        log_dir=folder,
        timeout=timeout,
        wait=wait,
    )


def _datatype(column: str) -> str:
    if column in schema.CATEGORIES:
        return "BYTES"
    return "INT64" if column in INTEGER_COLUMNS else "FP64"


def v2_request(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A V2 inference request for ``rows`` (applications): one typed input per column."""
    inputs = []
    for column in schema.FEATURES:
        datatype = _datatype(column)
        item: dict[str, Any] = {
            "name": column,
            "datatype": datatype,
            "shape": [len(rows)],
            "data": [row[column] for row in rows],
        }
        if datatype == "BYTES":
            item["parameters"] = {"content_type": "str"}  # text, not raw bytes
        inputs.append(item)
    return {
        "parameters": {"content_type": "pd"},
        "inputs": inputs,
        "outputs": [{"name": "predict_proba"}],
    }


def default_probabilities(response: dict[str, Any]) -> np.ndarray:
    """The probability of default of each row in a V2 ``predict_proba`` response."""
    (output,) = response["outputs"]
    return np.asarray(output["data"], dtype=float).reshape(output["shape"])[:, 1]
