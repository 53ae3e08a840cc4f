"""Exercises of 06_edge_deployment: pick the variant to ship, predict what int8 saves."""

from __future__ import annotations

import random
from collections.abc import Callable

import pandas as pd

from workshop_lib.edge import compression
from workshop_lib.exercises.core import (
    Exercise,
    as_number,
    call_answer,
    needs_function,
    register,
)

_NAMES = ["teacher", "pipeline", "onnx", "onnx small", "student", "student int8", "tiny", "pruned"]
Pick = Callable[[pd.DataFrame, float, float], str | None]


# -- 06.1 · the variant to ship: small, accurate enough, fast enough ----------------------------
def _variant_tables(seed: int) -> list[tuple[pd.DataFrame, float, float]]:
    """Variant tables (first row the teacher) with the ROC AUC drop and p50 limit to meet.

    Each table's smallest file loses too much ROC AUC, and in the first two the smallest
    accurate one is too slow; in the first a student beats the teacher; in the second the
    variant to ship runs exactly at the latency limit ("at most" includes it); in the third its
    ROC AUC is exactly ``auc_drop`` below the teacher's (binary fractions, so exact); in the fourth
    no variant meets both limits; in the last only the teacher does.
    """
    rng = random.Random(seed)
    cases = []
    for index in range(5):
        names = rng.sample(_NAMES[1:], 5)
        teacher_auc, auc_drop = rng.uniform(0.72, 0.88), rng.choice([0.005, 0.01, 0.02])
        if index == 2:  # binary fractions: "exactly auc_drop below" is exact however computed
            teacher_auc, auc_drop = rng.choice([0.75, 0.78125, 0.8125, 0.84375]), 0.015625
        max_ms = rng.choice([0.5, 1.0, 2.0])
        sizes = rng.sample(range(20, 3_000), 6)
        rows: list[dict[str, float | str]] = [
            {"variant": "teacher", "size_kb": max(sizes) + 500.0, "roc_auc": teacher_auc}
        ]
        for name, size in zip(names, sorted(sizes)[:5], strict=True):
            rows.append({"variant": name, "size_kb": float(size), "roc_auc": teacher_auc})
        rows[1]["roc_auc"] = teacher_auc - auc_drop * rng.uniform(1.3, 3)  # smallest: too weak
        for row in rows[2:]:
            row["roc_auc"] = teacher_auc + auc_drop * rng.uniform(-0.8, 0.6)
        for row in rows:
            row["p50_ms"] = max_ms * rng.uniform(0.1, 0.9)
        if index < 2:
            rows[2]["p50_ms"] = max_ms * rng.uniform(1.2, 3)  # smallest accurate: too slow
        if index == 0:  # a student beats the teacher: the limit is from the teacher's AUC
            rows[3]["roc_auc"] = teacher_auc - 0.5 * auc_drop
            rows[4]["roc_auc"] = teacher_auc + 0.6 * auc_drop
        if index == 1:  # the next smallest accurate one runs exactly at the limit
            rows[3]["roc_auc"] = teacher_auc - 0.5 * auc_drop
            rows[3]["p50_ms"] = max_ms
        if index == 2:  # the variant to ship is exactly auc_drop below the teacher
            rows[2]["roc_auc"] = teacher_auc - auc_drop
        if index == 3:
            for row in rows:
                row["p50_ms"] = max_ms * rng.uniform(1.1, 3)
        if index == 4:  # every smaller variant is too weak or too slow
            for number, row in enumerate(rows[1:]):
                if number % 2:
                    row["roc_auc"] = teacher_auc - auc_drop * rng.uniform(1.3, 3)
                else:
                    row["p50_ms"] = max_ms * rng.uniform(1.1, 3)
        others = rows[1:]
        rng.shuffle(others)  # the order says nothing; the teacher stays first
        rows = [rows[0], *others]
        cases.append((compression.variants_table(rows), auc_drop, max_ms))
    return cases


def _pick(table: pd.DataFrame, auc_drop: float, max_ms: float) -> str | None:
    teacher_auc = table["roc_auc"].iloc[0]
    good = table[(table["roc_auc"] >= teacher_auc - auc_drop) & (table["p50_ms"] <= max_ms)]
    return str(good["size_kb"].idxmin()) if len(good) else None


def _check_pick(answer: Pick, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "variant_to_ship(table, auc_drop, max_ms)")) is not None:
        return False, problem
    for table, auc_drop, max_ms in _variant_tables(seed):
        expected = _pick(table, auc_drop, max_ms)
        where = f"on a hidden table of {len(table)} variants (auc_drop {auc_drop}, max_ms {max_ms})"
        got = call_answer(answer, where, table.copy(), auc_drop, max_ms)
        if got == expected:
            continue
        if got is None:
            return False, f"{where} your function says None, but a variant meets both limits"
        if got not in table.index:
            return False, f"{where} your function says {got!r}, not a variant of the table"
        row, teacher_auc = table.loc[got], float(table["roc_auc"].iloc[0])
        if row["roc_auc"] < teacher_auc - auc_drop:
            return False, (
                f"{where} your function picks {got!r}, whose ROC AUC is "
                f"{teacher_auc - row['roc_auc']:.4f} below the teacher's (the first row)"
            )
        if row["p50_ms"] > max_ms:
            return (
                False,
                f"{where} your function picks {got!r}, whose p50 is {row['p50_ms']:.2f} ms",
            )
        if expected is None:
            return False, f"{where} your function picks {got!r}, but no variant meets both limits"
        if table.loc[expected, "roc_auc"] == table["roc_auc"].iloc[0] - auc_drop:
            return False, (
                f"{where} your function picks {got!r}, but {expected!r} is smaller and its ROC "
                f"AUC is exactly {auc_drop} below the teacher's: 'at most auc_drop below' "
                "includes the limit"
            )
        if table.loc[expected, "p50_ms"] == max_ms:
            return False, (
                f"{where} your function picks {got!r}, but {expected!r} is smaller and its p50 "
                f"is exactly {max_ms} ms: 'at most max_ms' includes the limit"
            )
        return False, f"{where} your function picks {got!r}: it qualifies, but another is smaller"
    return True, "the smallest file within the ROC AUC drop and the latency limit, or None"


