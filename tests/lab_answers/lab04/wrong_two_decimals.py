"""the wrong precision. "One decimal" became f"{p:.2%}" (12.34%): the page claims a precision the model does not have and does not show what the prompt asks for."""
import pandas as pd
import streamlit as st
from workshop_lib import paths, schema
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")
income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
row = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": float(income)}])
p = float(loaded.model.predict_proba(row[schema.FEATURES])[0, 1])
st.metric("Default probability", f"{p:.2%}")

EXPECTED = r"the page shows '\d+\.\d\d%': show the percentage with one decimal"  # the checker's message, on every seed
