"""Right (style: keyword arguments, unsigned 8-bit weights QUInt8, per-channel scales, strings for paths)."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401


def quantize(fp32_path: Path, int8_path: Path) -> None:
    quantize_dynamic(
        model_input=str(fp32_path),
        model_output=str(int8_path),
        per_channel=True,
        reduce_range=False,
        weight_type=QuantType.QUInt8,
    )
