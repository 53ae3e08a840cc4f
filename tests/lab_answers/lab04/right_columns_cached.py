"""Right (style: float slider, st.cache_data keyed by income, two columns, metric with the decision as delta)."""

import pandas as pd  # noqa: F401
import streamlit as st

from workshop_lib import paths, schema  # noqa: F401
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")

from workshop_lib import scoring


@st.cache_data
def probability(income: float, version: str) -> float:
    frame = pd.DataFrame([schema.EXAMPLE_APPLICATION]).assign(annual_income=income)
    return float(loaded.model.predict_proba(frame[schema.FEATURES])[:, 1][0])


left, right = st.columns(2)
with left:
    income = st.slider("Annual income (USD)", 5_000.0, 300_000.0, 62_000.0, step=1_000.0)
p = probability(float(income), loaded.version)
with right:
    st.metric("Default probability", f"{100 * p:.1f}%",
              delta=str(scoring.decide([p], loaded.threshold)[0]), delta_color="off")
