"""The model service's core, without HTTP: settings, loading, scoring, reasons and reloading.

``apps/api.py`` wires this to FastAPI; keeping the logic here lets the notebooks time each part
(validation, model, HTTP) separately and lets the tests call it directly.

Fast by default: the service scores with the version's own ONNX export (see
``workshop_lib.registry_onnx``) when it agrees with the scikit-learn pipeline on a check sample
at load time, and with scikit-learn otherwise; ``ServingModel.backend_reason`` says which and why.
Scoring takes plain validated rows (dicts): the ONNX path builds its input arrays straight from
them, with no DataFrame per request or per batch.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from workshop_lib import data, prediction_log, registry_onnx, schema
from workshop_lib.registry import PRODUCTION, LoadedModel, Registry, RegistryError
from workshop_lib.scoring import APPROVE, DECLINE

MAX_BATCH_ROWS = 1_000  # rows per POST /predict/batch; more is answered 422
MAX_BODY_BYTES = 1_000_000  # a request body above this is answered 413 before it is parsed
REASONS_SHOWN = 3
ADMIN_TOKEN_ENV_VAR = "ADMIN_TOKEN"

Backend = Literal["sklearn", "onnx"]
BACKENDS: tuple[str, ...] = ("sklearn", "onnx")
# MODEL_BACKEND: "auto" serves ONNX when its export is verified, else scikit-learn.
BackendChoice = Literal["auto", "sklearn", "onnx"]
BACKEND_CHOICES: tuple[str, ...] = ("auto", "sklearn", "onnx")

log = logging.getLogger("workshop_lib.realtime.serving")


# --- settings --------------------------------------------------------------------------------
def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "1" if default else "0").strip().lower()
    if raw not in {"0", "1", "true", "false", "yes", "no", "on", "off"}:
        raise ValueError(f"environment variable {name}={raw!r}: use 1 or 0")
    return raw in {"1", "true", "yes", "on"}


def env_number(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    """The number in ``environ[name]`` (``default`` if unset), at least ``minimum``."""
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
    model: str = PRODUCTION  # MODEL_VERSION: a stage or a version (a canary pins its version)
    backend: BackendChoice = "auto"  # MODEL_BACKEND=auto|sklearn|onnx (sklearn: ONNX off)
    microbatch: bool = True  # MICROBATCH=1|0 (0: micro-batching off)
    microbatch_max_size: int = 32  # MICROBATCH_MAX_SIZE
    microbatch_wait_ms: float = 2.0  # MICROBATCH_WAIT_MS
    log_path: Path | None = None  # PREDICTION_LOG (default: runtime/logs/predictions.jsonl)
    admin_token: str | None = None  # ADMIN_TOKEN (unset or empty: /admin/* is off)
    body_timeout_s: float = 10.0  # BODY_TIMEOUT_S: a body not received by then is answered 408
    max_in_flight: int = 512  # MAX_IN_FLIGHT: more scoring requests at once are answered 503

    def __repr__(self) -> str:
        """The settings with the admin token redacted: a repr ends up in logs and tracebacks."""
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.admin_token is not None:
            shown["admin_token"] = "<redacted>"
        return f"ServiceSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        env = os.environ if environ is None else environ
        backend = env.get("MODEL_BACKEND", "auto").strip().lower()
        if backend not in BACKEND_CHOICES:
            raise ValueError(
                f"environment variable MODEL_BACKEND={backend!r}: use {BACKEND_CHOICES}"
            )
        registry = env.get("MODEL_REGISTRY")
        return cls(
            registry_root=Path(registry) if registry else None,
            model=env.get("MODEL_VERSION", "").strip() or PRODUCTION,
            backend=backend,  # type: ignore[arg-type]
            microbatch=_flag(env, "MICROBATCH", True),
            microbatch_max_size=int(env_number(env, "MICROBATCH_MAX_SIZE", 32, minimum=1)),
            microbatch_wait_ms=env_number(env, "MICROBATCH_WAIT_MS", 2.0, minimum=0),
            log_path=Path(env.get(prediction_log.LOG_ENV_VAR, prediction_log.DEFAULT_LOG)),
            admin_token=env.get(ADMIN_TOKEN_ENV_VAR, "").strip() or None,
            body_timeout_s=env_number(env, "BODY_TIMEOUT_S", 10.0, minimum=0.1),
            max_in_flight=int(env_number(env, "MAX_IN_FLIGHT", 512, minimum=1)),
        )


# --- loading ---------------------------------------------------------------------------------
Scorer = Callable[[list[dict[str, Any]]], np.ndarray]


class OnnxRowScorer:
    """Default probabilities from an ONNX export, fed straight from validated rows."""

    def __init__(self, model: bytes):
        from workshop_lib.edge.onnx_export import PROBABILITIES, OnnxPredictor

        self.predictor = OnnxPredictor(model)
        self._inputs = list(self.predictor.inputs.items())  # (name, numpy dtype), once
        self._outputs = [PROBABILITIES]

    def __call__(self, rows: list[dict[str, Any]]) -> np.ndarray:
        feeds = {
            name: np.array([row[name] for row in rows], dtype=dtype).reshape(-1, 1)
            for name, dtype in self._inputs
        }
        (probabilities,) = self.predictor.session.run(self._outputs, feeds)
        return probabilities[:, 1]


def sklearn_scorer(pipeline: Any) -> Scorer:
    """Default probabilities from the scikit-learn pipeline (which needs a DataFrame)."""

    def score(rows: list[dict[str, Any]]) -> np.ndarray:
        frame = pd.DataFrame.from_records(rows, columns=schema.FEATURES)
        return pipeline.predict_proba(frame)[:, 1]

    return score


@dataclass(frozen=True)
class ServingModel:
    """The production version as served: its metadata, backend (and why), and scorer."""

    loaded: LoadedModel
    backend: Backend
    backend_reason: str
    score: Scorer

    @property
    def version(self) -> str:
        return self.loaded.version

    @property
    def threshold(self) -> float:
        return self.loaded.threshold

    @property
    def call_in_thread(self) -> bool:
        """Whether a model call is slow enough to hand to a worker thread: scikit-learn's take
        milliseconds; ONNX's (about 0.1 ms for 32 rows) cost less than the hand-off itself."""
        return self.backend != "onnx"


