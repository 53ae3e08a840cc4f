"""Hand-made int8 with one fixed scale, 1/127: right only while every weight lies within [-1, 1]."""
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

def manual(fp32_path, int8_path, scale_of, zero=0, dtype=np.int8, lo=-127, hi=127, keep_float=False, global_scale=None):
    model = onnx.load(str(fp32_path))
    g = model.graph
    new_nodes, keep = [], []
    for init in g.initializer:
        w = numpy_helper.to_array(init)
        if w.dtype != np.float32 or w.ndim < 2:
            keep.append(init); continue
        s = global_scale if global_scale is not None else scale_of(w)
        q = np.clip(np.round(w / s) + zero, lo, hi).astype(dtype)
        keep += [numpy_helper.from_array(q, init.name + "_q"),
                 numpy_helper.from_array(np.array(s, np.float32), init.name + "_s"),
                 numpy_helper.from_array(np.array(zero, dtype), init.name + "_z")]
        if keep_float:
            keep.append(numpy_helper.from_array(w, init.name + "_unused"))
        new_nodes.append(helper.make_node("DequantizeLinear", [init.name + "_q", init.name + "_s", init.name + "_z"], [init.name]))
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(new_nodes + nodes)
    onnx.save(model, str(int8_path))

def quantize(fp32_path, int8_path):
    manual(fp32_path, int8_path, None, global_scale=1 / 127)


EXPECTED = r"ROC AUC fell from 0\.\d+ to 0\.\d+: too much lost \(this model's first-layer weights reach \d+\.\d and its second layer's only 0\.\d+"  # the checker's message, on every seed

