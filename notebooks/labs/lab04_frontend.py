"""Lab 04: write a Streamlit what-if page.

Try it with `streamlit run notebooks/labs/lab04_frontend.py`.

The page shows one slider, the annual income in USD (covering at least 20,000 to 200,000),
and the default probability of the documented applicant (schema.EXAMPLE_APPLICATION) with
that income, as a percentage with one decimal (for example with st.metric).

The checker runs this file with streamlit.testing.v1.AppTest on a fresh registry (it puts
the registry folder in st.session_state["registry_root"]; its production model is not its
first version), moves the slider to incomes it picks, and compares what the page shows with
the production model.

Hint: income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000); build a
one-row DataFrame from {**schema.EXAMPLE_APPLICATION, "annual_income": income};
st.metric("Default probability", f"{p:.1%}"). Check it with ``check_lab("04")``.
"""

import pandas as pd  # noqa: F401  (you will need it)
import streamlit as st
from workshop_lib import paths, schema  # noqa: F401
from workshop_lib.registry import Registry

loaded = Registry(st.session_state.get("registry_root", str(paths.MODELS_DIR))).load()
st.title("What if the income were different?")
...
