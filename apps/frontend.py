"""A web page for loan officers, in front of the model service.

Run it (with the service running) with::

    streamlit run apps/frontend.py            # API_URL=http://host:port to point elsewhere

The service address is configuration (``API_URL``), not a field on the page: a page that lets
its visitors choose where the server sends requests would let anyone use it to reach internal
addresses (server-side request forgery). Open ``…/?score=1`` to score the form's example
applicant as soon as the page loads.
"""

# --- imports and the service address ---------------------------------------------------------
from typing import Any

import pandas as pd
import streamlit as st

from workshop_lib import schema
from workshop_lib.realtime import api_client, spreadsheet, what_if
from workshop_lib.realtime.api_client import ServiceError

TITLE = "Loan default risk"
EXAMPLE = schema.EXAMPLE_APPLICATION
URL = api_client.default_url()  # configuration, read once: never taken from the page

st.set_page_config(page_title=TITLE, page_icon="🏦")
st.title(TITLE)
st.sidebar.caption(f"Model service: {URL} (set `API_URL` to change it)")


# --- the model version, or a clear message when the service is down ---------------------------
@st.cache_data(ttl=30, show_spinner=False)
def model_info(url: str) -> dict[str, Any]:
    """``GET /model``, asked at most every 30 s (a reload shows up within that)."""
    return api_client.model_info(url)


try:
    info = model_info(URL)
    st.sidebar.success(f"Model version **{info['version']}** ({info['kind']})")
except ServiceError as error:
    st.error(str(error))
    st.stop()


# --- the form: one input per schema field, with the schema's labels, help and ranges ---------
def number_input(feature: schema.NumericFeature) -> float | int:
    """A number box limited to the feature's allowed range, labelled with its unit."""
    label, help_text = schema.LABELS[feature.name], schema.HELP[feature.name]
    if feature.integer:
        return st.number_input(
            label,
            int(feature.minimum),
            int(feature.maximum),
            int(EXAMPLE[feature.name]),
            help=help_text,
        )
    return st.number_input(
        label, feature.minimum, feature.maximum, float(EXAMPLE[feature.name]), help=help_text
    )


with st.form("application"):
    st.subheader("One application")
    left, right = st.columns(2)
    application: dict[str, Any] = {}
    for index, feature in enumerate(schema.NUMERIC):
        with left if index % 2 == 0 else right:
            application[feature.name] = number_input(feature)
    for name, options in schema.CATEGORIES.items():
        application[name] = st.selectbox(
            schema.LABELS[name],
            options,
            index=options.index(EXAMPLE[name]),
            help=schema.HELP[name],
            format_func=lambda option: option.replace("_", " "),
        )
    submitted = st.form_submit_button("Score this application")


# --- the prediction: probability, decision, reasons -------------------------------------------
def shown(value: Any) -> Any:
    """A number written as its type reads: ``38`` for a whole number, ``0.238`` for a fraction."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value  # a category's text
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0")


def show_prediction(result: dict[str, Any]) -> None:
    first, second = st.columns(2)
    first.metric("Default probability", f"{result['probability']:.1%}")
    second.metric("Decision", result["decision"].upper())
    st.caption(
        f"Declined at or above {result['threshold']:.0%}. Model {result['model_version']}, "
        f"request id {result['request_id']}."
    )
    if result.get("reasons"):
        st.markdown("**Top reasons** (change in default probability against a typical applicant)")
        st.table(
            [
                {
                    "feature": schema.LABELS[r["feature"]],
                    "value": shown(r["value"]),
                    "typical": shown(r["typical"]),
                    "effect": f"{r['effect']:+.1%}",
                }
                for r in result["reasons"]
            ]
        )


if submitted or (st.query_params.get("score") == "1" and "last" not in st.session_state):
    try:
        st.session_state["last"] = {
            "application": dict(application),
            "result": api_client.predict(URL, application),
        }
    except ServiceError as error:
        st.error(str(error))
last = st.session_state.get("last")  # kept across reruns: the officer's last scored applicant
if last is not None:
    show_prediction(last["result"])


# --- what if: the probability as one feature varies ------------------------------------------
def what_if_curve(applicant: dict[str, Any], name: str) -> pd.DataFrame:
    """The applicant scored once per value of ``name``, in one ``/predict/batch`` call."""
    values = what_if.feature_grid(name, float(applicant[name]))
    answer = api_client.score_rows(URL, what_if.what_if_rows(applicant, name, values))
    probabilities = [row["probability"] for row in answer["predictions"]]
    return pd.DataFrame({schema.LABELS[name]: values, "default probability": probabilities})


if last is not None:
    st.subheader("What if?")
    names = [feature.name for feature in schema.NUMERIC]
    chosen = st.selectbox(
        "Vary one feature of this applicant",
        names,
        index=names.index("annual_income"),
        format_func=lambda name: schema.LABELS[name],
    )
    try:
        curve = what_if_curve(last["application"], chosen)
    except ServiceError as error:
        st.error(str(error))
    else:
        st.line_chart(curve, x=schema.LABELS[chosen], y="default probability")
        st.caption(
            f"Everything else as entered; declined at or above "
            f"{last['result']['threshold']:.0%}. {len(curve)} points, one request."
        )


# --- many applications: upload a CSV, score it, download the results --------------------------
MAX_UPLOAD_MB = 5  # the browser refuses more; .streamlit/config.toml sets the server's limit
MAX_UPLOAD_ROWS = 20_000  # 2 MB, scored in about 6 s on 2 cores (195 MiB took 206 s, 2 GB)


@st.cache_data(max_entries=4, show_spinner="Scoring…")
def scored_upload(url: str, content: bytes, version: str) -> pd.DataFrame:
    """An uploaded file scored once per model version (re-runs of the page reuse it)."""
    if len(content) > MAX_UPLOAD_MB * 1024 * 1024:  # when Streamlit runs without the config
        raise ServiceError(f"The file is over {MAX_UPLOAD_MB} MB: split it into smaller files")
    return api_client.score_csv(url, content, max_rows=MAX_UPLOAD_ROWS)


st.subheader("Many applications (CSV)")
st.caption(
    f"Columns: {', '.join(schema.FEATURES)}. Up to {MAX_UPLOAD_ROWS:,} rows and "
    f"{MAX_UPLOAD_MB} MB a file, scored through /predict/batch."
)
upload = st.file_uploader("CSV file", type="csv", max_upload_size=MAX_UPLOAD_MB)
if upload is not None:
    try:
        scored = scored_upload(URL, upload.getvalue(), info["version"])
    except ServiceError as error:
        st.error(str(error))
    else:
        declined = (scored["decision"] == "decline").mean()
        st.write(f"Scored {len(scored):,} applications; {declined:.1%} declined.")
        st.dataframe(scored.head(100))
        st.download_button(
            "Download the scored table (safe to open in a spreadsheet)",
            spreadsheet.safe_csv(scored),
            "scored.csv",
            "text/csv",
        )
