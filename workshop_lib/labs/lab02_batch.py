"""Lab 02: the per-partition scoring function, run through Dask on a fresh day."""

from __future__ import annotations

import threading
from types import ModuleType

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from workshop_lib import batch, data, schema
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.registry import LoadedModel, Registry

ROWS, PARTITIONS, THREADS = 8_000, 8, 4


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
            return original(registry, ref)

        Registry.load = counted  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        Registry.load = self._original  # type: ignore[method-assign]


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    registry, loaded = shared.trained_model(fresh_seed(seed, 1))
    ref = batch.ModelRef(str(registry.root), loaded.version)
    day = data.make_applications(ROWS, seed=fresh_seed(seed, 2), first_id=500_001)
    day = day.sample(frac=1, random_state=seed % 2**32).reset_index(drop=True)
    applications = dd.from_pandas(day, npartitions=PARTITIONS)
    with _CountedLoads() as loads, dask.config.set(scheduler="threads", num_workers=THREADS):
        scored = applications.map_partitions(
            module.score_partition, ref, meta=batch.SCORED_META, token=f"lab-02-{seed}"
        )
        result = scored.compute()
    if not isinstance(result, pd.DataFrame) or len(result) != ROWS:
        return False, f"{ROWS:,} rows went in, {len(result):,} came out"
    missing = {schema.ID_COLUMN, "probability", "decision"} - set(result.columns)
    if missing:
        return False, f"your partitions lack the column(s) {sorted(missing)}"
    expected = batch.score_partition(day, ref).set_index(schema.ID_COLUMN).sort_index()
    got = result.set_index(schema.ID_COLUMN).sort_index()
    if not got.index.equals(expected.index):
        return False, "the application ids that came out are not the ones that went in"
    worst = float(np.abs(got["probability"].to_numpy() - expected["probability"].to_numpy()).max())
    if worst > 1e-9:
        return False, f"a probability differs from the reference scorer's by {worst:.3g}"
    wrong = int((got["decision"].astype(str) != expected["decision"].astype(str)).sum())
    if wrong:
        return False, f"{wrong:,} decisions differ from the model's threshold rule"
    if loads.calls != 1:
        return False, (
            f"the model was loaded {loads.calls} times for {PARTITIONS} partitions on one worker: "
            "load it once per worker process and reuse it"
        )
    return True, (
        f"{ROWS:,} fresh rows in {PARTITIONS} partitions on {THREADS} threads: every prediction "
        "matches the reference, and the model was loaded once"
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
