"""Shared fixtures: a small trained model in a throw-away registry."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from workshop_lib import data, signing, training
from workshop_lib.registry import PRODUCTION, Registry


def require_in_ci(binary: str) -> str | None:
    """Path of a system binary; in CI (CI=true) its absence fails the test instead of skipping."""
    found = shutil.which(binary)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{binary} is not installed, but .ci/run installs it: CI must run this test"
            )
        pytest.skip(f"{binary} is not installed (.ci/run installs it)")
    return found


@pytest.fixture(scope="session", autouse=True)
def signing_keys(tmp_path_factory) -> Path:
    """Tests sign with throw-away keys, never the workbook's own ``runtime/keys``.

    Set in the environment too, so the servers and programs a test starts verify with them.
    """
    folder = tmp_path_factory.mktemp("keys")
    os.environ["WORKBOOK_KEYS_DIR"] = str(folder)
    signing.KEYS_DIR = folder
    return folder


def register_again(registry: Registry, trained, bump="minor") -> str:
    """Register ``trained`` once more in ``registry`` (the next version by ``bump``)."""
    return registry.register(
        trained.model,
        metrics=trained.metrics,
        data_fingerprint="f",
        kind=trained.kind,
        threshold=trained.threshold,
        bump=bump,
    )


@pytest.fixture(scope="session")
def small_frames():
    """A 20k-row training table and a 10k-row holdout from the reference scenario."""
    return (
        data.make_applications(20_000, seed=11),
        data.make_applications(10_000, seed=12, first_id=20_001),
    )


@pytest.fixture(scope="session")
def trained(small_frames):
    """The default pipeline trained on the small table (shared: do not modify)."""
    return training.train(*small_frames)


def promoted_registry(root: Path, trained, small_frames) -> Registry:
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


@pytest.fixture
def registry(tmp_path, trained, small_frames) -> Registry:
    """A fresh registry holding the small model as 1.0.0, promoted to production."""
    return promoted_registry(tmp_path / "models", trained, small_frames)
