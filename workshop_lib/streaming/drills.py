"""Crash drills: kill a processor at a chosen point (a ``CrashPlan``), prove nothing was lost."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workshop_lib.registry import LoadedModel
from workshop_lib.store import PredictionStore
from workshop_lib.streaming.crash_plan import CrashPlan
from workshop_lib.streaming.events import SimulatedCrash
from workshop_lib.streaming.memory_queue import RequestQueue
from workshop_lib.streaming.processor import StreamProcessor
from workshop_lib.streaming.producer import produce


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
