"""The real-time API's contract: every request and response body, errors included.

Each route of ``apps/api.py`` declares its response model and the error bodies it can return
(``ERRORS``), so the OpenAPI schema at ``/openapi.json`` documents exactly what the service
sends, and an OpenAPI fuzzer (schemathesis, in the tests) can check every reply against it.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from workshop_lib import schema
from workshop_lib.realtime.serving import MAX_BATCH_ROWS
from workshop_lib.schema import LoanApplication

# --- errors ----------------------------------------------------------------------------------
Decision = Literal["approve", "decline"]


class FieldProblem(BaseModel):
    """One thing wrong with the input: where, and what."""

    field: str = Field(description="Dotted path of the field, e.g. applications.3.credit_score.")
    message: str
    row: int | None = Field(
        default=None, description="For /predict/batch: the index of the bad application (from 0)."
    )


class Problem(BaseModel):
    """Every error reply: a sentence saying what was wrong, and for bad input each field."""

    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


def _error(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    413: _error("The body is larger than the service accepts."),
    415: _error("The body is not sent as application/json."),
    422: _error("The input does not match the schema; each bad field is named."),
    408: _error("The body did not arrive in time."),
}
NOT_READY: dict[int | str, dict[str, Any]] = {503: _error("No model is loaded.")}


# --- health and model ------------------------------------------------------------------------
class Health(BaseModel):
    status: Literal["ok"]
    model_loaded: bool
    model_version: str | None


class Batching(BaseModel):
    max_size: int
    max_wait_ms: float
    in_thread: bool
    batches: int
    items: int
    mean_batch_size: float
    largest_batch: int


class ModelInfo(BaseModel):
    """The serving version's metadata (the registry's ``metadata.json``) and how it is served."""

    model_config = ConfigDict(extra="allow")

    version: str
    kind: str
    threshold: float
    backend: Literal["sklearn", "onnx"]
    backend_reason: str = Field(description="Why this backend serves (or why ONNX does not).")
    microbatch: Batching | None
    max_batch_rows: int


# --- predictions -----------------------------------------------------------------------------
class Reason(BaseModel):
    feature: str
    value: int | float | str
    typical: int | float | str
    effect: float = Field(description="Change in default probability due to this value.")


class PredictionResponse(BaseModel):
    request_id: str
    model_version: str
    probability: float = Field(ge=0, le=1, description="Predicted probability of default.")
    decision: Decision
    threshold: float = Field(description="Applications at or above this are declined.")
    reasons: list[Reason] | None = None


_EXAMPLE = schema.EXAMPLE_APPLICATION


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"applications": [_EXAMPLE]}]}
    )

    applications: list[LoanApplication] = Field(min_length=1, max_length=MAX_BATCH_ROWS)


class RowPrediction(BaseModel):
    probability: float
    decision: Decision


class BatchResponse(BaseModel):
    request_id: str
    model_version: str
    threshold: float
    count: int
    predictions: list[RowPrediction]


# --- request bodies the routes parse themselves ---------------------------------------------
def request_body(model: type[BaseModel], example: dict[str, Any] | None = None) -> dict[str, Any]:
    """A route's ``openapi_extra`` documenting a JSON body it reads and validates itself."""
    media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
    if example is not None:
        media["example"] = example
    return {"requestBody": {"required": True, "content": {"application/json": media}}}


def add_request_schemas(app: FastAPI, *models: type[BaseModel]) -> None:
    """Put ``models``' schemas in the app's OpenAPI components (``request_body`` refers to
    them; FastAPI lists only the models of the parameters it parses)."""
    _, found = models_json_schema(
        [(model, "validation") for model in models], ref_template="#/components/schemas/{model}"
    )
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # made once, then cached by FastAPI
        document.setdefault("components", {}).setdefault("schemas", {}).update(found["$defs"])
        return document

    app.openapi = openapi  # type: ignore[method-assign]


# --- admin -----------------------------------------------------------------------------------
class Reloaded(BaseModel):
    model_version: str
    previous_version: str
