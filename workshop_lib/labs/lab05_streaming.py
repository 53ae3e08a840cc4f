"""Lab 05: the processor step (acknowledge after write, idempotent writes), crashed at random.

The model handed to the learner's function has a decision threshold drawn for the check (not
0.5, not the training default), and every seed crashes each phase (before a write, after a
write, before and just after an acknowledgement) at least once, so the verdict never rests on
luck. Crashes strike per batch, so a processor that writes and acknowledges event by event is
not crashed more often than one that handles the whole batch. A second, shorter stream then
goes to another store with a model of another version and threshold (code that keeps the first
model or its connection errs), and the local time zone is UTC+05:30 throughout (a local time
labelled UTC is hours off).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from workshop_lib import data, schema, streaming, training
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.registry import LoadedModel
from workshop_lib.scoring import score_batch
from workshop_lib.store import PredictionStore, utc_now

EVENTS, MAX_BATCH, CRASH_CHANCE = 300, 25, 0.3
PHASES = ("before_write", "after_write", "before_ack", "after_ack")
# batch number -> phase
FORCED = {2: "before_write", 4: "after_write", 6: "before_ack", 8: "after_ack"}
SECOND_EVENTS = 100  # a second stream: another store, and a model of another version
# the local time zone during a check: UTC+05:30 as a POSIX TZ rule (needs no tz database)
FAR_FROM_UTC = "IST-5:30"
TOLERANCE = 1e-9


class _Crashes:
    """Where the next crash strikes: at most one per batch, on the first call of its phase.

    Batch 2 owes a crash before its (first) write, batch 4 one after it, batch 6 one before
    its first acknowledgement, batch 8 one just after it (a row acknowledged inside a
    transaction not yet committed is lost then); a debt that a batch does not reach (a
    re-delivered batch the processor skips writes nothing) stays armed in the next batches
    until it strikes, beside their own chances. Any batch crashes with chance CRASH_CHANCE, in
    a phase drawn evenly. So every phase strikes on every seed, a processor that acknowledges
    what it did not store loses events on every seed, and one that writes and acknowledges
    event by event meets no more crashes than one that handles the batch at once.
    """

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.count = 0
        self.armed: set[str] = set()
        self.owed: set[str] = set()  # forced phases that have not struck yet

    def start(self, batch: int) -> None:
        """Arm (or not) the crash of batch number ``batch``."""
        coin, phase = self.rng.random(), PHASES[int(self.rng.integers(len(PHASES)))]
        if batch in FORCED:
            self.owed.add(FORCED[batch])
        self.armed = self.owed | ({phase} if coin < CRASH_CHANCE else set())

    def maybe(self, phase: str) -> None:
        if phase in self.armed:
            self.armed = set()  # at most one crash per batch
            self.owed.discard(phase)
            self.count += 1
            raise streaming.SimulatedCrash(phase)


class _CrashingStore:
    """The real PredictionStore; a crash may strike just before or just after a write."""

    def __init__(self, store: PredictionStore, crashes: _Crashes):
        self._store, self._crashes = store, crashes

    def write(self, predictions: pd.DataFrame, *args: Any, **kwargs: Any) -> int:
        self._crashes.maybe("before_write")
        written = self._store.write(predictions, *args, **kwargs)
        self._crashes.maybe("after_write")
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _CrashingQueue:
    """The real RequestQueue; a crash may strike just before an acknowledgement."""

    def __init__(self, requests: streaming.RequestQueue, crashes: _Crashes):
        self._requests, self.crashes = requests, crashes
        self.acked: set[Any] = set()

    def ack(self, ids: list[Any]) -> None:
        self.crashes.maybe("before_ack")
        self._requests.ack(ids)
        self.acked.update(ids)
        self.crashes.maybe("after_ack")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._requests, name)


def with_threshold(loaded: LoadedModel, frame: pd.DataFrame, seed: int) -> LoadedModel:
    """``loaded`` with a version and a decision threshold drawn for this check.

    The version is not 1.0.0; the threshold is away from 0.5 and from the training default.

    It sits at the 60th to 80th percentile of the events' probabilities, so many events fall
    between it and 0.5 (and between it and training.DECISION_THRESHOLD).
    """
    probability = score_batch(loaded, frame)["probability"].to_numpy()
    rng = np.random.default_rng(seed)
    quantile = rng.uniform(0.6, 0.8)
    version = ".".join(str(int(part)) for part in rng.integers(2, 20, 3))
    threshold = round(float(np.quantile(probability, quantile)), 3)
    for other in (0.5, training.DECISION_THRESHOLD):
        between = (probability >= min(threshold, other)) & (probability < max(threshold, other))
        if not between.any():
            raise RuntimeError(f"no event between {threshold} and {other}")  # never seen
    return shared.relabelled(loaded, version, threshold)


def _events(frame: pd.DataFrame) -> streaming.RequestQueue:
    requests = streaming.RequestQueue(capacity=EVENTS, min_idle_s=0.0)
    now = time.time()
    for event_id, application in streaming.application_records(frame):
        requests.put(streaming.Event(int(event_id), now, application))
    return requests


@contextmanager
def _local_time_zone(zone: str) -> Iterator[None]:
    """This process's local time zone is ``zone`` inside the block (TZ, then ``time.tzset``)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def _run(
    module: ModuleType, requests: Any, queue: _CrashingQueue, store: Any, model: Any, events: int
) -> tuple[str, dict[Any, int]]:
    """Feed every batch through the learner's function, restarting it after each crash.

    Returns a problem ("" if none) and the event id of every entry id handed out.
    """
    owner: dict[Any, int] = {}
    for handed in range(4 * events // MAX_BATCH + 100):
        batch = requests.get_batch(MAX_BATCH, window_s=0.0, wait_s=0.0)
        if not batch:
            return "", owner
        owner.update((entry_id, event.event_id) for entry_id, event in batch)
        queue.crashes.start(handed)
        try:
            module.process_batch(batch, queue, store, model)
        except streaming.SimulatedCrash:
            continue  # the processor restarts; unacknowledged events are handed out again
        except sqlite3.IntegrityError as error:
            if "NOT NULL" in str(error):
                return (
                    f"the store refused your rows ({error}): every column of "
                    "store.PREDICTION_COLUMNS needs a value (run_id names the run, e.g. "
                    "'lab-05'; source is 'stream')"
                ), owner
            return f"writing an event a second time failed ({error}): use an upsert", owner
        left = [entry_id for entry_id, _ in batch if entry_id not in queue.acked]
        if left and queue.acked:
            return (
                f"your process_batch returned without acknowledging {len(left)} of the "
                f"{len(batch)} events it was handed (no crash that time): acknowledge every "
                "event of the batch once its row is stored, or it is handed out again"
            ), owner
        if handed >= 2 * events // MAX_BATCH and not queue.acked:
            break
    return "", owner


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    _, trained = shared.trained_model(fresh_seed(seed, 1))
    frame = data.make_applications(EVENTS, seed=fresh_seed(seed, 2), first_id=700_001)
    loaded = with_threshold(trained, frame, fresh_seed(seed, 4))
    with _local_time_zone(FAR_FROM_UTC):  # a local time labelled "+00:00" is then hours off
        passed, message = _stream(module, frame, loaded, "p.db", fresh_seed(seed, 3))
    if not passed:
        return passed, message
    # the same process_batch, then with another store and a model of another version and
    # threshold: code that keeps the first model, or a connection to the first store, errs
    second = data.make_applications(SECOND_EVENTS, seed=fresh_seed(seed, 5), first_id=710_001)
    other = next(
        model
        for model in (with_threshold(trained, second, fresh_seed(seed, n)) for n in range(6, 99))
        if model.version != loaded.version and model.threshold != loaded.threshold
    )
    with _local_time_zone(FAR_FROM_UTC):
        passed_again, again = _stream(module, second, other, "second.db", fresh_seed(seed, 7))
    if not passed_again:
        return False, (
            f"{message}; then, on a second stream of {SECOND_EVENTS} events with another store "
            f"and model version {other.version} (threshold {other.threshold}): {again}"
        )
    return True, f"{message}; and again on a second stream, store and model version"


def _stream(
    module: ModuleType, frame: pd.DataFrame, loaded: LoadedModel, db: str, crash_seed: int
) -> tuple[bool, str]:
    """One stream of ``frame``'s events through the learner's function into a new store."""
    events = len(frame)
    requests = _events(frame)
    store = PredictionStore(f"sqlite:///{shared.scratch_folder('05') / db}")
    crashes = _Crashes(crash_seed)
    queue = _CrashingQueue(requests, crashes)
    started = utc_now()
    problem, owner = _run(module, requests, queue, _CrashingStore(store, crashes), loaded, events)
    if problem:
        return False, problem
    stored = store.read()
    ids = set(stored[schema.ID_COLUMN]) & set(frame[schema.ID_COLUMN])
    if not queue.acked:
        return False, (
            f"your process_batch never acknowledged an event (no call of requests.ack "
            f"returned); {len(ids)} of {events} events were stored"
        )
    acked = {owner[entry] for entry in queue.acked if entry in owner}
    lost = acked - ids
    if lost:
        return False, (
            f"{len(lost)} of {events} events were acknowledged but never stored, after "
            f"{crashes.count} crashes: acknowledge an event only after its own row is stored "
            "(every event of the batch, also one handed out again after a crash: nothing kept "
            "in memory survives a crash)"
        )
    left = requests.unacked() + requests.depth()
    if len(stored) != events or left:
        return False, (
            f"{len(stored)} rows stored for {events} events ({len(ids)} distinct), {left} "
            "events still unacknowledged: every event is stored once and acknowledged"
        )
    unnamed = stored[stored["run_id"].astype(str).str.strip() == ""]
    if len(unnamed):
        return False, (
            f"{len(unnamed)} of {events} rows have an empty run_id: name the run with any "
            "non-empty text, such as 'lab-05'"
        )
    other_source = stored[stored["source"].astype(str) != "stream"]
    if len(other_source):
        return False, (
            f"{len(other_source)} of {events} rows say source {other_source['source'].iloc[0]!r}: "
            "rows from the stream processor say 'stream' (readers select by it)"
        )
    problem = _scored_at_problem(stored["scored_at"].astype(str), started, utc_now())
    if problem:
        return False, problem
    return _compare(stored, frame, loaded, crashes.count)


def _scored_at_problem(scored_at: pd.Series, started: str, finished: str) -> str:
    """Why the stored ``scored_at`` values are not UTC times of this run ("" when they are)."""
    times = []
    for text in scored_at:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            when = None
        if when is None or when.utcoffset() != timedelta(0):
            return (
                f"a row says scored_at {text!r}, not an ISO 8601 time in UTC with its offset "
                "(as store.utc_now() gives): a time without its zone is read wrong elsewhere"
            )
        times.append(when)
    begin, end = datetime.fromisoformat(started), datetime.fromisoformat(finished)
    if min(times) < begin or max(times) > end:
        return (
            f"rows say scored_at from {min(times).isoformat()} to {max(times).isoformat()}, "
            f"outside the run ({started} to {finished}): call utc_now() when each batch is "
            "scored"
        )
    return ""


def _compare(
    stored: pd.DataFrame, frame: pd.DataFrame, loaded: LoadedModel, crashes: int
) -> tuple[bool, str]:
    """The stored rows against the model's own scores, decisions and version."""
    expected = score_batch(loaded, frame).set_index(frame[schema.ID_COLUMN])
    got = stored.set_index(schema.ID_COLUMN).reindex(expected.index)
    gap = np.abs(got["probability"].astype(float) - expected["probability"]).max()
    if not gap <= TOLERANCE:
        return False, (
            f"a stored probability differs from the model's by {gap:.3g} (tolerance {TOLERANCE:g})"
        )
    wrong = int((got["decision"].astype(str) != expected["decision"].astype(str)).sum())
    if wrong:
        return False, (
            f"{wrong} of {len(frame)} stored decisions differ from the model's rule (decline when "
            f"the probability >= its threshold, {loaded.threshold}; this check's model does "
            "not use 0.5)"
        )
    versions = sorted(set(got["model_version"].astype(str)))
    if versions != [loaded.version]:
        return False, f"the rows say model_version {versions}, the model is {loaded.version!r}"
    return True, (
        f"{len(frame)} events through {crashes} crashes: none lost, none stored twice, all "
        f"acknowledged; probabilities, decisions (threshold {loaded.threshold}) and version "
        "are the model's"
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
