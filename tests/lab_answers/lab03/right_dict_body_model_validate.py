"""Right (style: a dict body checked with LoanApplication.model_validate, 422 by HTTPException)."""
import pandas as pd
from fastapi import Body, FastAPI, HTTPException
from pydantic import ValidationError
from workshop_lib import schema, scoring


def make_app(loaded):
    app = FastAPI()

    @app.post("/predict")
    def predict(body: dict = Body(...)):
        try:
            application = schema.LoanApplication.model_validate(body)
        except ValidationError as exc:
            raise HTTPException(status_code=422, detail=exc.errors(include_url=False, include_context=False)) from exc
        row = scoring.score_batch(loaded, pd.DataFrame([application.model_dump()])).iloc[0]
        return {"probability": float(row["probability"]), "decision": row["decision"], "model_version": loaded.version}

    return app
