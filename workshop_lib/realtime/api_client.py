"""Call the model service from Python: what the Streamlit front end (and a learner) uses.

Every failure becomes a ``ServiceError`` whose message a person can act on ("the service at …
is not running"), so a user interface never shows a traceback.
"""

from __future__ import annotations

import io
import math
import os
import re
from typing import Any

import httpx
import numpy as np
import pandas as pd

from workshop_lib import schema
from workshop_lib.realtime.serving import MAX_BATCH_ROWS

DEFAULT_API_URL = "http://127.0.0.1:8000"
URL_ENV_VAR = "API_URL"


def default_url() -> str:
    """``$API_URL`` if set, else the address ``uvicorn apps.api:app`` listens on."""
    return os.environ.get(URL_ENV_VAR, DEFAULT_API_URL).rstrip("/")


class ServiceError(RuntimeError):
    """The service could not answer; the message says why in plain words.

    ``problems`` holds the service's field problems (``field``, ``message``, ``row``) when it
    refused the input.
    """

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.problems = problems or []


def _call(method: str, url: str, timeout_s: float, **kwargs: Any) -> Any:
    try:
        response = httpx.request(method, url, timeout=timeout_s, **kwargs)
    except httpx.ConnectError:
        raise ServiceError(
            f"The model service at {url.rsplit('/', 1)[0]} is not reachable. Is it running? "
            "Start it with: uvicorn apps.api:app --port 8000"
        ) from None
    except httpx.TimeoutException:
        raise ServiceError(f"The model service did not answer within {timeout_s:g} s") from None
    except httpx.HTTPError as error:
        raise ServiceError(f"Calling the model service failed: {error}") from None
    if response.status_code >= 400:
        try:
            body = response.json()
            detail, problems = body.get("detail", response.text), body.get("errors", [])
        except (ValueError, AttributeError):
            detail, problems = response.text[:300], []
        raise ServiceError(
            f"The service refused the request ({response.status_code}): {detail}", problems
        )
    return response.json()


