"""Streaming deployment: applications arrive as events and are scored as they come in.

::

    generator ─put─▶ request queue ─batch─▶ stream processor ─write─▶ predictions DB ─▶ backend
                     (bounded: the          (validate, score,          (idempotent by
                      producer waits         write, then ack)           application_id)
                      when it is full)            └─publish─▶ predictions queue (notifications)

Delivery is *at-least-once*: the processor acknowledges events only after their predictions
are written, so events in flight when a processor dies are delivered again (after
``min_idle_s``, like Redis' XAUTOCLAIM or an SQS visibility timeout). Writes are keyed by
``application_id``, so a re-delivered event overwrites its own prediction: nothing is lost and
nothing is stored twice. Malformed events go to a dead-letter list with the reason, and the
stream keeps flowing.

``workshop_lib.redis_stream`` runs the same processor against Redis Streams.
"""

from __future__ import annotations

import json
import math
import os
import queue
import signal
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from workshop_lib import schema
from workshop_lib.benchmarking import LatencySummary, summarize
from workshop_lib.registry import LoadedModel
from workshop_lib.scoring import score_batch
from workshop_lib.store import PredictionStore, utc_now

SOURCE = "stream"
DEFAULT_MAX_BATCH = 500
DEFAULT_WINDOW_S = 0.02


class QueueFull(RuntimeError):
    """The producer waited for room in a full queue longer than its timeout."""


class MalformedEvent(ValueError):
    """An event's envelope (id, timestamp, payload) cannot be read."""


class SimulatedCrash(RuntimeError):
    """Raised inside a processor by a ``CrashPlan``: the processor stops without acknowledging."""


