"""Lab 06: quantize an ONNX model; the checker measures its size and ROC AUC itself.

The model's first-layer weights are made 64 times larger (and the next layer's 64 times
smaller: the same function), so a fixed scale that assumes weights within [-1, 1] fails on every
seed; and int8_path already holds a stale file, which the function must replace.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType
from typing import Any

from workshop_lib import data, training
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register

MAX_SIZE_RATIO, MAX_AUC_DROP = 0.5, 0.01
LARGE_WEIGHTS = 64.0  # the first layer's weights are this many times larger than trained
STALE = b"not a model: what an earlier run left at int8_path\n"


def _with_large_first_layer(student: Any, factor: float) -> Any:
    """The same function with first-layer weights ``factor`` times larger and the next
    layer's ``factor`` times smaller (ReLU: max(0, k x) = k max(0, x)): a quantizer that
    assumes every weight lies within [-1, 1] clips them; one that measures them does not."""
    network = student[-1]
    network.coefs_[0] = network.coefs_[0] * factor
    network.intercepts_[0] = network.intercepts_[0] * factor
    network.coefs_[1] = network.coefs_[1] / factor
    return student


def _weight_types(path: Path) -> str:
    """How many of the ONNX file's weight matrices (2-D initializers of more than one row; an
    intercept is one row) are stored as 8-bit integers."""
    import onnx

    graph = onnx.load(str(path)).graph
    weights = [t for t in graph.initializer if len(t.dims) == 2 and t.dims[0] > 1]
    eight_bit = {onnx.TensorProto.INT8, onnx.TensorProto.UINT8}
    small = sum(t.data_type in eight_bit for t in weights)
    return f"{small} of its {len(weights)} weight matrices are stored as 8-bit integers"


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    from workshop_lib.edge import compression, onnx_export  # onnxruntime loads only when checking

    frame = data.make_applications(3_000, seed=fresh_seed(seed, 1))
    holdout = data.make_applications(3_000, seed=fresh_seed(seed, 2), first_id=600_001)
    student = compression.student_pipeline(layers=(128, 64), epochs=3, seed=seed % 1_000)
    student = _with_large_first_layer(student.fit(*training.split_features(frame)), LARGE_WEIGHTS)
    folder = shared.scratch_folder("06")
    fp32 = onnx_export.save(onnx_export.to_onnx(student), folder / "model_fp32.onnx")
    before = hashlib.sha256(fp32.read_bytes()).hexdigest()
    int8 = folder / "model_int8.onnx"
    int8.write_bytes(STALE)  # as an earlier run may have left it
    module.quantize(fp32, int8)
    if hashlib.sha256(fp32.read_bytes()).hexdigest() != before:
        return False, "your function changed the fp32 file: write the int8 model to int8_path"
    if not int8.is_file():
        return False, f"no file at int8_path ({int8.name}) after your function ran"
    if int8.read_bytes() == STALE:
        return False, (
            "int8_path already held a file (as an earlier run leaves it) and your function "
            "left it as it was: write the new model over it"
        )
    ratio = int8.stat().st_size / fp32.stat().st_size
    if ratio > MAX_SIZE_RATIO:
        return False, (
            f"the int8 file is {ratio:.0%} of the fp32 file (at most {MAX_SIZE_RATIO:.0%}): "
            f"{_weight_types(int8)}; every weight matrix must be int8"
        )
    fp32_auc = shared.holdout_auc(onnx_export.OnnxPredictor(fp32), holdout)
    int8_auc = shared.holdout_auc(onnx_export.OnnxPredictor(int8), holdout)
    largest, smallest = (float(abs(w).max()) for w in student[-1].coefs_[:2])
    if int8_auc < fp32_auc - MAX_AUC_DROP:
        return False, (
            f"ROC AUC fell from {fp32_auc:.3f} to {int8_auc:.3f}: too much lost (this model's "
            f"first-layer weights reach {largest:.1f} and its second layer's only "
            f"{smallest:.3f}: each scale must come from the weights it quantizes)"
        )
    return True, (
        f"measured: the int8 file is {ratio:.0%} of the fp32 one, ROC AUC {fp32_auc:.3f} -> "
        f"{int8_auc:.3f} on {len(holdout):,} hidden rows"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab06_edge

    return lab06_edge


register(
    Lab(
        id="06",
        file="lab06_edge.py",
        prompt="Write quantize(fp32_path, int8_path): store the ONNX model's weights as int8 in "
        "a new file, leaving the fp32 file as it is.",
        hint="onnxruntime.quantization.quantize_dynamic(fp32_path, int8_path, "
        "weight_type=QuantType.QInt8) does dynamic quantization",
        checker=_check,
        reference=_reference,
    )
)
