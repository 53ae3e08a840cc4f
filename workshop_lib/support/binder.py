"""Is this kernel on Binder, and what does the workbook skip there (and why)?

mybinder.org gives about 2 GB of memory for everything in a session: JupyterLab, the kernel and
every server a notebook starts. A session that passes its limit is ended, and the learner's work
with it. The engines below run from a clone (`make lab`), never on Binder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# BinderHub sets the first two in every session it launches; Kubernetes sets the third in pods
# that share a namespace with the Binder service.
BINDER_VARIABLES = ("BINDER_LAUNCH_HOST", "BINDER_REQUEST", "BINDER_SERVICE_HOST")

SKIPPED_ON_BINDER = {
    "spark": (
        "skipped on Binder: Spark's driver, JVM and Python worker take about 1 GB on top of this "
        "kernel and JupyterLab, too close to the 2 GB Binder gives a whole session (past it, "
        "Binder ends the session). Run it from a clone (`make lab`); the saved outputs show a run."
    ),
    "airflow": (
        "skipped on Binder: Airflow needs its own environment (.venv-airflow, about 130 packages), "
        "which Binder's image does not build, and its run takes about 600 MB more. Run it from a "
        "clone (`make airflow-env`, then this cell); the saved output of this cell shows a run."
    ),
}


def on_binder(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process runs in a Binder session."""
    variables = os.environ if environ is None else environ
    return any(variables.get(name) for name in BINDER_VARIABLES)


def skipped_on_binder(engine: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``engine`` ("spark" or "airflow") does not run here, or None when it may."""
    if engine not in SKIPPED_ON_BINDER:
        raise ValueError(f"unknown engine {engine!r}: expected one of {sorted(SKIPPED_ON_BINDER)}")
    return SKIPPED_ON_BINDER[engine] if on_binder(environ) else None