def _pick_solution() -> Pick:
    def variant_to_ship(table, auc_drop, max_ms):
        teacher_auc = table["roc_auc"].iloc[0]  # the first row is the teacher
        good = table[(table["roc_auc"] >= teacher_auc - auc_drop) & (table["p50_ms"] <= max_ms)]
        return good["size_kb"].idxmin() if len(good) else None

    return variant_to_ship


register(
    Exercise(
        id="06.1",
        prompt=(
            "Write variant_to_ship(table, auc_drop, max_ms): of the variants in `table` (shaped "
            "like this notebook's), return the name (index) of the smallest file whose ROC AUC is "
            "at most `auc_drop` below the teacher's (the first row) and whose p50_ms is at most "
            "`max_ms`; None when no variant meets both."
        ),
        hint=(
            "keep the rows that meet both limits (pandas boolean indexing with &), then take "
            "the one with the smallest size_kb (idxmin); check for an empty selection first"
        ),
        checker=_check_pick,
        solution=_pick_solution,
        wrong_answer=lambda: (
            lambda table, auc_drop, max_ms: compression.smallest_within(table, auc_drop)
        ),
    )
)


# -- 06.2 · predict the int8 ratio ----------------------------------------------------------
# Measured in the notebook (compression.weight_bytes of each fp32 file, plus the file's size) and
# the fp32/int8 size ratios that onnxruntime's dynamic quantization gave.
_MEASURED = {
    "trees (production pipeline)": (
        {
            "file_bytes": 339_320,
            "matmul_weights": 0,
            "int8_weights": 0,
            "other_initializers": 193,
            "operator_attributes": 337_054,
        },
        0.9998,
    ),
    "logistic regression": (
        {
            "file_bytes": 2_907,
            "matmul_weights": 0,
            "int8_weights": 0,
            "other_initializers": 193,
            "operator_attributes": 699,
        },
        1.0,
    ),
    "distilled student": (
        {
            "file_bytes": 228_871,
            "matmul_weights": 222_059,
            "int8_weights": 0,
            "other_initializers": 2_183,
            "operator_attributes": 385,
        },
        3.512,
    ),
}
RATIO_TOLERANCE = 0.10


def _synthetic_models(seed: int) -> list[tuple[str, dict, float]]:
    """Networks whose MatMul weights are a quarter to nearly all of the file (the rest: biases,
    weights already int8, graph); the expected ratio converts 4-byte weights to 1 byte."""
    rng = random.Random(seed)
    models = []
    for share in (rng.uniform(0.2, 0.4), rng.uniform(0.5, 0.7), rng.uniform(0.85, 0.97)):
        file_bytes = rng.randint(20_000, 5_000_000)
        matmul = int(file_bytes * share)
        rest = file_bytes - matmul
        sizes = {
            "file_bytes": file_bytes,
            "matmul_weights": matmul,
            "int8_weights": int(rest * rng.uniform(0, 0.5)),
            "other_initializers": int(rest * rng.uniform(0.1, 0.3)),
            "operator_attributes": int(rest * 0.05),
        }
        what = f"a network of {file_bytes:,} bytes, {share:.0%} of them MatMul weights"
        models.append((what, sizes, file_bytes / (file_bytes - 0.75 * matmul)))
    return models


def _check_ratio(answer: Callable[[dict], float], seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "predict_int8_ratio(model_sizes)")) is not None:
        return False, problem
    cases = [(f"the {name}", sizes, ratio) for name, (sizes, ratio) in _MEASURED.items()]
    for what, model_sizes, expected in cases + _synthetic_models(seed):
        predicted = as_number(answer(dict(model_sizes)), what)
        if abs(predicted - expected) > RATIO_TOLERANCE * expected:
            direction = "too much" if predicted > expected else "too little"
            return False, (
                f"for {what} you predict the int8 file {predicted:.2f}x smaller: {direction} "
                f"shrinking (more than {RATIO_TOLERANCE:.0%} off)"
            )
    return True, (
        "within 10% on the three measured models and three hidden networks: int8 shrinks "
        "MatMul/Gemm weights about 4x and leaves everything else as it was"
    )


def _ratio_solution() -> Callable[[dict], float]:
    def predict_int8_ratio(model_sizes):
        # Only the float32 weights of MatMul/Gemm nodes become int8: 4 bytes -> 1 byte each.
        saved = 0.75 * model_sizes["matmul_weights"]
        return model_sizes["file_bytes"] / (model_sizes["file_bytes"] - saved)

    return predict_int8_ratio


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
        wrong_answer=lambda: lambda model_sizes: 3.5 if model_sizes["matmul_weights"] else 1.0,
    )
)
