"""Export the loan-default pipeline to ONNX and score it with onnxruntime alone.

- ``to_onnx(pipeline)``: the fitted scikit-learn pipeline (scaling, one-hot encoding and the
  classifier) as one ONNX graph with one input per feature column, so a caller feeds it the
  same table columns the pipeline takes.
- ``OnnxPredictor``: an onnxruntime session with the pipeline's ``predict_proba`` interface
  (a DataFrame in, an ``(n, 2)`` array out), usable wherever the pipeline is.
- ``parity``: the largest probability difference between the two on a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnx.compose
import onnx.version_converter
import onnxruntime as ort
import pandas as pd
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType
from skl2onnx.operator_converters.random_forest import convert_sklearn_random_forest_classifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from workshop_lib import schema

# ONNX computes in float32: probabilities of the exported pipeline match scikit-learn's
# (float64) to within this, on every row of a held-out table (the tests check it).
PARITY_TOLERANCE = 1e-4
PROBABILITIES = "probabilities"
FEATURES_NAME = "features"  # the preprocessed float32 matrix between the two parts of the graph
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def input_types() -> list[tuple[str, Any]]:
    """One ONNX input per schema feature: numbers as float64, categories as strings."""
    return [(name, DoubleTensorType([None, 1])) for name in schema.NUMERIC_FEATURES] + [
        (name, StringTensorType([None, 1])) for name in schema.CATEGORICAL_FEATURES
    ]


def _convert_hist_gradient_boosting(scope, operator, container) -> None:
    """skl2onnx's own converter, with the per-node missing-value flags passed as ints.

    skl2onnx 1.20 passes Python ``False`` for leaf nodes in an integer attribute, which
    onnx >= 1.18 rejects ("Expected an int, got a boolean"); the graph is otherwise unchanged.
    """
    add_node = container.add_node

    def add_node_with_int_flags(*args, **attributes):
        flags = attributes.get("nodes_missing_value_tracks_true")
        if flags is not None:
            attributes["nodes_missing_value_tracks_true"] = [int(flag) for flag in flags]
        return add_node(*args, **attributes)

    container.add_node = add_node_with_int_flags
    try:
        convert_sklearn_random_forest_classifier(scope, operator, container)
    finally:
        del container.add_node  # back to the class's own method


def _declare_each_opset_once(graph: onnx.ModelProto) -> onnx.ModelProto:
    """Drop repeated opset declarations (skl2onnx and merging leave some; tools reject them)."""
    versions = {(o.domain, o.version) for o in graph.opset_import}
    del graph.opset_import[:]
    graph.opset_import.extend(onnx.helper.make_opsetid(d, v) for d, v in sorted(versions))
    return graph


def _at_target_opset(graph: onnx.ModelProto) -> onnx.ModelProto:
    """``graph`` on the standard opset ``TARGET_OPSET[""]``, so that two graphs can merge.

    skl2onnx picks the lowest opset each graph needs; merging needs them to agree.
    """
    graph = _declare_each_opset_once(graph)
    if ("", TARGET_OPSET[""]) not in {(o.domain, o.version) for o in graph.opset_import}:
        graph = onnx.version_converter.convert_version(graph, TARGET_OPSET[""])
    return graph


def _preprocessing_graph(preprocess: Any) -> onnx.ModelProto:
    """The fitted preprocessing in float64 (as scikit-learn computes it), cast to float32."""
    graph = convert_sklearn(preprocess, initial_types=input_types(), target_opset=TARGET_OPSET)
    graph = _at_target_opset(graph)
    (output,) = graph.graph.output
    graph.graph.node.append(
        onnx.helper.make_node(
            "Cast", [output.name], [FEATURES_NAME], to=onnx.TensorProto.FLOAT, name="to_float32"
        )
    )
    graph.graph.output.pop()
    graph.graph.output.append(
        onnx.helper.make_tensor_value_info(FEATURES_NAME, onnx.TensorProto.FLOAT, [None, None])
    )
    return graph


def _classifier_graph(classifier: Any, n_features: int) -> onnx.ModelProto:
    """The fitted classifier on a float32 ``(n, n_features)`` matrix, probabilities as a tensor."""
    graph = convert_sklearn(
        classifier,
        initial_types=[(FEATURES_NAME, FloatTensorType([None, n_features]))],
        options={id(classifier): {"zipmap": False}},
        custom_conversion_functions={
            HistGradientBoostingClassifier: _convert_hist_gradient_boosting
        },
        target_opset=TARGET_OPSET,
    )
    return onnx.compose.add_prefix(_at_target_opset(graph), "classifier/", rename_outputs=False)


def to_onnx(pipeline: Pipeline, name: str = "loan_default") -> onnx.ModelProto:
    """Convert a fitted pipeline of ``workshop_lib.training`` (preprocessing, then a classifier,
    over the schema's feature columns) to one ONNX graph.

    The graph has one input per feature (see ``input_types``) and outputs ``label`` and
    ``probabilities`` (an ``(n, 2)`` float32 tensor, like ``predict_proba``). Preprocessing runs
    in float64, exactly as in scikit-learn, so that a value lying exactly on a tree's split
    threshold (common: incomes and amounts are rounded) goes the same way in both; the
    classifier then runs in float32, the type ONNX tree and neural operators use.
    """
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2:
        raise TypeError(
            f"expected a fitted scikit-learn Pipeline (preprocessing, classifier), "
            f"got {type(pipeline).__name__}"
        )
    classifier = pipeline.steps[-1][1]
    if not hasattr(classifier, "classes_"):
        raise ValueError("the pipeline is not fitted: call fit (or training.train) first")
    merged = onnx.compose.merge_models(
        _preprocessing_graph(pipeline[:-1]),
        _classifier_graph(classifier, classifier.n_features_in_),
        io_map=[(FEATURES_NAME, "classifier/" + FEATURES_NAME)],
        name=name,
        producer_name="workshop_lib.edge.onnx_export",
    )
    merged = _declare_each_opset_once(merged)
    onnx.checker.check_model(merged)
    return merged


def save(model: onnx.ModelProto, path: Path | str) -> Path:
    """Write an ONNX model to ``path`` (folders created); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def session_options(threads: int = 1) -> ort.SessionOptions:
    """onnxruntime options for a small, predictable footprint: ``threads`` threads, no spinning."""
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


_NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(string)": object}


class OnnxPredictor:
    """An ONNX model in an onnxruntime session, with the ``predict_proba`` of a pipeline.

    ``model`` is an ``onnx.ModelProto``, a path to a ``.onnx`` file, or the file's bytes.
    """

    def __init__(self, model: onnx.ModelProto | Path | str | bytes, threads: int = 1):
        if isinstance(model, onnx.ModelProto):
            serialized = model.SerializeToString()
        elif isinstance(model, str | Path):
            if not Path(model).is_file():
                raise FileNotFoundError(f"no ONNX model file at {model}")
            serialized = Path(model).read_bytes()
        elif isinstance(model, bytes):
            serialized = model
        else:
            raise TypeError(
                f"expected an onnx.ModelProto, a path or bytes, got {type(model).__name__}"
            )
        self.session = ort.InferenceSession(
            serialized, session_options(threads), providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name: _NUMPY_TYPES[i.type] for i in self.session.get_inputs()}
        self.size_bytes = len(serialized)

    def feeds(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """The model's inputs from a table's columns: one ``(n, 1)`` array per feature."""
        missing = [name for name in self.inputs if name not in frame.columns]
        if missing:
            raise schema.SchemaError([f"{name}: column is missing" for name in missing])
        return {
            name: np.asarray(frame[name].to_numpy(), dtype=dtype).reshape(-1, 1)
            for name, dtype in self.inputs.items()
        }

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """``(n, 2)`` probabilities of (repaid, defaulted) for each row of ``frame``."""
        (probabilities,) = self.session.run([PROBABILITIES], self.feeds(frame))
        return probabilities


def parity(pipeline: Pipeline, predictor: OnnxPredictor, frame: pd.DataFrame) -> float:
    """The largest absolute difference between the two models' probabilities on ``frame``."""
    features = frame[schema.FEATURES]
    expected = pipeline.predict_proba(features)
    actual = predictor.predict_proba(features)
    if expected.shape != actual.shape:
        raise ValueError(f"shapes differ: scikit-learn {expected.shape}, ONNX {actual.shape}")
    return float(np.max(np.abs(expected - actual)))
