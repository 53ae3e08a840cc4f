"""The slider only covers 30,000 to 150,000 USD (not the required 20,000 to 200,000)."""

import pandas as pd  # noqa: F401
import streamlit as st

from workshop_lib import paths, schema  # noqa: F401
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")

income = st.slider("Annual income (USD)", 30_000, 150_000, 62_000, step=1_000)
row = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": float(income)}])
p = float(loaded.model.predict_proba(row[schema.FEATURES])[0, 1])
st.metric("Default probability", f"{p:.1%}")

EXPECTED = r"the slider spans 30,000 to 150,000: cover 20,000 to 200,000 USD"  # the checker's message, on every seed
