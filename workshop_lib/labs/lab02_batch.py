"""Lab 02: the per-partition scoring function, run through Dask on two fresh days.

The registry holds production and a newer version, each with its own threshold; the first day
is scored with a ref to the newer one, the second with a ref to production, the third with a
ref to another registry's production (also 1.0.0), so a function that loads production, keeps
one model whatever the ref, or keys its cache by the version alone, gives the wrong scores
every time. A fourth day is one partition larger than the chapter's 100,000-row chunks, scored
with the newer version again: every row must come out, and its model is not read again.
"""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from types import ModuleType

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from workshop_lib import batch, data, schema, training
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.registry import LoadedModel, Registry

ROWS, PARTITIONS, THREADS = 8_000, 8, 4
LARGE_PARTITION_ROWS = 120_000  # one partition past the chapter's 100,000-row chunks
TOLERANCE = 1e-9
SLOW_LOAD_S = 0.1  # each read from the registry takes this long: threads starting together
# always overlap, so a cache without a lock misses on every one of them (not on some seeds)


class _CountedLoads:
    """Counts ``Registry.load`` calls while active: how often the model is read from disk."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        self._original = Registry.load

    def __enter__(self) -> _CountedLoads:
        original = self._original

        def counted(registry: Registry, ref: str = "production") -> LoadedModel:
            with self._lock:
                self.calls += 1
            time.sleep(SLOW_LOAD_S)
            return original(registry, ref)

        Registry.load = counted  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        Registry.load = self._original  # type: ignore[method-assign]


@functools.cache
def _two_versions(seed: int) -> Path:
    """A registry with production (1.0.0) and a newer version not promoted: made once per seed.

    The two models learnt from different days and have different thresholds, so scores from
    the wrong version (production instead of the one handed) never match.
    """
    registry = shared.throwaway_registry("02")
    rng = np.random.default_rng(seed)
    for offset, promote in ((1, True), (5, False)):
        frame = data.make_applications(3_000, seed=fresh_seed(seed, offset))
        model = training.build_pipeline("logistic").fit(*training.split_features(frame))
        threshold = round(float(rng.uniform(0.15, 0.3)), 3)
        version = registry.register(
            model,
            metrics={},
            data_fingerprint=data.fingerprint(frame),
            kind="logistic",
            threshold=threshold,
        )
        if promote:
            registry.promote(version, reason="lab check")
    return registry.root


@functools.cache
def _other_registry(seed: int) -> Path:
    """A second registry whose production is also 1.0.0, another model with another threshold:
    a cache keyed by the version alone hands its ref the first registry's model."""
    registry = shared.throwaway_registry("02-other")
    frame = data.make_applications(3_000, seed=fresh_seed(seed, 6))
    model = training.build_pipeline("logistic").fit(*training.split_features(frame))
    threshold = round(float(np.random.default_rng(fresh_seed(seed, 7)).uniform(0.15, 0.3)), 3)
    shared.register(registry, model, frame, "logistic", threshold)
    return registry.root


def _score_day(
    module: ModuleType, day: pd.DataFrame, ref: batch.ModelRef, token: str
) -> pd.DataFrame:
    partitions = 1 if len(day) >= LARGE_PARTITION_ROWS else PARTITIONS
    applications = dd.from_pandas(day, npartitions=partitions)
    with dask.config.set(scheduler="threads", num_workers=THREADS):
        scored = applications.map_partitions(
            module.score_partition, ref, meta=batch.SCORED_META, token=token
        )
        return scored.compute()


def _compare(
    result: object,
    day: pd.DataFrame,
    expected: pd.DataFrame,
    ref: batch.ModelRef,
    others: dict[str, batch.ModelRef],
) -> str:
    """What is wrong with one day's output ("" if nothing), against what the model gives that
    day (``expected``, indexed and sorted by id)."""
    if not isinstance(result, pd.DataFrame):
        return f"the partitions came back as {type(result).__name__}, not DataFrames"
    if len(result) != len(day):
        return f"{len(day):,} rows went in, {len(result):,} came out"
    missing = {schema.ID_COLUMN, "probability", "decision"} - set(result.columns)
    if missing:
        return f"your partitions lack the column(s) {sorted(missing)}"
    got = result.set_index(schema.ID_COLUMN).sort_index()
    if not got.index.equals(expected.index):
        return "the application ids that came out are not the ones that went in"
    probability = got["probability"].to_numpy(dtype=float)
    worst = float(np.abs(probability - expected["probability"].to_numpy()).max())
    if worst > TOLERANCE:
        for name, other in others.items():
            theirs = batch.score_partition(day, other).set_index(schema.ID_COLUMN).sort_index()
            if np.allclose(probability, theirs["probability"].to_numpy(), rtol=0, atol=TOLERANCE):
                return (
                    f"the probabilities are those of version {other.version} ({name}), not of "
                    f"version {ref.version} of {ref.registry_root}, the one handed in `ref` "
                    "(a ref is its registry root and its version)"
                )
        return (
            f"a probability differs from version {ref.version}'s by {worst:.3g} "
            f"(tolerance {TOLERANCE:g})"
        )
    wrong = int((got["decision"].astype(str) != expected["decision"].astype(str)).sum())
    if wrong:
        threshold = Registry(ref.registry_root).load(ref.version).threshold
        return (
            f"{wrong:,} decisions differ from the model's rule (decline at or above version "
            f"{ref.version}'s threshold, {threshold})"
        )
    return ""


