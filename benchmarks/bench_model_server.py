"""The workbook's service beside MLServer, one registry version, measured in one run.

Run with ``python -m benchmarks.bench_model_server`` (``--quick`` for a smoke run; needs
``make mlserver-env``). Three servers, one worker each: the service (micro-batching on, ONNX
where it verifies), MLServer unbatched, and MLServer with adaptive batching (32 rows, 2 ms).
At concurrency 32 they alternate for three rounds and each keeps its median round; then each
is timed alone at concurrency 1. Prints requests/s, p99 and the c = 1 p50.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from benchmarks.bench_realtime import register_model
from workshop_lib.realtime.loadgen import LoadResult, load_test
from workshop_lib.scaling import model_server
from workshop_lib.schema import EXAMPLE_APPLICATION
from workshop_lib.support.servers import start_uvicorn

ROUNDS = 3


def median_round(results: list[LoadResult]) -> LoadResult:
    rates = [result.throughput for result in results]
    return results[rates.index(statistics.median_low(rates))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args(argv)
    loaded, single = (96, 20) if args.quick else (1_500, 300)
    with tempfile.TemporaryDirectory() as folder, ExitStack() as servers:
        root = Path(folder)
        registry = register_model(root / "models", "gradient_boosting", 20_000)
        api = servers.enter_context(
            start_uvicorn(
                env={
                    "MODEL_REGISTRY": str(registry.root),
                    "PREDICTION_LOG": str(root / "log.jsonl"),
                }
            )
        )
        targets = {"workbook service": (f"{api.url}/predict", EXAMPLE_APPLICATION)}
        v2 = model_server.v2_request([EXAMPLE_APPLICATION])
        for name, batch in (("MLServer", 0), ("MLServer, adaptive batching", 32)):
            repository = root / f"mlserver-{batch}"
            port = model_server.write_repository(
                registry,
                "1.0.0",
                repository,
                max_batch_size=batch,
                max_batch_time_s=0.002 if batch else 0.0,
            )
            server = servers.enter_context(model_server.start_mlserver(repository, port))
            targets[name] = (f"{server.url}/v2/models/{model_server.MODEL_NAME}/infer", v2)
        rounds: dict[str, list[LoadResult]] = {name: [] for name in targets}
        for _ in range(ROUNDS):
            for name, (url, body) in targets.items():
                rounds[name].append(load_test(url, loaded, 32, body))
        print(f"{'server':<30} {'req/s c=32':>11} {'p99 ms':>8} {'p50 ms c=1':>11} failed")
        for name, (url, body) in targets.items():
            busy = median_round(rounds[name])
            alone = load_test(url, single, 1, body)
            failed = sum(busy.errors.values()) + sum(alone.errors.values())
            print(f"{name:<30} {busy.throughput:>11,.0f} {busy.summary.p99_ms:>8.1f} "
                  f"{alone.summary.p50_ms:>11.2f} {failed}")  # fmt: skip


if __name__ == "__main__":
    main()
