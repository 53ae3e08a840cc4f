"""Lab 09: the capstone, a whole release on a fresh registry.

Write ``release(table, holdout, registry)``: check the new training ``table`` (stop if it is
broken), train a candidate on it, gate it against the production model (``registry.load()``)
on ``holdout``, and only if it passes register it and promote it. Return the version that
serves afterwards (``registry.stage()``), whether or not the candidate shipped.

The checker gives you a fresh registry with a production model, then tables that must not
ship: one whose candidate is a little more than 0.01 below production (the gate must stop it),
one whose labels came from a broken join, tables with missing values, a value just outside the
range of a numeric column (above or below) or repeated application ids (the data check must
stop them before anything is trained), shuffled labels, and the good data judged on a holdout
whose outcomes no model can rank (the gate decides on the whole holdout it is given); nothing
may be registered for them. Then new data whose candidate is a little below production but
inside the 0.01 tolerance: it must ship as the next minor version (the registry's default), a
"logistic" model that keeps production's threshold (earlier versions had others) and records,
as metrics["roc_auc"], the ROC AUC the gate measured on the whole holdout (any other metric it
records must be true too, at the threshold it registers). Last, two other registries: one whose
production scores well under the 0.70 floor (a better version was registered after it but never
promoted), where the weaker candidate beats production and must ship; and one whose production
is just above the floor (a newer version there was never promoted either), where a candidate
within 0.01 of it but under the floor must not.

Hint: reuse your lab 07 functions (``from lab07_cicd import check_table, quality_gate`` works
when this folder is on the path, or copy them here); train with
training.build_pipeline("logistic").fit(*training.split_features(table)); register with
registry.register(model, metrics=training.evaluate(model, holdout, production.threshold),
data_fingerprint=data.fingerprint(table), kind="logistic", threshold=production.threshold),
then registry.promote(version).
Check it with ``check_lab("09")``.
"""

import pandas as pd
from workshop_lib import data, training  # noqa: F401  (you will need them)
from workshop_lib.registry import Registry


def release(table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry) -> str | None:
    """Check, train, gate, register and promote; return the version serving afterwards."""
    ...
