"""Right answer, one function: every check, the gate and the release written inline in release()."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from workshop_lib import data, schema, training
from workshop_lib.registry import Registry


def release(table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry) -> str | None:
    """Check, train, gate, register and promote; return the version serving afterwards."""
    # 1. data check: missing values, ranges, repeated ids
    broken = False
    for feature in schema.NUMERIC:
        values = table[feature.name].to_numpy(dtype="float64", na_value=np.nan)
        if np.isnan(values).any():
            broken = True
        elif values.min() < feature.minimum or values.max() > feature.maximum:
            broken = True
    for name in schema.CATEGORICAL_FEATURES:
        if table[name].isnull().sum() > 0:
            broken = True
    if table[schema.ID_COLUMN].nunique() != len(table):
        broken = True
    if broken:
        return registry.stage()

    # 2. train a candidate
    production = registry.load("production")
    x, y = training.split_features(table)
    candidate = training.build_pipeline("logistic")
    candidate.fit(x, y)

    # 3. gate on the whole holdout
    y_true = holdout[schema.TARGET_COLUMN].to_numpy()
    cand_auc = roc_auc_score(y_true, candidate.predict_proba(holdout[schema.FEATURES])[:, 1])
    prod_auc = roc_auc_score(
        y_true, production.model.predict_proba(holdout[schema.FEATURES])[:, 1]
    )
    if cand_auc >= 0.70 and cand_auc >= prod_auc - 0.01:
        # 4. register and promote
        threshold = production.threshold
        version = registry.register(
            candidate,
            metrics=training.evaluate(candidate, holdout, threshold),
            data_fingerprint=data.fingerprint(table),
            kind="logistic",
            threshold=threshold,
        )
        registry.promote(version, reason="capstone release passed the gate")
    return registry.stage()
