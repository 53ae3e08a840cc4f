"""The producer: turn application records into events, all at once or paced by a rate ramp."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workshop_lib import schema
from workshop_lib.streaming.events import Event, EventSink

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


def corrupt_payloads(
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
