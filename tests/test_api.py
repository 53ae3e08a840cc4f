"""The real-time service, served by a real uvicorn process against a throw-away registry."""

from __future__ import annotations

import json
import math
import os
import threading
import time

import httpx
import pytest
from helpers import promoted_registry

from workshop_lib import data
from workshop_lib.prediction_log import read_prediction_log
from workshop_lib.realtime.http_metrics import parse_metrics
from workshop_lib.realtime.loadgen import load_test
from workshop_lib.realtime.refusal_log import read_refusals
from workshop_lib.realtime.serving import (
    MAX_BATCH_ROWS,
    MAX_BODY_BYTES,
    ModelService,
    ServiceSettings,
)
from workshop_lib.registry import Registry, RegistryError
from workshop_lib.schema import EXAMPLE_APPLICATION, FEATURES
from workshop_lib.support.servers import (
    ServerStartError,
    start_server,
    start_uvicorn,
    uvicorn_command,
)

pytestmark = pytest.mark.slow
EXAMPLE = EXAMPLE_APPLICATION


@pytest.fixture(scope="module")
def shared_registry(tmp_path_factory, trained, small_frames) -> Registry:
    return promoted_registry(tmp_path_factory.mktemp("api") / "models", trained, small_frames)


ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _serve(registry: Registry, log_path, **env: str):
    settings = {
        "MODEL_REGISTRY": str(registry.root),
        "PREDICTION_LOG": str(log_path),
        "ADMIN_TOKEN": ADMIN_TOKEN,
        **env,
    }
    return start_uvicorn(env=settings, name="test-api")


@pytest.fixture(scope="module")
def api(shared_registry, tmp_path_factory):
    log = tmp_path_factory.mktemp("api-log") / "predictions.jsonl"
    with _serve(shared_registry, log, MICROBATCH="0") as server:
        server.prediction_log = log
        yield server


@pytest.fixture(scope="module")
def client(api):
    with httpx.Client(base_url=api.url, timeout=30) as client:
        yield client


def test_health_reports_the_loaded_model(client):
    body = client.get("/health").json()
    assert body == {"status": "ok", "model_loaded": True, "model_version": "1.0.0"}


def test_model_endpoint_shows_metadata(client):
    body = client.get("/model").json()
    assert body["version"] == "1.0.0" and body["backend"] == "onnx"  # verified export, default
    assert "verified" in body["backend_reason"]
    assert body["max_batch_rows"] == MAX_BATCH_ROWS and body["microbatch"] is None  # MICROBATCH=0