# each day of a check: the model that scores it (the newer version, production, or another
# registry's production), its rows and the seed offset of its applications
PLAN = (
    ("newer", ROWS, 2),
    ("production", ROWS // 2, 3),
    ("other", ROWS // 4, 8),
    ("newer", LARGE_PARTITION_ROWS, 9),
)


def _day(seed: int, offset: int, rows: int) -> pd.DataFrame:
    """One day's applications, in a shuffled order."""
    day = data.make_applications(rows, seed=fresh_seed(seed, offset))
    return day.sample(frac=1, random_state=seed % 2**32).reset_index(drop=True)


def _refs(two_versions: Registry, other: Registry) -> dict[str, batch.ModelRef]:
    production, newer = two_versions.versions()
    root = str(two_versions.root)
    return {
        "newer": batch.ModelRef(root, newer),
        "production": batch.ModelRef(root, production),
        "other": batch.ModelRef(str(other.root), other.versions()[0]),
    }


@functools.cache
def _expected(seed: int) -> tuple[pd.DataFrame, ...]:
    """What the right model gives each day of a check of ``seed`` (indexed and sorted by id):
    scored once, with the registries every check copies."""
    refs = _refs(Registry(_two_versions(seed)), Registry(_other_registry(seed)))
    return tuple(
        batch.score_partition(_day(seed, offset, rows), refs[model])
        .set_index(schema.ID_COLUMN)
        .sort_index()
        for model, rows, offset in PLAN
    )


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    expected = _expected(seed)
    registry = shared.copy_of(_two_versions(seed), "02-check")
    other = shared.copy_of(_other_registry(seed), "02-check-other")
    refs = _refs(registry, other)
    names = {
        refs["newer"]: "the newer version",
        refs["production"]: "production",
        refs["other"]: "another registry's production",
    }
    days = [(refs[model], _day(seed, offset, rows)) for model, rows, offset in PLAN]
    with _CountedLoads() as loads:  # only the learner's loads are counted
        results = [
            _score_day(module, day, ref, f"lab-02-{seed}-{i}") for i, (ref, day) in enumerate(days)
        ]
    for i, ((ref, day), result) in enumerate(zip(days, results, strict=True)):
        others = {names[r]: r for r, _ in days if r != ref}
        problem = _compare(result, day, expected[i], ref, others)
        if problem:
            return False, f"day {i + 1} (ref version {ref.version}): {problem}"
    if loads.calls != len(refs):
        partitions = sum(1 if len(day) >= LARGE_PARTITION_ROWS else PARTITIONS for _, day in days)
        read = (
            f"the models were read from disk {loads.calls} times for {len(refs)} refs ({len(days)} "
            f"days, {partitions} partitions, one worker)"
        )
        if len(refs) < loads.calls < partitions:
            return False, (
                f"{read}: partitions that start together on {THREADS} threads each missed the "
                "cache and read the model (a read takes a moment): guard the load with a "
                "threading.Lock, so one thread reads it and the others wait and reuse it"
            )
        return False, f"{read}: load each ref's model once per worker process and reuse it"
    newer, production = refs["newer"].version, refs["production"].version
    return True, (
        f"three fresh days in {PARTITIONS} partitions on {THREADS} threads, scored with the "
        f"model each ref names ({newer}, then {production}, then {production} of another "
        f"registry), and a day of {LARGE_PARTITION_ROWS:,} rows in one partition ({newer} "
        "again): every prediction matches, and each model was read once"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab02_batch

    return lab02_batch


register(
    Lab(
        id="02",
        file="lab02_batch.py",
        prompt="Write score_partition(frame, ref) -> a DataFrame of application_id, probability "
        "and decision for one partition, loading the model of `ref` once per worker.",
        hint="keep loaded models in a module-level dict keyed by ref (behind a threading.Lock), "
        "load with Registry(ref.registry_root).load(ref.version) only when missing, then "
        "scoring.score_batch(loaded, frame)",
        checker=_check,
        reference=_reference,
    )
)
