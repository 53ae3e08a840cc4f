"""The whole stream on this machine: producer, in-process request queue and processor."""

from __future__ import annotations

import queue
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workshop_lib.registry import LoadedModel
from workshop_lib.store import PredictionStore
from workshop_lib.streaming.events import DEFAULT_MAX_BATCH, DEFAULT_WINDOW_S
from workshop_lib.streaming.memory_queue import RequestQueue
from workshop_lib.streaming.processor import StreamProcessor, StreamStats
from workshop_lib.streaming.producer import ProducerStats, RateRamp, produce


@dataclass
class StreamRun:
    """The outcome of ``run_stream``: the processor's and producer's figures and the queue."""

    processor: StreamProcessor
    producer: ProducerStats
    requests: RequestQueue

    @property
    def stats(self) -> StreamStats:
        return self.processor.stats


def run_stream(
    model: LoadedModel,
    store: PredictionStore,
    records: Sequence[tuple[int, dict[str, Any]]],
    *,
    ramp: RateRamp | None = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    window_s: float = DEFAULT_WINDOW_S,
    capacity: int = 10_000,
    predictions: queue.Queue | None = None,
) -> StreamRun:
    """Generator, request queue and processor on this machine: emit every record, drain, stop."""
    requests = RequestQueue(capacity)
    processor = StreamProcessor(
        requests, store, model, max_batch=max_batch, window_s=window_s, predictions=predictions
    ).start()
    try:
        producer = produce(requests, records, ramp)
    finally:
        processor.stop()
    return StreamRun(processor, producer, requests)