def test_predict_returns_probability_decision_version_and_request_id(client):
    response = client.post("/predict", json=EXAMPLE, headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    body = response.json()
    assert 0 <= body["probability"] <= 1
    assert body["decision"] == (
        "decline" if body["probability"] >= body["threshold"] else "approve"
    )
    assert body["model_version"] == "1.0.0"
    assert body["request_id"] == response.headers["x-request-id"] == "abc-123"


def test_predict_matches_the_model_called_directly(client, shared_registry):
    frame = data.make_applications(5, seed=99)
    expected = shared_registry.load().model.predict_proba(frame[FEATURES])[:, 1]
    for (_, row), probability in zip(frame[FEATURES].iterrows(), expected, strict=True):
        body = client.post("/predict", json=json.loads(row.to_json())).json()
        assert body["probability"] == pytest.approx(probability, abs=1e-5)  # the ONNX limit


def test_explain_lists_the_strongest_reasons(client):
    risky = EXAMPLE | {"credit_score": 520, "delinquencies_2y": 6, "debt_to_income": 0.9}
    body = client.post("/predict?explain=true", json=risky).json()
    reasons = body["reasons"]
    assert 1 <= len(reasons) <= 3
    assert {r["feature"] for r in reasons} <= set(FEATURES)
    assert all(r["effect"] > 0 for r in reasons)  # each risky value raises the risk
    effects = [abs(r["effect"]) for r in reasons]
    assert effects == sorted(effects, reverse=True)


def test_batch_scores_every_row_in_order(client):
    rows = [EXAMPLE, EXAMPLE | {"credit_score": 500, "delinquencies_2y": 8}]
    body = client.post("/predict/batch", json={"applications": rows}).json()
    assert body["count"] == 2
    single = [client.post("/predict", json=r).json()["probability"] for r in rows]
    assert [p["probability"] for p in body["predictions"]] == pytest.approx(single)


def test_batch_over_the_maximum_is_refused_with_a_clear_message(client):
    response = client.post(
        "/predict/batch", json={"applications": [EXAMPLE] * (MAX_BATCH_ROWS + 1)}
    )
    assert response.status_code == 422
    assert f"at most {MAX_BATCH_ROWS} items" in response.json()["detail"]


def _raw(body: dict) -> str:
    return json.dumps(body)  # allows NaN and Infinity, as a careless client would send them


BAD_INPUTS = {
    "missing field": (_raw({k: v for k, v in EXAMPLE.items() if k != "age"}), 422, "age"),
    "extra field": (_raw(EXAMPLE | {"favourite_colour": "red"}), 422, "favourite_colour"),
    "wrong type": (_raw(EXAMPLE | {"credit_score": "excellent"}), 422, "credit_score"),
    "NaN": (_raw(EXAMPLE | {"annual_income": math.nan}), 422, "annual_income"),
    "infinity": (_raw(EXAMPLE | {"loan_amount": math.inf}), 422, "loan_amount"),
    "negative amount": (_raw(EXAMPLE | {"loan_amount": -100.0}), 422, "loan_amount"),
    "absurd amount": (_raw(EXAMPLE | {"annual_income": 1e12}), 422, "annual_income"),
    "unknown category": (_raw(EXAMPLE | {"purpose": "yacht"}), 422, "purpose"),
    "boolean number": (_raw(EXAMPLE | {"annual_income": True}), 422, "annual_income"),
    "numeric string": (_raw(EXAMPLE | {"age": "38"}), 422, "age"),
    "empty body": ("", 422, "no JSON body"),
    "malformed JSON": ('{"age": 38,', 422, "not valid JSON"),
    "not an object": ("[1, 2, 3]", 422, "body"),
    "huge body": ('{"pad": "' + "x" * (MAX_BODY_BYTES + 10) + '"}', 413, "larger than"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_4xx_naming_the_problem(client, case):
    content, status, named = BAD_INPUTS[case]
    response = client.post(
        "/predict", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert named in response.json()["detail"]


def test_every_prediction_is_logged_for_monitoring(client, api):
    response = client.post("/predict", json=EXAMPLE, headers={"X-Request-ID": "log-check"})
    assert response.status_code == 200
    log = read_prediction_log(api.prediction_log)
    assert log.skipped_lines == 0
    row = log.frame.set_index("request_id").loc["log-check"]
    assert row["endpoint"] == "/predict" and row["model_version"] == "1.0.0"
    assert row["probability"] == pytest.approx(response.json()["probability"])
    assert row["credit_score"] == EXAMPLE["credit_score"] and row["latency_ms"] > 0


def test_refusals_are_logged_with_their_reason_and_successes_are_not(client, api):
    marker = f"refused-check-{time.time_ns()}"  # a field name no other test sends
    assert client.post("/predict", json=EXAMPLE).status_code == 200
    refused = client.post("/predict", json=EXAMPLE | {marker: 1})
    not_json = client.post("/predict", content="age=38", headers={"content-type": "text/plain"})
    assert (refused.status_code, not_json.status_code) == (422, 415)
    logged = read_refusals(api.log_path)
    mine = logged[logged["detail"].str.contains(marker, regex=False)]
    assert mine[["status", "method", "path"]].values.tolist() == [[422, "POST", "/predict"]]
    assert mine["detail"].iloc[0] == refused.json()["detail"]
    assert not_json.json()["detail"] in logged.loc[logged["status"] == 415, "detail"].tolist()
    assert not (logged["status"] < 400).any()


def test_metrics_count_requests_and_predictions(client):
    before = parse_metrics(client.get("/metrics").text)
    decision = client.post("/predict", json=EXAMPLE).json()["decision"]
    after_text = client.get("/metrics").text
    after = parse_metrics(after_text)
    key = ("predictions_total", (("decision", decision),))
    assert after[key] == before.get(key, 0) + 1
    ok = ("http_requests_total", (("method", "POST"), ("path", "/predict"), ("status", "200")))
    assert after[ok] >= 1
    assert ("model_info", (("version", "1.0.0"),)) in after
    for name in ("http_request_duration_seconds_bucket", "prediction_probability_bucket"):
        assert name in after_text


def test_docs_and_openapi_carry_a_request_example(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert spec["components"]["schemas"]["LoanApplication"]["examples"][0] == EXAMPLE


@pytest.fixture(scope="module")
def batched(tmp_path_factory, trained, small_frames):
    """A micro-batching server on its own registry (the reload test promotes a new version)."""
    folder = tmp_path_factory.mktemp("batched")
    registry = promoted_registry(folder / "models", trained, small_frames)
    with _serve(registry, folder / "log.jsonl", MICROBATCH="1") as server:
        server.registry = registry
        yield server


def test_microbatching_gives_the_same_answers_under_concurrent_load(batched):
    result = load_test(f"{batched.url}/predict", 64, 16, EXAMPLE)
    assert result.errors == {} and len(result.latencies_s) == 64
    with httpx.Client(base_url=batched.url) as client:
        batching = client.get("/model").json()["microbatch"]
        body = client.post("/predict", json=EXAMPLE).json()
    assert batching["items"] >= 64 and batching["batches"] < batching["items"]
    expected = batched.registry.load().model.predict_proba(
        data.make_applications(1, seed=0)[FEATURES].assign(**EXAMPLE)
    )[0, 1]
    assert body["probability"] == pytest.approx(expected, abs=1e-5)


def test_reload_serves_a_new_promotion_without_dropping_requests(batched):
    registry = batched.registry
    new_version = registry.register(
        registry.load().model, metrics={}, data_fingerprint="x", kind="same", threshold=0.35
    )
    registry.promote(new_version)
    under_load = {}
    worker = threading.Thread(
        target=lambda: under_load.update(r=load_test(f"{batched.url}/predict", 150, 8, EXAMPLE))
    )
    worker.start()
    reloaded = httpx.post(f"{batched.url}/admin/reload", headers=ADMIN, timeout=30).json()
    worker.join()
    after = httpx.post(f"{batched.url}/predict", json=EXAMPLE).json()
    assert reloaded == {"model_version": new_version, "previous_version": "1.0.0"}
    assert under_load["r"].errors == {} and len(under_load["r"].latencies_s) == 150
    assert after["model_version"] == new_version


def test_a_missing_production_model_is_refused_at_start_up(tmp_path):
    settings = ServiceSettings(registry_root=tmp_path / "empty")
    with pytest.raises(RegistryError, match="no model is in stage 'production'"):
        ModelService(settings)


def test_settings_name_a_bad_environment_variable():
    with pytest.raises(ValueError, match="MICROBATCH="):
        ServiceSettings.from_env({"MICROBATCH": "maybe"})
    with pytest.raises(ValueError, match="MODEL_BACKEND"):
        ServiceSettings.from_env({"MODEL_BACKEND": "tensorflow"})
    with pytest.raises(ValueError, match="MICROBATCH_WAIT_MS"):
        ServiceSettings.from_env({"MICROBATCH_WAIT_MS": "-3"})


def test_onnx_backend_agrees_with_sklearn(shared_registry, tmp_path):
    pytest.importorskip("workshop_lib.edge.onnx_export")
    with _serve(shared_registry, tmp_path / "log.jsonl", MODEL_BACKEND="onnx") as server:
        assert httpx.get(f"{server.url}/model").json()["backend"] == "onnx"
        onnx_p = httpx.post(f"{server.url}/predict", json=EXAMPLE).json()["probability"]
    sklearn_p = shared_registry.load().model.predict_proba(
        data.make_applications(1, seed=0)[FEATURES].assign(**EXAMPLE)
    )[0, 1]
    assert onnx_p == pytest.approx(sklearn_p, abs=1e-4)


def test_admin_needs_the_token_and_is_not_in_the_public_schema(client):
    assert client.post("/admin/reload").status_code == 401
    wrong = client.post("/admin/reload", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and "wrong" in wrong.json()["detail"]
    assert not any(p.startswith("/admin") for p in client.get("/openapi.json").json()["paths"])


@pytest.mark.parametrize(
    ("headers", "named"),
    [({}, "no Content-Type"), ({"content-type": "text/plain"}, "text/plain")],
)
def test_a_body_without_json_content_type_is_a_clear_415(client, headers, named):
    response = client.post("/predict", content=json.dumps(EXAMPLE), headers=headers)
    assert response.status_code == 415 and named in response.json()["detail"]


def test_a_bad_batch_row_is_named_by_index_and_field(client):
    rows = [EXAMPLE, EXAMPLE, EXAMPLE | {"credit_score": True}]
    body = client.post("/predict/batch", json={"applications": rows}).json()
    [error] = body["errors"]
    assert error["row"] == 2 and error["field"] == "applications.2.credit_score"


UNREADABLE_JSON = {
    "deep nesting": ("[" * 100_000, "recursion limit exceeded"),
    "a 4,400-digit integer": ('{"applications": [' + "9" * 4_400 + "]}", "number out of range"),
}


@pytest.mark.parametrize("case", list(UNREADABLE_JSON))
@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_json_that_cannot_be_read_is_a_422_naming_why(client, path, case):
    content, why = UNREADABLE_JSON[case]
    headers = {"content-type": "application/json"}
    response = client.post(path, content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert why in response.json()["detail"]


def test_settings_never_show_the_admin_token():
    settings = ServiceSettings.from_env({"ADMIN_TOKEN": "s3cret-admin-token"})
    assert settings.admin_token == "s3cret-admin-token"
    for shown in (repr(settings), str(settings), f"{settings}"):
        assert "s3cret" not in shown and "admin_token='<redacted>'" in shown


def test_scoring_requests_beyond_max_in_flight_are_a_503_problem(shared_registry, tmp_path):
    import socket

    env = {"MAX_IN_FLIGHT": "2", "BODY_TIMEOUT_S": "2"}
    with _serve(shared_registry, tmp_path / "log.jsonl", **env) as server:
        slow = []  # two requests whose bodies trickle: both in flight until their 408
        for _ in range(2):
            conn = socket.create_connection((server.host, server.port), timeout=10)
            conn.sendall(
                b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 400\r\n\r\n{"
            )
            slow.append(conn)
        time.sleep(0.5)
        busy = httpx.post(f"{server.url}/predict", json=EXAMPLE)
        timed_out = [conn.recv(4096) for conn in slow]
        after = httpx.post(f"{server.url}/predict", json=EXAMPLE)
        for conn in slow:
            conn.close()
    assert busy.status_code == 503 and "at capacity (2 requests" in busy.json()["detail"]
    assert busy.headers["retry-after"] == "1"
    assert all(reply.startswith(b"HTTP/1.1 408") for reply in timed_out)
    assert after.status_code == 200


def test_a_corrupted_production_artifact_keeps_the_old_model_serving(
    tmp_path, trained, small_frames
):
    registry = promoted_registry(tmp_path / "models", trained, small_frames)
    with _serve(registry, tmp_path / "log.jsonl") as server:
        (registry.root / "1.0.0" / "model.onnx").write_bytes(b"tampered")
        reply = httpx.post(f"{server.url}/admin/reload", headers=ADMIN, timeout=30)
        after = httpx.post(f"{server.url}/predict", json=EXAMPLE)
    assert reply.status_code == 503
    assert "integrity check" in reply.json()["detail"]
    assert "1.0.0" not in reply.json()["detail"]  # no versions or hashes in error replies
    assert after.status_code == 200 and after.json()["model_version"] == "1.0.0"


def test_a_body_trickling_in_is_cut_off_with_408(shared_registry, tmp_path):
    import socket

    with _serve(shared_registry, tmp_path / "log.jsonl", BODY_TIMEOUT_S="1") as server:
        conn = socket.create_connection((server.host, server.port), timeout=10)
        conn.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400\r\n\r\n{"
        )
        started = time.monotonic()
        reply = conn.recv(4096)  # we send nothing more: one byte would come every 3 s
        conn.close()
    assert reply.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 5


def test_two_workers_add_up_their_counts_by_default(shared_registry, tmp_path):
    log = tmp_path / "log.jsonl"
    settings = {"MODEL_REGISTRY": str(shared_registry.root), "PREDICTION_LOG": str(log)}
    with start_uvicorn(env=settings, workers=2, name="test-2w") as server:
        result = load_test(f"{server.url}/predict", 200, 16, EXAMPLE)
        scrapes = [parse_metrics(httpx.get(f"{server.url}/metrics").text) for _ in range(6)]
    assert result.errors == {}
    totals = {sum(v for (n, _), v in s.items() if n == "predictions_total") for s in scrapes}
    assert totals == {200}  # every scrape, whichever worker answers, sums both


def test_two_workers_without_a_shared_metrics_folder_refuse_to_start(shared_registry, tmp_path):
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    settings = {"MODEL_REGISTRY": str(shared_registry.root), "PREDICTION_LOG": str(tmp_path / "l")}
    command = uvicorn_command("apps.api:app", workers=2)  # as typed by hand: no folder
    with pytest.raises(ServerStartError, match="PROMETHEUS_MULTIPROC_DIR is not set"):
        start_server(command, name="test-2w-bare", env=settings, timeout=60)


def test_in_process_defaults_are_fast_and_strict(shared_registry, tmp_path):
    from fastapi.testclient import TestClient

    from apps.api import create_app

    settings = ServiceSettings(registry_root=shared_registry.root, log_path=tmp_path / "l.jsonl")
    with TestClient(create_app(settings)) as local:
        info = local.get("/model").json()
        assert info["backend"] == "onnx" and info["microbatch"] is not None
        assert local.post("/predict", json=EXAMPLE).status_code == 200
        assert local.post("/admin/reload").status_code == 403  # no ADMIN_TOKEN: admin is off
        sklearn = ServiceSettings(registry_root=shared_registry.root, backend="sklearn")
        assert ModelService(sklearn).describe()["backend"] == "sklearn"
