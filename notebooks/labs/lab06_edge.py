"""Lab 06: quantize a model for a small device.

Write ``quantize(fp32_path, int8_path)``: read the ONNX model at ``fp32_path`` and write a
version whose weights are stored as 8-bit integers to ``int8_path`` (replacing any file an
earlier run left there); leave the fp32 file as it is. The checker trains a fresh student
network, exports it, runs your function, and measures both files itself: every weight matrix
must be stored as 8-bit integers, the int8 file must be at most 60 % of the fp32 file's size,
its ROC AUC on a hidden holdout at most 0.01 below the fp32 model's, and 9 in 10 hidden
applicants' default probability within 0.035 of the fp32 model's. Its weights are not all
within [-1, 1].

Hint: onnxruntime.quantization.quantize_dynamic(fp32_path, int8_path,
weight_type=QuantType.QInt8). Check it with ``check_lab("06")``.
"""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401


def quantize(fp32_path: Path, int8_path: Path) -> None:
    """Write the int8 version of the model at ``fp32_path`` to ``int8_path``."""
    ...