def checked_threshold(loaded: LoadedModel) -> float:
    """The version's decision threshold if it is a probability; else a ``RegistryError``."""
    raw = loaded.metadata.get("threshold")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RegistryError(f"model {loaded.version}: threshold {raw!r} is not a number") from None
    if not (math.isfinite(value) and 0 < value <= 1) or isinstance(raw, bool):
        raise RegistryError(f"model {loaded.version}: threshold {raw!r} is not within (0, 1]")
    return value


def _onnx_or_reason(loaded: LoadedModel) -> tuple[Scorer | None, str]:
    """The ONNX scorer and why it serves, or None and why it does not.

    ``loaded.onnx`` was verified with the model by ``Registry.load``: a tampered export refused
    the whole version there, it never falls back to scikit-learn here.
    """
    if loaded.onnx is None:
        export = loaded.metadata.get("onnx") or {}
        reason = export.get("error", "it was registered without one")
        return None, f"model {loaded.version} has no ONNX export: {reason}"
    scorer = OnnxRowScorer(loaded.onnx)
    difference = registry_onnx.parity_on_check_sample(loaded.model, scorer.predictor)
    if not difference <= registry_onnx.PARITY_LIMIT:
        return None, (
            f"the ONNX export differs from scikit-learn by {difference:.1e} on the check sample "
            f"(limit {registry_onnx.PARITY_LIMIT:g})"
        )
    return scorer, (
        f"ONNX export verified at load: max difference {difference:.1e} from scikit-learn on "
        f"{registry_onnx.CHECK_ROWS} check rows (limit {registry_onnx.PARITY_LIMIT:g})"
    )


def load_serving_model(settings: ServiceSettings) -> ServingModel:
    """The settings' model (production by default), on the fastest backend that is correct."""
    loaded = Registry(settings.registry_root).load(settings.model)
    checked_threshold(loaded)
    if settings.backend == "sklearn":
        return ServingModel(
            loaded, "sklearn", "MODEL_BACKEND=sklearn", sklearn_scorer(loaded.model)
        )
    scorer, reason = _onnx_or_reason(loaded)
    if scorer is not None:
        log.info("model %s: serving with ONNX (%s)", loaded.version, reason)
        return ServingModel(loaded, "onnx", reason, scorer)
    if settings.backend == "onnx":
        raise RegistryError(f"MODEL_BACKEND=onnx, but {reason}")
    log.warning("model %s: serving with scikit-learn because %s", loaded.version, reason)
    return ServingModel(loaded, "sklearn", reason, sklearn_scorer(loaded.model))


def with_onnx_backend(loaded: LoadedModel) -> LoadedModel:
    """The same model converted to ONNX and run by onnxruntime (the stream worker's backend)."""
    from workshop_lib.edge.onnx_export import OnnxPredictor, to_onnx

    return LoadedModel(OnnxPredictor(to_onnx(loaded.model)), loaded.metadata)


# --- scoring ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    """One row's result and the model version that produced it."""

    probability: float
    decision: str
    model_version: str
    threshold: float


class ModelService:
    """Holds the serving model; scores rows; swaps in a new version without a pause."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.model = load_serving_model(settings)
        self._reload_lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.model.version

    def predict_rows(self, rows: list[dict[str, Any]]) -> list[Prediction]:
        """Score validated rows in one model call."""
        model = self.model  # one model for the whole call, even if a reload happens meanwhile
        version, threshold = model.version, model.threshold
        return [
            Prediction(p, DECLINE if p >= threshold else APPROVE, version, threshold)
            for p in model.score(rows).tolist()
        ]

    def reload(self) -> tuple[str, str]:
        """Load the settings' model again (production unless pinned), swap it in: (previous, new).

        Requests keep using the old model while the new one loads; the swap is one assignment,
        so no request is dropped or sees a half-loaded model. If loading fails (a corrupted
        artifact, a bad threshold), the old model keeps serving and the error is raised.
        """
        with self._reload_lock:
            previous = self.model.version
            self.model = load_serving_model(self.settings)
            return previous, self.model.version

    def describe(self) -> dict[str, Any]:
        """The serving model's metadata plus how it is served (backend and why)."""
        return {
            **self.model.loaded.metadata,
            "backend": self.model.backend,
            "backend_reason": self.model.backend_reason,
        }


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
    model: ServingModel, record: dict[str, Any], count: int = REASONS_SHOWN
) -> list[dict[str, Any]]:
    """The features that move this applicant's risk most, compared with a typical applicant.

    For each feature the applicant's value is replaced by the typical one and the model is asked
    again (all in one batch call); ``effect`` is how much the applicant's own value adds to the
    default probability (negative: it lowers the risk).
    """
    typical = typical_applicant()
    changed = [name for name in schema.FEATURES if record[name] != typical[name]]
    rows = [record] + [{**record, name: typical[name]} for name in changed]
    probability = model.score(rows)
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