def model_info(url: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """``GET /model``: the serving version's metadata."""
    return _call("GET", f"{url}/model", timeout_s)


def predict(
    url: str, application: dict[str, Any], explain: bool = True, timeout_s: float = 10.0
) -> dict[str, Any]:
    """``POST /predict``: probability, decision and (with ``explain``) the top reasons."""
    params = {"explain": "true"} if explain else None
    return _call("POST", f"{url}/predict", timeout_s, json=application, params=params)


def score_rows(url: str, rows: list[dict[str, Any]], timeout_s: float = 60.0) -> dict[str, Any]:
    """``POST /predict/batch`` for at most ``MAX_BATCH_ROWS`` rows: the service's whole answer."""
    if not 0 < len(rows) <= MAX_BATCH_ROWS:
        raise ServiceError(f"Send between 1 and {MAX_BATCH_ROWS} rows at a time, not {len(rows)}")
    return _call("POST", f"{url}/predict/batch", timeout_s, json={"applications": rows})


def _column_of(problem: dict[str, Any]) -> str:
    """``credit_score`` from the service's ``applications.3.credit_score``."""
    return ".".join(str(problem["field"]).split(".")[2:]) or str(problem["field"])


def _refusal(what: str, problems: list[dict[str, Any]]) -> ServiceError:
    """One error for field problems located in the whole table: rows counted once each."""
    rows = len({p["row"] for p in problems})
    counted = f"{rows:,} row(s)"
    if len(problems) > rows:
        counted += f", {len(problems):,} fields"
    shown = "; ".join(
        f"row {p['row']} of the table: {p['field']}: {p['message']}" for p in problems[:5]
    )
    more = " (first 5 shown)" if len(problems) > 5 else ""
    return ServiceError(f"{what} {counted}{more}: {shown}", problems)


def _with_table_rows(error: ServiceError, first_row: int) -> ServiceError:
    """The same refusal with row numbers counted from the top of the whole table."""
    located = [
        {**p, "row": first_row + p["row"], "field": _column_of(p)}
        for p in error.problems
        if p.get("row") is not None
    ]
    if not located:
        return error
    return _refusal("The service refused", located)


PLAIN_NUMBER = re.compile(
    r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf(inity)?", re.IGNORECASE | re.ASCII
)


def _number_or_text(value: Any) -> Any:
    """``705`` for the text ``"705"``, ``inf`` for ``"1e400"``; any other value unchanged."""
    if not isinstance(value, str) or not PLAIN_NUMBER.fullmatch(value.strip()):
        return value
    try:
        return int(value) if value.strip().lstrip("+-").isdigit() else float(value)
    except ValueError:  # more digits than Python converts: left for the service to refuse
        return value


def _is_infinite(value: Any) -> bool:
    return isinstance(value, float) and math.isinf(value)


def _json_ready(table: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The features as values JSON can carry (``None`` for a blank), and the cells it cannot.

    One cell that is not a plain number (``true``, ``1e400``) makes pandas read its whole
    column as text: each cell that reads as a number becomes one again, so the service refuses
    only the odd cell, by its row. ``inf`` and ``1e400`` (an infinite float) cannot be sent at
    all: they are the problems returned, by row.
    """
    features = table[schema.FEATURES].astype(object).where(table[schema.FEATURES].notna(), None)
    problems = []
    for name in schema.NUMERIC_FEATURES:
        if pd.api.types.is_float_dtype(table[name]):
            infinite = np.isinf(table[name].to_numpy())
        elif table[name].dtype == object:
            features[name] = features[name].map(_number_or_text)
            infinite = features[name].map(_is_infinite).to_numpy(dtype=bool)
        else:
            continue
        problems += [
            {"row": int(row), "field": name, "message": "not a finite number (inf or too large)"}
            for row in np.flatnonzero(infinite)
        ]
    return features, sorted(problems, key=lambda p: p["row"])


def score_table(url: str, table: pd.DataFrame, timeout_s: float = 60.0) -> pd.DataFrame:
    """Score every row of ``table`` through ``POST /predict/batch``, in chunks the API accepts.

    Returns the table with ``probability``, ``decision`` and ``model_version`` added. A refused
    row is named by its position in the whole table (row 0 is the first data row), not in its
    chunk.
    """
    missing = [name for name in schema.FEATURES if name not in table.columns]
    if missing:
        raise ServiceError(f"The table is missing the column(s) {missing}")
    if table.empty:
        raise ServiceError("The table has no rows to score")
    features, not_finite = _json_ready(table)
    if not_finite:
        raise _refusal("Not sent: numbers JSON cannot carry in", not_finite)
    scored = []
    for start in range(0, len(table), MAX_BATCH_ROWS):
        rows = features.iloc[start : start + MAX_BATCH_ROWS].to_dict(orient="records")
        try:
            body = score_rows(url, rows, timeout_s)
        except ServiceError as error:
            raise _with_table_rows(error, start) from None
        chunk = pd.DataFrame(body["predictions"]).assign(model_version=body["model_version"])
        scored.append(chunk)
    results = pd.concat(scored, ignore_index=True).set_axis(table.index)
    return table.assign(**{column: results[column] for column in results.columns})


def score_csv(url: str, content: bytes, max_rows: int | None = None) -> pd.DataFrame:
    """Read an uploaded CSV and score it; a malformed file is a ``ServiceError`` too, and so is
    one of more than ``max_rows`` rows (refused after reading one row more, before scoring)."""
    try:
        table = pd.read_csv(io.BytesIO(content), nrows=None if max_rows is None else max_rows + 1)
    except (ValueError, UnicodeDecodeError) as error:
        raise ServiceError(f"The file is not a readable CSV table: {error}") from None
    if max_rows is not None and len(table) > max_rows:
        raise ServiceError(f"The file has more than {max_rows:,} rows: split it into smaller files")
    return score_table(url, table)


def batch_requests_needed(rows: int, max_rows: int = MAX_BATCH_ROWS) -> int:
    """How many ``/predict/batch`` calls a table of ``rows`` rows takes."""
    return math.ceil(rows / max_rows)
