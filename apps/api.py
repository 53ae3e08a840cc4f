"""The loan-default model as a web service.

Run it with::

    uvicorn apps.api:app --port 8000            # then open http://127.0.0.1:8000/docs

Environment variables: MODEL_REGISTRY (registry folder), MODEL_BACKEND=sklearn|onnx,
MICROBATCH=1|0 with MICROBATCH_MAX_SIZE and MICROBATCH_WAIT_MS, PREDICTION_LOG (JSON Lines file).
"""

# --- one thread per model call -----------------------------------------------------------------
# Set before numpy/scikit-learn load: each worker process uses one core, and we scale with
# more workers and with batching rather than with threads fighting over the same cores.
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workshop_lib.metrics import PROBABILITY_BUCKETS, MetricsRegistry
from workshop_lib.microbatch import MicroBatcher
from workshop_lib.prediction_log import PredictionLogger, PredictionRecord
from workshop_lib.registry import RegistryError
from workshop_lib.schema import LoanApplication
from workshop_lib.serving import (
    MAX_BATCH_ROWS,
    MAX_BODY_BYTES,
    BatchRequest,
    BatchResponse,
    ModelService,
    Prediction,
    PredictionResponse,
    ServiceSettings,
    top_reasons,
)


# --- state: the model, the batcher, the log, the metrics -------------------------------------
@dataclass
class State:
    service: ModelService
    logger: PredictionLogger
    batcher: MicroBatcher | None


STATE: dict[str, State] = {}
METRICS = MetricsRegistry()
REQUESTS = METRICS.counter(
    "http_requests_total", "HTTP requests answered.", ["method", "path", "status"]
)
DURATION = METRICS.histogram(
    "http_request_duration_seconds", "Time to answer a request, in seconds.", ["path"]
)
PREDICTIONS = METRICS.counter("predictions_total", "Predictions made, by decision.", ["decision"])
PROBABILITY = METRICS.histogram(
    "prediction_probability", "Predicted default probabilities.", buckets=PROBABILITY_BUCKETS
)
MODEL_INFO = METRICS.gauge("model_info", "The model version being served (value 1).", ["version"])


def state() -> State:
    return STATE["app"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the production model before the first request; stop the batcher at shutdown."""
    settings = ServiceSettings.from_env()
    service = ModelService(settings)
    batcher = None
    if settings.microbatch:
        batcher = MicroBatcher(
            service.predict_rows, settings.microbatch_max_size, settings.microbatch_wait_ms
        )
        await batcher.start()
    STATE["app"] = State(service, PredictionLogger(settings.log_path), batcher)
    MODEL_INFO.set(1, version=service.version)
    yield
    if batcher is not None:
        await batcher.stop()


app = FastAPI(
    title="Loan default risk",
    description="Scores loan applications with the production model from the registry.",
    version="1.0",
    lifespan=lifespan,
)


# --- middleware: refuse huge bodies, count and time every request ----------------------------
class ObserveRequests:
    """ASGI middleware: 413 for a body over MAX_BODY_BYTES; request count and duration metrics."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.known_paths: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"] if scope["path"] in self.paths() else "other"
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            body = await read_limited_body(scope, receive)
            if body is None:
                too_big = JSONResponse(
                    {"detail": f"request body is larger than {MAX_BODY_BYTES:,} bytes"}, 413
                )
                await too_big(scope, receive, send_and_note_status)
            else:
                await self.app(scope, replay(body, receive), send_and_note_status)
        finally:
            REQUESTS.inc(method=scope["method"], path=path, status=str(status))
            DURATION.observe(time.perf_counter() - started, path=path)

    def paths(self) -> set[str]:
        if not self.known_paths:
            self.known_paths = {route.path for route in app.routes}
        return self.known_paths


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


app.add_middleware(ObserveRequests)


# --- bad input: 422 with a message that names each field -------------------------------------
def describe_error(error: dict) -> dict[str, str]:
    """One validation error as {"field", "message"}, never echoing the input (it may be NaN)."""
    location = [str(part) for part in error["loc"] if part != "body"]
    if error["type"] == "json_invalid":
        detail = error.get("ctx", {}).get("error", "")
        return {"field": "body", "message": f"the body is not valid JSON ({detail})"}
    if error["type"] == "missing" and not location:
        return {"field": "body", "message": "the request has no JSON body"}
    return {"field": ".".join(location) or "body", "message": error["msg"]}


