"""Caches the probability with st.cache_data keyed by the income alone: another session, handed another model, gets the first model's numbers for incomes already asked."""

import pandas as pd
import streamlit as st

from workshop_lib import paths, schema
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()


@st.cache_data
def default_probability(income: float) -> float:
    row = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": income}])
    return float(loaded.model.predict_proba(row[schema.FEATURES])[0, 1])


st.title("What if the income were different?")
income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
st.metric("Default probability", f"{default_probability(float(income)):.1%}")

EXPECTED = r"a second session of the page, handed another registry \(production version 1\.0\.0\), shows '[\d.]+%' at [\d,]+ USD where its production says [\d.]+%: that is the first session's model \(version 1\.1\.0 of the first registry\), kept in a cache"  # the checker's message, on every seed
