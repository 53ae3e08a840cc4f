"""Convert the distilled student to TensorFlow Lite with TensorFlow's own converter.

    make tflite        # builds .venv-tf (requirements-tf.txt), runs this, checks the shipped files

Runs in ``.venv-tf`` (tensorflow-cpu cannot share the main lock). Builds the Keras network with
the weights of ``data/litert/student_weights.npz`` (written by ``tools/litert_weights.py``) and
converts it three ways: float32, dynamic-range int8 (weights int8, activations float) and full
int8 (weights and activations int8, calibrated on the representative sample). Writes the
``.tflite`` files into the folder given (``data/litert`` by default).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).resolve().parent.parent / "data" / "litert"


def keras_student(weights: dict[str, np.ndarray]) -> tf.keras.Model:
    """ReLU hidden layers and a logistic output, as scikit-learn's MLPClassifier computes."""
    layers = sorted(k for k in weights if k.startswith("w"))
    inputs = tf.keras.Input(shape=(weights["w0"].shape[0],), name="features")
    x = inputs
    for i, name in enumerate(layers):
        last = i == len(layers) - 1
        dense = tf.keras.layers.Dense(
            weights[name].shape[1], activation="sigmoid" if last else "relu"
        )
        x = dense(x)
        dense.set_weights([weights[name], weights[f"b{i}"]])
    return tf.keras.Model(inputs, x)


def convert(model: tf.keras.Model, mode: str, calibration: np.ndarray) -> bytes:
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode in ("dynamic_int8", "int8"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "int8":

        def representative():
            for row in calibration:
                yield [row.reshape(1, -1)]

        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    weights = dict(np.load(HERE / "student_weights.npz"))
    tf.keras.utils.set_random_seed(0)
    model = keras_student(weights)
    for mode in ("float32", "dynamic_int8", "int8"):
        (out / f"student_{mode}.tflite").write_bytes(convert(model, mode, weights["calibration"]))
    print(f"wrote 3 .tflite files to {out}")


if __name__ == "__main__":
    main()
