"""Swaps the arguments: quantizes int8_path into fp32_path (overwrites the fp32 model)."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401


def quantize(fp32_path: Path, int8_path: Path) -> None:
    quantize_dynamic(Path(int8_path), Path(fp32_path), weight_type=QuantType.QInt8)

EXPECTED = r"(Unable to open proto file|Unable to parse proto from file|changed the fp32 file)"  # the checker's message, on every seed
