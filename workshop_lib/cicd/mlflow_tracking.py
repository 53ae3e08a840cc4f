"""MLflow beside the workbook's registry: every training run tracked, every version mirrored.

The workbook's registry (``workshop_lib.registry``) stays the source of truth: it checks each
artifact's sha256 and refuses untrusted types before anything serves. MLflow is the view most
teams use to browse and compare runs, so the CI/CD pipeline also writes there:

- ``log_training_run``: one MLflow run per trained candidate (parameters, holdout metrics, the
  training data's fingerprint as a tag, every data check and gate outcome, and the model itself);
- ``mirror_registry``: each registered semantic version becomes an MLflow model version (tag
  ``semver``), and the registry's ``production`` stage becomes the MLflow alias ``production``,
  moved on every promotion and rollback;
- ``compare_with_registry``: what differs between the two (empty when they agree).

The tracking store is a SQLite file under ``runtime/mlflow/`` and artifacts sit beside it, never
in ``./mlruns`` of whatever folder a notebook runs in. MLflow is imported on first use (about
5 s), so importing this module is cheap.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workshop_lib import paths, schema
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.registry import PRODUCTION, TRUSTED_TYPES, Registry, library_versions

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from workshop_lib.training import TrainingResult

# Two warnings that do not apply here: the schema forbids missing values, so MLflow's hint about
# integer columns that could hold them is moot; and MLflow's progress bars need ipywidgets only
# to draw themselves in a notebook.
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")
warnings.filterwarnings("ignore", message="IProgress not found")

EXPERIMENT = "loan-default-pipeline"
MODEL_NAME = "loan-default"
ALIAS = PRODUCTION
SEMVER_TAG = "semver"
MODEL_URI_TAG = "model_uri"  # MLflow 3 keeps logged models apart from run artifacts
DEFAULT_ROOT = paths.RUNTIME_DIR / "mlflow"
# The environment MLflow records with a model (inferring it imports everything: slow, and wrong).
PIP_PACKAGES: tuple[str, ...] = ("scikit-learn", "skops", "pandas", "numpy", "scipy")
# Our telemetry setting wins over nothing: set before mlflow is first imported.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@dataclass(frozen=True)
class Tracking:
    """Where the MLflow tracking store lives: ``root/mlflow.db`` and ``root/artifacts/``."""

    root: Path = DEFAULT_ROOT
    experiment: str = EXPERIMENT
    model_name: str = MODEL_NAME

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.root.resolve() / 'mlflow.db'}"

    @property
    def artifact_location(self) -> str:
        return (self.root.resolve() / "artifacts").as_uri()

    def client(self) -> MlflowClient:
        """An MLflow client on this store (creating the store and the experiment if needed)."""
        import mlflow

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        logging.getLogger("alembic").setLevel(logging.ERROR)
        self.root.mkdir(parents=True, exist_ok=True)
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        client = mlflow.MlflowClient(self.tracking_uri, self.tracking_uri)
        if client.get_experiment_by_name(self.experiment) is None:
            client.create_experiment(self.experiment, artifact_location=self.artifact_location)
        return client

    def experiment_id(self) -> str:
        experiment = self.client().get_experiment_by_name(self.experiment)
        assert experiment is not None  # client() created it
        return experiment.experiment_id


def _signature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The features with ``category`` columns as strings (MLflow cannot infer a category)."""
    features = frame[schema.FEATURES].head(200)
    return features.astype({column: str for column in schema.CATEGORICAL_FEATURES})


def pip_requirements() -> list[str]:
    """The pinned packages the model needs, as installed now."""
    versions = library_versions()
    return [f"{name}=={versions[name]}" for name in PIP_PACKAGES if name in versions]


def _outcome_tags(prefix: str, outcomes: Iterable[Outcome]) -> dict[str, str]:
    """``{prefix.name: "PASS: reason"}`` for data-check or gate outcomes."""
    return {f"{prefix}.{o.name}": f"{o.mark}: {o.reason}"[:5000] for o in outcomes}


def log_training_run(
    tracking: Tracking,
    result: TrainingResult,
    *,
    example: pd.DataFrame,
    data_fingerprint: str,
    seed: int,
    data_source: str = "",
    data_checks: Iterable[Outcome] = (),
    gate_outcomes: Iterable[Outcome] = (),
    outcome: str = "",
) -> str:
    """Log one trained candidate as an MLflow run; return its run id.

    ``example`` is a few rows of the training table (for the model's signature). ``outcome``
    says how the pipeline ended for this candidate (e.g. ``"promoted"``, ``"stopped at gates"``).
    """
    import mlflow
    from mlflow.models import infer_signature

    tracking.client()
    gates = list(gate_outcomes)
    signature_input = _signature_frame(example)
    signature = infer_signature(signature_input, result.model.predict_proba(example.head(200)))
    with mlflow.start_run(experiment_id=tracking.experiment_id()) as run:
        mlflow.log_params(
            {
                "kind": result.kind,
                "seed": seed,
                "threshold": result.threshold,
                "train_rows": result.train_rows,
                "schema_version": schema.describe()["version"],
            }
        )
        mlflow.log_metrics({name: float(value) for name, value in result.metrics.items()})
        mlflow.log_metric("train_seconds", round(result.train_seconds, 3))
        tags = {
            "data_fingerprint": data_fingerprint,
            "data_source": data_source,
            "pipeline_outcome": outcome,
            "gates_passed": str(bool(gates) and all(o.passed for o in gates)).lower(),
            **_outcome_tags("data_check", data_checks),
            **_outcome_tags("gate", gates),
        }
        mlflow.set_tags(tags)
        logged = mlflow.sklearn.log_model(
            result.model,
            name="model",
            serialization_format="skops",
            skops_trusted_types=list(TRUSTED_TYPES),
            signature=signature,
            pip_requirements=pip_requirements(),
            pyfunc_predict_fn="predict_proba",
        )
        mlflow.set_tag(MODEL_URI_TAG, logged.model_uri)
    return run.info.run_id


