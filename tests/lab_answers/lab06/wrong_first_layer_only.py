"""Quantizes the first layer's weights only (nodes_to_quantize names one MatMul)."""
import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic


def quantize(fp32_path, int8_path):
    m = onnx.load(str(fp32_path))
    mm = [n.name for n in m.graph.node if n.op_type in ("MatMul", "Gemm")]
    quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8, nodes_to_quantize=mm[:1])

EXPECTED = r"the int8 file is \d+% of the fp32 file and 1 of its 3 weight matrices are stored as 8-bit integers: every weight matrix must be int8"  # the checker's message, on every seed
