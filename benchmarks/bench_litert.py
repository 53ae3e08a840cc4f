"""LiteRT beside onnxruntime on the bare distilled student, every figure from one run.

    .venv/bin/python -m benchmarks.bench_litert [--quick]

Prints the table (size, single-row p50, throughput in batches of 1 000, ROC AUC, largest
difference from scikit-learn) and the ratios: LiteRT / onnxruntime speed (single row, batch),
how far each int8 lies from float (full int8 alone, and with the rows it would clip scored
by the dynamic-range file), and how much a row's int8 score moves with the batch size.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pandas as pd

from workshop_lib.edge import litert_runtime as lr


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few timed calls")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        rows = lr.bare_rows(Path(folder), calls=30 if args.quick else 1_000)
        ort_int8 = lr.ort_int8(Path(folder))
        probe = lr.load_student_data()["probe"][:1_000]
        dynamic = lr.LITERT_DIR / "student_dynamic_int8.tflite"
        batch_moves = {
            "litert_dynamic_int8": lr.batch_dependence(
                lambda size: lr.LiteRtPredictor(dynamic, size), probe
            ),
            "onnxruntime_int8": lr.batch_dependence(lambda size: lr.OrtBare(ort_int8), probe),
        }
    table = pd.DataFrame([r.__dict__ for r in rows]).set_index("variant")
    row = table.loc
    figures = {
        "p50_onnxruntime_over_litert_fp32": row["onnxruntime fp32", "p50_ms"]
        / row["LiteRT float32", "p50_ms"],
        "throughput_litert_over_onnxruntime_fp32": row["LiteRT float32", "rows_per_s"]
        / row["onnxruntime fp32", "rows_per_s"],
        "throughput_litert_over_onnxruntime_int8": row["LiteRT dynamic int8", "rows_per_s"]
        / row["onnxruntime int8", "rows_per_s"],
        "litert_dynamic_int8_max_diff": row["LiteRT dynamic int8", "max_diff_vs_sklearn"],
        "onnxruntime_int8_max_diff": row["onnxruntime int8", "max_diff_vs_sklearn"],
        "litert_full_int8_max_diff": row["LiteRT full int8", "max_diff_vs_sklearn"],
        "litert_full_int8_with_fallback_max_diff": row[
            "LiteRT full int8 + dynamic for clipped rows", "max_diff_vs_sklearn"
        ],
        **{f"batch_moves_{k}": v for k, v in batch_moves.items()},
    }
    print(table.round(4).to_string())
    print(json.dumps({k: round(float(v), 4) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
