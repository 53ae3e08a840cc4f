"""Make the loan-default model fit an edge device: distil, export, quantize, and measure.

- ``train_teacher``: a large model (a 300-tree gradient-boosted ensemble) whose soft predictions
  are the knowledge to transfer.
- ``train_student``: a small neural network trained on the teacher's probabilities
  (distillation) or on the labels alone, for comparison.
- ``quantize``: float32 weights to int8 with onnxruntime's dynamic quantization.
- ``weight_bytes``: where a model's bytes are, which is why quantization shrinks a neural
  network and not a tree ensemble.
- ``measure`` and ``variants_table``: file size, latency, throughput, ROC AUC, accuracy and
  agreement with the teacher, for every variant, in one table.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import skops.io as sio
from onnxruntime.quantization import QuantType, quantize_dynamic
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from workshop_lib import paths, schema, training
from workshop_lib.edge import onnx_export
from workshop_lib.support import benchmarking

TEACHER_TREES = 300
STUDENT_LAYERS = (256, 192)  # wide enough that its weights, not the graph, fill the file
STUDENT_EPOCHS = 8
DEVICE_SCRIPT = paths.PROJECT_ROOT / "apps" / "edge_device.py"


def train_teacher(frame: pd.DataFrame, trees: int = TEACHER_TREES, seed: int = 0) -> Pipeline:
    """The large teacher: the production recipe with ``trees`` boosting rounds."""
    teacher = training.build_pipeline("gradient_boosting", seed)
    teacher.set_params(model__max_iter=trees, model__learning_rate=0.05)
    return teacher.fit(*training.split_features(frame))


def student_pipeline(
    layers: tuple[int, ...] = STUDENT_LAYERS, epochs: int = STUDENT_EPOCHS, seed: int = 0
) -> Pipeline:
    """The workbook's preprocessing followed by a small multi-layer perceptron."""
    network = MLPClassifier(
        hidden_layer_sizes=layers,
        batch_size=512,
        learning_rate_init=2e-3,
        max_iter=epochs,
        random_state=seed,
    )
    return Pipeline([("preprocess", training.build_pipeline()[0]), ("model", network)])


def train_student(
    frame: pd.DataFrame,
    teacher_proba: np.ndarray | None = None,
    layers: tuple[int, ...] = STUDENT_LAYERS,
    epochs: int = STUDENT_EPOCHS,
    seed: int = 0,
) -> Pipeline:
    """Train a student on the labels of ``frame``, or, given ``teacher_proba``, distil it.

    Distillation minimises the cross-entropy to the teacher's probability p of each row. A
    classifier that accepts sample weights learns exactly that from every row shown twice:
    once labelled 1 with weight p, once labelled 0 with weight 1 - p.
    """
    features, labels = training.split_features(frame)
    weights = None
    if teacher_proba is not None:
        teacher_proba = np.asarray(teacher_proba, dtype="float64")
        if teacher_proba.shape != (len(frame),):
            raise ValueError(
                f"teacher_proba must hold one probability per row: shape {teacher_proba.shape}, "
                f"expected ({len(frame)},)"
            )
        features = pd.concat([features, features], ignore_index=True)
        labels = np.r_[np.ones(len(frame)), np.zeros(len(frame))].astype("int64")
        weights = np.r_[teacher_proba, 1 - teacher_proba]
    student = student_pipeline(layers, epochs, seed)
    with warnings.catch_warnings():
        # We stop after a fixed, small number of epochs on purpose (time budget), so
        # scikit-learn's "not converged yet" warning says nothing new.
        warnings.simplefilter("ignore", ConvergenceWarning)
        student.fit(features, labels, model__sample_weight=weights)
    return student


PREPROCESSING_ADVICE = "Please consider to run pre-processing before quantization"


def _not_preprocessing_advice(record: logging.LogRecord) -> bool:
    """onnxruntime's advice to pre-process first: shape inference for image models, not ours."""
    return not record.getMessage().startswith(PREPROCESSING_ADVICE)


def quantize(fp32_path: Path | str, int8_path: Path | str) -> Path:
    """Dynamic quantization: MatMul/Gemm weights stored as int8, activations quantized per call.

    onnxruntime logs its pre-processing advice on the root logger at every call (a
    ``WARNING:root:`` line in a notebook); only that message is dropped.
    """
    int8_path = Path(int8_path)
    int8_path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.addFilter(_not_preprocessing_advice)
    try:
        quantize_dynamic(Path(fp32_path), int8_path, weight_type=QuantType.QInt8)
    finally:
        root.removeFilter(_not_preprocessing_advice)
    return int8_path


