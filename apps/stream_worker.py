"""The stream worker: score loan applications as events arrive and store each prediction.

In-process (no server needed): generate events, queue them, score them, report::

    .venv/bin/python -m apps.stream_worker --events 20000 --rate 5000
    .venv/bin/python -m apps.stream_worker --events 20000 --backend sklearn --window-ms 20

The default set-up is the tuned one (ONNX export, 10 ms window): it meets the chapter's target
of p99 <= window + 20 ms at half the sustained rate; the second line is the untuned one.

Against Redis Streams (the same processor; start ``redis-server`` first)::

    .venv/bin/python -m apps.stream_worker --redis-url redis://127.0.0.1:6379/0 --events 10000
    .venv/bin/python -m apps.stream_worker --redis-url redis://127.0.0.1:6379/0 --idle-exit 5

With ``--redis-url`` the worker consumes the stream (after adding ``--events`` new events) until
it has been idle for ``--idle-exit`` seconds, or forever. Start several with different
``--consumer`` names to share the work; one that dies leaves its events pending, and the others
take them over after ``--min-idle-ms``. Predictions go to ``--db`` (the workbook's predictions
database by default) with ``source = 'stream'``. A JSON summary is printed at the end: strict
JSON (no ``NaN``; a figure that cannot be measured is ``null``), with one dead-letter count,
``dead_letters``: the events this run moved to the dead letters (form data, envelope: id,
timestamp, or an id already stored from another application), counted once, by the queue; on
Redis, the letters added while this worker ran (by any worker sharing the stream).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import threading
from pathlib import Path
from typing import Any

from workshop_lib import data, streaming
from workshop_lib.realtime.serving import BACKENDS, with_onnx_backend
from workshop_lib.registry import Registry
from workshop_lib.store import DEFAULT_STORE_URL, SOURCE_IDS, PredictionStore

FIRST_ID = 1_000_001  # inside the stream's id block (store.SOURCE_IDS), below the batch job's
LAST_ID = SOURCE_IDS[streaming.SOURCE][1]
TUNED_WINDOW_MS = 10.0  # with the ONNX backend: the set-up that meets the latency target


def count_argument(text: str) -> int:
    """A whole number of events, zero or more; anything else is a clear usage error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot generate {value} events: give 0 or more")
    return value


