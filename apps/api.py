"""The loan-default model as a web service.

Run it with::

    uvicorn apps.api:app --port 8000 --timeout-keep-alive 75   # docs at http://127.0.0.1:8000/docs

It binds to 127.0.0.1 unless given ``--host``. Fast by default: micro-batching on and the
version's verified ONNX export (see ``GET /model``'s ``backend_reason``). Environment variables:
MODEL_REGISTRY (registry folder), MODEL_BACKEND=auto|sklearn|onnx (sklearn turns ONNX off),
MICROBATCH=1|0 (0 turns batching off) with MICROBATCH_MAX_SIZE and MICROBATCH_WAIT_MS,
PREDICTION_LOG (JSON Lines file), ADMIN_TOKEN (unset: /admin/* is off), BODY_TIMEOUT_S (a body
not received within it is answered 408), PROMETHEUS_MULTIPROC_DIR (an empty folder, for
``--workers N``: metrics summed over the workers).

Keep-alive: ``--timeout-keep-alive 75`` keeps idle connections longer than clients and proxies
keep theirs (aiohttp 15 s, most load balancers 60 s), so a client never reuses a connection the
server is closing at that instant (with uvicorn's default 5 s, 0.2-1 % of requests from 64
keep-alive clients were reset).
"""

# --- one thread per model call -----------------------------------------------------------------
# Set before numpy/scikit-learn load: each worker process uses one core, and we scale with
# more workers and with batching rather than with threads fighting over the same cores.
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import asyncio
import gc
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workshop_lib.prediction_log import PredictionLogger, PredictionRecord
from workshop_lib.realtime.api_contract import (
    ERRORS,
    NOT_READY,
    Batching,
    BatchRequest,
    BatchResponse,
    Decision,
    FieldProblem,
    Health,
    ModelInfo,
    PredictionResponse,
    Problem,
    Reason,
    Reloaded,
    RowPrediction,
)
from workshop_lib.realtime.http_metrics import CONTENT_TYPE, KNOWN_METHODS, OTHER, ServiceMetrics
from workshop_lib.realtime.microbatch import MicroBatcher
from workshop_lib.realtime.offline_docs import serve_docs_offline
from workshop_lib.realtime.refusal_log import MAX_DETAIL_CHARS, REFUSED_EVENT
from workshop_lib.realtime.serving import (
    MAX_BATCH_ROWS,
    MAX_BODY_BYTES,
    ModelService,
    Prediction,
    ServiceSettings,
    top_reasons,
)
from workshop_lib.registry import IntegrityError, RegistryError
from workshop_lib.schema import EXAMPLE_APPLICATION, LoanApplication

log = logging.getLogger("apps.api")


# --- state: the model, the batcher, the log, the metrics -------------------------------------
@dataclass
class State:
    """Everything a request needs, made in the lifespan and handed to routes by ``Depends``."""

    settings: ServiceSettings
    service: ModelService
    logger: PredictionLogger
    batcher: MicroBatcher | None
    metrics: ServiceMetrics


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the production model before the first request; stop the batcher at shutdown."""
    settings = app.state.settings or ServiceSettings.from_env()
    service = ModelService(settings)
    batcher = None
    if settings.microbatch:
        batcher = MicroBatcher(
            service.predict_rows,
            settings.microbatch_max_size,
            settings.microbatch_wait_ms,
            in_thread=service.model.call_in_thread,
        )
        await batcher.start()
    logger = PredictionLogger(settings.log_path)
    app.state.service_state = State(settings, service, logger, batcher, app.state.metrics)
    app.state.metrics.serving(service.version)
    freeze_loaded_objects()
    try:
        yield
    finally:
        if batcher is not None:
            await batcher.stop()
        app.state.metrics.close()
        app.state.service_state = None


def freeze_loaded_objects() -> None:
    """Move what is loaded now (libraries, the model) out of the garbage collector's reach.

    They live as long as the process; a full collection walking them all again paused every
    request in flight for 0.1-0.2 s. After a reload, the old model is unfrozen and collected
    first, so that reloads do not pile up frozen models.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