def weight_bytes(model: onnx.ModelProto | Path | str) -> dict[str, int]:
    """Bytes of a model's parameters by where they live.

    ``matmul_weights``: float32 initializers that feed MatMul/Gemm nodes, the only parameters
    ``quantize_dynamic`` converts to int8. ``operator_attributes``: parameters stored inside
    nodes, as tree ensembles (thresholds, leaf values) and ML linear operators do, which it
    leaves as they are. ``int8_weights`` and ``other_initializers``: everything else.
    """
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(Path(model))
    matmul_inputs = {
        name
        for node in model.graph.node
        if node.op_type in ("MatMul", "Gemm")
        for name in node.input
    }
    sizes = {"matmul_weights": 0, "int8_weights": 0, "other_initializers": 0}
    for tensor in model.graph.initializer:
        size = len(tensor.SerializeToString())
        if tensor.data_type == onnx.TensorProto.INT8:
            sizes["int8_weights"] += size
        elif tensor.name in matmul_inputs and tensor.data_type == onnx.TensorProto.FLOAT:
            sizes["matmul_weights"] += size
        else:
            sizes["other_initializers"] += size
    sizes["operator_attributes"] = sum(
        len(attribute.SerializeToString())
        for node in model.graph.node
        for attribute in node.attribute
    )
    return sizes


def sklearn_file_bytes(model: Pipeline) -> int:
    """Size of a scikit-learn model saved as the registry saves it (skops)."""
    return len(sio.dumps(model))


@dataclass
class Variant:
    """One way to ship the model: how to score a table with it and how big its file is."""

    name: str
    predict_proba: Callable[[pd.DataFrame], np.ndarray]
    size_bytes: int
    runtime: str


def onnx_variant(name: str, path: Path | str) -> Variant:
    """A variant served by onnxruntime (one thread) from an ``.onnx`` file."""
    predictor = onnx_export.OnnxPredictor(path, threads=1)
    return Variant(name, predictor.predict_proba, predictor.size_bytes, "onnxruntime")


def sklearn_variant(name: str, model: Pipeline) -> Variant:
    """A variant served by scikit-learn, measured from its skops file."""
    return Variant(name, model.predict_proba, sklearn_file_bytes(model), "scikit-learn")


def measure(
    variant: Variant,
    holdout: pd.DataFrame,
    teacher_proba: np.ndarray,
    single_calls: int = 300,
    batch_rows: int = 10_000,
    threshold: float = training.DECISION_THRESHOLD,
) -> dict[str, float | str]:
    """One row of the variants table, everything measured on one thread.

    ``teacher_proba``: the teacher's probabilities on ``holdout``, for the agreement column
    (the share of applications given the same decision as the teacher).
    """
    features, labels = training.split_features(holdout)
    one_row = features.iloc[[0]]
    batch = features.iloc[:batch_rows]
    with threadpool_limits(limits=1):
        proba = variant.predict_proba(features)[:, 1]
        single = benchmarking.summarize(
            benchmarking.time_calls(lambda: variant.predict_proba(one_row), single_calls)
        )
        throughput = benchmarking.rows_per_second(lambda: variant.predict_proba(batch), len(batch))
    declined = proba >= threshold
    return {
        "variant": variant.name,
        "runtime": variant.runtime,
        "size_kb": variant.size_bytes / 1_000,
        "p50_ms": single.p50_ms,
        "p99_ms": single.p99_ms,
        "rows_per_s": throughput,
        "roc_auc": float(roc_auc_score(labels, proba)),
        "accuracy": float((declined == labels).mean()),
        "agreement": float((declined == (teacher_proba >= threshold)).mean()),
    }


def variants_table(rows: list[dict[str, float | str]]) -> pd.DataFrame:
    """The measured rows as a table indexed by variant, with ratios to the teacher."""
    table = pd.DataFrame(rows).set_index("variant")
    teacher = table.iloc[0]
    table["x_smaller"] = teacher["size_kb"] / table["size_kb"]
    table["auc_kept"] = table["roc_auc"] / teacher["roc_auc"]
    return table


def smallest_within(table: pd.DataFrame, auc_drop: float = 0.01) -> str:
    """The smallest variant whose ROC AUC is at most ``auc_drop`` below the teacher's."""
    teacher_auc = table["roc_auc"].iloc[0]
    good = table[table["roc_auc"] >= teacher_auc - auc_drop]
    return str(good["size_kb"].idxmin())


