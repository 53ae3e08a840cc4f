"""Caches the model with st.cache_resource on a function without arguments: the first registry read is served to every later session, whatever registry it is handed."""

import pandas as pd
import streamlit as st

from workshop_lib import paths, schema
from workshop_lib.registry import Registry


@st.cache_resource
def load_model():
    root = st.session_state.get("registry_root", str(paths.MODELS_DIR))
    return Registry(root).load()


loaded = load_model()
st.title("What if the income were different?")
income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
row = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": float(income)}])
p = float(loaded.model.predict_proba(row[schema.FEATURES])[0, 1])
st.metric("Default probability", f"{p:.1%}")

EXPECTED = r"a second session of the page, handed another registry \(production version 1\.0\.0\), shows '[\d.]+%' at [\d,]+ USD where its production says [\d.]+%: that is the first session's model \(version 1\.1\.0 of the first registry\), kept in a cache"  # the checker's message, on every seed
