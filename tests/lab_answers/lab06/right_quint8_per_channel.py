"""QUInt8 weights, per channel, str paths."""
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

def quantize(fp32_path, int8_path):
    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QUInt8, per_channel=True)
