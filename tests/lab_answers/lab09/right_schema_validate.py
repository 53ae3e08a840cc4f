"""Right (style: schema.validate_frame with try/except for the data check, one combined gate expression, nested blocks)."""

import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import data, schema, training
from workshop_lib.registry import Registry



def release(table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry) -> str | None:
    try:
        schema.validate_frame(table)
        clean = not table[schema.ID_COLUMN].duplicated().any()
    except schema.SchemaError as error:
        print(error)
        clean = False
    if clean:
        production = registry.load()
        model = training.build_pipeline("logistic")
        model.fit(table[schema.FEATURES], table[schema.TARGET_COLUMN].to_numpy())
        X, y = holdout[schema.FEATURES], holdout[schema.TARGET_COLUMN].to_numpy()
        new_auc = roc_auc_score(y, model.predict_proba(X)[:, 1])
        old_auc = roc_auc_score(y, production.model.predict_proba(X)[:, 1])
        if new_auc >= max(0.70, old_auc - 0.01):
            registry.promote(
                registry.register(model, metrics={"roc_auc": float(new_auc)},
                                  data_fingerprint=data.fingerprint(table), kind="logistic",
                                  threshold=production.threshold)
            )
    return registry.stage()
