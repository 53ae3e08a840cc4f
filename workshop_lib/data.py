"""A seeded, vectorised generator of synthetic loan applications.

Every chapter uses the same table: applicants' numbers and categories, an ``application_id``,
an ``applied_at`` time and the ground-truth ``defaulted`` label drawn from ``risk_logit``.

Three scenarios make drift teachable:

- ``reference``: the period the model is trained on.
- ``data_drift``: the *inputs* change (incomes fall by a quarter, a young broker-channel segment
  with lower credit scores appears, and the new ``green_energy`` purpose is used), while the risk
  relationship stays the same.
- ``concept_drift``: the inputs look like the reference, but the *relationship* changes (debt
  weighs twice as much, credit scores half as much, defaults are more common overall).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workshop_lib import schema


@dataclass(frozen=True)
class Scenario:
    """How one period's applicants and their risk differ from the reference."""

    name: str
    description: str
    default_start: str
    income_factor: float = 1.0
    broker_segment_share: float = 0.0
    green_energy_share: float = 0.0
    concept_shift: bool = False


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("reference", "the training period", "2025-01-01"),
        Scenario(
            "data_drift",
            "incomes x0.75, 25% young broker applicants, 12% green_energy loans; same risk rule",
            "2025-04-01",
            income_factor=0.75,
            broker_segment_share=0.25,
            green_energy_share=0.12,
        ),
        Scenario(
            "concept_drift",
            "reference inputs; debt-to-income weighs 2x, credit score 0.5x, base risk up",
            "2025-07-01",
            concept_shift=True,
        ),
    )
}

_PURPOSE_WEIGHTS = {
    "debt_consolidation": 0.45,
    "credit_card": 0.20,
    "home_improvement": 0.12,
    "car": 0.10,
    "medical": 0.06,
    "small_business": 0.07,
    "green_energy": 0.0,
}
_PURPOSE_RISK = {
    "debt_consolidation": 0.0,
    "credit_card": 0.1,
    "home_improvement": -0.15,
    "car": -0.2,
    "medical": 0.3,
    "small_business": 0.6,
    "green_energy": -0.1,
}
# The schema's upper bound: the generator never makes a row its own checks refuse.
_MAX_EMPLOYMENT_YEARS = next(f.maximum for f in schema.NUMERIC if f.name == "employment_years")
_HOME_WEIGHTS = {"rent": 0.38, "mortgage": 0.42, "own": 0.15, "other": 0.05}
_HOME_RISK = {"rent": 0.2, "mortgage": 0.0, "own": -0.2, "other": 0.1}
_TERM_WEIGHTS = {"36_months": 0.72, "60_months": 0.28}
_CHANNEL_WEIGHTS = {"online": 0.62, "branch": 0.30, "broker": 0.08}


def _draw_category(rng: np.random.Generator, column: str, weights: dict[str, float], n: int):
    """Draw ``n`` values as a pandas Categorical over the schema's full category list."""
    categories = schema.CATEGORIES[column]
    p = np.array([weights.get(c, 0.0) for c in categories])
    codes = rng.choice(len(categories), size=n, p=p / p.sum())
    return pd.Categorical.from_codes(codes, categories=categories)


def _lookup(values: pd.Categorical, effects: dict[str, float]) -> np.ndarray:
    table = np.array([effects.get(c, 0.0) for c in values.categories])
    return table[values.codes]


def risk_logit(frame: pd.DataFrame, concept_shift: bool = False) -> np.ndarray:
    """The documented ground-truth log-odds of default for each row.

    Lower credit score, higher debt-to-income, a larger loan relative to income, recent
    delinquencies, a 60-month term, short employment, renting and risky purposes all raise it.
    ``concept_shift`` is the changed economy of the concept-drift scenario.
    """
    credit_weight, dti_weight, base = (-0.55, 4.4, -2.0) if concept_shift else (-1.1, 2.2, -2.4)
    loan_to_income = frame["loan_amount"].to_numpy() / frame["annual_income"].to_numpy()
    age_centered = (frame["age"].to_numpy() - 40) / 15
    return (
        base
        + credit_weight * (frame["credit_score"].to_numpy() - 690) / 65
        + dti_weight * (frame["debt_to_income"].to_numpy() - 0.26)
        + 0.9 * np.log(np.maximum(loan_to_income, 1e-3) / 0.25)
        - 0.06 * (np.minimum(frame["employment_years"].to_numpy(), 15) - 5)
        + 0.35 * frame["delinquencies_2y"].to_numpy()
        + 0.45 * (frame["term"].to_numpy() == "60_months")
        + _lookup(frame["purpose"].array, _PURPOSE_RISK)
        + _lookup(frame["home_ownership"].array, _HOME_RISK)
        + 0.25 * age_centered**2
    )


