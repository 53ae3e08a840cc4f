"""The "edge device": score a CSV file offline with an ONNX model, onnxruntime alone.

    python apps/edge_device.py MODEL.onnx APPLICATIONS.csv SCORES.csv --memory-mb 512

It imports neither scikit-learn nor ``workshop_lib``: only what a small device would install
(onnxruntime and numpy). Before loading anything it caps its own address space
(``RLIMIT_AS``) so that going over the budget fails loudly, runs one thread, and prints a
JSON report with its peak memory (resident set size) on the last line.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

ONNX_TO_NUMPY = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(string)": "object",
}


def cap_memory(megabytes: int) -> None:
    """Limit this process's address space: allocations beyond it raise MemoryError."""
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def peak_memory_mb() -> float:
    """The most resident memory this process has used so far (its high-water mark), in MiB.

    Linux's ``/proc/self/status`` line ``VmHWM`` is this process's own; ``getrusage``'s
    ``ru_maxrss`` (the fallback elsewhere) can include the parent that launched it.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_columns(path: Path) -> dict[str, list[str]]:
    """A CSV file as text columns."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"{path} has no rows")
    return {name: [row[name] for row in rows] for name in rows[0]}


def score(model: Path, table: Path, output: Path, threads: int, batch: int) -> dict:
    """Score every row of ``table`` with ``model``; write ``probability`` per row to ``output``."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    inputs = {i.name: ONNX_TO_NUMPY[i.type] for i in session.get_inputs()}
    columns = read_columns(table)
    missing = sorted(set(inputs) - set(columns))
    if missing:
        raise ValueError(f"{table} lacks the model's input columns {missing}")
    arrays = {name: np.asarray(columns[name]).astype(dtype) for name, dtype in inputs.items()}
    rows = len(next(iter(arrays.values())))
    started = time.perf_counter()
    probabilities = []
    for start in range(0, rows, batch):
        feeds = {n: a[start : start + batch].reshape(-1, 1) for n, a in arrays.items()}
        probabilities.append(session.run(["probabilities"], feeds)[0][:, 1])
    seconds = time.perf_counter() - started
    with output.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["probability"])
        writer.writerows([f"{p:.6f}"] for p in np.concatenate(probabilities))
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the .onnx file")
    parser.add_argument("table", type=Path, help="CSV with the model's input columns")
    parser.add_argument("output", type=Path, help="CSV to write the probabilities to")
    parser.add_argument("--memory-mb", type=int, default=512, help="address-space cap")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1_000, help="rows per call")
    args = parser.parse_args(argv)
    for what, path in (("model", args.model), ("table", args.table)):
        if not path.is_file():
            parser.error(f"the {what} file {path} does not exist")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # numpy's BLAS: one thread, no per-thread buffers
    cap_memory(args.memory_mb)
    report = score(args.model, args.table, args.output, args.threads, args.batch)
    report |= {
        "model": args.model.name,
        "model_kb": args.model.stat().st_size / 1_000,
        "memory_cap_mb": args.memory_mb,
        "peak_memory_mb": peak_memory_mb(),
        "threads": args.threads,
        "sklearn_imported": "sklearn" in sys.modules,
        "workshop_lib_imported": "workshop_lib" in sys.modules,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
