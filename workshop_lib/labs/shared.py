"""What several lab checkers need: a throw-away registry with a freshly trained model."""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from sklearn.metrics import roc_auc_score

from workshop_lib import data, paths, schema, training
from workshop_lib.registry import LoadedModel, Registry

DECOY_SEED = 424_242  # the default registry's model during a check: no lab's own model


_SCRATCH: list[Path] = []  # the folders checks made in this process: removed when it exits


def scratch_folder(prefix: str) -> Path:
    """A new temporary folder for one check, removed when this process exits (a registry made
    once per seed is reused by later checks until then)."""
    folder = Path(tempfile.mkdtemp(prefix=f"lab-{prefix}-"))
    if not _SCRATCH:
        atexit.register(_remove_scratch)
    _SCRATCH.append(folder)
    return folder


def _remove_scratch() -> None:
    for folder in _SCRATCH:
        shutil.rmtree(folder, ignore_errors=True)  # a folder a check already removed is fine


def throwaway_registry(prefix: str) -> Registry:
    """An empty registry in a new temporary folder."""
    return Registry(scratch_folder(prefix) / "models")


def copy_of(root: Path, prefix: str) -> Registry:
    """A registry of its own for one check: a copy of the one at ``root`` (made once per seed),
    so that what a check does to it leaves the next check's copy untouched."""
    registry = throwaway_registry(prefix)
    shutil.copytree(root, registry.root)
    return registry


def relabelled(loaded: LoadedModel, version: str, threshold: float) -> LoadedModel:
    """``loaded``'s model under another version and threshold (what a check hands a learner)."""
    return LoadedModel(
        loaded.model, {**loaded.metadata, "version": version, "threshold": threshold}
    )


def register(
    registry: Registry,
    model: object,
    train_frame: pd.DataFrame,
    kind: str,
    threshold: float = training.DECISION_THRESHOLD,
) -> str:
    """Register ``model`` with its holdout-free metadata and promote it; return the version."""
    version = registry.register(
        model,
        metrics={},
        data_fingerprint=data.fingerprint(train_frame),
        kind=kind,
        threshold=threshold,
    )
    registry.promote(version, reason="lab check")
    return version


@functools.cache
def _trained_registry(seed: int, rows: int, threshold: float, versions: int) -> Path:
    """A registry holding a model trained on ``rows`` applications of ``seed``: made once.

    It is registered ``versions`` times (1.0.0, 1.1.0, ...); the last one is production, with
    ``threshold``. Each earlier version has a threshold of its own (0.05 higher per version
    back), so code that reads the threshold of another version than production's shows it.
    """
    registry = throwaway_registry("trained")
    frame = data.make_applications(rows, seed=seed)
    model = training.build_pipeline("logistic").fit(*training.split_features(frame))
    for back in reversed(range(versions)):
        register(registry, model, frame, "logistic", round(threshold + 0.05 * back, 3))
    return registry.root


def trained_model(
    seed: int,
    rows: int = 4_000,
    threshold: float = training.DECISION_THRESHOLD,
    versions: int = 1,
) -> tuple[Registry, LoadedModel]:
    """A fresh registry whose production model is logistic, trained on ``rows`` applications.

    Each call gets its own copy (a checker may promote into it); the training itself runs once
    per ``(seed, rows, threshold, versions)``, so a reference and the wrong answers checked
    with one seed share it.
    """
    registry = copy_of(_trained_registry(seed, rows, threshold, versions), "model")
    return registry, registry.load()


@contextlib.contextmanager
def decoy_default_registry() -> Iterator[Path]:
    """Meanwhile the default registry (``paths.MODELS_DIR``) is a fresh one whose production
    is another model, version 1.0.0: code that reads the default registry instead of the model
    or registry it was handed gets that model, in a fresh home as after ``make model``."""
    registry, _ = trained_model(DECOY_SEED, rows=2_000)
    saved = paths.MODELS_DIR
    paths.MODELS_DIR = registry.root
    try:
        yield registry.root
    finally:
        paths.MODELS_DIR = saved


def rows_seen(model: object) -> dict[str, int]:
    """The rows each fitted step that counts them saw (``n_samples_seen_``, as StandardScaler
    records), by step name, inside pipelines and column transformers."""
    seen: dict[str, int] = {}

    def visit(name: str, step: object) -> None:
        for child_name, child in getattr(step, "steps", []):
            visit(child_name, child)
        for child_name, child, _ in getattr(step, "transformers_", []):
            visit(child_name, child)
        counted = getattr(step, "n_samples_seen_", None)
        if counted is not None:
            seen[f"{name} ({type(step).__name__})"] = int(np.min(counted))

    visit("model", model)
    return seen


