"""A web page for loan officers, in front of the model service.

Run it (with the service running) with::

    streamlit run apps/frontend.py            # API_URL=http://host:port to point elsewhere

Open ``…/?score=1`` to score the form's example applicant as soon as the page loads.
"""

# --- imports and the service address ---------------------------------------------------------
from typing import Any

import streamlit as st

from workshop_lib import schema
from workshop_lib.realtime import api_client
from workshop_lib.realtime.api_client import ServiceError

TITLE = "Loan default risk"
EXAMPLE = schema.EXAMPLE_APPLICATION

st.set_page_config(page_title=TITLE, page_icon="🏦")
st.title(TITLE)
url = st.sidebar.text_input("Model service URL", value=api_client.default_url()).rstrip("/")


# --- the model version, or a clear message when the service is down ---------------------------
try:
    info = api_client.model_info(url)
    st.sidebar.success(f"Model version **{info['version']}** ({info['kind']})")
except ServiceError as error:
    st.error(str(error))
    st.stop()


# --- the form: one input per schema field, with the schema's ranges ---------------------------
def number_input(feature: schema.NumericFeature) -> float | int:
    """A number box limited to the feature's allowed range."""
    if feature.integer:
        return st.number_input(
            feature.name, int(feature.minimum), int(feature.maximum), int(EXAMPLE[feature.name])
        )
    return st.number_input(
        feature.name, feature.minimum, feature.maximum, float(EXAMPLE[feature.name])
    )


with st.form("application"):
    st.subheader("One application")
    left, right = st.columns(2)
    application: dict[str, Any] = {}
    for index, feature in enumerate(schema.NUMERIC):
        with left if index % 2 == 0 else right:
            application[feature.name] = number_input(feature)
    for name, options in schema.CATEGORIES.items():
        application[name] = st.selectbox(name, options, index=options.index(EXAMPLE[name]))
    submitted = st.form_submit_button("Score this application")


# --- the prediction: probability, decision, reasons -------------------------------------------
def show_prediction(result: dict) -> None:
    decision = result["decision"]
    first, second = st.columns(2)
    first.metric("Default probability", f"{result['probability']:.1%}")
    second.metric("Decision", decision.upper())
    threshold = result["threshold"]
    st.caption(f"Declined at or above {threshold:.0%}. Request id {result['request_id']}.")
    if result.get("reasons"):
        st.markdown("**Top reasons** (change in default probability against a typical applicant)")
        st.table(
            [
                {
                    "feature": r["feature"],
                    "value": r["value"],
                    "typical": r["typical"],
                    "effect": f"{r['effect']:+.1%}",
                }
                for r in result["reasons"]
            ]
        )


if submitted or st.query_params.get("score") == "1":
    try:
        show_prediction(api_client.predict(url, application))
    except ServiceError as error:
        st.error(str(error))


# --- many applications: upload a CSV, score it, download the results --------------------------
st.subheader("Many applications (CSV)")
st.caption(f"Columns: {', '.join(schema.FEATURES)}. Scored through /predict/batch.")
upload = st.file_uploader("CSV file", type="csv")
if upload is not None:
    try:
        scored = api_client.score_csv(url, upload.getvalue())
    except ServiceError as error:
        st.error(str(error))
    else:
        declined = (scored["decision"] == "decline").mean()
        st.write(f"Scored {len(scored):,} applications; {declined:.1%} declined.")
        st.dataframe(scored.head(100))
        st.download_button(
            "Download the scored table", scored.to_csv(index=False), "scored.csv", "text/csv"
        )
