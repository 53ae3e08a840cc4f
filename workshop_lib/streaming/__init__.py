"""Chapter 05, streaming deployment: applications arrive as events and are scored as they come.

::

    producer ─put─▶ request queue ─batch─▶ stream processor ─write─▶ predictions DB ─▶ backend
                    (bounded: the          (validate, score,          (idempotent by
                     producer waits         write, then ack)           application_id)
                     when it is full)            └─publish─▶ predictions queue (notifications)

``events`` (events, dead letters, the queue protocol), ``memory_queue`` (the in-process queue),
``redis_queue`` (the same protocol over Redis Streams), ``processor`` (the stream processor and
the backend's wait), ``producer`` (events from records, paced by a rate ramp), ``in_process``
(the whole stream on this machine), ``crash_plan`` (where a processor dies on purpose) and
``drills`` (crash a processor, count what survived).

The in-process names are re-exported here, so notebooks write ``streaming.run_stream(...)``;
``redis_queue`` is imported on its own (it needs the ``redis`` client).
"""

from workshop_lib.streaming.crash_plan import CrashPlan
from workshop_lib.streaming.drills import crash_and_recover, delivery_report
from workshop_lib.streaming.events import (
    DEFAULT_MAX_BATCH,
    DEFAULT_WINDOW_S,
    SOURCE,
    DeadLetter,
    Event,
    EventQueue,
    EventSink,
    MalformedEvent,
    QueueFull,
    SimulatedCrash,
)
from workshop_lib.streaming.in_process import StreamRun, run_stream
from workshop_lib.streaming.memory_queue import RequestQueue
from workshop_lib.streaming.processor import StreamProcessor, StreamStats, wait_for_prediction
from workshop_lib.streaming.producer import (
    ProducerStats,
    RateRamp,
    application_records,
    corrupt_payloads,
    due_events,
    produce,
)

__all__ = [
    "DEFAULT_MAX_BATCH",
    "DEFAULT_WINDOW_S",
    "SOURCE",
    "CrashPlan",
    "DeadLetter",
    "Event",
    "EventQueue",
    "EventSink",
    "MalformedEvent",
    "ProducerStats",
    "QueueFull",
    "RateRamp",
    "RequestQueue",
    "SimulatedCrash",
    "StreamProcessor",
    "StreamRun",
    "StreamStats",
    "application_records",
    "corrupt_payloads",
    "crash_and_recover",
    "delivery_report",
    "due_events",
    "produce",
    "run_stream",
    "wait_for_prediction",
]
