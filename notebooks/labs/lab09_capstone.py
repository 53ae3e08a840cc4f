"""Lab 09: the capstone, a whole release on a fresh registry.

Write ``release(table, holdout, registry)``: check the new training ``table`` (stop if it is
broken), train a candidate on it, gate it against the production model (``registry.load()``)
on ``holdout``, and only if it passes register it and promote it. Return the version that
serves afterwards (``registry.stage()``), whether or not the candidate shipped.

The checker gives you a fresh registry with a production model, then tables that must not
ship: one whose candidate is weaker than production, one whose labels came from a broken
join (the gate must stop both), tables with missing values or values out of range (the data
check must stop them before anything is trained), shuffled labels, and the good data judged
on a holdout whose outcomes no model can rank (the gate decides on the holdout it is given);
nothing may be registered for them. Then good data with the real holdout, which must ship as
a new version that keeps production's threshold.

Hint: reuse your lab 07 functions (``from lab07_cicd import check_table, quality_gate`` works
when this folder is on the path, or copy them here); train with
training.build_pipeline("logistic").fit(*training.split_features(table)); register with
registry.register(model, metrics=..., data_fingerprint=data.fingerprint(table),
kind="logistic", threshold=production.threshold), then registry.promote(version).
Check it with ``check_lab("09")``.
"""

import pandas as pd
from workshop_lib import data, training  # noqa: F401  (you will need them)
from workshop_lib.registry import Registry


def release(table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry) -> str | None:
    """Check, train, gate, register and promote; return the version serving afterwards."""
    ...
