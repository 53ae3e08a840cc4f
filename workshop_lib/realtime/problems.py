"""Every error the service answers, as the documented ``Problem`` JSON body.

``add_problem_handlers(app)`` installs the handlers: a 422 naming each bad field (never echoing
the input), any ``HTTPException`` as a ``Problem``, and a 503 when a prediction cannot be logged.
``parse_body`` validates a request body straight from its bytes, so that too-deep nesting or
an absurdly long number is a 422 that names the cause, like any other bad input.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from workshop_lib.prediction_log import PredictionLogUnavailable
from workshop_lib.realtime.api_contract import FieldProblem, Problem

Body = TypeVar("Body", bound=BaseModel)


def problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse(Problem(detail=detail).model_dump(), status_code=status)


def parse_body(body: bytes, model: type[Body]) -> Body:
    """The validated request body; a 422 naming each problem otherwise (pydantic parses and
    checks the bytes in one pass, in Rust, and names JSON it cannot read: "recursion limit
    exceeded", "number out of range")."""
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "missing"}])
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        problems = [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_input=False)]
        raise RequestValidationError(problems) from None


# --- bad input: 422 with a message that names each field -------------------------------------
def describe_error(error: dict) -> dict:
    """One validation error as {"field", "message", "row"}, never echoing the input (it may be
    NaN); ``row`` is the index of the bad application in a /predict/batch body."""
    location = [str(part) for part in error["loc"] if part != "body"]
    row = None
    if len(location) >= 2 and location[0] == "applications" and location[1].isdigit():
        row = int(location[1])
    if error["type"] == "json_invalid":
        detail = error.get("ctx", {}).get("error", "")
        return {"field": "body", "message": f"the body is not valid JSON ({detail})", "row": None}
    if error["type"] == "missing" and not location:
        return {"field": "body", "message": "the request has no JSON body", "row": None}
    return {"field": ".".join(location) or "body", "message": error["msg"], "row": row}


async def validation_failed(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [describe_error(e) for e in exc.errors()]
    summary = "; ".join(
        (f"row {e['row']}: " if e["row"] is not None else "") + f"{e['field']}: {e['message']}"
        for e in errors
    )
    problems = [FieldProblem(**error) for error in errors]
    return JSONResponse(Problem(detail=summary, errors=problems).model_dump(), status_code=422)


# --- the service's own errors ----------------------------------------------------------------
async def http_error(request: Request, exc: Exception) -> Response:
    """Every HTTPException as the documented ``Problem`` body."""
    assert isinstance(exc, HTTPException)
    response = problem(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def log_unavailable(request: Request, exc: Exception) -> Response:
    """503 when a prediction cannot be logged: no answer goes out that was not recorded."""
    assert isinstance(exc, PredictionLogUnavailable)
    request.app.state.metrics.observe_log_failure(exc.reason)
    response = problem(503, f"{exc}; the prediction was not returned, retry later")
    response.headers["Retry-After"] = "5"
    return response


def add_problem_handlers(app: FastAPI) -> None:
    """Answer bad input, HTTP errors and an unwritable prediction log with ``Problem`` bodies."""
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(PredictionLogUnavailable, log_unavailable)
