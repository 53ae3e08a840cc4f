"""The distilled student as TensorFlow Lite files, run by LiteRT, beside onnxruntime.

The ``.tflite`` files in ``data/litert`` were produced by TensorFlow's ``TFLiteConverter``
(``make tflite``: ``tools/litert_convert.py`` in its own ``.venv-tf``) from the weights in
``student_weights.npz``. They take the *preprocessed* feature matrix (float32): the scaling and
one-hot encoding stay outside the model, as string ops would need custom TF Lite kernels.

- ``LiteRtPredictor``: one interpreter; ``predict`` runs rows in batches of a fixed size.
  For a full-int8 model it quantizes the input with the model's single input scale, and counts
  the values that fall outside the calibrated range (they are clipped to it). Given a
  ``fallback`` predictor (the dynamic-range file), it scores the rows with such a value there
  instead: the handling of clipping, since no calibrated range covers every future outlier.
- ``bare_rows``: size, p50, throughput, AUC and largest difference from scikit-learn, for the
  LiteRT and onnxruntime variants of the bare network, measured in one run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter
from sklearn.metrics import roc_auc_score

from workshop_lib import paths
from workshop_lib.edge import compression, onnx_export
from workshop_lib.support import benchmarking

LITERT_DIR = paths.DATA_DIR / "litert"
TFLITE_FILES = ("student_float32.tflite", "student_dynamic_int8.tflite", "student_int8.tflite")


def load_student_data() -> dict[str, np.ndarray]:
    """Weights, calibration sample, probe rows, labels and scikit-learn's probabilities."""
    return dict(np.load(LITERT_DIR / "student_weights.npz"))


DELEGATE_NOTICE = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"


@contextmanager
def without_delegate_notice() -> Iterator[None]:
    """Drop LiteRT's XNNPACK notice, which its C++ code writes to file descriptor 2.

    The first interpreter a process allocates prints it, and a notebook would keep it as a
    stderr box; anything else written to descriptor 2 meanwhile is passed on unchanged.
    """
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            rest = caught.read().replace(DELEGATE_NOTICE, b"")
            if rest:
                os.write(2, rest)


class LiteRtPredictor:
    """A ``.tflite`` model in a one-thread LiteRT interpreter with a fixed batch size."""

    def __init__(self, path: Path | str, batch: int = 1, fallback: LiteRtPredictor | None = None):
        self.path = Path(path)
        self.batch = batch
        self.fallback = fallback
        self.interpreter = Interpreter(model_path=str(self.path), num_threads=1)
        self.input, self.output = (
            self.interpreter.get_input_details()[0],
            self.interpreter.get_output_details()[0],
        )
        self.interpreter.resize_tensor_input(self.input["index"], [batch, self.input["shape"][1]])
        with without_delegate_notice():
            self.interpreter.allocate_tensors()
        self.clipped = 0  # input values outside the int8 range, since creation
        self.fell_back = 0  # rows scored by the fallback instead, since creation

    @property
    def size_bytes(self) -> int:
        """The file's size, plus the fallback's: a device must ship both."""
        extra = self.fallback.size_bytes if self.fallback is not None else 0
        return self.path.stat().st_size + extra

    def _steps(self, rows: np.ndarray) -> np.ndarray:
        scale, zero = self.input["quantization"]
        return np.round(rows / scale) + zero

    def outside_range(self, rows: np.ndarray) -> np.ndarray:
        """Which values a full-int8 input would clip (all False for a float input)."""
        if self.input["dtype"] != np.int8:
            return np.zeros(rows.shape, dtype=bool)
        steps = self._steps(rows)
        return (steps < -128) | (steps > 127)

    def _quantize(self, rows: np.ndarray) -> np.ndarray:
        if self.input["dtype"] != np.int8:
            return rows.astype("float32")
        self.clipped += int(self.outside_range(rows).sum())
        return np.clip(self._steps(rows), -128, 127).astype("int8")

    def input_range(self) -> tuple[float, float]:
        """The standardised values a full-int8 input can represent (others are clipped)."""
        scale, zero = self.input["quantization"]
        return (-128 - zero) * scale, (127 - zero) * scale

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The probability of default of each row; clipped rows by the fallback if there is one."""
        scores = self._predict(rows)
        if self.fallback is not None:
            clipped = self.outside_range(rows).any(axis=1)
            if clipped.any():
                scores[clipped] = self.fallback.predict(rows[clipped])
            self.fell_back += int(clipped.sum())
        return scores

    def _predict(self, rows: np.ndarray) -> np.ndarray:
        """Every row through this file, ``batch`` rows per call."""
        out = []
        for start in range(0, len(rows), self.batch):
            chunk = rows[start : start + self.batch]
            padded = np.zeros((self.batch, rows.shape[1]), dtype="float32")
            padded[: len(chunk)] = chunk
            self.interpreter.set_tensor(self.input["index"], self._quantize(padded))
            self.interpreter.invoke()
            result = self.interpreter.get_tensor(self.output["index"]).astype("float32")
            if self.output["dtype"] == np.int8:
                scale, zero = self.output["quantization"]
                result = (result - zero) * scale
            out.append(result[: len(chunk), 0])
        return np.concatenate(out)


class OrtBare:
    """The bare network in onnxruntime (one thread), ``predict`` like ``LiteRtPredictor``."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.session = ort.InferenceSession(
            str(path), onnx_export.session_options(1), providers=["CPUExecutionProvider"]
        )
        self.name = self.session.get_inputs()[0].name

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return self.session.run(["probabilities"], {self.name: rows})[0][:, 1]