def first_id_argument(text: str) -> int:
    """The first application id: a whole number in the stream's block (the store's key)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"application ids start at 1, got {value}")
    if value > LAST_ID:
        raise argparse.ArgumentTypeError(
            f"stream application ids run from 1 to {LAST_ID:,} (the batch job's lie above), "
            f"got {value:,}"
        )
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=count_argument, default=None, help="new events to generate"
    )
    parser.add_argument("--rate", type=float, default=5_000, help="events/s (0: all at once)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated events")
    parser.add_argument(
        "--first-id", type=first_id_argument, default=FIRST_ID, help="first application id"
    )
    parser.add_argument("--malformed", type=float, default=0.0, help="fraction to corrupt")
    parser.add_argument("--max-batch", type=int, default=streaming.DEFAULT_MAX_BATCH)
    parser.add_argument("--window-ms", type=float, default=TUNED_WINDOW_MS)
    parser.add_argument("--capacity", type=int, default=10_000, help="queue bound (events)")
    parser.add_argument("--db", default=DEFAULT_STORE_URL, help="predictions database URL")
    parser.add_argument("--registry", type=Path, default=None, help="model registry folder")
    parser.add_argument(
        "--backend", choices=BACKENDS, default="onnx", help="sklearn: the pipeline itself"
    )
    parser.add_argument("--redis-url", default=None, help="use Redis Streams at this URL")
    parser.add_argument("--stream", default="loan-applications", help="Redis stream name")
    parser.add_argument("--consumer", default="worker-1", help="this worker's consumer name")
    parser.add_argument("--min-idle-ms", type=int, default=5_000, help="take over pending after")
    parser.add_argument("--idle-exit", type=float, default=None, help="stop after idle seconds")
    parser.add_argument(
        "--crash-at-batch",
        type=int,
        default=None,
        help="fault drill: SIGKILL this worker during that batch (see --crash-phase)",
    )
    parser.add_argument("--crash-phase", choices=("after_score", "after_write"), default=None)
    args = parser.parse_args(argv)
    if (args.crash_at_batch is None) != (args.crash_phase is None):
        parser.error("--crash-at-batch and --crash-phase go together")
    if args.events is None:
        args.events = 0 if args.redis_url else 20_000
    if args.first_id + args.events - 1 > LAST_ID:
        room = LAST_ID - args.first_id + 1
        parser.error(
            f"--first-id {args.first_id:,} leaves room for {room:,} events before the "
            f"stream's last id {LAST_ID:,}, not {args.events:,}"
        )
    return args


def make_records(args: argparse.Namespace) -> list[tuple[int, dict[str, Any]]]:
    frame = data.make_applications(args.events, seed=args.seed, first_id=args.first_id)
    return streaming.corrupt_payloads(
        streaming.application_records(frame), args.malformed, args.seed
    )


def run_in_process(args: argparse.Namespace, model, store: PredictionStore) -> dict[str, Any]:
    records = make_records(args)
    ramp = [(args.events / args.rate, args.rate)] if args.rate > 0 else None
    run = streaming.run_stream(
        model,
        store,
        records,
        ramp=ramp,
        max_batch=args.max_batch,
        window_s=args.window_ms / 1_000,
        capacity=args.capacity,
    )
    return {
        **summary(run.processor),
        "sent": run.producer.sent,
        "producer_waits": run.requests.producer_waits,
        "dead_letters": len(run.requests.dead_letters()),  # a fresh queue: all from this run
    }


def run_on_redis(args: argparse.Namespace, model, store: PredictionStore) -> dict[str, Any]:
    from workshop_lib.streaming.redis_queue import RedisRequestQueue

    requests = RedisRequestQueue(
        args.redis_url,
        stream=args.stream,
        consumer=args.consumer,
        capacity=args.capacity,
        min_idle_s=args.min_idle_ms / 1_000,
    )
    crash = None
    if args.crash_at_batch is not None:
        crash = streaming.CrashPlan(args.crash_at_batch, args.crash_phase, hard=True)
    processor = streaming.StreamProcessor(
        requests,
        store,
        model,
        max_batch=args.max_batch,
        window_s=args.window_ms / 1_000,
        crash=crash,
    )
    letters_before = len(requests.dead_letters())  # the hash keeps earlier runs' letters
    producer = None
    if args.events:
        ramp = [(args.events / args.rate, args.rate)] if args.rate > 0 else None
        producer = threading.Thread(
            target=streaming.produce, args=(requests, make_records(args), ramp)
        )
        producer.start()
    processor.run(idle_exit_s=args.idle_exit)
    if producer is not None:
        producer.join()
    return {
        **summary(processor),
        "redelivered": requests.redelivered,
        "dead_letters": len(requests.dead_letters()) - letters_before,
    }


def summary(processor: streaming.StreamProcessor) -> dict[str, Any]:
    """The figures a worker prints when it stops (its dead letters are counted by the queue).

    A figure that is not a finite number is printed as ``null``: the summary is always printed.
    """
    stats = processor.stats
    figures: dict[str, Any] = {"scored": stats.scored}
    if stats.scored:
        latency = stats.summary()
        measured = {
            "events_per_s": (latency.per_second, None),
            "p50_ms": (latency.p50_ms, 1),
            "p99_ms": (latency.p99_ms, 1),
        }
        figures |= {
            name: round(value, digits) if math.isfinite(value) else None
            for name, (value, digits) in measured.items()
        }
    return figures


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    model = Registry(args.registry).load("production")
    if args.backend == "onnx":
        model = with_onnx_backend(model)
    gc.freeze()  # the libraries and the model live as long as the worker: keep them out of GC
    store = PredictionStore(args.db)
    run = run_on_redis if args.redis_url else run_in_process
    figures = run(args, model, store)
    figures["stored_from_stream"] = store.count("source = ?", (streaming.SOURCE,))
    print(json.dumps(figures, sort_keys=True, allow_nan=False))  # NaN is not JSON


if __name__ == "__main__":
    main()
