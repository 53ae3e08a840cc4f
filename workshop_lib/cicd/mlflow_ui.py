"""The MLflow UI over the pipeline's tracking store, as a background server.

Started lean: one worker and no job runner (the default server starts about 15 processes and
takes 2-3 GB; this one is 2 processes and about 0.5 GB), telemetry off, on a free loopback port.
Behind Jupyter's server proxy (Binder) the proxied host and origin are allowed explicitly.
"""

from __future__ import annotations

import sys

from workshop_lib.cicd.mlflow_tracking import Tracking
from workshop_lib.support.servers import BackgroundServer, proxy_prefix, start_server

LEAN_ENV = {
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


def start_mlflow_ui(tracking: Tracking, timeout: float = 180.0) -> BackgroundServer:
    """``mlflow server`` on ``tracking``'s store; ready when ``/health`` answers."""
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        tracking.tracking_uri,
        "--default-artifact-root",
        tracking.artifact_location,
        "--host",
        "{host}",
        "--port",
        "{port}",
        "--workers",
        "1",
    ]
    if proxy_prefix() is not None:  # on Binder the browser reaches it through the proxy
        command += ["--allowed-hosts", "*", "--cors-allowed-origins", "*"]
    return start_server(command, name="mlflow-ui", env=LEAN_ENV, timeout=timeout)
