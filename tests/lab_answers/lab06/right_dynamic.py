"""Right (style: the hint, one quantize_dynamic call with QInt8 weights)."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401


def quantize(fp32_path: Path, int8_path: Path) -> None:
    quantize_dynamic(Path(fp32_path), Path(int8_path), weight_type=QuantType.QInt8)
