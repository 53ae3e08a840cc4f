"""Right (style: load with onnx, quantize the ModelProto to a temp file, verify with onnxruntime, then os.replace into place)."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401

import os
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

def quantize(fp32_path: Path, int8_path: Path) -> None:
    proto = onnx.load(str(fp32_path))
    target = Path(int8_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        quantize_dynamic(proto, tmp, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Gemm"])
        ort.InferenceSession(tmp, providers=["CPUExecutionProvider"])  # it loads
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