async def current_state(request: Request) -> State:
    state = request.app.state.service_state
    if state is None:
        raise HTTPException(503, "the service is starting or stopping: no model is loaded")
    return state


async def current_metrics(request: Request) -> ServiceMetrics:
    return request.app.state.metrics


StateDep = Annotated[State, Depends(current_state)]
MetricsDep = Annotated[ServiceMetrics, Depends(current_metrics)]


# The service exports Prometheus metrics itself; FastAPI's own OpenTelemetry hooks would look up
# providers in os.environ on every request (a tenth of a small request's time) for nothing.
NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The service; ``settings`` default to the environment's (read when it starts)."""
    app = FastAPI(
        title="Loan default risk",
        description="Scores loan applications with the production model from the registry.",
        version="1.0",
        lifespan=lifespan,
        telemetry=NO_OPENTELEMETRY,
        docs_url=None,  # served offline below; ReDoc would load from a CDN, so it is off
        redoc_url=None,
    )
    serve_docs_offline(app)
    app.state.settings = settings
    app.state.service_state = None
    app.state.route_paths = None
    app.state.metrics = ServiceMetrics()
    app.add_middleware(ObserveRequests)
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(HTTPException, http_error)
    app.include_router(routes)
    return app


# --- middleware: refuse huge, slow or non-JSON bodies, count and time every request -----------
JSON_BODY_PATHS = frozenset({"/predict", "/predict/batch"})
DEFAULT_BODY_TIMEOUT_S = ServiceSettings.body_timeout_s


class ObserveRequests:
    """ASGI middleware: 413 for a body over MAX_BODY_BYTES, 408 for one that trickles in slower
    than BODY_TIMEOUT_S, 415 for a body that is not JSON; request count and duration metrics
    with bounded labels (unknown methods and paths are counted as "other")."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        fastapi_app = scope["app"]
        metrics: ServiceMetrics = fastapi_app.state.metrics
        path = scope["path"] if scope["path"] in known_paths(fastapi_app) else OTHER
        method = scope["method"] if scope["method"] in KNOWN_METHODS else OTHER
        status = 500
        refusal_body = bytearray()  # only a refusal's body is kept (a small Problem JSON)

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status >= 400:
                refusal_body.extend(message.get("body", b"")[:REFUSAL_BODY_BYTES])
            await send(message)

        try:
            refusal = None
            if scope["method"] == "POST" and scope["path"] in JSON_BODY_PATHS:
                refusal = content_type_refusal(scope)
            body: bytes | None = b""
            if refusal is None:
                current = fastapi_app.state.service_state
                timeout = current.settings.body_timeout_s if current else DEFAULT_BODY_TIMEOUT_S
                try:
                    async with asyncio.timeout(timeout):  # no extra task, unlike wait_for
                        body = await read_limited_body(scope, receive)
                except TimeoutError:
                    refusal = problem(408, f"the request body did not arrive within {timeout:g} s")
                else:
                    refusal = body_refusal(scope, body)
            if refusal is not None:
                await refusal(scope, receive, send_and_note_status)
            else:
                await self.app(scope, replay(body or b"", receive), send_and_note_status)
        finally:
            metrics.observe_request(method, path, status, time.perf_counter() - started)
            if status >= 400:
                log_refusal(method, path, status, bytes(refusal_body))


REFUSAL_BODY_BYTES = 4_096


def log_refusal(method: str, path: str, status: int, body: bytes) -> None:
    """One JSON line in the service log per refused (4xx) or failed (5xx) request: *why*, beside
    the metrics' *how many*. ``path`` is the bounded metrics label and ``detail`` the reply's
    own, which names the wrong fields but never echoes their values."""
    try:
        detail = str(json.loads(body)["detail"])
    except (ValueError, KeyError, TypeError):
        detail = "(no Problem body)"
    record = {"event": REFUSED_EVENT, "status": status, "method": method, "path": path}
    log.log(
        logging.ERROR if status >= 500 else logging.WARNING,
        json.dumps(record | {"detail": detail[:MAX_DETAIL_CHARS]}),
    )


def known_paths(app: FastAPI) -> frozenset[str]:
    """The paths the app routes (computed once per app)."""
    if app.state.route_paths is None:
        found = {getattr(route, "path", None) for route in [*app.routes, *routes.routes]}
        app.state.route_paths = frozenset(path for path in found if path)
    return app.state.route_paths


def body_refusal(scope: Scope, body: bytes | None) -> JSONResponse | None:
    """413 for a body over the limit; 422 for a JSON endpoint's body that is not UTF-8 text."""
    if body is None:
        return problem(413, f"request body is larger than {MAX_BODY_BYTES:,} bytes")
    if scope["path"] in JSON_BODY_PATHS:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return problem(422, "the body is not valid JSON (it is not UTF-8 text)")
    return None


