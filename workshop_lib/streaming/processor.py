"""The stream processor: take a batch, validate, score, write, then acknowledge.

Delivery is *at-least-once*: events are acknowledged only after their predictions are written,
so events in flight when a processor dies are delivered again. Writes are keyed by
``application_id``, so a re-delivered event overwrites its own prediction: nothing is lost and
nothing is stored twice. Malformed events go to the dead letters with the reason, whatever is
wrong with them: the form data (a list where a category belongs included), or the envelope itself
(an ``event_id`` the store cannot key, such as 0 or 2**70, or a ``created_at`` outside the window
of ``events.EARLIEST_CREATED_AT`` to an hour ahead). A poison pill like that must never crash
the processor: it would be delivered again after every restart and stop the whole stream. An id
already stored from other form data is a duplicate id, dead-lettered too (``event_ledger``).
"""

from __future__ import annotations

import math
import queue
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from workshop_lib import schema
from workshop_lib.registry import LoadedModel
from workshop_lib.scoring import score_batch
from workshop_lib.store import (
    SOURCE_IDS,
    PredictionStore,
    is_application_id,
    open_sqlite,
    utc_now,
)
from workshop_lib.streaming import event_ledger
from workshop_lib.streaming.crash_plan import CrashPlan
from workshop_lib.streaming.events import (
    DEFAULT_MAX_BATCH,
    DEFAULT_WINDOW_S,
    EARLIEST_CREATED_AT,
    MAX_CLOCK_AHEAD_S,
    SOURCE,
    Event,
    EventQueue,
    SimulatedCrash,
)
from workshop_lib.support.benchmarking import LatencySummary, summarize


