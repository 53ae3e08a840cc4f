"""Lab 03: write the /predict endpoint of a small FastAPI app.

``make_app(loaded)`` builds the app around one loaded model (``loaded.model``,
``loaded.version``, ``loaded.threshold``). Write the body of ``predict``: it receives one
application and answers a JSON object with ``probability`` (of default), ``decision``
("approve" or "decline", by the model's threshold) and ``model_version``. Bad input (a value
out of range, a word for a number, an unknown category, a missing or extra field) must be
refused with HTTP 422, never a 500.

The checker serves the app in this process (through httpx's ASGI transport, as FastAPI's
TestClient does), sends the documented example (schema.EXAMPLE_APPLICATION), fresh applicants
and bad inputs it generates, and compares the answers with the model.

Hint: type the parameter as schema.LoanApplication and FastAPI validates it for you (422);
score pd.DataFrame([application.model_dump()]) with scoring.score_batch(loaded, ...).
Check it with ``check_lab("03")``.
"""

import pandas as pd  # noqa: F401  (you will need it)
from fastapi import FastAPI
from workshop_lib import schema, scoring  # noqa: F401
from workshop_lib.registry import LoadedModel


def make_app(loaded: LoadedModel) -> FastAPI:
    """An app with POST /predict for the model ``loaded``."""
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: schema.LoanApplication) -> dict: ...

    return app