def content_type_refusal(scope: Scope) -> JSONResponse | None:
    """A 415 naming the problem when a JSON endpoint gets no or another Content-Type."""
    given = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    media_type = given.split(";")[0].strip().lower()
    if media_type == "application/json":
        return None
    found = f"Content-Type {given!r}" if given else "no Content-Type header"
    return problem(415, f"send the body as JSON with Content-Type: application/json (got {found})")


def problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse(Problem(detail=detail).model_dump(), status_code=status)


async def read_limited_body(scope: Scope, receive: Receive) -> bytes | None:
    """The whole request body, or None as soon as it exceeds MAX_BODY_BYTES."""
    declared = dict(scope["headers"]).get(b"content-length", b"0")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY_BYTES:
            return None
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then waits for a disconnect."""
    delivered = False

    async def receive_again() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again


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


async def http_error(request: Request, exc: Exception) -> Response:
    """Every HTTPException as the documented ``Problem`` body."""
    assert isinstance(exc, HTTPException)
    response = problem(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


# --- health and model ------------------------------------------------------------------------
routes = APIRouter()


@routes.get("/health", response_model=Health)
async def health(request: Request) -> Health:
    """Liveness: the process answers and a model is loaded."""
    current = request.app.state.service_state
    return Health(
        status="ok",
        model_loaded=current is not None,
        model_version=current.service.version if current else None,
    )


@routes.get("/model", response_model=ModelInfo, responses=NOT_READY)
async def model(state: StateDep) -> ModelInfo:
    """Metadata of the serving version, and how it is served (backend and why)."""
    batching = Batching(**state.batcher.describe()) if state.batcher else None
    return ModelInfo(**state.service.describe(), microbatch=batching, max_batch_rows=MAX_BATCH_ROWS)


# --- predict one application -----------------------------------------------------------------
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_of(request: Request) -> str:
    """The caller's X-Request-ID if it is sensible, else a fresh one."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else secrets.token_hex(16)  # 128 random bits


async def predict_one(state: State, row: dict) -> Prediction:
    if state.batcher is not None:
        return await state.batcher.submit(row)  # grouped with concurrent requests
    [prediction] = await run_in_threadpool(state.service.predict_rows, [row])
    return prediction


# The body is validated straight from its JSON bytes by pydantic (Rust), and the answer written
# straight to JSON: FastAPI's generic path (bytes -> dict -> model, then the response model
# validated again and encoded) cost more than the model itself. The schema stays documented.
PREDICT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/LoanApplication"},
                "example": EXAMPLE_APPLICATION,
            }
        },
    }
}


def parse_application(body: bytes) -> LoanApplication:
    """The validated application in a /predict body; a 422 naming each problem otherwise."""
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "missing"}])
    try:
        return LoanApplication.model_validate_json(body)
    except ValidationError as error:
        problems = [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_input=False)]
        raise RequestValidationError(problems) from None


@routes.post(
    "/predict",
    response_model=PredictionResponse,
    responses={**ERRORS, **NOT_READY},
    openapi_extra=PREDICT_BODY,
)
async def predict(request: Request, state: StateDep, explain: bool = False) -> Response:
    """Default probability and decision for one application (``?explain=true`` adds reasons)."""
    started = time.perf_counter()
    application = parse_application(await request.body())
    request_id = request_id_of(request)
    row = application.__dict__  # the validated fields, without copying them
    prediction = await predict_one(state, row)
    reasons = None
    if explain:
        reasons = await run_in_threadpool(top_reasons, state.service.model, row)
    latency_ms = (time.perf_counter() - started) * 1_000
    log_predictions(state, request_id, "/predict", [row], [prediction], latency_ms)
    answer = PredictionResponse(
        request_id=request_id,
        model_version=prediction.model_version,
        probability=prediction.probability,
        decision=cast(Decision, prediction.decision),
        threshold=prediction.threshold,
        reasons=None if reasons is None else [Reason(**reason) for reason in reasons],
    )
    return Response(
        answer.model_dump_json(),
        media_type="application/json",
        headers={"X-Request-ID": request_id},
    )