def holdout_auc(model: Any, holdout: pd.DataFrame) -> float:
    """ROC AUC of ``model`` on the features of ``holdout`` (the label column is not shown)."""
    proba = model.predict_proba(holdout[schema.FEATURES])[:, 1]
    return float(roc_auc_score(holdout[schema.TARGET_COLUMN], proba))


def row_noise(features: pd.DataFrame, seed: int) -> np.ndarray:
    """Standard normal noise fixed by each row's feature values and ``seed``: the same row
    gets the same number wherever it sits, in any order or subset (numbers compared as
    floats, categories as text)."""
    return _noise(_row_keys(features), seed)


def _row_keys(features: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's feature values (numbers as floats, categories as text)."""
    key = pd.DataFrame(
        {
            name: features[name].astype("float64" if name in schema.NUMERIC_FEATURES else str)
            for name in schema.FEATURES
        }
    )
    return pd.util.hash_pandas_object(key, index=False).to_numpy(dtype=np.uint64)


def _noise(keys: np.ndarray, seed: int) -> np.ndarray:
    with np.errstate(over="ignore"):  # splitmix64: its arithmetic wraps by design
        mixed = keys + np.uint64(seed % 2**63) * np.uint64(0x9E3779B97F4A7C15)
        mixed = (mixed ^ (mixed >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        mixed = (mixed ^ (mixed >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        mixed = mixed ^ (mixed >> np.uint64(31))
    uniform = ((mixed >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
    return np.asarray(special.ndtri(uniform))


# per base model (by id, the model kept so that its id is not reused): the keys of the rows it
# has scored, sorted, and their default probabilities
_SCORED: dict[int, tuple[Any, np.ndarray, np.ndarray]] = {}


def _base_probabilities(base: Any, features: pd.DataFrame, keys: np.ndarray) -> np.ndarray:
    """``base``'s default probability of each row, each row scored once per process: a check
    hands the same holdout to a learner's gate dozens of times, in several orders."""
    _, known, values = _SCORED.get(id(base), (base, np.empty(0, np.uint64), np.empty(0)))
    at = np.minimum(np.searchsorted(known, keys), max(len(known) - 1, 0))
    seen = known[at] == keys if len(known) else np.zeros(len(keys), dtype=bool)
    probabilities = np.empty(len(keys))
    probabilities[seen] = values[at[seen]]
    if not seen.all():
        fresh = ~seen
        probabilities[fresh] = base.predict_proba(features[fresh])[:, 1]
        every, first = np.unique(np.concatenate([known, keys[fresh]]), return_index=True)
        _SCORED[id(base)] = (
            base,
            every,
            np.concatenate([values, probabilities[fresh]])[first],
        )
    return probabilities


class Blurred:
    """A model whose default probabilities are ``base``'s with fixed noise on the log-odds.

    The noise is fixed per row (``row_noise``), so a row always gets the same answer, in any
    order; ``blurred_to`` picks the noise level that gives a chosen ROC AUC on a holdout.
    """

    classes_ = np.array([0, 1])

    def __init__(self, base: Any, sigma: float, seed: int):
        self.base, self.sigma, self.seed = base, sigma, seed

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        keys = _row_keys(features)
        p = np.clip(_base_probabilities(self.base, features, keys), 1e-9, 1 - 1e-9)
        noise = _noise(keys, self.seed)
        blurred = 1 / (1 + np.exp(-(np.log(p / (1 - p)) + self.sigma * noise)))
        return np.column_stack([1 - blurred, blurred])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """The likelier class of each row, as a scikit-learn classifier's ``predict`` gives."""
        return (self.predict_proba(features)[:, 1] >= 0.5).astype(int)

    def decision_function(self, features: pd.DataFrame) -> np.ndarray:
        """The log-odds of default, as a logistic regression's ``decision_function`` gives."""
        p = np.clip(self.predict_proba(features)[:, 1], 1e-12, 1 - 1e-12)
        return np.log(p / (1 - p))

    def score(self, features: pd.DataFrame, labels: Any) -> float:
        """Accuracy of ``predict``, as a scikit-learn classifier's ``score`` gives."""
        return float((self.predict(features) == np.asarray(labels)).mean())


def blurred_to(
    base: Any, holdout: pd.DataFrame, target: float, seed: int, within: float = 0.001
) -> Blurred:
    """A ``Blurred`` copy of ``base`` whose holdout ROC AUC is ``target`` (give or take
    ``within``)."""
    low, high = 0.0, 20.0
    for _ in range(60):
        model = Blurred(base, (low + high) / 2, seed)
        auc = holdout_auc(model, holdout)
        if abs(auc - target) <= within:
            return model
        low, high = (model.sigma, high) if auc > target else (low, model.sigma)
    raise ValueError(f"no noise level gives ROC AUC {target:.3f} (last {auc:.3f})")
