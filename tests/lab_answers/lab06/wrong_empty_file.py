"""Returns without doing the job, leaving only an empty placeholder file at int8_path."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401


def quantize(fp32_path: Path, int8_path: Path) -> None:
    Path(int8_path).touch()

EXPECTED = r"int8_path already held a file \(as an earlier run leaves it\) and your function left it as it was"  # the checker's message, on every seed
