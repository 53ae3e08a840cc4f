"""Lab 06: quantize an ONNX model; the checker measures its weights, size, ROC AUC and
probabilities itself.

The model's first-layer weights are made 64 times larger (and the next layer's 64 times
smaller: the same function), so a fixed scale that assumes weights within [-1, 1] fails on every
seed; int8_path already holds a stale file, which the function must replace; and each hidden
applicant's probability is compared with the fp32 model's, so activation scales calibrated on
inputs unlike the applicants (random numbers, too few rows) fail.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from workshop_lib import data, schema, training
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register

MAX_SIZE_RATIO, MAX_AUC_DROP = 0.6, 0.01
# 9 in 10 hidden applicants keep their probability within this much of the fp32 model's.
# Measured on 50 seeds (quantile of the shifts): dynamic quantization 0.002 to 0.011, static
# calibrated on 100 or 1,000 applications 0.003 to 0.011, static calibrated on uniform [0, 1)
# noise 0.038 to 0.50 (its ROC AUC can hold: -0.002 to 0.26 lost); static calibrated on
# standard-normal noise 0.013 to 0.032, accepted: the scaler maps that noise to fixed points
# whose range covers most applicants' features
MAX_PROBABILITY_SHIFT, SHIFT_QUANTILE = 0.035, 0.9
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


def _weight_types(path: Path) -> tuple[int, int, int]:
    """How many of the ONNX file's weight matrices (2-D initializers of more than one row; an
    intercept is one row) are stored as 8-bit integers, how many it has, and the bytes of the
    8-bit ones."""
    import onnx

    graph = onnx.load(str(path)).graph
    weights = [t for t in graph.initializer if len(t.dims) == 2 and t.dims[0] > 1]
    eight_bit = [
        t for t in weights if t.data_type in {onnx.TensorProto.INT8, onnx.TensorProto.UINT8}
    ]
    return len(eight_bit), len(weights), sum(t.ByteSize() for t in eight_bit)


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
    small, weights, weight_bytes = _weight_types(int8)
    if small < weights:
        return False, (
            f"the int8 file is {ratio:.0%} of the fp32 file and {small} of its {weights} weight "
            "matrices are stored as 8-bit integers: every weight matrix must be int8"
        )
    if ratio > MAX_SIZE_RATIO:
        return False, (
            f"its {weights} weight matrices are 8-bit ({weight_bytes / 1e3:.1f} kB), but the int8 "
            f"file is {ratio:.0%} of the fp32 file (at most {MAX_SIZE_RATIO:.0%}): "
            f"{(int8.stat().st_size - weight_bytes) / 1e3:.1f} kB of it is something else"
        )
    fp32_model, int8_model = onnx_export.OnnxPredictor(fp32), onnx_export.OnnxPredictor(int8)
    fp32_auc = shared.holdout_auc(fp32_model, holdout)
    int8_auc = shared.holdout_auc(int8_model, holdout)
    largest, smallest = (float(abs(w).max()) for w in student[-1].coefs_[:2])
    why = (
        "its activations are quantized with fixed scales (QuantizeLinear nodes) from its "
        "calibration rows: calibrate on many rows like the applicants, or quantize dynamically"
        if _fixed_activation_scales(int8)
        else f"this model's first-layer weights reach {largest:.1f} and its second layer's only "
        f"{smallest:.3f}: each scale must come from the weights it quantizes"
    )
    if int8_auc < fp32_auc - MAX_AUC_DROP:
        return False, f"ROC AUC fell from {fp32_auc:.3f} to {int8_auc:.3f}: too much lost ({why})"
    shift = _probability_shift(fp32_model, int8_model, holdout)
    if shift > MAX_PROBABILITY_SHIFT:
        return False, (
            f"1 in {1 / (1 - SHIFT_QUANTILE):.0f} hidden applicants' default probability moved "
            f"by {shift:.3f} or more from the fp32 model's (at most {MAX_PROBABILITY_SHIFT} "
            f"allowed; ROC AUC {fp32_auc:.3f} -> {int8_auc:.3f}): {why}"
        )
    return True, (
        f"measured: every weight matrix 8-bit, the int8 file {ratio:.0%} of the fp32 one, ROC "
        f"AUC {fp32_auc:.3f} -> {int8_auc:.3f}, and 9 in 10 probabilities within {shift:.3f} "
        f"of the fp32 model's, on {len(holdout):,} hidden rows"
    )


def _fixed_activation_scales(path: Path) -> bool:
    """Whether the ONNX file quantizes activations with fixed scales (static quantization's
    QuantizeLinear nodes), rather than per call or not at all."""
    import onnx

    return any(node.op_type == "QuantizeLinear" for node in onnx.load(str(path)).graph.node)


def _probability_shift(fp32_model: Any, int8_model: Any, holdout: Any) -> float:
    """How far the int8 model moves the default probability of the hidden applicants: the
    ``SHIFT_QUANTILE`` quantile of the absolute differences from the fp32 model's."""
    features = holdout[schema.FEATURES]
    before = fp32_model.predict_proba(features)[:, 1]
    after = int8_model.predict_proba(features)[:, 1]
    return float(np.quantile(np.abs(after - before), SHIFT_QUANTILE))


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