@dataclass
class StreamStats:
    """What a processor measured: per batch (time, size, queue depth) and per event latency.

    A batch's depth counts the events waiting when it was taken, the batch included.
    """

    started_at: float = field(default_factory=time.time)
    batch_done_at: list[float] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    dead_lettered: int = 0

    @property
    def scored(self) -> int:
        return len(self.latencies_s)

    def summary(self) -> LatencySummary:
        """End-to-end latency percentiles and events per second from first event to last."""
        first_created = self.batch_done_at[0] - self.latencies_s[0]
        wall = self.batch_done_at[-1] - min(first_created, self.started_at)
        return summarize(self.latencies_s, wall_s=wall)

    def steady_rate(self, start_s: float = 0.0, end_s: float = math.inf) -> float:
        """Events per second stored, batch by batch: the median of each batch's size over the
        time since the batch before, for batches done ``start_s``..``end_s`` after the start.

        A median of many batches is not moved by one slow moment (a stall, a busy second),
        where a total over a short run is.
        """
        done = np.asarray(self.batch_done_at) - self.started_at
        sizes = np.asarray(self.batch_sizes)
        inside = (done >= start_s) & (done < end_s)
        if inside.sum() < 3:
            raise ValueError(f"fewer than 3 batches were done from {start_s} s to {end_s} s")
        return float(np.median(sizes[inside][1:] / np.diff(done[inside])))

    def timeline(self, bin_s: float = 0.5) -> pd.DataFrame:
        """Per time bin: events/s written, p50 and p99 latency (ms), max and median queue depth.

        The median depth is what a batch typically found waiting; the max, the worst moment.
        """
        if not self.batch_sizes:
            raise ValueError("the processor has not scored any batch yet")
        done = np.repeat(np.asarray(self.batch_done_at) - self.started_at, self.batch_sizes)
        events = pd.DataFrame(
            {"bin": (done // bin_s).astype(int), "latency_ms": np.asarray(self.latencies_s) * 1e3}
        )
        batch_bins = ((np.asarray(self.batch_done_at) - self.started_at) // bin_s).astype(int)
        grouped = events.groupby("bin")["latency_ms"]
        table = pd.DataFrame(
            {
                "events_per_s": grouped.size() / bin_s,
                "p50_ms": grouped.quantile(0.5),
                "p99_ms": grouped.quantile(0.99),
            }
        )
        depths = pd.Series(self.depths).groupby(batch_bins)
        table["max_depth"] = depths.max()
        table["median_depth"] = depths.median()
        table = table.reindex(range(int(table.index.max()) + 1))
        table["events_per_s"] = table["events_per_s"].fillna(0.0)
        table.insert(0, "t_s", (table.index + 0.5) * bin_s)
        return table.reset_index(drop=True)


def _frame_if_valid(records: list[Any]) -> pd.DataFrame | None:
    """The records as one feature table if every one of them is valid, else None."""
    if not all(isinstance(r, dict) and len(r) == len(schema.FEATURES) for r in records):
        return None
    frame = pd.DataFrame.from_records(records, columns=schema.FEATURES)
    try:
        return schema.validate_frame(frame)
    except schema.SchemaError:
        return None


def envelope_problem(event: Event, now: float) -> str | None:
    """Why an event's id or timestamp cannot be stored or measured; None if both are fine.

    ``created_at`` must lie between ``EARLIEST_CREATED_AT`` and ``MAX_CLOCK_AHEAD_S`` past
    ``now``: a time like 1e308 is finite, but its latency overflows every summary.
    """
    low, high = SOURCE_IDS[SOURCE]
    if not is_application_id(event.event_id) or not low <= event.event_id <= high:
        return (
            f"event_id {event.event_id!r} is not an application id of the stream "
            f"(a whole number from {low:,} to {high:,}; the batch job's ids lie above)"
        )
    created = event.created_at
    latest = now + MAX_CLOCK_AHEAD_S
    if (
        isinstance(created, bool)
        or not isinstance(created, int | float)
        or not EARLIEST_CREATED_AT <= created <= latest
    ):
        return (
            f"created_at {created!r} is not a time between {EARLIEST_CREATED_AT:.0f} "
            f"(2020-01-01 UTC) and {latest:.0f} (an hour from now), in seconds since the epoch"
        )
    return None


class StreamProcessor:
    """Take batches from a queue, score them, write them, then acknowledge them.

    A batch is at most ``max_batch`` events, collected for at most ``window_s`` after the
    oldest arrived. Invalid events are dead-lettered with the reason; the rest are scored.
    """

    def __init__(
        self,
        requests: EventQueue,
        store: PredictionStore,
        model: LoadedModel,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        window_s: float = DEFAULT_WINDOW_S,
        predictions: queue.Queue | None = None,
        crash: CrashPlan | None = None,
        run_id: str | None = None,
    ):
        if max_batch < 1 or window_s < 0:
            raise ValueError(f"need max_batch >= 1 and window_s >= 0, got {max_batch}, {window_s}")
        self.requests = requests
        self.store = store
        self.model = model
        self.max_batch = max_batch
        self.window_s = window_s
        self.predictions = predictions
        self.crash = crash
        self.run_id = run_id or f"stream-{uuid.uuid4().hex[:8]}"
        self.stats = StreamStats()
        self.batches = 0
        self.notifications_dropped = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None

    # -- one batch ---------------------------------------------------------------------------
    def handle(self, batch: list[tuple[Any, Event]]) -> None:
        """Validate, score, write, acknowledge and publish one batch."""
        self.batches += 1
        depth = self.requests.depth() + len(batch)  # waiting when this batch was taken
        valid, frame = self._validate(batch)
        if not valid:
            return
        scores = score_batch(self.model, frame)
        self._strike("after_score")
        ids = [int(event.event_id) for _, event in valid]
        rows = pd.DataFrame(
            {
                "application_id": ids,
                "probability": scores["probability"].to_numpy(),
                "decision": scores["decision"].to_numpy(),
                "model_version": self.model.version,
                "run_id": self.run_id,
                "source": SOURCE,
                "scored_at": utc_now(),
            }
        )
        duplicate = self._write(rows, event_ledger.fingerprints(frame))
        written_at = time.time()
        self._strike("after_write")
        if duplicate.any():
            self._reject_duplicates([item for item, d in zip(valid, duplicate, strict=True) if d])
            valid = [item for item, d in zip(valid, duplicate, strict=True) if not d]
            rows = rows[~duplicate]
        if not valid:
            return
        self.requests.ack([entry_id for entry_id, _ in valid])
        created = np.fromiter((event.created_at for _, event in valid), float, len(valid))
        self.stats.latencies_s.extend((written_at - created).tolist())
        self.stats.batch_done_at.append(written_at)
        self.stats.batch_sizes.append(len(valid))
        self.stats.depths.append(depth)
        self._publish(rows)

    def _write(self, rows: pd.DataFrame, prints: np.ndarray) -> np.ndarray:
        """Commit the batch's predictions in one transaction, before anything is acked.

        Returns which rows were not written: their id is in the ledger with other form data.
        ``BEGIN IMMEDIATE`` takes the write lock first, so two workers cannot both claim an id.
        The connection stays open between batches: opening one per batch costs more than
        scoring a small batch.
        """
        if self._connection is None:
            self._connection = open_sqlite(self.store.path)
            event_ledger.create_ledger(self._connection)
        with self._connection:
            self._connection.execute("BEGIN IMMEDIATE")
            duplicate = event_ledger.claim(self._connection, rows["application_id"], prints)
            self.store.write(rows[~duplicate], connection=self._connection)
        return duplicate

    def _reject_duplicates(self, duplicates: list[tuple[Any, Event]]) -> None:
        for entry_id, event in duplicates:
            reason = (
                f"event_id {event.event_id} was already scored from a different application: "
                "a duplicate id; the stored prediction is kept"
            )
            self.requests.reject(entry_id, reason, event)
        self.stats.dead_lettered += len(duplicates)

    def _strike(self, phase: str) -> None:
        if self.crash is not None:
            self.crash.strike(self.batches, phase)

    def _validate(
        self, batch: list[tuple[Any, Event]]
    ) -> tuple[list[tuple[Any, Event]], pd.DataFrame]:
        """The valid events and their feature table; invalid ones are dead-lettered.

        The envelope (id, timestamp) is checked event by event first: it is cheap. Then the
        fast path checks the form data of the whole batch as one table; only when that finds a
        problem is each event checked on its own, to find which ones are bad and why.
        """
        now = time.time()
        batch = [item for item in batch if not self._rejected_envelope(*item, now)]
        frame = _frame_if_valid([event.application for _, event in batch])
        if frame is not None:
            return batch, frame
        valid, good = [], []
        for entry_id, event in batch:
            try:
                good.append(schema.validate_record(event.application).model_dump())
                valid.append((entry_id, event))
            except schema.SchemaError as error:
                self.requests.reject(entry_id, "; ".join(error.problems), event)
                self.stats.dead_lettered += 1
        return valid, pd.DataFrame.from_records(good, columns=schema.FEATURES)

    def _rejected_envelope(self, entry_id: Any, event: Event, now: float) -> bool:
        """Dead-letter an event whose id or timestamp is unusable; True if it was."""
        problem = envelope_problem(event, now)
        if problem is not None:
            self.requests.reject(entry_id, problem, event)
            self.stats.dead_lettered += 1
        return problem is not None

    def _publish(self, rows: pd.DataFrame) -> None:
        """Tell downstream consumers; best effort, the database is the record."""
        if self.predictions is None:
            return
        for row in rows[["application_id", "probability", "decision"]].to_dict("records"):
            try:
                self.predictions.put_nowait(row)
            except queue.Full:
                self.notifications_dropped += 1

    # -- the loop ----------------------------------------------------------------------------
    def run(self, idle_exit_s: float | None = None) -> None:
        """Process batches until stopped (or idle for ``idle_exit_s``) with nothing in flight."""
        self._connection = None  # opened again in this thread (sqlite connections are per thread)
        try:
            # One OpenMP thread: on a busy 2-core machine two threads per small batch fight.
            with threadpool_limits(1, user_api="openmp"):
                self._loop(idle_exit_s)
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _loop(self, idle_exit_s: float | None) -> None:
        last_batch = time.monotonic()
        while True:
            batch = self.requests.get_batch(self.max_batch, self.window_s, 0.05)
            if batch:
                self.handle(batch)
                last_batch = time.monotonic()
                continue
            idle = idle_exit_s is not None and time.monotonic() - last_batch >= idle_exit_s
            if (self._stop.is_set() or idle) and self._drained():
                return

    def _drained(self) -> bool:
        return self.requests.depth() == 0 and self.requests.unacked() == 0

    def start(self) -> StreamProcessor:
        """Run in a background thread; a crash is kept in ``error``."""
        self._thread = threading.Thread(
            target=self._run_catching, name="stream-processor", daemon=True
        )
        self._thread.start()
        return self

    def _run_catching(self) -> None:
        try:
            self.run()
        except BaseException as error:  # kept for the caller, who decides what a crash means
            self.error = error

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish every queued event, then stop; raise if the processor crashed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"stream processor did not drain within {timeout} s")
        if self.error is not None and not isinstance(self.error, SimulatedCrash):
            raise RuntimeError("the stream processor failed") from self.error


def wait_for_prediction(
    store: PredictionStore, application_id: int, timeout_s: float = 5.0, poll_s: float = 0.005
) -> dict[str, Any]:
    """The stored prediction of an application, as soon as the stream processor has written it."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = store.get(application_id)
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"no prediction for application {application_id} after {timeout_s} s: is the "
                "stream processor running, and was the event sent (or dead-lettered)?"
            )
        time.sleep(poll_s)
