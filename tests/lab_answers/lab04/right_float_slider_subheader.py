"""a float slider, the probability in a subheader and a caption (no st.metric)."""
import pandas as pd
import streamlit as st
from workshop_lib import paths, schema
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")
income = st.slider("Annual income (USD)", 20_000.0, 200_000.0, 62_000.0, 1_000.0)
frame = pd.DataFrame([schema.EXAMPLE_APPLICATION]).assign(annual_income=income)
risk = loaded.model.predict_proba(frame[schema.FEATURES])[0][1]
st.subheader(f"Default probability: {risk * 100:.1f}%")
st.caption(f"for the documented applicant earning {income:,.0f} USD a year")
