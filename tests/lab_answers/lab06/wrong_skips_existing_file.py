"""Quantizes only when int8_path does not exist yet: a file from an earlier run is kept as it is."""
from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic


def quantize(fp32_path: Path, int8_path: Path) -> None:
    if Path(int8_path).exists():
        return  # already done
    quantize_dynamic(Path(fp32_path), Path(int8_path), weight_type=QuantType.QInt8)


EXPECTED = r"int8_path already held a file \(as an earlier run leaves it\) and your function left it as it was"  # the checker's message, on every seed