@dataclass(frozen=True, slots=True)
class Event:
    """One new loan application: its id, when it was emitted (epoch seconds) and the form data."""

    event_id: int
    created_at: float
    application: dict[str, Any]

    def to_fields(self) -> dict[str, str]:
        """The event as flat string fields (the shape a broker such as Redis stores)."""
        return {
            "event_id": str(self.event_id),
            "created_at": repr(self.created_at),
            "application": json.dumps(self.application),
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Event:
        """Read an event back from ``to_fields``; ``MalformedEvent`` says what is wrong."""
        try:
            return cls(
                event_id=int(fields["event_id"]),
                created_at=float(fields["created_at"]),
                application=json.loads(fields["application"]),
            )
        except KeyError as error:
            raise MalformedEvent(f"event has no {error.args[0]!r} field") from None
        except (TypeError, ValueError) as error:
            raise MalformedEvent(f"event envelope is unreadable: {error}") from None


@dataclass(frozen=True)
class DeadLetter:
    """An event the processor could not score, with the reason."""

    event_id: int | None
    reason: str
    payload: Any


class EventQueue(Protocol):
    """What a stream processor needs from a queue (in-process ``RequestQueue`` or Redis)."""

    def get_batch(self, max_items: int, window_s: float, wait_s: float) -> list[tuple[Any, Event]]:
        """Up to ``max_items`` events, waiting at most ``window_s`` after the oldest arrived."""
        ...

    def ack(self, ids: Sequence[Any]) -> None:
        """Mark delivered events as done: they will not be delivered again."""
        ...

    def reject(self, entry_id: Any, reason: str, payload: Any) -> None:
        """Move an event to the dead-letter list (and acknowledge it)."""
        ...

    def depth(self) -> int:
        """Events waiting to be delivered."""
        ...

    def unacked(self) -> int:
        """Events delivered but not acknowledged yet."""
        ...


class RequestQueue:
    """A bounded, acknowledged in-process queue: one topic read by one consumer group.

    ``put`` waits while ``capacity`` events are waiting (backpressure); ``offer`` answers False
    instead. ``get_batch`` hands out events, which stay *in flight* until ``ack``; events in
    flight longer than ``min_idle_s`` are handed out again, because their consumer probably died.
    """

    def __init__(self, capacity: int = 10_000, min_idle_s: float = 5.0):
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.min_idle_s = min_idle_s
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._ready: deque[tuple[int, float, Event]] = deque()
        self._in_flight: dict[int, tuple[int, float, Event, float]] = {}
        self._next_offset = 0
        self._wanted = 1
        self.dead_letters: dict[int, DeadLetter] = {}
        self.acked = 0
        self.redelivered = 0
        self.producer_waits = 0
        self.producer_wait_s = 0.0

    def put(self, event: Event, timeout: float | None = None) -> None:
        """Append an event, waiting while the queue is full; ``QueueFull`` after ``timeout`` s."""
        with self._not_full:
            if len(self._ready) >= self.capacity:
                self._wait_for_room(timeout)
            self._ready.append((self._next_offset, time.monotonic(), event))
            self._next_offset += 1
            if len(self._ready) in (1, self._wanted):
                self._not_empty.notify()

    def _wait_for_room(self, timeout: float | None) -> None:
        """Block the producer (lock held) until an event leaves; ``QueueFull`` on timeout."""
        if timeout != 0:
            started = time.monotonic()
            self.producer_waits += 1
            has_room = self._not_full.wait_for(lambda: len(self._ready) < self.capacity, timeout)
            self.producer_wait_s += time.monotonic() - started
            if has_room:
                return
        raise QueueFull(
            f"request queue is full ({self.capacity} events waiting) and no room opened "
            f"within {timeout} s: the processor is not keeping up"
        )

    def put_many(self, events: Sequence[Event], timeout: float | None = None) -> None:
        """``put`` each event in turn."""
        for event in events:
            self.put(event, timeout)

    def offer(self, event: Event) -> bool:
        """Append an event if there is room; False tells the producer to slow down."""
        try:
            self.put(event, timeout=0)
        except QueueFull:
            return False
        return True

    def depth(self) -> int:
        with self._lock:
            return len(self._ready)

    def unacked(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def get_batch(
        self, max_items: int, window_s: float, wait_s: float = 0.05
    ) -> list[tuple[int, Event]]:
        """Events in flight too long first, else up to ``max_items`` new ones.

        Waits up to ``wait_s`` for a first event, then until ``max_items`` are waiting or
        ``window_s`` has passed since the oldest one arrived; [] if nothing came.
        """
        with self._not_empty:
            stale = self._reclaim(max_items)
            if stale:
                return stale
            if not self._ready and not self._not_empty.wait_for(lambda: self._ready, wait_s):
                return []
            deadline = self._ready[0][1] + window_s
            self._wanted = max_items
            while len(self._ready) < max_items:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._not_empty.wait(remaining)
            now = time.monotonic()
            taken = [self._ready.popleft() for _ in range(min(max_items, len(self._ready)))]
            for offset, enqueued, event in taken:
                self._in_flight[offset] = (offset, enqueued, event, now)
            self._not_full.notify_all()
            return [(offset, event) for offset, _, event in taken]

    def _reclaim(self, max_items: int) -> list[tuple[int, Event]]:
        """Re-deliver events whose consumer has held them longer than ``min_idle_s``."""
        now = time.monotonic()
        stale = [e for e in self._in_flight.values() if now - e[3] >= self.min_idle_s]
        stale = stale[:max_items]
        for offset, enqueued, event, _ in stale:
            self._in_flight[offset] = (offset, enqueued, event, now)
        self.redelivered += len(stale)
        return [(offset, event) for offset, _, event, _ in stale]

    def ack(self, ids: Sequence[int]) -> None:
        with self._lock:
            for offset in ids:
                if self._in_flight.pop(offset, None) is not None:
                    self.acked += 1

    def reject(self, entry_id: int, reason: str, payload: Any) -> None:
        event_id = payload.event_id if isinstance(payload, Event) else None
        application = payload.application if isinstance(payload, Event) else payload
        with self._lock:
            self.dead_letters[entry_id] = DeadLetter(event_id, reason, application)
        self.ack([entry_id])


@dataclass(frozen=True)
class CrashPlan:
    """Where a processor dies on purpose: during its ``batch``-th batch, at ``phase``.

    ``after_score``: predictions computed, nothing written. ``after_write``: predictions
    written, not acknowledged (the case that re-delivers events already stored). ``hard``
    kills the whole process with SIGKILL instead of ending the processor's thread.
    """

    batch: int
    phase: Literal["after_score", "after_write"]
    hard: bool = False

    @classmethod
    def random(cls, seed: int, max_batch: int, hard: bool = False) -> CrashPlan:
        """A seeded random crash point within the first ``max_batch`` batches."""
        rng = np.random.default_rng(seed)
        phase = ("after_score", "after_write")[int(rng.integers(2))]
        return cls(int(rng.integers(1, max_batch + 1)), phase, hard)

    def strike(self, batch: int, phase: str) -> None:
        if batch != self.batch or phase != self.phase:
            return
        if self.hard:
            os.kill(os.getpid(), signal.SIGKILL)
        raise SimulatedCrash(f"simulated crash in batch {batch}, {phase}")


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

    def timeline(self, bin_s: float = 0.5) -> pd.DataFrame:
        """Per time bin: events/s written, max queue depth, p50 and p99 latency (ms)."""
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
        table["max_depth"] = pd.Series(self.depths).groupby(batch_bins).max()
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
        ids = [event.event_id for _, event in valid]
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
        self._write(rows)
        written_at = time.time()
        self._strike("after_write")
        self.requests.ack([entry_id for entry_id, _ in valid])
        created = np.fromiter((event.created_at for _, event in valid), float, len(valid))
        self.stats.latencies_s.extend((written_at - created).tolist())
        self.stats.batch_done_at.append(written_at)
        self.stats.batch_sizes.append(len(valid))
        self.stats.depths.append(depth)
        self._publish(rows)

    def _write(self, rows: pd.DataFrame) -> None:
        """Commit the batch's predictions in one transaction, before anything is acked.

        The connection stays open between batches: opening one per batch costs more than
        scoring a small batch.
        """
        if self._connection is None:
            self._connection = sqlite3.connect(self.store.path, timeout=30)
            self._connection.execute("PRAGMA synchronous=NORMAL")
        with self._connection:
            self.store.write(rows, connection=self._connection)

    def _strike(self, phase: str) -> None:
        if self.crash is not None:
            self.crash.strike(self.batches, phase)

    def _validate(
        self, batch: list[tuple[Any, Event]]
    ) -> tuple[list[tuple[Any, Event]], pd.DataFrame]:
        """The valid events and their feature table; invalid ones are dead-lettered.

        Fast path: check the whole batch as one table. Only when that finds a problem is each
        event checked on its own, to find which ones are bad and why.
        """
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


# -- the producer ------------------------------------------------------------------------------
RateRamp = Sequence[tuple[float, float]]  # (seconds, events per second) stages


def due_events(ramp: RateRamp, elapsed_s: float) -> int:
    """How many events a rate ramp has asked for after ``elapsed_s`` seconds."""
    total, start = 0.0, 0.0
    for seconds, rate in ramp:
        total += rate * min(max(elapsed_s - start, 0.0), seconds)
        start += seconds
    return math.floor(total)


def application_records(frame: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    """(application_id, form fields) pairs: the payloads a generator turns into events."""
    ids = frame[schema.ID_COLUMN].tolist()
    return list(zip(ids, frame[schema.FEATURES].to_dict("records"), strict=True))


def corrupt(
    records: list[tuple[int, dict[str, Any]]], fraction: float, seed: int = 0
) -> list[tuple[int, dict[str, Any]]]:
    """A copy with a seeded ``fraction`` of payloads broken in one of four realistic ways."""
    rng = np.random.default_rng(seed)
    damage = [
        lambda r: {**r, "annual_income": -1.0},
        lambda r: {k: v for k, v in r.items() if k != "credit_score"},
        lambda r: {**r, "purpose": "crypto"},
        lambda r: {**r, "age": "unknown"},
    ]
    broken = rng.random(len(records)) < fraction
    kinds = rng.integers(len(damage), size=len(records))
    return [
        (i, damage[k](r) if b else r) for (i, r), b, k in zip(records, broken, kinds, strict=True)
    ]


@dataclass
class ProducerStats:
    """What the generator did: events sent and how long the run took."""

    sent: int = 0
    seconds: float = 0.0


class EventSink(Protocol):
    """Anything a producer can put events on (in-process ``RequestQueue`` or Redis)."""

    def put_many(self, events: Sequence[Event], timeout: float | None = None) -> None: ...


def produce(
    requests: EventSink,
    records: Sequence[tuple[int, dict[str, Any]]],
    ramp: RateRamp | None = None,
    timeout: float = 30.0,
) -> ProducerStats:
    """Emit one event per record, all at once or paced by ``ramp`` until the ramp ends.

    Each event is stamped with the time it is emitted; ``put`` waits while the queue is full,
    which is how a fast producer is slowed down.
    """
    stats = ProducerStats()
    duration = math.inf if ramp is None else sum(seconds for seconds, _ in ramp)
    started = time.monotonic()
    while stats.sent < len(records):
        elapsed = time.monotonic() - started
        due = len(records) if ramp is None else min(len(records), due_events(ramp, elapsed))
        now = time.time()
        events = [Event(i, now, application) for i, application in records[stats.sent : due]]
        requests.put_many(events, timeout=timeout)
        stats.sent = max(stats.sent, due)
        if elapsed >= duration:
            break
        time.sleep(0.001)
    stats.seconds = time.monotonic() - started
    return stats


@dataclass
class PipelineRun:
    """The outcome of ``run_pipeline``: the processor's and producer's figures and the queue."""

    processor: StreamProcessor
    producer: ProducerStats
    requests: RequestQueue

    @property
    def stats(self) -> StreamStats:
        return self.processor.stats


def run_pipeline(
    model: LoadedModel,
    store: PredictionStore,
    records: Sequence[tuple[int, dict[str, Any]]],
    *,
    ramp: RateRamp | None = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    window_s: float = DEFAULT_WINDOW_S,
    capacity: int = 10_000,
    predictions: queue.Queue | None = None,
) -> PipelineRun:
    """Generator, request queue and processor on this machine: emit every record, drain, stop."""
    requests = RequestQueue(capacity)
    processor = StreamProcessor(
        requests, store, model, max_batch=max_batch, window_s=window_s, predictions=predictions
    ).start()
    try:
        producer = produce(requests, records, ramp)
    finally:
        processor.stop()
    return PipelineRun(processor, producer, requests)


def crash_and_recover(
    model: LoadedModel,
    store: PredictionStore,
    records: Sequence[tuple[int, dict[str, Any]]],
    crash: CrashPlan,
    max_batch: int = 100,
    min_idle_s: float = 0.2,
) -> dict[str, Any]:
    """Queue every record, let a processor crash as ``crash`` says, start a new one, count.

    Returns what a reader needs to trust the result: what was in flight at the crash, how
    much had been written but not acknowledged, what was delivered again, and what is stored.
    """
    requests = RequestQueue(capacity=len(records) + 1, min_idle_s=min_idle_s)
    produce(requests, records)
    first = StreamProcessor(
        requests, store, model, max_batch=max_batch, window_s=0.0, crash=crash
    ).start()
    first.stop()
    if not isinstance(first.error, SimulatedCrash):
        raise RuntimeError(f"the processor did not crash as planned ({crash}); too few events?")
    at_crash = {"in_flight_at_crash": requests.unacked(), "acked_at_crash": requests.acked}
    at_crash["written_not_acked"] = store.count() - requests.acked
    StreamProcessor(requests, store, model, max_batch=max_batch, window_s=0.0).start().stop()
    report = delivery_report(store, [event_id for event_id, _ in records])
    return {
        "crash": f"batch {crash.batch}, {crash.phase}",
        **at_crash,
        "redelivered": requests.redelivered,
        **report,
    }


# -- the backend -------------------------------------------------------------------------------
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


def delivery_report(store: PredictionStore, event_ids: Sequence[int]) -> dict[str, int]:
    """Compare stored predictions with the events sent: lost, duplicated, unexpected ids."""
    stored = store.read("SELECT application_id FROM predictions")["application_id"]
    expected = set(event_ids)
    found = set(stored.tolist())
    return {
        "events": len(expected),
        "stored_rows": int(len(stored)),
        "distinct_ids": len(found),
        "lost": len(expected - found),
        "duplicated": int(len(stored) - len(found)),
        "unexpected": len(found - expected),
    }
