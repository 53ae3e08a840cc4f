"""The Streamlit front end: AppTest for the widgets, a real headless Chromium for the page."""

from __future__ import annotations

import re

import pytest
from helpers import promoted_registry, require_in_ci
from streamlit.testing.v1 import AppTest

from tools import screenshots
from workshop_lib import data, paths, schema
from workshop_lib.realtime import api_client, what_if
from workshop_lib.realtime.api_client import ServiceError
from workshop_lib.schema import FEATURES
from workshop_lib.support.servers import free_port, start_uvicorn

pytestmark = pytest.mark.slow
APP = str(paths.PROJECT_ROOT / "apps" / "frontend.py")


@pytest.fixture(scope="module")
def api(tmp_path_factory, trained, small_frames):
    """The real model service on a throw-away registry."""
    folder = tmp_path_factory.mktemp("frontend")
    registry = promoted_registry(folder / "models", trained, small_frames)
    env = {"MODEL_REGISTRY": str(registry.root), "PREDICTION_LOG": str(folder / "log.jsonl")}
    with start_uvicorn(env=env, name="test-frontend-api") as server:
        yield server


def _app(monkeypatch, url: str) -> AppTest:
    monkeypatch.setenv(api_client.URL_ENV_VAR, url)
    return AppTest.from_file(APP, default_timeout=60).run()


def test_form_shows_version_probability_and_decision(api, monkeypatch):
    app = _app(monkeypatch, api.url)
    assert not app.exception
    assert app.title[0].value == "Loan default risk"
    assert "Model version **1.0.0**" in app.sidebar.success[0].value
    app.button[0].click().run()
    labels = {m.label: m.value for m in app.metric}
    assert labels["Decision"] in {"APPROVE", "DECLINE"}
    assert labels["Default probability"].endswith("%")
    assert len(app.table) == 1  # the top reasons


def test_service_down_is_a_message_not_a_traceback(monkeypatch):
    app = _app(monkeypatch, f"http://127.0.0.1:{free_port()}")
    assert not app.exception
    assert "is not reachable" in app.error[0].value
    assert len(app.metric) == 0


def test_csv_is_scored_in_chunks_through_the_batch_endpoint(api):
    table = data.make_applications(25, seed=5)
    scored = api_client.score_csv(api.url, table.to_csv(index=False).encode())
    assert len(scored) == 25 and set(scored["decision"]) <= {"approve", "decline"}
    assert (scored["model_version"] == "1.0.0").all()
    assert scored["application_id"].tolist() == table["application_id"].tolist()
    assert api_client.batch_requests_needed(2_500, 1_000) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"age,income\n1,2\n", "missing the column"),
        (b"\xff\xfe\x00garbage", "not a readable CSV"),
    ],
)
def test_bad_csv_is_a_clear_error(api, content, message):
    with pytest.raises(ServiceError, match=message):
        api_client.score_csv(api.url, content)


def test_invalid_rows_name_the_field_and_the_row_of_the_whole_table(api):
    table = data.make_applications(1_205, seed=6)[FEATURES]
    table.loc[1_100, "credit_score"] = 10  # in the second /predict/batch chunk
    with pytest.raises(ServiceError, match=r"row 1100 of the table: credit_score") as refused:
        api_client.score_table(api.url, table)
    assert [(p["row"], p["field"]) for p in refused.value.problems] == [(1_100, "credit_score")]


def test_labels_and_help_come_from_the_schema_and_the_address_is_not_a_field(api, monkeypatch):
    app = _app(monkeypatch, api.url)
    shown = {box.label: box.help for box in app.number_input}
    assert shown == {schema.LABELS[f.name]: schema.HELP[f.name] for f in schema.NUMERIC}
    assert all(label != name for label, name in zip(shown, schema.NUMERIC_FEATURES, strict=True))
    form_boxes = [box.label for box in app.selectbox][: len(schema.CATEGORIES)]
    assert form_boxes == [schema.LABELS[name] for name in schema.CATEGORIES]
    assert len(app.text_input) == 0  # the service address is configuration (API_URL), not input
    assert api.url in app.sidebar.caption[0].value


def test_the_last_result_survives_a_rerun_and_a_what_if_chart_follows(api, monkeypatch):
    app = _app(monkeypatch, api.url)
    assert not app.get("vega_lite_chart")  # nothing scored yet, no what-if
    app.button[0].click().run()
    scored = {m.label: m.value for m in app.metric}
    app.selectbox[-1].set_value("credit_score").run()  # a rerun in which the form is not sent
    assert not app.exception
    assert {m.label: m.value for m in app.metric} == scored
    assert len(app.get("vega_lite_chart")) == 1


def test_the_what_if_curve_agrees_with_single_predictions(api):
    applicant = dict(schema.EXAMPLE_APPLICATION)
    values = what_if.feature_grid("credit_score", applicant["credit_score"], points=6)
    assert float(applicant["credit_score"]) in values and len(values) >= 6
    answer = api_client.score_rows(api.url, what_if.what_if_rows(applicant, "credit_score", values))
    curve = [row["probability"] for row in answer["predictions"]]
    for value, probability in list(zip(values, curve, strict=True))[::2]:
        single = api_client.predict(api.url, {**applicant, "credit_score": int(value)}, False)
        assert single["probability"] == pytest.approx(probability, abs=1e-9)
    assert curve[0] > curve[-1]  # a better credit score, a lower risk


def test_headless_chromium_renders_the_title_and_a_prediction(api, tmp_path):
    """What `make screenshots` captures for chapter 04: the page with the example scored."""
    chromium = require_in_ci("chromium")
    text, shot = screenshots.capture_frontend(api.url, chromium, tmp_path / "profile")
    assert re.search(r"Default probability\s+\d+\.\d%", text)
    assert re.search(r"Decision\s+(APPROVE|DECLINE)", text)
    assert "Model version 1.0.0" in text
    assert shot.startswith(b"\x89PNG") and 10_000 < len(shot) < screenshots.MAX_BYTES


def test_a_csv_with_booleans_or_text_in_a_number_column_is_refused_by_row(api):
    table = data.make_applications(5, seed=8)[FEATURES].astype({"credit_score": object})
    table.loc[3, "credit_score"] = "true"
    content = table.to_csv(index=False).encode()
    with pytest.raises(ServiceError, match="row 3 of the table: credit_score"):
        api_client.score_csv(api.url, content)
    flags = data.make_applications(4, seed=9)[FEATURES].assign(delinquencies_2y=[True, False] * 2)
    with pytest.raises(ServiceError, match="delinquencies_2y"):
        api_client.score_csv(api.url, flags.to_csv(index=False).encode())
