"""Right (style: reuse batch.load_model_once, build the result from SCORED_META's columns)."""

import pandas as pd

from workshop_lib import batch, scoring


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    loaded = batch.load_model_once(ref)
    scored = scoring.score_batch(loaded, frame).astype({"decision": batch.DECISIONS})
    scored.insert(0, "application_id", frame["application_id"])
    return scored.reset_index(drop=True)[list(batch.SCORED_META.columns)]
