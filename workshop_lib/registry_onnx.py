"""Each registered version's own ONNX export, made and checked at registration.

``Registry.register`` calls ``export_beside`` so every version folder holds ``model.onnx`` next
to ``model.skops``, with its sha256 and the measured parity recorded in ``metadata.json``
(under ``"onnx"``), where the registry's integrity check (and its signature) covers it. The
real-time service then serves the export without running the edge chapter first, after
checking again at load time that it agrees with the scikit-learn pipeline
(``parity_on_check_sample``).

A pipeline that cannot be exported is still registered: ``metadata["onnx"]`` then says why,
and the service serves it with scikit-learn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from workshop_lib import data, schema
from workshop_lib.registry_integrity import sha256_of

ONNX_ARTIFACT = "model.onnx"
# Probabilities of the export must match the pipeline's within this on the check sample.
PARITY_LIMIT = 1e-5
CHECK_ROWS = 500
CHECK_SEED = 20_240_601


def check_sample() -> Any:
    """The fixed table on which an export is compared with its pipeline (reference scenario)."""
    return data.make_applications(CHECK_ROWS, seed=CHECK_SEED)[schema.FEATURES]


def parity_on_check_sample(model: Any, predictor: Any) -> float:
    """Largest absolute difference of default probabilities between the two on the sample."""
    frame = check_sample()
    expected = model.predict_proba(frame)[:, 1]
    actual = predictor.predict_proba(frame)[:, 1]
    return float(np.max(np.abs(expected - actual)))


def export_beside(model: Any, folder: Path) -> dict[str, Any]:
    """Write ``folder/model.onnx`` and return the ``"onnx"`` metadata entry.

    ``{"artifact", "sha256", "size_bytes", "parity_max_abs_diff"}`` when the export is written,
    ``{"error": why}`` when the pipeline cannot be exported or disagrees with its export.
    """
    from workshop_lib.edge import onnx_export  # onnx and skl2onnx load only when a model registers

    try:
        graph = onnx_export.to_onnx(model)
        predictor = onnx_export.OnnxPredictor(graph)
        difference = parity_on_check_sample(model, predictor)
    except (TypeError, ValueError, RuntimeError, KeyError, AttributeError) as error:
        return {"error": f"not exportable to ONNX: {type(error).__name__}: {error}"}
    if not difference <= PARITY_LIMIT:
        return {"error": f"ONNX export differs by {difference:.2e} (> {PARITY_LIMIT:g})"}
    path = onnx_export.save(graph, folder / ONNX_ARTIFACT)
    return {
        "artifact": ONNX_ARTIFACT,
        "sha256": sha256_of(path),
        "size_bytes": path.stat().st_size,
        "parity_max_abs_diff": difference,
    }
