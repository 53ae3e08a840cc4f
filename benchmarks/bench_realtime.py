"""Real-time serving benchmark: latency, micro-batching and the server's own ceiling.

Run with ``python -m benchmarks.bench_realtime`` (``--quick`` for a small smoke run). It trains a
logistic and a gradient-boosting pipeline into a throw-away registry, serves each with real
uvicorn processes (micro-batching off, then on) and prints, measured in this one run:
single-request p50/p99 (concurrency 1), throughput and p99 at concurrency 32, the batched/unbatched
ratios and the ratio of ``/predict`` to ``/health`` throughput (at concurrency 32 the two
alternate for three rounds and each keeps its median round).
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

from workshop_lib import data, training
from workshop_lib.realtime.loadgen import LoadResult, load_test
from workshop_lib.registry import PRODUCTION, Registry
from workshop_lib.schema import EXAMPLE_APPLICATION
from workshop_lib.support.servers import start_uvicorn

EXAMPLE = EXAMPLE_APPLICATION
# Targets from the issue, checked on ratios measured in one run.
TARGET_SPEEDUP = {"gradient_boosting": 4.0, "logistic": 1.5}
TARGET_C1_P50_EXTRA_MS = 2.0


@dataclass(frozen=True)
class Sizes:
    train_rows: int
    single: int  # requests at concurrency 1
    loaded: int  # requests at concurrency 32
    concurrency: int = 32


QUICK = Sizes(train_rows=3_000, single=20, loaded=96)
FULL = Sizes(train_rows=20_000, single=300, loaded=1_500)


def register_model(root: Path, kind: training.ModelKind, rows: int) -> Registry:
    """Train ``kind`` on ``rows`` reference rows and promote it in a registry at ``root``."""
    train_frame = data.make_applications(rows, seed=training.TRAIN_SEED)
    holdout = data.make_applications(rows // 2, seed=training.HOLDOUT_SEED, first_id=rows + 1)
    result = training.train(train_frame, holdout, kind)
    registry = Registry(root)
    version = registry.register(
        result.model,
        metrics=result.metrics,
        data_fingerprint=data.fingerprint(train_frame),
        kind=kind,
        threshold=result.threshold,
    )
    registry.promote(version, PRODUCTION)
    return registry


ROUNDS = 3  # /predict and /health alternate; each keeps its median round


def median_run(runs: list[LoadResult]) -> LoadResult:
    return sorted(runs, key=lambda run: run.throughput)[len(runs) // 2]


def measure(url: str, sizes: Sizes, with_health: bool) -> tuple[dict[str, LoadResult], int]:
    """Concurrency 1 and concurrency C against /predict (and /health if asked), C in rounds;
    the runs and the number of failed requests over all rounds."""
    load_test(f"{url}/predict", 2 * sizes.concurrency, sizes.concurrency, EXAMPLE)  # warm up
    results = {"c1": load_test(f"{url}/predict", sizes.single, 1, EXAMPLE)}
    loaded: list[LoadResult] = []
    health: list[LoadResult] = []
    for _ in range(ROUNDS):
        loaded.append(load_test(f"{url}/predict", sizes.loaded, sizes.concurrency, EXAMPLE))
        if with_health:
            health.append(load_test(f"{url}/health", sizes.loaded, sizes.concurrency, None, "GET"))
    results["cN"] = median_run(loaded)
    if with_health:
        results["health"] = median_run(health)
    failed = sum(sum(run.errors.values()) for run in [results["c1"], *loaded, *health])
    return results, failed


def bench_kind(kind: training.ModelKind, sizes: Sizes, folder: Path) -> dict[str, float]:
    """Serve one model unbatched and batched; the figures and ratios for that model."""
    registry = register_model(folder / kind, kind, sizes.train_rows)
    runs, failed = {}, {}
    # "0": the service as it was (scikit-learn, unbatched); "1": today's defaults (batching, ONNX)
    for setup, settings in (("0", {"MICROBATCH": "0", "MODEL_BACKEND": "sklearn"}), ("1", {})):
        env = {
            "MODEL_REGISTRY": str(registry.root),
            "PREDICTION_LOG": str(folder / f"{kind}-{setup}.jsonl"),
            **settings,
        }
        with start_uvicorn(env=env, name=f"bench-{kind}") as server:
            runs[setup], failed[setup] = measure(server.url, sizes, with_health=True)
    off, on = runs["0"], runs["1"]
    return {
        "c1_p50_ms_off": off["c1"].summary.p50_ms,
        "c1_p99_ms_off": off["c1"].summary.p99_ms,
        "c1_p50_ms_on": on["c1"].summary.p50_ms,
        "c1_p99_ms_on": on["c1"].summary.p99_ms,
        "cN_rps_off": off["cN"].throughput,
        "cN_p99_ms_off": off["cN"].summary.p99_ms,
        "cN_rps_on": on["cN"].throughput,
        "cN_p99_ms_on": on["cN"].summary.p99_ms,
        "health_rps": on["health"].throughput,
        "speedup": on["cN"].throughput / off["cN"].throughput,
        "predict_vs_health_off": off["cN"].throughput / off["health"].throughput,
        "predict_vs_health_on": on["cN"].throughput / on["health"].throughput,
        "errors": sum(failed.values()),
    }


def verdicts(kind: str, figures: dict[str, float]) -> list[str]:
    """Each target of the issue, met or not, with the measured value."""
    extra = figures["c1_p50_ms_on"] - figures["c1_p50_ms_off"]
    checks = [
        (
            "/predict >= 0.5 of /health (same server)",
            figures["predict_vs_health_on"] >= 0.5,
            f"{figures['predict_vs_health_on']:.2f}",
        ),
        (
            "p99 at concurrency 32 <= 50 ms",
            figures["cN_p99_ms_on"] <= 50,
            f"{figures['cN_p99_ms_on']:.1f} ms",
        ),
        (
            f"speed-up >= {TARGET_SPEEDUP[kind]}x",
            figures["speedup"] >= TARGET_SPEEDUP[kind],
            f"{figures['speedup']:.2f}x",
        ),
        (
            "p99 at concurrency 32 no worse",
            figures["cN_p99_ms_on"] <= figures["cN_p99_ms_off"],
            f"{figures['cN_p99_ms_on']:.1f} vs {figures['cN_p99_ms_off']:.1f} ms",
        ),
        (
            f"p50 at concurrency 1 at most +{TARGET_C1_P50_EXTRA_MS:g} ms",
            extra <= TARGET_C1_P50_EXTRA_MS,
            f"{extra:+.2f} ms",
        ),
    ]
    return [f"  [{'met' if ok else 'NOT met'}] {name}: {value}" for name, ok, value in checks]


def report(kind: str, figures: dict[str, float], concurrency: int) -> str:
    f = figures
    return "\n".join(
        [
            f"== {kind} ==",
            f"concurrency 1   p50/p99 ms: off {f['c1_p50_ms_off']:.2f}/{f['c1_p99_ms_off']:.2f}"
            f"   on {f['c1_p50_ms_on']:.2f}/{f['c1_p99_ms_on']:.2f}",
            f"concurrency {concurrency}  req/s (p99 ms): off {f['cN_rps_off']:.0f} "
            f"({f['cN_p99_ms_off']:.1f})   on {f['cN_rps_on']:.0f} ({f['cN_p99_ms_on']:.1f})",
            f"/health at concurrency {concurrency}: {f['health_rps']:.0f} req/s;  /predict / "
            f"/health: off {f['predict_vs_health_off']:.2f}, on {f['predict_vs_health_on']:.2f}",
            f"micro-batching speed-up: {f['speedup']:.2f}x   failed requests: {f['errors']:.0f}",
            *verdicts(kind, figures),
        ]
    )


def run(quick: bool = False, kinds: tuple[str, ...] | None = None) -> dict[str, dict[str, float]]:
    """Benchmark each model kind; print and return the figures."""
    sizes = QUICK if quick else FULL
    kinds = kinds or (("gradient_boosting",) if quick else ("gradient_boosting", "logistic"))
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-realtime-") as folder:
        for kind in kinds:
            results[kind] = bench_kind(kind, sizes, Path(folder))
            print(report(kind, results[kind], sizes.concurrency), flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (one model)")
    parser.add_argument(
        "--kind", action="append", choices=sorted(TARGET_SPEEDUP), help="model kind(s) to run"
    )
    args = parser.parse_args(argv)
    run(args.quick, tuple(args.kind) if args.kind else None)


if __name__ == "__main__":
    main()
