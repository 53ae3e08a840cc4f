"""Why requests were refused: the service's log lines for its 4xx and 5xx answers.

The model service writes one JSON object per refused or failed request to its log (stderr)::

    {"event": "refused", "status": 422, "method": "POST", "path": "/predict",
     "detail": "credit_score: Value error, must be a JSON number, not str"}

``/metrics`` counts refusals by status; these lines say what was wrong. ``log_refusal`` writes
them; ``read_refusals`` picks them out of a log that also holds uvicorn's own lines.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

REFUSED_EVENT = "refused"
MAX_DETAIL_CHARS = 300  # a longer reason (many fields wrong at once) is cut at this length
COLUMNS = ("status", "method", "path", "detail")
log = logging.getLogger("apps.api")


def log_refusal(method: str, path: str, status: int, detail: str) -> None:
    """One JSON line in the service log for a refused (4xx) or failed (5xx) request: *why*,
    beside the metrics' *how many*. ``path`` is the bounded metrics label and ``detail`` the
    reply's own, which names the wrong fields but never echoes their values."""
    record = {"event": REFUSED_EVENT, "status": status, "method": method, "path": path}
    log.log(
        logging.ERROR if status >= 500 else logging.WARNING,
        json.dumps(record | {"detail": detail[:MAX_DETAIL_CHARS]}),
    )


def read_refusals(log_path: Path | str) -> pd.DataFrame:
    """One row per refusal line in the log at ``log_path`` (other lines are skipped)."""
    rows = []
    for line in Path(log_path).read_text(errors="replace").splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == REFUSED_EVENT:
            rows.append({column: record.get(column) for column in COLUMNS})
    return pd.DataFrame(rows, columns=list(COLUMNS))
