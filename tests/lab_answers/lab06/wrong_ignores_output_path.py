"""Ignores int8_path and writes next to the input as <name>_int8.onnx."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401


def quantize(fp32_path: Path, int8_path: Path) -> None:
    fp32 = Path(fp32_path)
    quantize_dynamic(fp32, fp32.with_name(fp32.stem + '_int8.onnx'), weight_type=QuantType.QInt8)

EXPECTED = r"int8_path already held a file \(as an earlier run leaves it\) and your function left it as it was"  # the checker's message, on every seed
