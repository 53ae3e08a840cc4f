"""Copies a CNN recipe: op_types_to_quantize=['Conv'], so the MatMul/Gemm weights stay float32."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401


def quantize(fp32_path: Path, int8_path: Path) -> None:
    quantize_dynamic(Path(fp32_path), Path(int8_path), weight_type=QuantType.QInt8, op_types_to_quantize=['Conv'])

EXPECTED = r"the int8 file is \d+% of the fp32 file and 0 of its \d+ weight matrices are stored as 8-bit integers: every weight matrix must be int8"  # the checker's message, on every seed
