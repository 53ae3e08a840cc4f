"""Casts the float weights to int8 with astype (no scale), so small weights become 0 and the model breaks."""

from pathlib import Path

from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: F401

import numpy as np
import onnx
from onnx import helper, numpy_helper

def quantize(fp32_path: Path, int8_path: Path) -> None:
    proto = onnx.load(str(fp32_path))
    graph = proto.graph
    new_inits, casts = [], []
    for init in list(graph.initializer):
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.ndim == 2:
            q = numpy_helper.from_array(arr.astype(np.int8), init.name + "_q")
            new_inits.append(q)
            casts.append(helper.make_node("Cast", [q.name], [init.name], to=onnx.TensorProto.FLOAT))
            graph.initializer.remove(init)
    graph.initializer.extend(new_inits)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.save(proto, str(int8_path))

EXPECTED = r"ROC AUC fell from 0\.\d+ to 0\.\d+: too much lost"  # the checker's message, on every seed
