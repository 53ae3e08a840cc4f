"""state kept between reruns, in a shared global. The learner edits the documented example in place (applicant = schema.EXAMPLE_APPLICATION; applicant["annual_income"] = ...) instead of copying it. The page shows the right number, but the module-level example that the API docs, the tests and every other page of the process read now carries the last slider income: after one visit the "documented applicant" earns whatever the visitor chose."""
import pandas as pd
import streamlit as st
from workshop_lib import paths, schema
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")
income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
applicant = schema.EXAMPLE_APPLICATION
applicant["annual_income"] = float(income)
p = float(loaded.model.predict_proba(pd.DataFrame([applicant])[schema.FEATURES])[0, 1])
st.metric("Default probability", f"{p:.1%}")

EXPECTED = r"the page changed schema.EXAMPLE_APPLICATION itself \(annual_income\): every page and test in this process shares that dict"  # the checker's message, on every seed
