"""Exercises of 06_edge_deployment: pick the variant to ship, predict what int8 saves."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from workshop_lib.edge import compression
from workshop_lib.exercises.core import Exercise, register

AUC_DROP = 0.01


def _example_table() -> dict:
    """A variants table shaped like the notebook's: the smallest variant loses too much."""
    rows: list[dict[str, float | str]] = [
        {"variant": "sklearn teacher", "size_kb": 2_668.0, "roc_auc": 0.800},
        {"variant": "sklearn pipeline", "size_kb": 1_439.0, "roc_auc": 0.803},
        {"variant": "ONNX fp32", "size_kb": 339.0, "roc_auc": 0.803},
        {"variant": "ONNX, 10 trees", "size_kb": 25.0, "roc_auc": 0.788},
        {"variant": "distilled student", "size_kb": 229.0, "roc_auc": 0.805},
        {"variant": "student int8", "size_kb": 65.0, "roc_auc": 0.805},
    ]
    return {"table": compression.variants_table(rows)}


def _smallest_solution(table: pd.DataFrame) -> str:
    return compression.smallest_within(table, auc_drop=0.01)


def _check_smallest(answer: str, table: pd.DataFrame) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, f"answer with a variant's name (a str), not a {type(answer).__name__}"
    if answer not in table.index:
        return False, f"{answer!r} is not a variant of the table: {list(table.index)}"
    teacher_auc = float(table["roc_auc"].iloc[0])
    drop = teacher_auc - float(table.loc[answer, "roc_auc"])
    if drop > AUC_DROP:
        return False, (
            f"{answer!r} is small ({table.loc[answer, 'size_kb']:.0f} kB) but its ROC AUC is "
            f"{drop:.4f} below the teacher's, more than {AUC_DROP}"
        )
    good = table[table["roc_auc"] >= teacher_auc - AUC_DROP]
    if table.loc[answer, "size_kb"] > good["size_kb"].min():
        return False, (
            f"{answer!r} keeps the ROC AUC, but another variant that also keeps it is smaller"
        )
    size_kb, teacher_kb = table.loc[answer, "size_kb"], table["size_kb"].iloc[0]
    return True, (
        f"{answer!r}: {size_kb:.0f} kB, {teacher_kb / size_kb:.0f}x smaller than the teacher, "
        f"ROC AUC {table.loc[answer, 'roc_auc']:.4f} (teacher {teacher_auc:.4f})"
    )


register(
    Exercise(
        id="06.1",
        prompt=(
            "Which variant of `table` is the smallest file whose ROC AUC is at most 0.01 below "
            "the teacher's (the first row)? Answer with its name (the table's index)."
        ),
        hint=(
            "first keep the rows with roc_auc >= teacher's roc_auc - 0.01, then take the one "
            "with the smallest size_kb (pandas: boolean indexing, then idxmin)"
        ),
        checker=_check_smallest,
        solution=_smallest_solution,
        example_context=_example_table,
        wrong_answer=lambda table: str(table["size_kb"].idxmin()),
    )
)


# Measured in the notebook (compression.weight_bytes of each fp32 file, plus the file's size) and
# the fp32/int8 size ratios that onnxruntime's dynamic quantization gave.
_EXAMPLE_SIZES = {
    "trees (production pipeline)": {
        "file_bytes": 339_320,
        "matmul_weights": 0,
        "int8_weights": 0,
        "other_initializers": 193,
        "operator_attributes": 337_054,
    },
    "logistic regression": {
        "file_bytes": 2_907,
        "matmul_weights": 0,
        "int8_weights": 0,
        "other_initializers": 193,
        "operator_attributes": 699,
    },
    "distilled student": {
        "file_bytes": 228_871,
        "matmul_weights": 222_059,
        "int8_weights": 0,
        "other_initializers": 2_183,
        "operator_attributes": 385,
    },
}
_EXAMPLE_RATIOS = {
    "trees (production pipeline)": 0.9998,
    "logistic regression": 1.0,
    "distilled student": 3.512,
}
RATIO_TOLERANCE = 0.10


def _ratio_context() -> dict:
    return {"sizes": _EXAMPLE_SIZES, "measured_ratio": _EXAMPLE_RATIOS}


def _ratio_solution(sizes: dict, measured_ratio: dict) -> Callable[[dict], float]:
    def predict_int8_ratio(model_sizes: dict) -> float:
        # Only the float32 weights of MatMul/Gemm nodes become int8: 4 bytes -> 1 byte each.
        saved = 0.75 * model_sizes["matmul_weights"]
        return model_sizes["file_bytes"] / (model_sizes["file_bytes"] - saved)

    return predict_int8_ratio


def _check_ratio(
    answer: Callable[[dict], float], sizes: dict, measured_ratio: dict
) -> tuple[bool, str]:
    if not callable(answer):
        return False, f"answer with a function of one model's sizes, not a {type(answer).__name__}"
    for name, model_sizes in sizes.items():
        predicted = float(answer(dict(model_sizes)))
        measured = float(measured_ratio[name])
        if abs(predicted - measured) > RATIO_TOLERANCE * measured:
            direction = "too much" if predicted > measured else "too little"
            return False, (
                f"for the {name} you predict the int8 file {predicted:.2f}x smaller: "
                f"{direction} shrinking (more than {RATIO_TOLERANCE:.0%} off the measured ratio)"
            )
    return True, (
        "your predictions are within 10% of every measured ratio: int8 shrinks MatMul/Gemm "
        "weights about 4x and leaves everything else as it was"
    )


register(
    Exercise(
        id="06.2",
        prompt=(
            "Write predict_int8_ratio(model_sizes) -> float: from one model's fp32 sizes (a dict "
            "with file_bytes and the keys of compression.weight_bytes), predict how many times "
            "smaller its file gets with dynamic int8 quantization, before running it."
        ),
        hint=(
            "which of weight_bytes' parts does quantize_dynamic convert, and how many bytes does "
            "a float32 weight take compared with an int8 one? The rest of file_bytes stays."
        ),
        checker=_check_ratio,
        solution=_ratio_solution,
        example_context=_ratio_context,
        wrong_answer=lambda sizes, measured_ratio: lambda model_sizes: 4.0,
    )
)
