"""shows the fraction 0.123 instead of a percentage."""
import math

import pandas as pd
import streamlit as st

from workshop_lib import paths, schema
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")

income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
row = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": income}])
p = float(loaded.model.predict_proba(row[schema.FEATURES])[0, 1])
st.metric("Default probability", f"{p:.3f}")

EXPECTED = r"^the page shows no percentage \(a number followed by %\) in any metric, markdown"  # the checker's message, on every seed