def make_applications(
    n: int,
    scenario: str = "reference",
    seed: int = 0,
    start: str | None = None,
    days: int = 30,
    first_id: int = 1,
) -> pd.DataFrame:
    """Generate ``n`` loan applications of one scenario, identical for the same arguments.

    Rows are sorted by ``applied_at``, spread over ``days`` days from ``start`` (the
    scenario's default start if None); ids run from ``first_id`` upwards.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {list(SCENARIOS)}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    spec = SCENARIOS[scenario]
    rng = np.random.default_rng([seed, list(SCENARIOS).index(scenario)])

    segment = rng.random(n) < spec.broker_segment_share
    age = np.where(segment, rng.normal(26, 4, n), rng.normal(41, 12, n))
    age = np.clip(np.rint(age), 18, 85).astype("int64")
    income = rng.lognormal(np.log(60_000), 0.55, n) * spec.income_factor
    income = np.clip(income, 8_000, 2_000_000).round(-2)
    employment = np.minimum(rng.exponential(6, n), np.minimum(age - 18, _MAX_EMPLOYMENT_YEARS))
    employment = np.round(employment * 2) / 2
    credit = rng.normal(690, 65, n) + 0.8 * (age - 41) - 60 * segment
    credit = np.clip(np.rint(credit), 300, 850).astype("int64")
    dti = np.round(rng.beta(2, 5, n) * 0.9, 3)
    loan = income * rng.lognormal(np.log(0.25), 0.5, n)
    loan = np.clip(loan, 1_000, 500_000).round(-2)
    lines = rng.poisson(4 + age / 10).astype("int64")
    delinquency_rate = np.clip(0.3 * np.exp(-(credit - 600) / 80), 0, 5)
    delinquencies = np.minimum(rng.poisson(delinquency_rate), 30).astype("int64")

    purpose_weights = {**_PURPOSE_WEIGHTS, "green_energy": 0.0}
    purpose = _draw_category(rng, "purpose", purpose_weights, n)
    if spec.green_energy_share:
        green = rng.random(n) < spec.green_energy_share
        codes = np.where(green, schema.CATEGORIES["purpose"].index("green_energy"), purpose.codes)
        purpose = pd.Categorical.from_codes(codes, categories=purpose.categories)
    channel = _draw_category(rng, "channel", _CHANNEL_WEIGHTS, n)
    if segment.any():
        broker = schema.CATEGORIES["channel"].index("broker")
        channel = pd.Categorical.from_codes(
            np.where(segment, broker, channel.codes), categories=channel.categories
        )

    frame = pd.DataFrame(
        {
            schema.ID_COLUMN: np.arange(first_id, first_id + n, dtype="int64"),
            schema.TIME_COLUMN: _timestamps(rng, n, start or spec.default_start, days),
            "age": age,
            "annual_income": income,
            "loan_amount": loan,
            "credit_score": credit,
            "debt_to_income": dti,
            "employment_years": employment,
            "num_credit_lines": lines,
            "delinquencies_2y": delinquencies,
            "home_ownership": _draw_category(rng, "home_ownership", _HOME_WEIGHTS, n),
            "purpose": purpose,
            "term": _draw_category(rng, "term", _TERM_WEIGHTS, n),
            "channel": channel,
        },
        copy=False,  # keep one block per column: consolidating would copy every array
    )
    probability = 1 / (1 + np.exp(-risk_logit(frame, spec.concept_shift)))
    frame[schema.TARGET_COLUMN] = (rng.random(n) < probability).astype("int8")
    return frame


def json_applications(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` fresh applications as a client sends them: JSON objects, categories as text."""
    frame = make_applications(n, seed=seed)[schema.FEATURES]
    text = frame.astype({column: str for column in schema.CATEGORIES}).to_json(orient="records")
    return json.loads(text)


def _timestamps(rng: np.random.Generator, n: int, start: str, days: int) -> np.ndarray:
    seconds = np.sort(rng.integers(0, days * 86_400, n))
    return np.datetime64(pd.Timestamp(start).to_datetime64(), "s") + seconds.astype(
        "timedelta64[s]"
    )


def fingerprint(frame: pd.DataFrame) -> str:
    """A short, content-based id of a table: same rows and columns, same fingerprint."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


# The small samples shipped in data/, with the arguments that regenerate them exactly.
SAMPLES: dict[str, dict] = {
    "reference_sample.csv": {"n": 5_000, "scenario": "reference", "seed": 100},
    "data_drift_sample.csv": {"n": 5_000, "scenario": "data_drift", "seed": 101},
    "concept_drift_sample.csv": {"n": 5_000, "scenario": "concept_drift", "seed": 102},
}
CHECKSUM_FILE = "SHA256SUMS"


def sample_bytes(name: str) -> bytes:
    """The exact CSV bytes of one shipped sample, regenerated from its arguments."""
    return make_applications(**SAMPLES[name]).to_csv(index=False).encode()


def write_samples(folder: Path) -> dict[str, str]:
    """Write every sample and the checksum file into ``folder``; return name -> sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    sums = {}
    for name in SAMPLES:
        content = sample_bytes(name)
        (folder / name).write_bytes(content)
        sums[name] = hashlib.sha256(content).hexdigest()
    (folder / CHECKSUM_FILE).write_text("".join(f"{h}  {n}\n" for n, h in sums.items()))
    return sums


def read_checksums(folder: Path) -> dict[str, str]:
    """Parse ``SHA256SUMS`` (the format of ``sha256sum``) into name -> sha256."""
    lines = (folder / CHECKSUM_FILE).read_text().splitlines()
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in lines if line)}


def load_sample(name: str, folder: Path | None = None) -> pd.DataFrame:
    """Read a shipped sample after checking its sha256, with the schema's dtypes restored."""
    from workshop_lib.paths import DATA_DIR

    folder = folder or DATA_DIR
    path = folder / name
    expected = read_checksums(folder).get(name)
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if expected != actual:
        raise ValueError(f"{path}: sha256 {actual[:12]}… does not match {CHECKSUM_FILE}")
    frame = pd.read_csv(path, parse_dates=[schema.TIME_COLUMN])
    for column, categories in schema.CATEGORIES.items():
        frame[column] = pd.Categorical(frame[column], categories=categories)
    frame[schema.TIME_COLUMN] = frame[schema.TIME_COLUMN].astype("datetime64[s]")
    return frame
