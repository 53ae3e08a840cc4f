"""The model service's core, without HTTP: settings, loading, scoring, reasons and reloading.

``apps/api.py`` wires this to FastAPI; keeping the logic here lets the notebooks time each part
(validation, model, HTTP) separately and lets the tests call it directly.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from workshop_lib import data, prediction_log, schema
from workshop_lib.registry import PRODUCTION, LoadedModel, Registry
from workshop_lib.schema import LoanApplication
from workshop_lib.scoring import score_batch

MAX_BATCH_ROWS = 1_000  # rows per POST /predict/batch; more is answered 422
MAX_BODY_BYTES = 1_000_000  # a request body above this is answered 413 before it is parsed
REASONS_SHOWN = 3

Backend = Literal["sklearn", "onnx"]
BACKENDS: tuple[str, ...] = ("sklearn", "onnx")


# --- settings --------------------------------------------------------------------------------
def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "1" if default else "0").strip().lower()
    if raw not in {"0", "1", "true", "false", "yes", "no", "on", "off"}:
        raise ValueError(f"environment variable {name}={raw!r}: use 1 or 0")
    return raw in {"1", "true", "yes", "on"}


def _number(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = environ.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from None
    if value < minimum:
        raise ValueError(f"environment variable {name}={raw!r} must be at least {minimum:g}")
    return value


@dataclass(frozen=True)
class ServiceSettings:
    """How the service runs; every field comes from an environment variable."""

    registry_root: Path | None = None  # MODEL_REGISTRY (default: the workbook's models/)
    backend: Backend = "sklearn"  # MODEL_BACKEND=sklearn|onnx
    microbatch: bool = False  # MICROBATCH=1|0
    microbatch_max_size: int = 32  # MICROBATCH_MAX_SIZE
    microbatch_wait_ms: float = 2.0  # MICROBATCH_WAIT_MS
    log_path: Path | None = None  # PREDICTION_LOG (default: runtime/logs/predictions.jsonl)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        env = os.environ if environ is None else environ
        backend = env.get("MODEL_BACKEND", "sklearn").strip().lower()
        if backend not in BACKENDS:
            raise ValueError(f"environment variable MODEL_BACKEND={backend!r}: use {BACKENDS}")
        registry = env.get("MODEL_REGISTRY")
        return cls(
            registry_root=Path(registry) if registry else None,
            backend=backend,  # type: ignore[arg-type]
            microbatch=_flag(env, "MICROBATCH", False),
            microbatch_max_size=int(_number(env, "MICROBATCH_MAX_SIZE", 32, minimum=1)),
            microbatch_wait_ms=_number(env, "MICROBATCH_WAIT_MS", 2.0, minimum=0),
            log_path=Path(env.get(prediction_log.LOG_ENV_VAR, prediction_log.DEFAULT_LOG)),
        )


# --- loading ---------------------------------------------------------------------------------
def with_onnx_backend(loaded: LoadedModel) -> LoadedModel:
    """The same model converted to ONNX and run by onnxruntime (faster for single rows)."""
    from workshop_lib.onnx_export import OnnxPredictor, to_onnx

    return LoadedModel(OnnxPredictor(to_onnx(loaded.model)), loaded.metadata)


def load_model(settings: ServiceSettings) -> LoadedModel:
    """The production model from the registry, on the backend the settings ask for."""
    loaded = Registry(settings.registry_root).load(PRODUCTION)
    return with_onnx_backend(loaded) if settings.backend == "onnx" else loaded


# --- scoring ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    """One row's result and the model version that produced it."""

    probability: float
    decision: str
    model_version: str
    threshold: float


def rows_to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Validated applications (plain dicts) as a table with the schema's feature columns."""
    return pd.DataFrame.from_records(rows, columns=schema.FEATURES)


