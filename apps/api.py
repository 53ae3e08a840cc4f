"""The loan-default model as a web service.

Run it with::

    uvicorn apps.api:app --port 8000 --timeout-keep-alive 75 \
        --http workshop_lib.realtime.http_limits:HeadLimitedProtocol  # docs at /docs

It binds to 127.0.0.1 unless given ``--host``. Fast by default: micro-batching on and the
version's verified ONNX export (see ``GET /model``'s ``backend_reason``). Environment variables:
MODEL_REGISTRY (registry folder), MODEL_BACKEND=auto|sklearn|onnx (sklearn turns ONNX off),
MICROBATCH=1|0 (0 turns batching off) with MICROBATCH_MAX_SIZE and MICROBATCH_WAIT_MS,
PREDICTION_LOG (JSON Lines file), ADMIN_TOKEN (unset: /admin/* is off), BODY_TIMEOUT_S (a body
not received within it is answered 408), MAX_IN_FLIGHT (more scoring requests at once are
answered 503), HEADER_TIMEOUT_S (a request head not received within it is answered 408),
PROMETHEUS_MULTIPROC_DIR (an empty folder, needed for ``--workers N``: metrics summed over
the workers; several workers without it refuse to start: each would serve only its own counts).

Keep-alive: ``--timeout-keep-alive 75`` keeps idle connections longer than clients and proxies
keep theirs (aiohttp 15 s, most load balancers 60 s), so a client never reuses a connection the
server is closing at that instant (with uvicorn's default 5 s, 0.2-1 % of requests from 64
keep-alive clients were reset). ``--http ...HeadLimitedProtocol``: uvicorn's default parser
buffers a request head of any size and waits for it forever; this one answers 431 above 32 KiB
and 408 after HEADER_TIMEOUT_S (see ``workshop_lib.realtime.http_limits``). Bodies, errors and
metrics are handled by ``realtime.request_guard`` and ``realtime.problems``.
"""

# --- one thread per model call -----------------------------------------------------------------
# Set before numpy/scikit-learn load: each worker process uses one core, and we scale with
# more workers and with batching rather than with threads fighting over the same cores.
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gc
import hmac
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.telemetry import TelemetryConfig

from workshop_lib.prediction_log import PredictionLogger, PredictionRecord
from workshop_lib.realtime.api_contract import (
    ERRORS,
    NOT_READY,
    Batching,
    BatchRequest,
    BatchResponse,
    Decision,
    Health,
    ModelInfo,
    PredictionResponse,
    Reason,
    Reloaded,
    RowPrediction,
    add_request_schemas,
    request_body,
)
from workshop_lib.realtime.http_metrics import (
    CONTENT_TYPE,
    ServiceMetrics,
    refuse_unshared_workers,
)
from workshop_lib.realtime.microbatch import MicroBatcher
from workshop_lib.realtime.problems import add_problem_handlers, parse_body
from workshop_lib.realtime.request_guard import ObserveRequests
from workshop_lib.realtime.serving import (
    MAX_BATCH_ROWS,
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
    refuse_unshared_workers()
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
    )
    app.state.settings = settings
    app.state.service_state = None
    app.state.metrics = ServiceMetrics()
    app.add_middleware(ObserveRequests, routers=[routes])  # 415, 413, 408, 503; metrics
    add_problem_handlers(app)  # every error as a Problem body (a 422 names each bad field)
    app.include_router(routes)
    add_request_schemas(app, LoanApplication, BatchRequest)  # the bodies the routes parse
    return app


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
PREDICT_BODY = request_body(LoanApplication, example=EXAMPLE_APPLICATION)


@routes.post(
    "/predict",
    response_model=PredictionResponse,
    responses={**ERRORS, **NOT_READY},
    openapi_extra=PREDICT_BODY,
)
async def predict(request: Request, state: StateDep, explain: bool = False) -> Response:
    """Default probability and decision for one application (``?explain=true`` adds reasons)."""
    started = time.perf_counter()
    application = parse_body(await request.body(), LoanApplication)  # or a 422 naming the field
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
@routes.post(
    "/predict/batch",
    response_model=BatchResponse,
    responses={**ERRORS, **NOT_READY},
    openapi_extra=request_body(BatchRequest),
)
async def predict_batch(request: Request, state: StateDep) -> BatchResponse:
    """Score up to MAX_BATCH_ROWS applications in one model call."""
    started = time.perf_counter()
    body = parse_body(await request.body(), BatchRequest)  # as /predict: a 422 names the cause
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
