"""Quantizes correctly but then also replaces the fp32 file with the int8 one ('keep only the small model')."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401

import shutil

def quantize(fp32_path: Path, int8_path: Path) -> None:
    quantize_dynamic(Path(fp32_path), Path(int8_path), weight_type=QuantType.QInt8)
    shutil.copyfile(int8_path, fp32_path)

EXPECTED = r"your function changed the fp32 file"  # the checker's message, on every seed
