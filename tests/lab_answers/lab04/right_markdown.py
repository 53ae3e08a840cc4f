"""Right (style: scoring.score_batch, text output with st.write instead of st.metric, percentage computed by hand)."""

import pandas as pd  # noqa: F401
import streamlit as st

from workshop_lib import paths, schema  # noqa: F401
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")

from workshop_lib import scoring

income = st.slider("Annual income (USD)", min_value=0, max_value=500_000, value=62_000, step=500)
applicant = dict(schema.EXAMPLE_APPLICATION)
applicant["annual_income"] = income
scored = scoring.score_batch(loaded, pd.DataFrame([applicant]))
percent = round(100 * float(scored["probability"].iloc[0]), 1)
st.write(f"Default probability: **{percent:.1f}%**")
