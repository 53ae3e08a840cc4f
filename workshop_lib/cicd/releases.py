"""The other half of CD: undo a release in one step, and see what changed between versions.

``rollback`` points production back at the version before the last promotion (and reloads a
running API); ``version_history``, ``stage_events`` and ``diff_versions`` show every version,
every production event and two versions side by side.
"""

from __future__ import annotations

import pandas as pd

from workshop_lib.cicd import mlflow_tracking
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.cicd.stages import reload_api
from workshop_lib.registry import PRODUCTION, Registry


def rollback(
    registry: Registry | None = None,
    *,
    api_url: str | None = None,
    reason: str = "",
    tracking: mlflow_tracking.Tracking | None = None,
) -> Outcome:
    """Point production back at the version before the last promotion; reload the API.

    With ``tracking``, MLflow's ``production`` alias moves back too.
    """
    registry = registry or Registry()
    current = registry.stage(PRODUCTION)
    version = registry.rollback(PRODUCTION, reason=reason or "manual rollback")
    if tracking is not None:
        mlflow_tracking.mirror_registry(tracking, registry)
    message = f"production rolled back from {current} to {version}"
    details = {"version": version, "previous": current}
    if api_url is None:
        return Outcome("rollback", True, message, details)
    reload = reload_api(api_url, version)
    return Outcome("rollback", reload.passed, f"{message}; {reload.reason}", details)


def version_history(registry: Registry | None = None) -> pd.DataFrame:
    """One row per registered version: metrics, provenance, and its production events."""
    registry = registry or Registry()
    events: dict[str, list[str]] = {}
    for event in registry.history(PRODUCTION):
        events.setdefault(event["version"], []).append(
            "promoted" if event["action"] == "promote" else "rolled back to"
        )
    serving = registry.stage(PRODUCTION)
    rows = []
    for version in registry.versions():
        meta = registry.metadata(version)
        rows.append(
            {
                "version": version,
                "serving": "*" if version == serving else "",
                "kind": meta["kind"],
                "roc_auc": round(meta["metrics"]["roc_auc"], 3),
                "calibration_error": round(meta["metrics"]["calibration_error"], 3),
                "train_rows": meta.get("train_rows"),
                "bump": meta.get("bump", ""),
                "data_fingerprint": meta["data_fingerprint"],
                "code_version": meta["code_version"],
                "production_events": ", ".join(events.get(version, [])),
            }
        )
    return pd.DataFrame(rows)


def stage_events(registry: Registry | None = None) -> pd.DataFrame:
    """Every promotion and rollback of production, oldest first."""
    registry = registry or Registry()
    columns = ["at", "action", "version", "previous", "reason"]
    return pd.DataFrame(registry.history(PRODUCTION), columns=columns)


DIFF_METRICS: tuple[str, ...] = (
    "roc_auc",
    "calibration_error",
    "brier",
    "log_loss",
    "precision",
    "recall",
    "accuracy",
    "predicted_rate",
)
DIFF_FACTS: tuple[str, ...] = ("kind", "train_rows", "data_fingerprint", "code_version", "bump")


def diff_versions(registry: Registry, first: str, second: str) -> pd.DataFrame:
    """Two versions side by side: metrics with their change, then provenance facts."""
    a, b = registry.metadata(first), registry.metadata(second)
    rows = {}
    for name in DIFF_METRICS:
        x, y = a["metrics"].get(name), b["metrics"].get(name)
        change = round(y - x, 4) if x is not None and y is not None else None
        rows[name] = [_rounded(x), _rounded(y), change]
    facts = {name: (a.get(name), b.get(name)) for name in DIFF_FACTS}
    facts["schema"] = (a["schema"]["version"], b["schema"]["version"])
    for name, (x, y) in facts.items():
        rows[name] = [x, y, "same" if x == y else "differs"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=[first, second, "change"])


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
