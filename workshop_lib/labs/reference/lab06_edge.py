"""Lab 06 reference: dynamic quantization with onnxruntime."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic


def quantize(fp32_path: Path, int8_path: Path) -> None:
    """Weights of MatMul/Gemm stored as int8; activations quantized at run time."""
    quantize_dynamic(Path(fp32_path), Path(int8_path), weight_type=QuantType.QInt8)