def _model_versions(client: MlflowClient, name: str) -> dict[str, Any]:
    """The MLflow model versions of ``name`` by their ``semver`` tag."""
    found = client.search_model_versions(f"name = '{name}'")
    return {v.tags[SEMVER_TAG]: v for v in found if SEMVER_TAG in v.tags}


def _ensure_model(client: MlflowClient, name: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(
            name, description="Mirror of the workbook registry (models/): it is the truth."
        )


def _backfill_run(tracking: Tracking, registry: Registry, version: str) -> str:
    """A run for a version registered without tracking (e.g. by ``make model``)."""
    import mlflow

    loaded = registry.load(version)
    meta = loaded.metadata
    with mlflow.start_run(experiment_id=tracking.experiment_id(), run_name=f"backfill {version}"):
        mlflow.log_params({"kind": meta["kind"], "threshold": meta["threshold"]})
        mlflow.log_metrics({k: float(v) for k, v in meta["metrics"].items()})
        mlflow.set_tags(
            {
                "data_fingerprint": meta["data_fingerprint"],
                "pipeline_outcome": "registered before tracking (backfilled)",
                SEMVER_TAG: version,
            }
        )
        logged = mlflow.sklearn.log_model(
            loaded.model,
            name="model",
            serialization_format="skops",
            skops_trusted_types=list(TRUSTED_TYPES),
            pip_requirements=pip_requirements(),
            pyfunc_predict_fn="predict_proba",
        )
        mlflow.set_tag(MODEL_URI_TAG, logged.model_uri)
        active = mlflow.active_run()
        assert active is not None
        return active.info.run_id


def mirror_registry(
    tracking: Tracking, registry: Registry, runs: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Make MLflow's model versions and ``production`` alias match the registry.

    ``runs`` maps semantic versions to the run that trained them (from ``log_training_run``);
    a version without one gets a backfill run logged from the registry's verified artifact.
    Returns ``{semver: MLflow version number}``.
    """
    client = tracking.client()
    name = tracking.model_name
    _ensure_model(client, name)
    mirrored = _model_versions(client, name)
    for version in registry.versions():
        if version in mirrored:
            continue
        run_id = (runs or {}).get(version) or _backfill_run(tracking, registry, version)
        meta = registry.metadata(version)
        client.set_tag(run_id, SEMVER_TAG, version)
        mirrored[version] = client.create_model_version(
            name,
            source=client.get_run(run_id).data.tags[MODEL_URI_TAG],
            run_id=run_id,
            tags={
                SEMVER_TAG: version,
                "sha256": meta["sha256"],
                "data_fingerprint": meta["data_fingerprint"],
            },
            description=meta.get("notes", ""),
        )
    serving = registry.stage(PRODUCTION)
    aliases = client.get_registered_model(name).aliases
    if serving is None:
        if ALIAS in aliases:
            client.delete_registered_model_alias(name, ALIAS)
    elif aliases.get(ALIAS) != mirrored[serving].version:
        client.set_registered_model_alias(name, ALIAS, mirrored[serving].version)
    return {semver: str(v.version) for semver, v in mirrored.items()}


def production_semver(tracking: Tracking) -> str | None:
    """The semantic version MLflow's ``production`` alias points to, or None."""
    from mlflow.exceptions import MlflowException

    client = tracking.client()
    try:
        version = client.get_model_version_by_alias(tracking.model_name, ALIAS)
    except MlflowException:
        return None
    return version.tags.get(SEMVER_TAG)


def compare_with_registry(tracking: Tracking, registry: Registry) -> list[str]:
    """Every way MLflow disagrees with the registry (versions, hashes, alias); empty if none."""
    client = tracking.client()
    mirrored = _model_versions(client, tracking.model_name)
    problems = []
    registered = registry.versions()
    for version in registered:
        if version not in mirrored:
            problems.append(f"{version} is registered but not in MLflow")
        elif mirrored[version].tags.get("sha256") != registry.metadata(version)["sha256"]:
            problems.append(f"{version}: MLflow's sha256 tag differs from the registry's")
    problems += [f"{v} is in MLflow but not registered" for v in mirrored if v not in registered]
    serving, alias = registry.stage(PRODUCTION), production_semver(tracking)
    if serving != alias:
        problems.append(f"registry production is {serving}, MLflow's alias is on {alias}")
    return problems


def runs_table(tracking: Tracking) -> pd.DataFrame:
    """Every tracked run, newest first: outcome, key metrics and parameters side by side."""
    import mlflow

    tracking.client()
    runs = mlflow.search_runs(experiment_ids=[tracking.experiment_id()])
    if runs.empty:
        return runs
    columns = {
        "tags.semver": "version",
        "tags.pipeline_outcome": "outcome",
        "params.kind": "kind",
        "params.train_rows": "train_rows",
        "metrics.roc_auc": "roc_auc",
        "metrics.calibration_error": "calibration_error",
        "tags.data_fingerprint": "data_fingerprint",
        "tags.gates_passed": "gates_passed",
    }
    present = {k: v for k, v in columns.items() if k in runs.columns}
    return runs[["start_time", *present]].rename(columns=present)
