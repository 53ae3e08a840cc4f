"""Shows the slider but scores the documented applicant unchanged (the slider value is never used)."""

import pandas as pd  # noqa: F401
import streamlit as st

from workshop_lib import paths, schema  # noqa: F401
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")

income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
row = pd.DataFrame([schema.EXAMPLE_APPLICATION])
p = float(loaded.model.predict_proba(row[schema.FEATURES])[0, 1])
st.metric("Default probability", f"{p:.1%}")

EXPECTED = r"the page shows '[\d.]+\s*%'; production \(version 1\.1\.0 of the registry the page is handed\) says [\d.]+%"  # the checker's message, on every seed
