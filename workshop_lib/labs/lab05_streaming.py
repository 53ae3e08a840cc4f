"""Lab 05: the processor step (acknowledge after write, idempotent writes), crashed at random."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from workshop_lib import data, schema, streaming
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.scoring import score_batch
from workshop_lib.store import PredictionStore

EVENTS, MAX_BATCH, CRASH_CHANCE = 600, 25, 0.3
PHASES = ("before_write", "after_write", "before_ack")


class _Crashes:
    """Where the next crash strikes: each write or ack may crash, by a seeded coin."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def maybe(self, phase: str) -> None:
        if self.rng.random() < CRASH_CHANCE / len(PHASES):
            self.count += 1
            raise streaming.SimulatedCrash(phase)


class _CrashingStore:
    """The real PredictionStore; a crash may strike just before or just after a write."""

    def __init__(self, store: PredictionStore, crashes: _Crashes):
        self._store, self._crashes = store, crashes

    def write(self, predictions: pd.DataFrame, connection: Any = None) -> int:
        self._crashes.maybe("before_write")
        written = self._store.write(predictions, connection=connection)
        self._crashes.maybe("after_write")
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _CrashingQueue:
    """The real RequestQueue; a crash may strike just before an acknowledgement."""

    def __init__(self, requests: streaming.RequestQueue, crashes: _Crashes):
        self._requests, self._crashes = requests, crashes

    def ack(self, ids: list[Any]) -> None:
        self._crashes.maybe("before_ack")
        self._requests.ack(ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._requests, name)


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    _, loaded = shared.trained_model(fresh_seed(seed, 1))
    frame = data.make_applications(EVENTS, seed=fresh_seed(seed, 2), first_id=700_001)
    requests = streaming.RequestQueue(capacity=EVENTS, min_idle_s=0.0)
    now = time.time()
    for event_id, application in streaming.application_records(frame):
        requests.put(streaming.Event(int(event_id), now, application))
    store = PredictionStore(f"sqlite:///{Path(tempfile.mkdtemp(prefix='lab-05-')) / 'p.db'}")
    crashes = _Crashes(fresh_seed(seed, 3))
    crashing_store, crashing_queue = (
        _CrashingStore(store, crashes),
        _CrashingQueue(requests, crashes),
    )
    for _ in range(50 * EVENTS // MAX_BATCH):
        batch = requests.get_batch(MAX_BATCH, window_s=0.0, wait_s=0.0)
        if not batch:
            break
        try:
            module.process_batch(batch, crashing_queue, crashing_store, loaded)
        except streaming.SimulatedCrash:
            continue  # the processor restarts; unacknowledged events are handed out again
        except sqlite3.IntegrityError as error:
            return False, f"writing an event a second time failed ({error}): use an upsert"
    stored = store.read()
    ids = set(stored[schema.ID_COLUMN])
    lost = EVENTS - len(ids & set(frame[schema.ID_COLUMN]))
    if lost:
        return False, (
            f"{lost} of {EVENTS} events were acknowledged but never stored, after "
            f"{crashes.count} crashes: acknowledge only after the write committed"
        )
    if len(stored) != EVENTS or requests.unacked() or requests.depth():
        return False, (
            f"{len(stored)} rows stored for {EVENTS} events, {requests.unacked()} still "
            "unacknowledged: every event is stored once and acknowledged"
        )
    expected = score_batch(loaded, frame).set_index(frame[schema.ID_COLUMN])["probability"]
    got = stored.set_index(schema.ID_COLUMN)["probability"].reindex(expected.index)
    if not np.allclose(got.to_numpy(), expected.to_numpy()):
        return False, "stored probabilities are not the model's"
    if crashes.count == 0:
        return False, "no crash struck this time: run the check again"
    return True, (
        f"{EVENTS} events through {crashes.count} crashes: none lost, none stored twice, "
        "all acknowledged"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab05_streaming

    return lab05_streaming


register(
    Lab(
        id="05",
        file="lab05_streaming.py",
        prompt="Write process_batch(batch, requests, store, model): score the batch's events, "
        "write the predictions, and only then acknowledge them.",
        hint="one DataFrame from [event.application for _, event in batch]; scoring.score_batch; "
        "store.write(rows) is an upsert keyed by application_id (a replay overwrites, never "
        "duplicates); requests.ack([entry_id for entry_id, _ in batch]) comes last",
        checker=_check,
        reference=_reference,
    )
)
