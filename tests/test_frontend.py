"""The Streamlit front end: AppTest for the widgets, a real headless Chromium for the page."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers import promoted_registry, require_in_ci
from streamlit.testing.v1 import AppTest

from tools import screenshots
from workshop_lib import data, paths, schema
from workshop_lib.realtime import api_client, what_if
from workshop_lib.realtime.api_client import ServiceError
from workshop_lib.schema import FEATURES
from workshop_lib.support.servers import free_port, start_uvicorn
from workshop_lib.support.streamlit_testing import app_test

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
    return app_test(APP, timeout=60).run()


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
    assert "Deploy" not in text  # .streamlit/config.toml: toolbarMode "minimal"
    assert not re.search(r"\d\.0000\b", text)  # whole numbers without decimals
    assert "200MB per file" not in text and "5MB per file" in text  # the upload limit
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


# --- uploads: limits, unusable numbers, refusals counted by row; numbers shown by type --------
def _upload(monkeypatch, url: str, content: bytes) -> AppTest:
    app = _app(monkeypatch, url)
    app.file_uploader[0].set_value(("applications.csv", content, "text/csv")).run()
    return app


@pytest.mark.parametrize("cell", ["inf", "1e400", "-inf"])
def test_an_uploaded_number_too_large_to_send_is_a_message_naming_its_cell(api, monkeypatch, cell):
    table = data.make_applications(6, seed=10)[FEATURES].astype({"annual_income": object})
    table.loc[4, "annual_income"] = cell
    app = _upload(monkeypatch, api.url, table.to_csv(index=False).encode())
    assert not app.exception, app.exception[0].message if app.exception else ""
    assert "row 4 of the table: annual_income" in app.error[0].value
    assert "row 0 of" not in app.error[0].value  # the other rows are numbers, not text
    assert "not a finite number" in app.error[0].value
    assert len(app.dataframe) == 0


def test_a_refusal_counts_the_rows_not_the_field_problems(api, monkeypatch):
    table = data.make_applications(200, seed=11)[FEATURES].astype(
        {name: object for name in schema.CATEGORIES}
    )
    bad = table.index[:150]
    for feature in schema.NUMERIC:
        table.loc[bad, feature.name] = feature.minimum - 1  # every number below its range
    for name in schema.CATEGORIES:
        table.loc[bad, name] = "unknown"  # and every category unknown: 12 problems a row
    app = _upload(monkeypatch, api.url, table.to_csv(index=False).encode())
    assert not app.exception
    message = app.error[0].value
    assert message.startswith("The service refused 150 row(s), 1,800 fields (first 5 shown)")
    assert "row 0 of the table:" in message


def _limits(app: AppTest) -> tuple[int, int]:
    """The rows and megabytes the page says it accepts, from its caption under the uploader."""
    said = re.search(r"Up to ([\d,]+) rows and (\d+) MB a file", app.main.caption[-1].value)
    assert said, app.main.caption[-1].value
    return int(said[1].replace(",", "")), int(said[2])


def test_an_upload_over_the_limits_is_refused_before_scoring_and_the_page_says_them(
    api, monkeypatch
):
    rows, megabytes = _limits(_app(monkeypatch, api.url))
    assert megabytes < 200 and 1_000 <= rows <= 100_000  # not Streamlit's 200 MB default
    table = data.make_applications(rows + 1, seed=12)[FEATURES]
    content = table.to_csv(index=False).encode()
    assert len(content) < megabytes * 1024 * 1024  # the rows are the limit here
    app = _upload(monkeypatch, api.url, content)
    assert not app.exception
    refused = f"The file has more than {rows:,} rows: split it into smaller files"
    assert app.error[0].value == refused
    assert app.file_uploader[0].proto.max_upload_size_mb == megabytes  # the browser's limit
    too_big = table.head(1).to_csv(index=False).encode() + b" " * (megabytes * 1024 * 1024)
    app = _upload(monkeypatch, api.url, too_big)  # a client that skips the browser's check
    assert app.error[0].value == f"The file is over {megabytes} MB: split it into smaller files"


def test_the_streamlit_config_is_in_effect_from_the_root(api, monkeypatch):
    """`make frontend`, `servers.start_streamlit` and the tests all start from the root."""
    shown = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"],
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    settings = dict(re.findall(r"^(\w+) = (.+)$", shown, flags=re.MULTILINE))
    assert settings["gatherUsageStats"] == "false"
    assert settings["toolbarMode"] == '"minimal"'
    assert settings["headless"] == "true"
    _, megabytes = _limits(_app(monkeypatch, api.url))
    assert settings["maxUploadSize"] == str(megabytes)  # the server's limit is the page's


def test_numbers_in_the_reasons_are_written_as_their_type(api, monkeypatch):
    app = _app(monkeypatch, api.url)
    app.button[0].click().run()
    reasons = app.table[0].value
    integer = {schema.LABELS[f.name] for f in schema.NUMERIC if f.integer}
    for _, row in reasons.iterrows():
        for column in ("value", "typical"):
            assert isinstance(row[column], str), (row["feature"], column, row[column])
            number = float(row[column].replace(",", ""))
            if number.is_integer():
                assert "." not in row[column], row[column]  # 38, not 38.0000
            if row["feature"] in integer and column == "value":
                assert re.fullmatch(r"[\d,]+", row[column]), row[column]
