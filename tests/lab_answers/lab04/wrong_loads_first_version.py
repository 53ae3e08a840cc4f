"""Loads version "1.0.0" by name: right only until the first promotion."""

import pandas as pd
import streamlit as st

from workshop_lib import paths, schema
from workshop_lib.registry import Registry


@st.cache_resource
def _model(root: str):
    return Registry(root).load("1.0.0")


loaded = _model(st.session_state.get("registry_root", str(paths.MODELS_DIR)))
income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
applicant = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": float(income)}])
probability = loaded.model.predict_proba(applicant[schema.FEATURES])[0, 1]
st.metric("Default probability", f"{probability:.1%}")


EXPECTED = r"the page shows '[\d.]+%'; production \(version 1\.1\.0 of the registry the page is handed\) says"  # the checker's message, on every seed
