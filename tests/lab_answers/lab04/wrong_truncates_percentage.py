"""Cuts the percentage off at one decimal instead of rounding it."""
import math
import pandas as pd
import streamlit as st
from workshop_lib import paths, schema
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")


income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
row = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": income}])
p = loaded.model.predict_proba(row[schema.FEATURES])[0, 1]
st.metric("Default probability", f"{math.floor(p * 1000) / 10:.1f}%")

EXPECTED = r"at an income of [\d,]+ USD the page shows '\d+\.\d%'; production \(version 1\.1\.0 of the registry the page is handed\) says \d+\.\d%"  # the checker's message, on every seed
