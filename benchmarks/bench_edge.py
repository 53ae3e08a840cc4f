"""Benchmark the edge variants against the chapter's targets, all ratios from one run.

    .venv/bin/python -m benchmarks.bench_edge [--quick]

Targets: ONNX single-row p50 >= 10x faster than the scikit-learn pipeline; the int8 student
>= 3.5x smaller than its float32 file, accuracy within 0.5 points, no slower (p50 within
10%, the timer's noise here) and faster in batches; the distilled student >= 10x smaller than
the teacher keeping >= 97% of its ROC AUC (checked for the int8 student, and reported for
the float32 one). --quick runs a small version whose figures are not meant to meet them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from apps import edge_export
from workshop_lib.registry import Registry

TARGETS = {
    "onnx_speedup_p50": (">=", 10.0),
    "student_int8_size_ratio": (">=", 3.5),
    "student_int8_accuracy_change_points": (">=", -0.5),
    "student_int8_p50_ratio": ("<=", 1.1),
    "student_int8_throughput_ratio": (">=", 1.0),
    "student_int8_x_smaller_than_teacher": (">=", 10.0),
    "student_auc_kept": (">=", 0.97),
}


def check_targets(figures: dict[str, float]) -> dict[str, bool]:
    """Whether each figure meets its target."""
    return {
        name: figures[name] >= bound if op == ">=" else figures[name] <= bound
        for name, (op, bound) in TARGETS.items()
    }


def main(argv: list[str] | None = None, registry: Registry | None = None) -> dict[str, bool]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = edge_export.run(Path(folder), args.quick, registry=registry)
    print(result["table"].round(4).to_string())
    verdicts = check_targets(result["figures"])
    for name, value in result["figures"].items():
        target = TARGETS.get(name)
        mark = ("PASS" if verdicts[name] else "MISS") if target else "    "
        print(f"{mark}  {name:40s} {value:10.3f}  {' '.join(map(str, target or ()))}")
    print("edge device:", json.dumps(result["device"]))
    return verdicts


if __name__ == "__main__":
    main()