def ort_int8(folder: Path) -> Path:
    """onnxruntime's dynamic quantization of the bare network, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return compression.quantize(LITERT_DIR / "student_bare.onnx", folder / "student_bare_int8.onnx")


@dataclass
class BareRow:
    variant: str
    runtime: str
    size_kb: float
    p50_ms: float
    rows_per_s: float
    roc_auc: float
    max_diff_vs_sklearn: float


def measure_bare(name: str, runtime: str, one_row, batch_model, student, calls: int) -> BareRow:
    """One row of the table: ``one_row`` predicts single rows, ``batch_model`` 1 000 at a time."""
    probe, proba = student["probe"], student["sklearn_proba"]
    single = benchmarking.summarize(
        benchmarking.time_calls(lambda: one_row.predict(probe[:1]), calls)
    )
    block = probe[:1_000]
    throughput = benchmarking.rows_per_second(lambda: batch_model.predict(block), len(block))
    scores = batch_model.predict(probe)
    return BareRow(
        name,
        runtime,
        batch_model.size_bytes / 1_000,
        single.p50_ms,
        throughput,
        float(roc_auc_score(student["labels"], scores)),
        float(np.abs(scores - proba).max()),
    )


def bare_rows(folder: Path, calls: int = 300) -> list[BareRow]:
    """LiteRT float32 / dynamic int8 / full int8 (alone, and with the dynamic file for the rows
    it would clip) and onnxruntime fp32 / int8, all measured in one run."""
    student = load_student_data()
    rows = []
    for file, name in zip(TFLITE_FILES, ("float32", "dynamic int8", "full int8"), strict=True):
        path = LITERT_DIR / file
        rows.append(
            measure_bare(
                f"LiteRT {name}",
                "litert",
                LiteRtPredictor(path, 1),
                LiteRtPredictor(path, 1_000),
                student,
                calls,
            )
        )

    def guarded(batch: int) -> LiteRtPredictor:
        dynamic = LiteRtPredictor(LITERT_DIR / TFLITE_FILES[1], batch)
        return LiteRtPredictor(LITERT_DIR / TFLITE_FILES[2], batch, fallback=dynamic)

    name = "LiteRT full int8 + dynamic for clipped rows"
    rows.append(measure_bare(name, "litert", guarded(1), guarded(1_000), student, calls))
    for path, name in ((LITERT_DIR / "student_bare.onnx", "fp32"), (ort_int8(folder), "int8")):
        model = OrtBare(path)
        rows.append(
            measure_bare(f"onnxruntime {name}", "onnxruntime", model, model, student, calls)
        )
    return rows


def batch_dependence(model_for_batch, rows: np.ndarray, sizes=(1, 10, 100, 1_000)) -> float:
    """Largest change of a row's score across batch sizes (0 when batches do not interact)."""
    scores = []
    for size in sizes:
        model = model_for_batch(size)
        scores.append(
            np.concatenate([model.predict(rows[i : i + size]) for i in range(0, len(rows), size)])
        )
    return float(np.ptp(np.vstack(scores), axis=0).max())
