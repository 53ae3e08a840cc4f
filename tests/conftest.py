"""Shared fixtures: a small trained model in a throw-away registry (helpers: ``helpers.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import BATCH_DAY, promoted_registry, stored_predictions

from workshop_lib import batch, data, registry_keys, signing, training
from workshop_lib.registry import Registry


@pytest.fixture(scope="session", autouse=True)
def signing_keys(tmp_path_factory) -> Path:
    """Tests sign with throw-away keys, never the workbook's own ``runtime/keys``.

    Set in the environment too, so the servers and programs a test starts verify with them.
    The registry's signing key is created here, as ``make model`` creates it on a new machine.
    """
    folder = tmp_path_factory.mktemp("keys")
    os.environ["WORKBOOK_KEYS_DIR"] = str(folder)
    signing.KEYS_DIR = folder
    registry_keys.create_signing_key()
    return folder


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


@pytest.fixture
def registry(tmp_path, trained, small_frames) -> Registry:
    """A fresh registry holding the small model as 1.0.0, promoted to production."""
    return promoted_registry(tmp_path / "models", trained, small_frames)


@pytest.fixture
def scored_day(tmp_path, registry):
    """3,000 applications in three files, scored once by Dask in this process (row groups)."""
    data_root = tmp_path / "data"
    batch.write_day(
        BATCH_DAY, 3_000, root=data_root, rows_per_file=1_000, seed=5, row_group_rows=400
    )
    dask_url = f"sqlite:///{tmp_path / 'dask.db'}"
    batch.run_day(BATCH_DAY, data_root=data_root, store_url=dask_url, registry=registry)
    return {"data_root": data_root, "registry": registry, "dask": stored_predictions(dask_url)}
