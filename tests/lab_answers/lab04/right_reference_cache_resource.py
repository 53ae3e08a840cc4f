"""Right (style: the reference: the model cached with st.cache_resource keyed by the registry root)."""

import pandas as pd
import streamlit as st

from workshop_lib import paths, schema
from workshop_lib.registry import Registry


@st.cache_resource
def _model(root: str):
    return Registry(root).load()


loaded = _model(st.session_state.get("registry_root", str(paths.MODELS_DIR)))
st.title("What if the income were different?")
income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
applicant = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": float(income)}])
probability = loaded.model.predict_proba(applicant[schema.FEATURES])[0, 1]
st.metric("Default probability", f"{probability:.1%}")
