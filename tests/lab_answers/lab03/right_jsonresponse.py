"""Right (style: typed body, explicit dict comprehension over schema.FEATURES, JSONResponse built by hand)."""

import numpy as np  # noqa: F401
import pandas as pd
from fastapi import FastAPI, HTTPException  # noqa: F401

from workshop_lib import schema, scoring  # noqa: F401
from workshop_lib.registry import LoadedModel

from fastapi.responses import JSONResponse


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: schema.LoanApplication):
        values = {name: [getattr(application, name)] for name in schema.FEATURES}
        scored = scoring.score_batch(loaded, pd.DataFrame(values))
        return JSONResponse(
            {
                "probability": scored["probability"].item(),
                "decision": scored["decision"].item(),
                "model_version": str(loaded.metadata["version"]),
            }
        )

    return app
