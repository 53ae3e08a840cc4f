"""Streaming benchmark: sustained events/s, p99 latency at half that rate, delivery across a crash.

Run with ``python -m benchmarks.bench_streaming`` (``--quick`` for a small smoke run). All in
one run, on in-process queues with the production model:

1. sustained rate: every event queued at once; events/s from first emitted to last stored;
2. latency: events paced at half the sustained rate; p50/p99 end-to-end (emitted -> stored);
   1 and 2 for two set-ups: the stream worker's defaults (the ONNX export, 10 ms window) and the
   plain scikit-learn pipeline (20 ms window); ``--backend``/``--window-ms`` measure one instead;
3. delivery: a processor crashes mid-stream (seeded point, after writing, before acking) and a
   new one takes over; every run is checked for lost and duplicated predictions.

Targets (issue 5): >= 5,000 events/s; p99 <= batch window + 20 ms at half rate; 0 lost, 0
duplicated. Exits with status 1 if any prediction is lost or duplicated.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from apps.stream_worker import TUNED_WINDOW_MS as WORKER_WINDOW_MS
from workshop_lib import data, paths, streaming
from workshop_lib.default_model import ensure_default_model
from workshop_lib.realtime.serving import BACKENDS, with_onnx_backend
from workshop_lib.registry import LoadedModel, Registry
from workshop_lib.store import PredictionStore

TARGET_EVENTS_PER_S = 5_000
TARGET_P99_EXTRA_MS = 20.0


@dataclass(frozen=True)
class Sizes:
    sustained_events: int
    half_rate_seconds: float
    crash_events: int


QUICK = Sizes(sustained_events=3_000, half_rate_seconds=1.0, crash_events=1_000)
FULL = Sizes(sustained_events=60_000, half_rate_seconds=8.0, crash_events=20_000)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument(
        "--window-ms", type=float, default=None, help="one window (default: both set-ups)"
    )
    parser.add_argument("--max-batch", type=int, default=streaming.DEFAULT_MAX_BATCH)
    parser.add_argument("--registry", type=Path, default=None, help="model registry folder")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="score with the scikit-learn pipeline or its ONNX export (chapter 06)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=paths.RUNTIME_DIR / "benchmarks" / "streaming"
    )
    return parser.parse_args()


def fresh_store(workdir: Path, name: str) -> PredictionStore:
    for suffix in ("", "-wal", "-shm"):
        (workdir / f"{name}.db{suffix}").unlink(missing_ok=True)
    return PredictionStore(f"sqlite:///{workdir / name}.db")


# The stream worker's defaults (apps/stream_worker.py: the version's ONNX export, a 10 ms window),
# then the scikit-learn pipeline with run_stream's 20 ms window (chapter 05's in-process run):
# the export cuts the fixed cost of each model call, which is what keeps p99 inside the target.
CONFIGURATIONS = (
    ("onnx", WORKER_WINDOW_MS, "the stream worker's defaults"),
    ("sklearn", streaming.DEFAULT_WINDOW_S * 1_000, "the plain pipeline"),
)


def rate_and_latency(
    model: LoadedModel, window_ms: float, sizes: Sizes, workdir: Path, settings: dict
) -> tuple[bool, list[dict]]:
    """Print the sustained rate and the latency at half of it; (targets met, delivery reports)."""
    window_s, reports = window_ms / 1_000, []
    pool = streaming.application_records(
        data.make_applications(sizes.sustained_events, seed=50, first_id=1)
    )
    store = fresh_store(workdir, "sustained")
    sustained = streaming.run_stream(model, store, pool, window_s=window_s, **settings)
    rate = sustained.stats.summary().per_second
    reports.append(streaming.delivery_report(store, [i for i, _ in pool]))
    rate_ok = rate >= TARGET_EVENTS_PER_S
    print(
        f"  sustained: {rate:,.0f} events/s ({len(pool):,} events queued at once, "
        f"{sustained.processor.batches} batches; target >= {TARGET_EVENTS_PER_S:,}) "
        f"{'ok' if rate_ok else 'BELOW TARGET'}"
    )
    ramp = [(sizes.half_rate_seconds, rate / 2)]
    paced = streaming.application_records(
        data.make_applications(streaming.due_events(ramp, sizes.half_rate_seconds), seed=51)
    )
    store = fresh_store(workdir, "half_rate")
    half = streaming.run_stream(model, store, paced, ramp=ramp, window_s=window_s, **settings)
    latency = half.stats.summary()
    reports.append(streaming.delivery_report(store, [i for i, _ in paced]))
    limit = window_ms + TARGET_P99_EXTRA_MS
    latency_ok = latency.p99_ms <= limit
    print(
        f"  half rate ({rate / 2:,.0f} events/s for {sizes.half_rate_seconds:g} s, mean batch "
        f"{latency.count / half.processor.batches:.0f}): p50 {latency.p50_ms:.1f} ms, "
        f"p99 {latency.p99_ms:.1f} ms (target <= window + {TARGET_P99_EXTRA_MS:g} = "
        f"{limit:g} ms) {'ok' if latency_ok else 'ABOVE TARGET'}"
    )
    return rate_ok and latency_ok, reports


def main() -> int:
    args = parse_args()
    sizes = QUICK if args.quick else FULL
    if args.registry is None:
        ensure_default_model(verbose=False)
    production = Registry(args.registry).load("production")
    models = {"sklearn": production, "onnx": with_onnx_backend(production)}
    gc.freeze()  # as the stream worker does once its model is loaded (apps/stream_worker.py)
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    settings = {"max_batch": args.max_batch}
    configurations = CONFIGURATIONS
    if args.backend or args.window_ms:
        backend = args.backend or "onnx"
        configurations = ((backend, args.window_ms or WORKER_WINDOW_MS, "as asked"),)
    print(
        f"streaming benchmark: in-process queues, max batch {args.max_batch}, model "
        f"{production.version}, {'quick' if args.quick else 'full'} run"
    )
    reports, met = [], []
    for backend, window_ms, label in configurations:
        print(f"{backend} model, window {window_ms:g} ms ({label}):")
        ok, delivered = rate_and_latency(models[backend], window_ms, sizes, args.workdir, settings)
        met.append(f"{backend}/{window_ms:g} ms: {'met' if ok else 'NOT met'}")
        reports += delivered
    crashing = streaming.application_records(data.make_applications(sizes.crash_events, seed=52))
    batches = sizes.crash_events // args.max_batch
    plan = streaming.CrashPlan(batch=max(1, batches // 2), phase="after_write")
    store = fresh_store(args.workdir, "crash")
    crash = streaming.crash_and_recover(production, store, crashing, plan, max_batch=args.max_batch)
    reports.append(crash)
    print(
        f"crash in {crash['crash']} and restart: {crash['written_not_acked']} written but not "
        f"acked, {crash['redelivered']} delivered again; stored {crash['stored_rows']:,} of "
        f"{crash['events']:,}"
    )

    lost = sum(r["lost"] for r in reports)
    duplicated = sum(r["duplicated"] for r in reports)
    print(f"delivery over all runs: lost {lost}, duplicated {duplicated} (target 0, 0)")
    print("rate and latency targets:", "; ".join(met))
    return 0 if lost == duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
