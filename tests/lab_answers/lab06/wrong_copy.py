"""Copies the fp32 file to int8_path without quantizing ('rename it int8')."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401

import shutil

def quantize(fp32_path: Path, int8_path: Path) -> None:
    shutil.copyfile(fp32_path, int8_path)

EXPECTED = r"the int8 file is 100% of the fp32 file"  # the checker's message, on every seed
