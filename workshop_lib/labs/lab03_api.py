"""Lab 03: the /predict endpoint of a small FastAPI app, served and sent good and bad inputs."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
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
    return shared.relabelled(loaded, version, threshold)


Bodies = tuple[tuple[str, dict[str, Any]], ...]
Answers = tuple[tuple[float, str], ...]  # the model's probability and decision for each body


@dataclass(frozen=True)
class _Plan:
    """What a check of one seed sends and what the models answer: made once per seed, so
    that the catalogue's answers share it (each check still gets its own copy of the models)."""

    good: Bodies
    first_bodies: Bodies  # good + _edges(): the limits and categories go to the first app only
    bad: Bodies
    first: tuple[str, float]  # the first app's model: version and threshold
    second: tuple[str, float]
    first_answers: Answers  # to first_bodies
    second_answers: Answers  # to good


def _answers(loaded: LoadedModel, bodies: Bodies) -> Answers:
    return tuple(
        (float(row["probability"]), str(row["decision"]))
        for row in (_one_row(loaded, body) for _, body in bodies)
    )


@functools.cache
def _plan(seed: int) -> _Plan:
    _, trained = shared.trained_model(fresh_seed(seed, 1))
    near = _near_threshold(trained, fresh_seed(seed, 5))
    fresh = [*_good_inputs(fresh_seed(seed, 2)), near]
    good = tuple(
        ("the documented example" if i == 0 else f"valid applicant {i}", body)
        for i, body in enumerate(fresh)
    )
    first = _versioned(trained, fresh_seed(seed, 4), near)
    _, other_trained = shared.trained_model(fresh_seed(seed, 6))
    second = _versioned(other_trained, fresh_seed(seed, 7), near)
    if second.version == first.version:
        second = shared.relabelled(second, f"{first.version}1", second.threshold)
    first_bodies = good + tuple(_edges())
    return _Plan(
        good=good,
        first_bodies=first_bodies,
        bad=tuple(bad_inputs(fresh_seed(seed, 3))),
        first=(first.version, first.threshold),
        second=(second.version, second.threshold),
        first_answers=_answers(first, first_bodies),
        second_answers=_answers(second, good),
    )


def _answers_problem(
    client: _Client, loaded: LoadedModel, good: Bodies, expected: Answers, app: str
) -> str:
    """What is wrong with ``app``'s answers to the ``good`` bodies (each with what it is; ""
    when each answer is the model's, ``expected``)."""
    for (label, body), (probability, decision) in zip(good, expected, strict=True):
        response = client.post("/predict", json=body)
        what = label + app
        if response.status_code != 200:
            return f"{what} got HTTP {response.status_code}: {response.text[:200]}"
        answer = response.json()
        missing = {"probability", "decision", "model_version"} - set(answer)
        if missing:
            return f"the response to {what} lacks {sorted(missing)}: {answer}"
        if not np.isclose(float(answer["probability"]), probability):
            return (
                f"the probability for {what} is {answer['probability']!r}, the model's is "
                f"{probability:.6f}"
            )
        if answer["decision"] != decision:
            tie = (
                " (the probability equals the threshold: at or above it, the model declines)"
                if probability == loaded.threshold
                else ""
            )
            return (
                f"the decision for {what} is {answer['decision']!r}: at probability "
                f"{probability:.10f} and the model's threshold {loaded.threshold:.10f} it is "
                f"{decision!r}{tie}"
            )
        if answer["model_version"] != loaded.version:
            return (
                f"model_version {answer['model_version']!r}, but the model handed to make_app "
                f"is {loaded.version!r}"
            )
    return ""


class _Client:
    """Requests to an ASGI app in this thread, through httpx's ASGI transport: no server and
    no thread per request (a refused body costs about 1 ms, against 8 ms with FastAPI's
    TestClient). An exception in the app is answered 500, as a server would."""

    def __init__(self, app: Any) -> None:
        self._loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://lab")

    def post(self, path: str, json: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.post(path, json=json))

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@contextlib.contextmanager
def _served(app: Any) -> Iterator[_Client]:
    client = _Client(app)
    try:
        yield client
    finally:
        client.close()


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    plan = _plan(seed)
    loaded = shared.relabelled(shared.trained_model(fresh_seed(seed, 1))[1], *plan.first)
    other = shared.relabelled(shared.trained_model(fresh_seed(seed, 6))[1], *plan.second)
    with _served(module.make_app(loaded)) as client:
        return _checked(module, plan, loaded, other, client)


def _checked(
    module: ModuleType, plan: _Plan, loaded: LoadedModel, other: LoadedModel, client: _Client
) -> tuple[bool, str]:
    # the limits and every category value go to the first app only: they test validation,
    # which does not depend on the model
    problem = _answers_problem(client, loaded, plan.first_bodies, plan.first_answers, "")
    if problem:
        return False, problem
    for what, body in plan.bad:
        response = client.post("/predict", json=body)
        if response.status_code != 422:
            return False, f"{what} got HTTP {response.status_code}, not 422 (a clear refusal)"
    # a second app, for another model, beside the first: nothing of one may answer for the other
    with _served(module.make_app(other)) as second:
        return _both_apps(plan, loaded, other, client, second)


def _both_apps(
    plan: _Plan, loaded: LoadedModel, other: LoadedModel, client: _Client, second: _Client
) -> tuple[bool, str]:
    """The second app, then the first again: each answers with its own model."""
    for app, model, expected, label in (
        (
            second,
            other,
            plan.second_answers,
            f" (a second app, made with make_app for model {other.version})",
        ),
        (
            client,
            loaded,
            plan.first_answers[: len(plan.good)],
            f" (the first app again, after a second was made for {other.version})",
        ),
    ):
        problem = _answers_problem(app, model, plan.good, expected, label)
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
