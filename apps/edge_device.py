"""The "edge device": score a CSV file offline with a small runtime alone, memory-capped.

    python apps/edge_device.py MODEL.onnx APPLICATIONS.csv SCORES.csv --memory-mb 512
    python apps/edge_device.py MODEL.tflite FEATURES.csv SCORES.csv --runtime litert --memory-mb 128

It imports neither scikit-learn nor ``workshop_lib``: only what a small device would install,
numpy and one runtime: onnxruntime (``--runtime onnx``: a model with one input per column of
the CSV) or LiteRT (``--runtime litert``: a ``.tflite`` network that takes the preprocessed
feature matrix, every column of the CSV in order). Before importing the runtime it caps its own
address space (``RLIMIT_AS``) so that going over the budget fails loudly (a runtime that cannot
even be loaded under the cap is a one-line error naming the cap), runs one thread, and prints a
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
RUNTIME_MODULES = {"onnx": "onnxruntime", "litert": "ai_edge_litert.interpreter"}


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


def load_runtime(runtime: str, memory_mb: int):
    """Import numpy and the runtime under the cap; exit with a clear message if they do not fit."""
    try:
        import importlib

        import numpy

        return numpy, importlib.import_module(RUNTIME_MODULES[runtime])
    except (ImportError, MemoryError, OSError) as error:
        sys.exit(
            f"edge device: numpy and {RUNTIME_MODULES[runtime]} cannot be loaded under the "
            f"{memory_mb} MiB "
            f"address-space cap ({type(error).__name__}: {error})"
        )


def read_columns(path: Path) -> dict[str, list[str]]:
    """A CSV file as text columns."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"{path} has no rows")
    return {name: [row[name] for row in rows] for name in rows[0]}


def score_onnx(np, ort, model: Path, table: Path, threads: int, batch: int):
    """Probabilities from an onnxruntime session fed one ``(n, 1)`` array per input column."""
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
    for start in range(0, rows, batch):
        feeds = {n: a[start : start + batch].reshape(-1, 1) for n, a in arrays.items()}
        yield session.run(["probabilities"], feeds)[0][:, 1]


def score_litert(np, litert, model: Path, table: Path, threads: int, batch: int):
    """Probabilities from a LiteRT interpreter fed the feature matrix ``batch`` rows a call."""
    interpreter = litert.Interpreter(model_path=str(model), num_threads=threads)
    given, wanted = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    # np.loadtxt, not csv.DictReader: a dict of strings per row does not fit in 128 MiB
    matrix = np.loadtxt(table, delimiter=",", skiprows=1, dtype="float32", ndmin=2)
    if matrix.shape[1] != given["shape"][1]:
        raise ValueError(
            f"{table} has {matrix.shape[1]} columns, the model takes {given['shape'][1]}"
        )
    interpreter.resize_tensor_input(given["index"], [batch, matrix.shape[1]])
    interpreter.allocate_tensors()
    for start in range(0, len(matrix), batch):
        chunk = np.zeros((batch, matrix.shape[1]), dtype="float32")
        rows = matrix[start : start + batch]
        chunk[: len(rows)] = rows
        if given["dtype"] == np.int8:  # full int8: the model's one input scale, clipped
            scale, zero = given["quantization"]
            chunk = np.clip(np.round(chunk / scale) + zero, -128, 127).astype("int8")
        interpreter.set_tensor(given["index"], chunk)
        interpreter.invoke()
        result = interpreter.get_tensor(wanted["index"]).astype("float32")
        if wanted["dtype"] == np.int8:
            scale, zero = wanted["quantization"]
            result = (result - zero) * scale
        yield result[: len(rows), 0]


def score(args: argparse.Namespace) -> dict:
    """Score every row of the table; write ``probability`` per row to the output file."""
    np, runtime = load_runtime(args.runtime, args.memory_mb)
    scorer = score_litert if args.runtime == "litert" else score_onnx
    started = time.perf_counter()
    batches = scorer(np, runtime, args.model, args.table, args.threads, args.batch)
    probabilities = np.concatenate(list(batches))
    seconds = time.perf_counter() - started
    with args.output.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["probability"])
        writer.writerows([f"{p:.6f}"] for p in probabilities)
    rows = len(probabilities)
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "model", type=Path, help="the .onnx (or, with --runtime litert, .tflite) file"
    )
    parser.add_argument("table", type=Path, help="CSV with the model's input columns")
    parser.add_argument("output", type=Path, help="CSV to write the probabilities to")
    parser.add_argument("--runtime", choices=sorted(RUNTIME_MODULES), default="onnx")
    parser.add_argument("--memory-mb", type=int, default=512, help="address-space cap")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1_000, help="rows per call")
    args = parser.parse_args(argv)
    for what, path in (("model", args.model), ("table", args.table)):
        if not path.is_file():
            parser.error(f"the {what} file {path} does not exist")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # numpy's BLAS: one thread, no per-thread buffers
    cap_memory(args.memory_mb)
    report = score(args)
    report |= {
        "runtime": args.runtime,
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
