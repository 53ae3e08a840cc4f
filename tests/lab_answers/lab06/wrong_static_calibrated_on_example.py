"""Static quantization calibrated on one row, the documented applicant: the activations' fixed scales come from a single point."""

from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from workshop_lib import schema


class _ExampleReader(CalibrationDataReader):
    def __init__(self, fp32_path):
        session = ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"])
        feeds = {}
        for item in session.get_inputs():
            value = schema.EXAMPLE_APPLICATION[item.name]
            dtype = object if item.type == "tensor(string)" else np.float64
            feeds[item.name] = np.array([[value]], dtype=dtype)
        self._batches = iter([feeds])

    def get_next(self):
        return next(self._batches, None)


def quantize(fp32_path: Path, int8_path: Path) -> None:
    quantize_static(
        Path(fp32_path),
        Path(int8_path),
        _ExampleReader(fp32_path),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["MatMul"],
        weight_type=QuantType.QInt8,
        activation_type=QuantType.QUInt8,
    )

EXPECTED = r"(ROC AUC fell from 0\.\d+ to 0\.\d+: too much lost|1 in 10 hidden applicants' default probability moved by 0\.\d+ or more).*its activations are quantized with fixed scales \(QuantizeLinear nodes\) from its calibration rows"  # the checker's message, on every seed
