"""Lab 03: the /predict endpoint of a small FastAPI app, served and sent good and bad inputs."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from workshop_lib import data, schema, scoring
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.registry import LoadedModel

GOOD_ROWS = 12


def bad_inputs(seed: int) -> list[tuple[str, Any]]:
    """Invalid request bodies: every field out of range both ways, as a word and missing,
    every category unknown and in another spelling (a capital, a space), then the rest; the
    amounts past the limits are drawn afresh. What each breaks, and the body."""
    rng = np.random.default_rng(seed)
    base = dict(schema.EXAMPLE_APPLICATION)
    integer = [f for f in schema.NUMERIC if f.integer][int(rng.integers(2))]
    number = [f for f in schema.NUMERIC if not f.integer][int(rng.integers(2))]
    inside = int((integer.minimum + integer.maximum) // 2)
    bodies: list[tuple[str, Any]] = []
    for field in schema.NUMERIC:
        above = field.maximum + float(rng.integers(1, 1_000))
        below = field.minimum - float(rng.integers(1, 1_000))
        bodies += [
            (f"{field.name} above its maximum ({above:,.0f})", {**base, field.name: above}),
            (f"{field.name} below its minimum ({below:,.0f})", {**base, field.name: below}),
            (f"{field.name} as a word", {**base, field.name: "a lot"}),
        ]
    for category in schema.CATEGORICAL_FEATURES:
        valid = schema.CATEGORIES[category][int(rng.integers(len(schema.CATEGORIES[category])))]
        bodies += [
            (f"an unknown {category}", {**base, category: f"unknown-{rng.integers(1_000)}"}),
            (f"{category} {valid.upper()!r}", {**base, category: valid.upper()}),
            (f"{category} {' ' + valid!r}", {**base, category: " " + valid}),
        ]
    bodies += [(f"no {name}", {k: v for k, v in base.items() if k != name}) for name in base]
    return bodies + [
        (f"{integer.name} as the string {str(inside)!r}", {**base, integer.name: str(inside)}),
        (f"{number.name} as true", {**base, number.name: True}),
        (f"{integer.name} as false", {**base, integer.name: False}),
        ("an extra field", {**base, f"extra_{rng.integers(1_000)}": 1}),
        ("an empty body", {}),
        ("a list instead of an object", [base]),
    ]


def _good_inputs(seed: int) -> list[dict[str, Any]]:
    frame = data.make_applications(GOOD_ROWS, seed=seed)[schema.FEATURES]
    records = [
        {k: _plain(v) for k, v in r.items()} for r in frame.astype(object).to_dict("records")
    ]
    # the first applicant again with other categories: an answer cached by the numbers alone
    # repeats the first one's
    twin = dict(records[0])
    for column in ("term", "home_ownership"):
        options = schema.CATEGORIES[column]
        twin[column] = options[(options.index(twin[column]) + 1) % len(options)]
    return [dict(schema.EXAMPLE_APPLICATION), *records, twin]


def _edges() -> list[tuple[str, dict[str, Any]]]:
    """The documented example with each numeric field at its minimum and at its maximum (both
    valid: the limits are inclusive), and with each category value of each categorical field:
    an answer whose own limits or lists are narrower than the schema's refuses one of them.
    What each is, and the body."""
    base = dict(schema.EXAMPLE_APPLICATION)
    bodies: list[tuple[str, dict[str, Any]]] = []
    for field in schema.NUMERIC:
        for end, limit in (("minimum", field.minimum), ("maximum", field.maximum)):
            value = int(limit) if field.integer else limit
            what = f"the documented example with {field.name} at its {end} ({value:,})"
            bodies.append((what, {**base, field.name: value}))
    for category in schema.CATEGORICAL_FEATURES:
        bodies += [
            (f"the documented example with {category} {value!r}", {**base, category: value})
            for value in schema.CATEGORIES[category]
        ]
    return bodies


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _near_threshold(loaded: LoadedModel, seed: int) -> dict[str, Any]:
    """An applicant whose default probability lies between 0.12 and 0.34 and rounds down at
    every precision from 2 to 6 decimals by more than 1e-9 (the threshold is set to it)."""
    frame = data.make_applications(600, seed=seed)[schema.FEATURES]
    probability = scoring.score_batch(loaded, frame)["probability"].to_numpy()
    for row, p in enumerate(probability):
        if 0.12 < p < 0.34 and all(round(float(p), k) < p - 1e-9 for k in range(2, 7)):
            return {k: _plain(v) for k, v in frame.astype(object).iloc[row].items()}
    raise RuntimeError("no applicant near the threshold")  # never seen: about 1 in 40 qualify


def _one_row(loaded: LoadedModel, body: dict[str, Any]) -> pd.Series:
    """The model's probability and decision for one applicant, scored alone as /predict does
    (a row scored in a batch may differ in its last bit)."""
    return scoring.score_batch(loaded, pd.DataFrame([body])).iloc[0]


def _versioned(loaded: LoadedModel, seed: int, near: dict[str, Any]) -> LoadedModel:
    """``loaded`` with a version drawn for this check (not 1.0.0) and a threshold exactly the
    probability of ``near``: the model declines that applicant (at or above the threshold),
    and on every seed a rule with ``>``, at a fixed 0.35 or 0.5, or on the probability rounded
    to 2-6 decimals, approves it."""
    rng = np.random.default_rng(seed)
    version = ".".join(str(int(part)) for part in rng.integers(1, 20, 3))
    threshold = float(_one_row(loaded, near)["probability"])
    return LoadedModel(
        loaded.model, {**loaded.metadata, "version": version, "threshold": threshold}
    )


def _answers_problem(
    client: Any, loaded: LoadedModel, good: list[tuple[str, dict[str, Any]]], app: str
) -> str:
    """What is wrong with ``app``'s answers to the ``good`` bodies (each with what it is; ""
    when each answer is the model's)."""
    expected = pd.DataFrame([_one_row(loaded, body) for _, body in good])
    for i, (label, body) in enumerate(good):
        response = client.post("/predict", json=body)
        what = label + app
        if response.status_code != 200:
            return f"{what} got HTTP {response.status_code}: {response.text[:200]}"
        answer = response.json()
        missing = {"probability", "decision", "model_version"} - set(answer)
        if missing:
            return f"the response to {what} lacks {sorted(missing)}: {answer}"
        if not np.isclose(float(answer["probability"]), expected["probability"].iloc[i]):
            return (
                f"the probability for {what} is {answer['probability']!r}, the model's is "
                f"{expected['probability'].iloc[i]:.6f}"
            )
        if answer["decision"] != expected["decision"].iloc[i]:
            probability = float(expected["probability"].iloc[i])
            tie = (
                " (the probability equals the threshold: at or above it, the model declines)"
                if probability == loaded.threshold
                else ""
            )
            return (
                f"the decision for {what} is {answer['decision']!r}: at probability "
                f"{probability:.10f} and the model's threshold {loaded.threshold:.10f} it is "
                f"{expected['decision'].iloc[i]!r}{tie}"
            )
        if answer["model_version"] != loaded.version:
            return (
                f"model_version {answer['model_version']!r}, but the model handed to make_app "
                f"is {loaded.version!r}"
            )
    return ""


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    from fastapi.testclient import TestClient  # imported when checking: it is slow to import

    _, trained = shared.trained_model(fresh_seed(seed, 1))
    near = _near_threshold(trained, fresh_seed(seed, 5))
    fresh = [*_good_inputs(fresh_seed(seed, 2)), near]
    good = [
        ("the documented example" if i == 0 else f"valid applicant {i}", body)
        for i, body in enumerate(fresh)
    ]
    loaded = _versioned(trained, fresh_seed(seed, 4), near)
    client = TestClient(module.make_app(loaded), raise_server_exceptions=False)
    # the limits and every category value go to the first app only: they test validation,
    # which does not depend on the model
    problem = _answers_problem(client, loaded, good + _edges(), "")
    if problem:
        return False, problem
    for what, body in bad_inputs(fresh_seed(seed, 3)):
        response = client.post("/predict", json=body)
        if response.status_code != 422:
            return False, f"{what} got HTTP {response.status_code}, not 422 (a clear refusal)"
    # a second app, for another model, beside the first: nothing of one may answer for the other
    _, other_trained = shared.trained_model(fresh_seed(seed, 6))
    other = _versioned(other_trained, fresh_seed(seed, 7), near)
    if other.version == loaded.version:
        other = LoadedModel(other.model, {**other.metadata, "version": f"{loaded.version}1"})
    second = TestClient(module.make_app(other), raise_server_exceptions=False)
    for app, model, label in (
        (second, other, f" (a second app, made with make_app for model {other.version})"),
        (client, loaded, f" (the first app again, after a second was made for {other.version})"),
    ):
        problem = _answers_problem(app, model, good, label)
        if problem:
            return False, problem + ": keep each app's model and answers inside the app"
    return True, (
        f"the documented example and {GOOD_ROWS + 2} fresh applicants (one a twin of another "
        "but for two categories, one exactly at the threshold) answered like the model, and so "
        f"did {len(_edges())} at every numeric limit and with every category value; "
        f"{len(bad_inputs(0))} bad inputs refused with 422 (every field out of range, as a "
        "word and missing; every category unknown and misspelt); a second app for another "
        "model answered with its own, and the first still with its own"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab03_api

    return lab03_api


register(
    Lab(
        id="03",
        file="lab03_api.py",
        prompt="Write the /predict endpoint in make_app(loaded): it takes one "
        "schema.LoanApplication and answers probability, decision and model_version.",
        hint="declare the body as `application: schema.LoanApplication` so FastAPI answers 422 "
        "to bad input; score pd.DataFrame([application.model_dump()]) with "
        "scoring.score_batch(loaded, ...)",
        checker=_check,
        reference=_reference,
    )
)
