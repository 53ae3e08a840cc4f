"""Each lab's reference passes its checker; the shipped scaffold, a constant, a do-nothing and a
plausible mistake do not; a correct answer written differently from the reference passes."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from workshop_lib.labs import LAB_DIR, LABS, check_lab, lab_solution
from workshop_lib.labs.core import reference_file

SEED = 12_345

# -- answers the checkers must reject: (lab, what, source) -----------------------------------
WRONG = {
    "01": {
        "a constant model": """
            from sklearn.dummy import DummyClassifier
            from workshop_lib import schema
            def train_model(frame):
                return DummyClassifier().fit(frame[schema.FEATURES], frame[schema.TARGET_COLUMN])
        """,
        "no preprocessing (numbers only: raw applications cannot be scored)": """
            from sklearn.linear_model import LogisticRegression
            from workshop_lib import schema
            def train_model(frame):  # liblinear: unscaled numbers converge fast (lbfgs takes 16 s)
                features = frame[schema.NUMERIC_FEATURES]
                return LogisticRegression(solver="liblinear").fit(features, frame["defaulted"])
        """,
        "does nothing": "def train_model(frame):\n    return None\n",
    },
    "02": {
        "loads the model in every task": """
            import pandas as pd
            from workshop_lib import scoring
            from workshop_lib.registry import Registry
            def score_partition(frame, ref):
                loaded = Registry(ref.registry_root).load(ref.version)
                scores = scoring.score_batch(loaded, frame)
                return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                                     "probability": scores["probability"].to_numpy(),
                                     "decision": scores["decision"].to_numpy()})
        """,
        "a constant": """
            import pandas as pd
            def score_partition(frame, ref):
                return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                                     "probability": 0.1, "decision": "approve"})
        """,
    },
    "03": {
        "no validation (a dict body)": """
            import pandas as pd
            from fastapi import FastAPI
            from workshop_lib import scoring
            def make_app(loaded):
                app = FastAPI()
                @app.post("/predict")
                def predict(application: dict) -> dict:
                    scored = scoring.score_batch(loaded, pd.DataFrame([application]))
                    return {"probability": float(scored["probability"].iloc[0]),
                            "decision": str(scored["decision"].iloc[0]),
                            "model_version": loaded.version}
                return app
        """,
        "a constant answer": """
            from fastapi import FastAPI
            from workshop_lib import schema
            def make_app(loaded):
                app = FastAPI()
                @app.post("/predict")
                def predict(application: schema.LoanApplication) -> dict:
                    return {"probability": 0.2, "decision": "approve", "model_version": "1.0.0"}
                return app
        """,
    },
    "04": {
        "ignores the slider": """
            import pandas as pd
            import streamlit as st
            from workshop_lib import schema
            from workshop_lib.registry import Registry
            loaded = Registry(st.session_state["registry_root"]).load()
            income = st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
            row = pd.DataFrame([schema.EXAMPLE_APPLICATION])
            st.metric("Default probability", f"{loaded.model.predict_proba(row)[0, 1]:.1%}")
        """,
        "a constant page": """
            import streamlit as st
            st.slider("Annual income (USD)", 10_000, 250_000, 62_000, step=1_000)
            st.metric("Default probability", "12.0%")
        """,
    },
    "05": {
        "acknowledges before writing": """
            import pandas as pd
            from workshop_lib import scoring, store
            def process_batch(batch, requests, predictions, model):
                requests.ack([entry_id for entry_id, _ in batch])
                events = [e for _, e in batch]
                scores = scoring.score_batch(model, pd.DataFrame([e.application for e in events]))
                predictions.write(pd.DataFrame({
                    "application_id": [e.event_id for e in events],
                    "probability": scores["probability"].to_numpy(),
                    "decision": scores["decision"].to_numpy(), "model_version": model.version,
                    "run_id": "x", "source": "stream", "scored_at": store.utc_now()}))
        """,
        "does nothing but acknowledge": """
            def process_batch(batch, requests, predictions, model):
                requests.ack([entry_id for entry_id, _ in batch])
        """,
    },
    "06": {
        "copies the fp32 file": """
            import shutil
            def quantize(fp32_path, int8_path):
                shutil.copy(fp32_path, int8_path)
        """,
        "does nothing": "def quantize(fp32_path, int8_path):\n    return None\n",
    },
    "07": {
        "checks ranges only, gate ignores production": """
            from sklearn.metrics import roc_auc_score
            from workshop_lib import schema
            from workshop_lib.cicd.outcomes import Outcome
            def check_table(frame):
                ok = all(frame[f.name].between(f.minimum, f.maximum).all() for f in schema.NUMERIC)
                return Outcome("ranges", ok, "ranges")
            def quality_gate(candidate, production, holdout):
                proba = candidate.predict_proba(holdout[schema.FEATURES])[:, 1]
                auc = roc_auc_score(holdout[schema.TARGET_COLUMN], proba)
                return Outcome("auc", auc >= 0.7, f"{auc:.3f}")
        """,
        "always passes": """
            from workshop_lib.cicd.outcomes import Outcome
            def check_table(frame):
                return Outcome("t", True, "fine")
            def quality_gate(candidate, production, holdout):
                return Outcome("g", True, "fine")
        """,
    },
    "08": {
        "compares means, not CDFs; pages on every call": """
            import numpy as np
            def ks_statistic(a, b):
                return abs(np.mean(a) - np.mean(b))
            def drift_alert(reference, current, page):
                page("drift")
                return True
        """,
        "ties counted from the left, alert never pages": """
            import numpy as np
            def ks_statistic(a, b):
                a, b = np.sort(a), np.sort(b)
                x = np.concatenate([a, b])
                fa = np.searchsorted(a, x, side="left") / len(a)
                fb = np.searchsorted(b, x, side="left") / len(b)
                return float(np.abs(fa - fb).max())
            def drift_alert(reference, current, page):
                return False
        """,
    },
    "09": {
        "trains and promotes without checking": """
            from workshop_lib import data, training
            def release(table, holdout, registry):
                model = training.build_pipeline("logistic").fit(*training.split_features(table))
                version = registry.register(model, metrics={}, kind="logistic", threshold=0.35,
                                            data_fingerprint=data.fingerprint(table))
                registry.promote(version)
                return registry.stage()
        """,
        "does nothing": "def release(table, holdout, registry):\n    return registry.stage()\n",
    },
}

# -- correct answers written differently from the references ----------------------------------
DIFFERENT = {
    "01": """
        from sklearn.compose import make_column_transformer
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OrdinalEncoder
        from workshop_lib import schema
        def train_model(frame):  # trees on ordinal codes, no scaling; one core (no OpenMP)
            encode = make_column_transformer(
                (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                 schema.CATEGORICAL_FEATURES), remainder="passthrough")
            forest = RandomForestClassifier(50, min_samples_leaf=20, n_jobs=1, random_state=0)
            return make_pipeline(encode, forest).fit(frame[schema.FEATURES], frame["defaulted"])
    """,
    "05": """
        import numpy as np
        import pandas as pd
        from workshop_lib import store
        def process_batch(batch, requests, predictions, model):
            # the model's own predict_proba and threshold (no score_batch); ack after the write
            ids = [entry_id for entry_id, _ in batch]
            frame = pd.DataFrame([event.application for _, event in batch])
            p = model.model.predict_proba(frame)[:, 1]
            predictions.write(pd.DataFrame({
                "application_id": [event.event_id for _, event in batch], "probability": p,
                "decision": np.where(p >= model.threshold, "decline", "approve"),
                "model_version": model.version, "run_id": "r", "source": "stream",
                "scored_at": store.utc_now()}))
            requests.ack(ids)
    """,
    "08": """
        from scipy import stats
        def ks_statistic(a, b):
            points = sorted(set(a) | set(b))
            def cdf(sample, x):
                return sum(v <= x for v in sample) / len(sample)
            return max(abs(cdf(a, x) - cdf(b, x)) for x in points)
        def drift_alert(reference, current, page):
            due = stats.ks_2samp(reference, current).pvalue < 0.01
            if due:
                page(f"the distribution moved (p={stats.ks_2samp(reference, current).pvalue:.1e})")
            return due
    """,
}


def _write(tmp_path: Path, lab_id: str, source: str) -> Path:
    path = tmp_path / LABS[lab_id].file
    path.write_text(textwrap.dedent(source))
    return path


def _reference_path(lab_id: str) -> Path:
    reference = LABS[lab_id].reference()
    return reference if isinstance(reference, Path) else Path(reference.__file__)


def test_every_chapter_has_a_lab_and_a_scaffold():
    assert sorted(LABS) == [f"{n:02d}" for n in range(1, 10)]
    for lab in LABS.values():
        assert (LAB_DIR / lab.file).exists(), lab.file


@pytest.mark.parametrize("lab_id", sorted(LABS))
def test_reference_passes(lab_id, tmp_path):
    path = tmp_path / LABS[lab_id].file
    shutil.copy(_reference_path(lab_id), path)
    result = check_lab(lab_id, path=path, seed=SEED)
    assert result.passed is True, result


@pytest.mark.parametrize("lab_id", sorted(LABS))
def test_shipped_scaffold_is_unanswered_with_hint(lab_id):
    result = check_lab(lab_id)
    assert result.passed is None, result
    assert "Not answered yet" in repr(result) and "Hint" in repr(result)
    assert LABS[lab_id].file in result.message


@pytest.mark.parametrize(
    ("lab_id", "what"), [(lab, what) for lab, answers in WRONG.items() for what in answers]
)
def test_wrong_answer_fails_with_hint(lab_id, what, tmp_path):
    result = check_lab(lab_id, path=_write(tmp_path, lab_id, WRONG[lab_id][what]), seed=SEED)
    assert result.passed is False, f"{what}: {result}"
    assert "Hint" in repr(result)


@pytest.mark.parametrize("lab_id", sorted(DIFFERENT))
def test_right_but_different_answer_passes(lab_id, tmp_path):
    result = check_lab(lab_id, path=_write(tmp_path, lab_id, DIFFERENT[lab_id]), seed=SEED + 1)
    assert result.passed is True, result


def test_broken_file_is_a_failed_check_not_a_crash(tmp_path):
    result = check_lab("08", path=_write(tmp_path, "08", "def ks_statistic(a, b) return 1\n"))
    assert result.passed is False and "does not import" in result.message


def test_lab_solution_prints_code(capsys):
    lab_solution("08")
    lab_solution("04")
    out = capsys.readouterr().out
    assert "def ks_statistic" in out and "st.slider" in out


def test_page_reference_is_a_file():
    assert reference_file("lab04_frontend.py").exists()
