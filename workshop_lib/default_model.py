"""Train, register and promote the workbook's default model (``make model``).

Every chapter serves the model that ``production`` points to. ``ensure_default_model`` makes
sure one exists, training it only when the registry has none, so any notebook can start first.
On a new development machine, registering the first version creates the registry's signing
key, and says so (:func:`workshop_lib.registry_keys.ensure_signing_key`).
"""

from __future__ import annotations

import argparse
import shutil
import time

from workshop_lib import data, paths, training
from workshop_lib.registry import PRODUCTION, Registry


def training_frames():
    """The reference-period training table and its independent holdout."""
    train_frame = data.make_applications(training.TRAIN_ROWS, seed=training.TRAIN_SEED)
    holdout = data.make_applications(
        training.HOLDOUT_ROWS, seed=training.HOLDOUT_SEED, first_id=training.TRAIN_ROWS + 1
    )
    return train_frame, holdout


def train_and_register(registry: Registry, kind: training.ModelKind = training.DEFAULT_KIND) -> str:
    """Train ``kind`` on the reference data, register it, promote it; return its version."""
    train_frame, holdout = training_frames()
    result = training.train(train_frame, holdout, kind)
    version = registry.register(
        result.model,
        metrics=result.metrics,
        data_fingerprint=data.fingerprint(train_frame),
        kind=result.kind,
        threshold=result.threshold,
        notes=f"default {kind} model, trained on {result.train_rows:,} reference rows",
        extra={"train_rows": result.train_rows, "train_seconds": round(result.train_seconds, 2)},
    )
    registry.promote(version, PRODUCTION, reason="default model")
    return version


def ensure_default_model(registry: Registry | None = None, verbose: bool = True) -> str:
    """The production version, after training the default model if there is none.

    An existing production version is verified (signature, fields, sha256) so a registry that
    cannot serve says why here, not in the middle of a chapter.
    """
    registry = registry or Registry()
    current = registry.stage(PRODUCTION)
    if current is not None:
        registry.verify(current)
        if verbose:
            print(f"production model: version {current} (already in {paths.shown(registry.root)})")
        return current
    started = time.perf_counter()
    version = train_and_register(registry)
    if verbose:
        print(
            f"trained and promoted the default model: version {version} "
            f"in {time.perf_counter() - started:.1f} s ({paths.shown(registry.root)})"
        )
    return version


def chapter_registry(chapter: str) -> Registry:
    """A fresh registry for a chapter that promotes and rolls back freely.

    It lives in ``runtime/<chapter>/models`` and starts with a copy of the workbook's production
    model as version 1.0.0, so the other chapters keep serving what they served.
    """
    ensure_default_model(verbose=False)
    home = paths.RUNTIME_DIR / chapter
    shutil.rmtree(home, ignore_errors=True)
    registry = Registry(home / "models")
    serving = Registry().load(PRODUCTION)
    first = registry.register(
        serving.model,
        metrics=serving.metadata["metrics"],
        data_fingerprint=serving.metadata["data_fingerprint"],
        kind=serving.metadata["kind"],
        threshold=serving.threshold,
        notes=f"copy of the workbook's production model {serving.version}",
        extra={"train_rows": serving.metadata.get("train_rows")},
    )
    registry.promote(first, PRODUCTION, reason=f"starting point of {chapter}")
    return registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="train a new version even if production already has one",
    )
    args = parser.parse_args()
    if args.retrain:
        started = time.perf_counter()
        version = train_and_register(Registry())
        print(f"registered and promoted {version} in {time.perf_counter() - started:.1f} s")
    else:
        ensure_default_model()


if __name__ == "__main__":
    main()
