"""Check that TensorFlow's converter, run now, gives the .tflite files shipped in data/litert.

    .venv/bin/python tools/litert_check.py runtime/litert_check   # after litert_convert.py there

float32 and dynamic-range int8 are pure transformations of the weights: their bytes must be
equal. Full int8 also depends on calibration arithmetic (activation minima and maxima), where
another CPU's floating-point rounding may move a scale by one unit in the last place: its bytes
may differ, so there it is the outputs on the probe rows that must agree to one output step.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

from workshop_lib.edge.litert_runtime import (
    LITERT_DIR,
    TFLITE_FILES,
    LiteRtPredictor,
    load_student_data,
)


def main() -> None:
    fresh = Path(sys.argv[1])
    shipped = dict(
        reversed(line.split()) for line in (LITERT_DIR / "SHA256SUMS").read_text().splitlines()
    )
    probe = load_student_data()["probe"]
    problems = []
    for name in TFLITE_FILES:
        digest = hashlib.sha256((fresh / name).read_bytes()).hexdigest()
        if digest == shipped[name]:
            print(f"{name}: byte-equal to the shipped file")
            continue
        if name != "student_int8.tflite":
            problems.append(f"{name}: bytes differ from the shipped file")
            continue
        new, old = (LiteRtPredictor(f / name, 1_000) for f in (fresh, LITERT_DIR))
        step = old.output["quantization"][0]
        gap = float(np.abs(new.predict(probe) - old.predict(probe)).max())
        print(f"{name}: bytes differ; largest output difference {gap:.4f} (one step {step:.4f})")
        if gap > step + 1e-9:
            problems.append(f"{name}: outputs differ by {gap:.4f} > one step {step:.4f}")
    if problems:
        sys.exit("re-run `make tflite` and commit data/litert:\n" + "\n".join(problems))


if __name__ == "__main__":
    main()
