"""Helpers the test files import: system programs, and registries holding the small model."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from workshop_lib import data
from workshop_lib.registry import PRODUCTION, Registry
from workshop_lib.store import PredictionStore
from workshop_lib.support import tools

# The Debian package of each system program the tests drive (apt.txt lists them for CI and Binder).
PACKAGES = {
    "chromium": "chromium",
    "chromedriver": "chromium-driver",
    "redis-server": "redis-server",
    "mosquitto": "mosquitto",
    "mosquitto_passwd": "mosquitto",
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "java": "openjdk-17-jre-headless",
    "nginx": "nginx",
}


def require_in_ci(binary: str) -> str:
    """Path of a system program or of a ``support.tools`` tool ("nginx", "spark", "mlserver");
    skipped here without it (with the command that installs it), failed in CI (``CI`` set),
    where ``.ci/run`` installs it."""
    if binary in tools.TOOLS:
        found = tools.locate(binary)
        install = tools.TOOLS[binary].install
    else:
        found = shutil.which(binary)
        install = f"sudo apt-get install {PACKAGES.get(binary, binary)}"
    if found is None:
        if tools.in_ci():
            pytest.fail(f"{binary} is not installed, but .ci/run installs it ({install})")
        pytest.skip(f"{binary} is not installed; install it with: {install}")
    return str(found)


def register_again(registry: Registry, trained: Any, bump: str = "minor") -> str:
    """Register ``trained`` once more in ``registry`` (the next version by ``bump``)."""
    return registry.register(
        trained.model,
        metrics=trained.metrics,
        data_fingerprint="f",
        kind=trained.kind,
        threshold=trained.threshold,
        bump=bump,
    )


def promoted_registry(root: Path, trained: Any, small_frames: Any) -> Registry:
    """A registry at ``root`` holding the small model as 1.0.0, promoted to production."""
    registry = Registry(root)
    version = registry.register(
        trained.model,
        metrics=trained.metrics,
        data_fingerprint=data.fingerprint(small_frames[0]),
        kind=trained.kind,
        threshold=trained.threshold,
    )
    registry.promote(version, PRODUCTION)
    return registry


BATCH_DAY = "2025-01-31"  # the day the batch engine and cluster tests score
BATCH_COLUMNS = "application_id, probability, decision, model_version, source"


def stored_predictions(url: str) -> pd.DataFrame:
    """Every stored prediction of the database at ``url``, by application id."""
    return PredictionStore(url).read(
        f"SELECT {BATCH_COLUMNS} FROM predictions ORDER BY application_id"
    )
