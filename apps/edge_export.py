"""Export the model for an edge device and measure every variant (chapter 06).

    .venv/bin/python -m apps.edge_export            # full run (about a minute on 2 cores)
    .venv/bin/python -m apps.edge_export --quick    # small data, for a smoke test

Trains a 300-tree teacher and two small neural students (distilled, labels only), exports the
production pipeline and the students to ONNX, quantizes them to int8, measures size, latency,
throughput, ROC AUC, accuracy and agreement with the teacher, then scores a file on the
"edge device" (apps/edge_device.py: onnxruntime only, memory-capped, one thread). Files go
under runtime/edge/: the .onnx models, variants.csv and device_scores.csv.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workshop_lib import data, paths
from workshop_lib.default_model import ensure_default_model
from workshop_lib.edge import compression
from workshop_lib.registry import Registry

FULL = {"train_rows": 20_000, "holdout_rows": 10_000, "trees": 300, "epochs": 8, "calls": 300}
QUICK = {"train_rows": 3_000, "holdout_rows": 2_000, "trees": 60, "epochs": 3, "calls": 30}


def run(
    folder: Path, quick: bool = False, memory_mb: int = 256, registry: Registry | None = None
) -> dict:
    """Build and measure every variant into ``folder``; return the table and device report.

    The production pipeline comes from ``registry`` (the workbook's, trained if empty).
    """
    size = QUICK if quick else FULL
    registry = registry or Registry()
    ensure_default_model(registry, verbose=False)
    production = registry.load("production").model
    train_frame = data.make_applications(size["train_rows"], seed=61)
    holdout = data.make_applications(size["holdout_rows"], seed=62)
    built = compression.export_all(
        train_frame,
        holdout,
        production,
        folder,
        trees=size["trees"],
        epochs=size["epochs"],
        single_calls=size["calls"],
    )
    built.table.to_csv(folder / "variants.csv")
    device = compression.run_on_device(built.files["student_int8.onnx"], holdout, folder, memory_mb)
    device.pop("probability")
    return {
        "table": built.table,
        "figures": compression.headline_figures(built.table),
        "device": device,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, few trees and epochs")
    parser.add_argument("--out", type=Path, default=paths.RUNTIME_DIR / "edge")
    parser.add_argument("--memory-mb", type=int, default=256, help="the edge device's cap")
    args = parser.parse_args()
    result = run(args.out, args.quick, args.memory_mb)
    print(result["table"].round(4).to_string())
    print(json.dumps({k: round(v, 3) for k, v in result["figures"].items()}, indent=2))
    print("edge device:", json.dumps(result["device"]))
    print(f"files in {args.out}")


if __name__ == "__main__":
    main()
