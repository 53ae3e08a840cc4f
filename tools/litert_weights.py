"""Export the distilled MLP student for TensorFlow's converter (run in the main environment).

    .venv/bin/python tools/litert_weights.py

Trains the chapter's distilled student exactly as ``apps.edge_export`` does (seeded), and writes
``data/litert/student_weights.npz``: the network's weights, a calibration sample and labelled
probe rows, both already preprocessed (the preprocessing stays outside the model: string one-hot
encoding would need custom TF Lite ops), and scikit-learn's probabilities on the probe rows.
Also writes ``student_bare.onnx``: the same bare network for onnxruntime, for a fair comparison.
"""

from __future__ import annotations

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

from workshop_lib import data, paths, schema, training
from workshop_lib.edge import compression

OUT = paths.DATA_DIR / "litert"


def main() -> None:
    train_frame = data.make_applications(20_000, seed=61)
    holdout = data.make_applications(4_000, seed=62)
    teacher = compression.train_teacher(train_frame)
    soft = teacher.predict_proba(train_frame[schema.FEATURES])[:, 1]
    student = compression.train_student(train_frame, soft)
    preprocess, network = student[0], student[-1]
    calibration = preprocess.transform(train_frame[schema.FEATURES].iloc[:1_000])
    probe, labels = training.split_features(holdout)
    probe = preprocess.transform(probe)
    arrays = {f"w{i}": w.astype("float32") for i, w in enumerate(network.coefs_)}
    arrays |= {f"b{i}": b.astype("float32") for i, b in enumerate(network.intercepts_)}
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT / "student_weights.npz",
        **arrays,
        calibration=np.asarray(calibration, dtype="float32"),
        probe=np.asarray(probe, dtype="float32"),
        labels=labels.astype("int8"),
        sklearn_proba=network.predict_proba(np.asarray(probe, dtype="float32"))[:, 1],
    )
    bare = convert_sklearn(
        network,
        initial_types=[("features", FloatTensorType([None, probe.shape[1]]))],
        options={id(network): {"zipmap": False}},
        target_opset=17,
    )
    (OUT / "student_bare.onnx").write_bytes(bare.SerializeToString())
    print(f"wrote {OUT}/student_weights.npz and student_bare.onnx ({probe.shape[1]} features)")


if __name__ == "__main__":
    main()
