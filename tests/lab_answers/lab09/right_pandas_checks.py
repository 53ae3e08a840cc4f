"""Right answer, data checks written with pandas idioms (isna().any(), between(), duplicated())."""

import pandas as pd
from sklearn.metrics import roc_auc_score
from workshop_lib import data, schema, training
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.registry import Registry


def check_table(frame: pd.DataFrame) -> Outcome:
    """Ranges, missing values and repeated ids."""
    problems = []
    features = frame[schema.FEATURES]
    missing = features.isna().any()
    problems += [f"{c}: missing values" for c in missing[missing].index]
    for f in schema.NUMERIC:
        present = frame[f.name].dropna()
        if not present.between(f.minimum, f.maximum, inclusive="both").all():
            problems.append(f"{f.name}: outside [{f.minimum}, {f.maximum}]")
    if frame[schema.ID_COLUMN].duplicated().any():
        problems.append(f"{schema.ID_COLUMN}: repeated ids")
    if problems:
        return Outcome("check_table", False, "; ".join(problems))
    return Outcome("check_table", True, "clean")


def quality_gate(candidate, production, holdout: pd.DataFrame) -> Outcome:
    """ROC AUC >= 0.70 and no more than 0.01 below production's."""
    y = holdout[schema.TARGET_COLUMN]
    x = holdout[schema.FEATURES]
    cand = roc_auc_score(y, candidate.predict_proba(x)[:, 1])
    prod = roc_auc_score(y, production.predict_proba(x)[:, 1])
    ok = cand >= 0.70 and cand >= prod - 0.01
    return Outcome("quality_gate", ok, f"candidate {cand:.4f}, production {prod:.4f}",
                   {"candidate_roc_auc": cand, "production_roc_auc": prod})


def release(table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry) -> str | None:
    """Check, train, gate, register and promote; return the version serving afterwards."""
    check = check_table(table)
    if not check.passed:
        print("data check failed:", check.reason)
        return registry.stage()
    production = registry.load()
    model = training.build_pipeline("logistic").fit(*training.split_features(table))
    gate = quality_gate(model, production.model, holdout)
    if not gate.passed:
        print("gate failed:", gate.reason)
        return registry.stage()
    version = registry.register(
        model,
        metrics=training.evaluate(model, holdout, production.threshold),
        data_fingerprint=data.fingerprint(table),
        kind="logistic",
        threshold=production.threshold,
    )
    registry.promote(version)
    return registry.stage()
