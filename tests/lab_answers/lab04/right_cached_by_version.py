"""Caches the probability with st.cache_data keyed by (income, model version); st.markdown."""

import pandas as pd
import streamlit as st
from workshop_lib import paths, schema
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")

income = st.slider("Income", min_value=20_000, max_value=200_000, value=50_000, step=500)
@st.cache_data
def prob(income: int, version: str) -> float:
    row = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": float(income)}])
    return float(loaded.model.predict_proba(row[schema.FEATURES])[0, 1])
st.markdown(f"Default probability: **{100 * prob(income, loaded.version):.1f} %**")
