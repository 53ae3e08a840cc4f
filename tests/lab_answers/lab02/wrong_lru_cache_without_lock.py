"""functools.lru_cache on (root, version) without a lock: threads that start together each read the model."""

import functools
import pandas as pd
from workshop_lib import batch, scoring, schema
from workshop_lib.registry import Registry

@functools.lru_cache(maxsize=8)
def _load(root, version):
    return Registry(root).load(version)
def score_partition(frame, ref):
    loaded = _load(str(ref.registry_root), ref.version)

    s = scoring.score_batch(loaded, frame)
    return pd.DataFrame({"application_id": frame[schema.ID_COLUMN].to_numpy(),
                         "probability": s["probability"].to_numpy(), "decision": s["decision"].to_numpy()}, index=frame.index)

EXPECTED = r"partitions that start together on 4 threads each missed the cache"  # the checker's message, on every seed