def run_on_device(
    model_path: Path | str,
    frame: pd.DataFrame | np.ndarray,
    folder: Path | str,
    memory_mb: int = 256,
    runtime: str = "onnx",
) -> dict[str, float | str | bool]:
    """Score ``frame`` with ``apps/edge_device.py`` in its own capped, one-thread process.

    The table goes through a CSV file in ``folder``, as it would reach a device offline: the
    applications for ``runtime="onnx"`` (a whole-pipeline model), the preprocessed feature
    matrix for ``runtime="litert"`` (a ``.tflite`` network). The returned report holds the
    device's peak memory and its probabilities (``probability``).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table, scores = folder / "device_input.csv", folder / "device_scores.csv"
    if runtime == "onnx":
        schema.validate_frame(frame[schema.FEATURES]).to_csv(table, index=False)
    else:  # nine significant digits write a float32 exactly
        pd.DataFrame(np.asarray(frame)).to_csv(table, index=False, float_format="%.9g")
    command = [sys.executable, str(DEVICE_SCRIPT), str(model_path), str(table), str(scores)]
    done = subprocess.run(
        [*command, "--memory-mb", str(memory_mb), "--runtime", runtime],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"the edge device failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["probability"] = pd.read_csv(scores)["probability"].to_numpy()
    return report


@dataclass
class EdgeModels:
    """Everything the chapter builds: the models, their files and the measured table."""

    teacher: Pipeline
    production: Pipeline
    distilled: Pipeline
    labels_only: Pipeline
    files: dict[str, Path]
    table: pd.DataFrame


def export_all(
    train_frame: pd.DataFrame,
    holdout: pd.DataFrame,
    production: Pipeline,
    folder: Path | str,
    trees: int = TEACHER_TREES,
    epochs: int = STUDENT_EPOCHS,
    single_calls: int = 300,
) -> EdgeModels:
    """Train the teacher and both students, export and quantize them, measure every variant."""
    folder = Path(folder)
    teacher = train_teacher(train_frame, trees)
    soft = teacher.predict_proba(train_frame[schema.FEATURES])[:, 1]
    distilled = train_student(train_frame, soft, epochs=epochs)
    labels_only = train_student(train_frame, None, epochs=epochs)
    files = {
        "production.onnx": production,
        "student.onnx": distilled,
        "student_labels_only.onnx": labels_only,
    }
    files = {
        name: onnx_export.save(onnx_export.to_onnx(m), folder / name) for name, m in files.items()
    }
    files["production_int8.onnx"] = quantize(
        files["production.onnx"], folder / "production_int8.onnx"
    )
    files["student_int8.onnx"] = quantize(files["student.onnx"], folder / "student_int8.onnx")
    variants = [
        sklearn_variant("sklearn teacher", teacher),
        sklearn_variant("sklearn pipeline", production),
        onnx_variant("ONNX fp32", files["production.onnx"]),
        onnx_variant("ONNX int8", files["production_int8.onnx"]),
        onnx_variant("distilled student", files["student.onnx"]),
        onnx_variant("student int8", files["student_int8.onnx"]),
        onnx_variant("student, labels only", files["student_labels_only.onnx"]),
    ]
    teacher_proba = teacher.predict_proba(holdout[schema.FEATURES])[:, 1]
    rows = [measure(v, holdout, teacher_proba, single_calls) for v in variants]
    return EdgeModels(teacher, production, distilled, labels_only, files, variants_table(rows))


def headline_figures(table: pd.DataFrame) -> dict[str, float]:
    """The ratios the chapter's claims rest on, each computed from one run's table."""
    row = table.loc
    return {
        "onnx_speedup_p50": row["sklearn pipeline", "p50_ms"] / row["ONNX fp32", "p50_ms"],
        "trees_int8_size_ratio": row["ONNX fp32", "size_kb"] / row["ONNX int8", "size_kb"],
        "student_int8_size_ratio": row["distilled student", "size_kb"]
        / row["student int8", "size_kb"],
        "student_int8_accuracy_change_points": 100
        * (row["student int8", "accuracy"] - row["distilled student", "accuracy"]),
        "student_int8_p50_ratio": row["student int8", "p50_ms"]
        / row["distilled student", "p50_ms"],
        "student_int8_throughput_ratio": row["student int8", "rows_per_s"]
        / row["distilled student", "rows_per_s"],
        "student_x_smaller_than_teacher": row["distilled student", "x_smaller"],
        "student_int8_x_smaller_than_teacher": row["student int8", "x_smaller"],
        "student_auc_kept": row["distilled student", "auc_kept"],
        "distillation_auc_gain": row["distilled student", "roc_auc"]
        - row["student, labels only", "roc_auc"],
    }