# --- predict many applications ---------------------------------------------------------------
@routes.post("/predict/batch", response_model=BatchResponse, responses={**ERRORS, **NOT_READY})
async def predict_batch(body: BatchRequest, request: Request, state: StateDep) -> BatchResponse:
    """Score up to MAX_BATCH_ROWS applications in one model call."""
    started = time.perf_counter()
    request_id = request_id_of(request)
    rows = [application.__dict__ for application in body.applications]
    predictions = await run_in_threadpool(state.service.predict_rows, rows)
    latency_ms = (time.perf_counter() - started) * 1_000
    log_predictions(state, request_id, "/predict/batch", rows, predictions, latency_ms)
    return BatchResponse(
        request_id=request_id,
        model_version=predictions[0].model_version,
        threshold=predictions[0].threshold,
        count=len(predictions),
        predictions=[
            RowPrediction(probability=p.probability, decision=cast(Decision, p.decision))
            for p in predictions
        ],
    )


def log_predictions(
    state: State,
    request_id: str,
    endpoint: str,
    rows: list[dict],
    predictions: list[Prediction],
    ms: float,
) -> None:
    """One structured log record and one metrics update per prediction."""
    many = len(rows) > 1
    state.logger.log(
        [
            PredictionRecord(
                request_id=f"{request_id}:{i}" if many else request_id,
                model_version=p.model_version,
                endpoint=endpoint,
                inputs=row,
                probability=p.probability,
                decision=p.decision,
                latency_ms=round(ms, 3),
            )
            for i, (row, p) in enumerate(zip(rows, predictions, strict=True))
        ]
    )
    for p in predictions:
        state.metrics.observe_prediction(p.decision, p.probability)


# --- metrics for Prometheus ------------------------------------------------------------------
@routes.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics_page(metrics: MetricsDep) -> Response:
    """Request counts, latency histogram and prediction distribution (Prometheus text)."""
    return Response(metrics.render(), media_type=CONTENT_TYPE)


# --- reload after a promotion ----------------------------------------------------------------
async def require_admin(request: Request, state: StateDep) -> None:
    """Admin needs ``Authorization: Bearer $ADMIN_TOKEN``; without ADMIN_TOKEN admin is off."""
    expected = state.settings.admin_token
    if expected is None:
        raise HTTPException(403, "admin is off: the service was started without ADMIN_TOKEN")
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401, "admin needs Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"}
        )
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(403, "the admin token is wrong")


@routes.post(
    "/admin/reload",
    response_model=Reloaded,
    include_in_schema=False,
    dependencies=[Depends(require_admin)],
)
async def reload_model(state: StateDep) -> Reloaded:
    """Load the registry's production version and swap it in; in-flight requests finish.

    If the new version cannot be loaded the old one keeps serving; the reply says why in
    general terms (no versions or hashes), the service log has the details.
    """
    try:
        previous, new = await run_in_threadpool(state.service.reload)
    except (RegistryError, OSError, ValueError) as error:
        log.error("reload failed, the previous model keeps serving: %s", error)
        why = (
            "the production model failed its integrity check"
            if isinstance(error, IntegrityError)
            else "the production model could not be loaded"
        )
        raise HTTPException(
            503, f"reload failed: {why}; still serving the previous model (see the service log)"
        ) from error
    state.metrics.serving(new, previous)
    freeze_loaded_objects()
    if state.batcher is not None:  # the new version may be served by the other backend
        state.batcher.in_thread = state.service.model.call_in_thread
    return Reloaded(model_version=new, previous_version=previous)


app = create_app()
