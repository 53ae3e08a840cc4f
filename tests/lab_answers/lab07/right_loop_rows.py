"""row-by-row loop collecting every problem before answering."""
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome

def check_table(frame):
    problems = []
    seen = set()
    limits = {f.name: (f.minimum, f.maximum) for f in schema.NUMERIC}
    for row in frame.to_dict("records"):
        for c in schema.FEATURES:
            v = row[c]
            if v is None or (isinstance(v, float) and np.isnan(v)) or pd.isna(v):
                problems.append(f"{c} missing")
            elif c in limits and not (limits[c][0] <= v <= limits[c][1]):
                problems.append(f"{c} out of range ({v})")
        if row["application_id"] in seen:
            problems.append(f"application_id {row['application_id']} repeats")
        seen.add(row["application_id"])
    if problems:
        return Outcome("check_table", False, "; ".join(sorted(set(problems))[:10]))
    return Outcome("check_table", True, "no problems")

def quality_gate(candidate, production, holdout):
    y = holdout[schema.LABEL] if hasattr(schema, "LABEL") else holdout["defaulted"]
    c = roc_auc_score(y, candidate.predict_proba(holdout[schema.FEATURES])[:, 1])
    p = roc_auc_score(y, production.predict_proba(holdout[schema.FEATURES])[:, 1])
    if c < 0.70:
        return Outcome("gate", False, f"candidate ROC AUC {c:.3f} < 0.70")
    if p - c > 0.01:
        return Outcome("gate", False, f"candidate ROC AUC {c:.3f} more than 0.01 below production {p:.3f}")
    return Outcome("gate", True, f"candidate {c:.3f}, production {p:.3f}")
