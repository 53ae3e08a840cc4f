"""quantize_dynamic on a loaded ModelProto, written through a temp file."""
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

import tempfile

def quantize(fp32_path, int8_path):
    model = onnx.load(str(fp32_path))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "q.onnx"
        quantize_dynamic(model, out, weight_type=QuantType.QInt8)
        shutil.copyfile(out, int8_path)