class ModelService:
    """Holds the serving model; scores rows; swaps in a new version without a pause."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.loaded = load_model(settings)
        self._reload_lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.loaded.version

    def predict_rows(self, rows: list[dict[str, Any]]) -> list[Prediction]:
        """Score validated rows in one model call."""
        loaded = self.loaded  # one model for the whole call, even if a reload happens meanwhile
        scores = score_batch(loaded, rows_to_frame(rows))
        return [
            Prediction(float(p), str(d), loaded.version, loaded.threshold)
            for p, d in zip(scores["probability"], scores["decision"], strict=True)
        ]

    def reload(self) -> tuple[str, str]:
        """Load the current production version, then swap it in; return (previous, new).

        Requests keep using the old model while the new one loads; the swap is one assignment,
        so no request is dropped or sees a half-loaded model.
        """
        with self._reload_lock:
            previous = self.loaded.version
            self.loaded = load_model(self.settings)
            return previous, self.loaded.version

    def describe(self) -> dict[str, Any]:
        """The serving model's metadata plus how it is served."""
        return {**self.loaded.metadata, "backend": self.settings.backend}


# --- reasons ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def typical_applicant() -> dict[str, Any]:
    """A typical reference-period application: median numbers and most common categories."""
    frame = data.make_applications(5_000, seed=0)
    typical: dict[str, Any] = {}
    for feature in schema.NUMERIC:
        median = float(frame[feature.name].median())
        typical[feature.name] = round(median) if feature.integer else median
    for name in schema.CATEGORICAL_FEATURES:
        typical[name] = str(frame[name].mode().iloc[0])
    return typical


def top_reasons(
    loaded: LoadedModel, record: dict[str, Any], count: int = REASONS_SHOWN
) -> list[dict[str, Any]]:
    """The features that move this applicant's risk most, compared with a typical applicant.

    For each feature the applicant's value is replaced by the typical one and the model is asked
    again (all in one batch call); ``effect`` is how much the applicant's own value adds to the
    default probability (negative: it lowers the risk).
    """
    typical = typical_applicant()
    changed = [name for name in schema.FEATURES if record[name] != typical[name]]
    rows = [record] + [{**record, name: typical[name]} for name in changed]
    probability = score_batch(loaded, rows_to_frame(rows))["probability"].to_numpy()
    effects = [
        {
            "feature": name,
            "value": record[name],
            "typical": typical[name],
            "effect": round(float(probability[0] - probability[i + 1]), 4),
        }
        for i, name in enumerate(changed)
    ]
    return sorted(effects, key=lambda e: abs(e["effect"]), reverse=True)[:count]


# --- request and response bodies (the API's OpenAPI schema) ----------------------------------
class Reason(BaseModel):
    feature: str
    value: Any
    typical: Any
    effect: float = Field(description="Change in default probability due to this value.")


class PredictionResponse(BaseModel):
    request_id: str
    model_version: str
    probability: float = Field(ge=0, le=1, description="Predicted probability of default.")
    decision: Literal["approve", "decline"]
    threshold: float = Field(description="Applications at or above this are declined.")
    reasons: list[Reason] | None = None


_EXAMPLE = schema.EXAMPLE_APPLICATION


class BatchRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"applications": [_EXAMPLE]}]})

    applications: list[LoanApplication] = Field(min_length=1, max_length=MAX_BATCH_ROWS)


class RowPrediction(BaseModel):
    probability: float
    decision: Literal["approve", "decline"]


class BatchResponse(BaseModel):
    request_id: str
    model_version: str
    threshold: float
    count: int
    predictions: list[RowPrediction]


def source_section(path: Path | str, title: str) -> str:
    """The lines of a source file under a ``# --- title ---`` marker, up to the next marker.

    The notebooks read the apps section by section with it.
    """
    lines = Path(path).read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.lstrip().startswith("# --- ")]
    for index, start in enumerate(starts):
        if lines[start].lstrip().removeprefix("# --- ").startswith(title):
            end = starts[index + 1] if index + 1 < len(starts) else len(lines)
            return "\n".join(lines[start:end]).rstrip()
    found = [lines[i].strip() for i in starts]
    raise KeyError(f"no section {title!r} in {path}; sections: {found}")