@app.exception_handler(RequestValidationError)
async def validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [describe_error(e) for e in exc.errors()]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse({"detail": summary, "errors": errors}, status_code=422)


# --- health and model ------------------------------------------------------------------------
@app.get("/health")
async def health() -> dict:
    """Liveness: the process answers and a model is loaded."""
    current = STATE.get("app")
    return {
        "status": "ok",
        "model_loaded": current is not None,
        "model_version": current.service.version if current else None,
    }


@app.get("/model")
async def model() -> dict:
    """Metadata of the serving version, and how it is served."""
    current = state()
    batching = current.batcher.describe() if current.batcher else None
    return {**current.service.describe(), "microbatch": batching, "max_batch_rows": MAX_BATCH_ROWS}


# --- predict one application -----------------------------------------------------------------
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_of(request: Request) -> str:
    """The caller's X-Request-ID if it is sensible, else a fresh one."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


async def predict_one(row: dict) -> Prediction:
    current = state()
    if current.batcher is not None:
        return await current.batcher.submit(row)  # grouped with concurrent requests
    [prediction] = await run_in_threadpool(current.service.predict_rows, [row])
    return prediction


@app.post("/predict", response_model=PredictionResponse)
async def predict(
    application: LoanApplication, request: Request, response: Response, explain: bool = False
) -> PredictionResponse:
    """Default probability and decision for one application (``?explain=true`` adds reasons)."""
    started = time.perf_counter()
    request_id = request_id_of(request)
    row = application.model_dump()
    prediction = await predict_one(row)
    reasons = None
    if explain:
        reasons = await run_in_threadpool(top_reasons, state().service.loaded, row)
    latency_ms = (time.perf_counter() - started) * 1_000
    log_predictions(request_id, "/predict", [row], [prediction], latency_ms)
    response.headers["X-Request-ID"] = request_id
    return PredictionResponse(
        request_id=request_id,
        model_version=prediction.model_version,
        probability=prediction.probability,
        decision=prediction.decision,
        threshold=prediction.threshold,
        reasons=reasons,
    )


# --- predict many applications ---------------------------------------------------------------
@app.post("/predict/batch", response_model=BatchResponse)
async def predict_batch(body: BatchRequest, request: Request) -> BatchResponse:
    """Score up to MAX_BATCH_ROWS applications in one model call."""
    started = time.perf_counter()
    request_id = request_id_of(request)
    rows = [application.model_dump() for application in body.applications]
    predictions = await run_in_threadpool(state().service.predict_rows, rows)
    latency_ms = (time.perf_counter() - started) * 1_000
    log_predictions(request_id, "/predict/batch", rows, predictions, latency_ms)
    return BatchResponse(
        request_id=request_id,
        model_version=predictions[0].model_version,
        threshold=predictions[0].threshold,
        count=len(predictions),
        predictions=[{"probability": p.probability, "decision": p.decision} for p in predictions],
    )


def log_predictions(
    request_id: str, endpoint: str, rows: list[dict], predictions: list[Prediction], ms: float
) -> None:
    """One structured log record and one metrics update per prediction."""
    many = len(rows) > 1
    state().logger.log(
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
        PREDICTIONS.inc(decision=p.decision)
        PROBABILITY.observe(p.probability)


# --- metrics for Prometheus ------------------------------------------------------------------
@app.get("/metrics", response_class=PlainTextResponse)
async def metrics() -> PlainTextResponse:
    """Request counts, latency histogram and prediction distribution (Prometheus text)."""
    return PlainTextResponse(METRICS.render(), media_type=METRICS.content_type)


# --- reload after a promotion ----------------------------------------------------------------
@app.post("/admin/reload")
async def reload_model() -> dict:
    """Load the registry's production version and swap it in; in-flight requests finish."""
    service = state().service
    try:
        previous, new = await run_in_threadpool(service.reload)
    except (RegistryError, OSError) as error:
        raise HTTPException(
            503, f"reload failed, still serving {service.version}: {error}"
        ) from error
    MODEL_INFO.clear()
    MODEL_INFO.set(1, version=new)
    return {"model_version": new, "previous_version": previous}
