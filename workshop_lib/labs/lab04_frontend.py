"""Lab 04: a Streamlit what-if page, run with streamlit.testing.v1.AppTest."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from workshop_lib import data, schema, training
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, Refusal, fresh_seed, reference_file, register
from workshop_lib.registry import LoadedModel, Registry
from workshop_lib.support.streamlit_testing import app_test

MOVES = 3
LATER_ROWS = 2_000  # rows the registry's production model (its second version) learns from
TOLERANCE = 0.0006  # a shown percentage (one decimal) may differ from the model's by this much
OTHER_DIFFERENCE, OTHER_CANDIDATES = 0.005, 10  # the second session's production vs the first's


SHOWN_IN = ("metric", "markdown", "title", "header", "subheader", "caption", "text")


def _shown_probability(app: Any) -> tuple[float, str]:
    """The first percentage the page shows (in a metric, markdown, title, header, subheader,
    caption or text element; ``st.write`` of text is markdown): its value and text."""
    texts = [element.value for kind in SHOWN_IN for element in getattr(app, kind)]
    for text in texts:
        found = re.search(r"(\d+(?:\.\d+)?)\s*%", str(text))
        if found:
            return float(found.group(1)) / 100, found.group(0)
    raise Refusal(
        "the page shows no percentage (a number followed by %) in any metric, markdown, "
        "title, header, subheader, caption or text element"
    )


def _decimals(text: str) -> int:
    """How many decimals the percentage ``text`` (such as '12.3%') shows."""
    number = re.sub(r"\s*%$", "", text)
    return len(number.split(".")[1]) if "." in number else 0


def _probability(model: Any, income: float) -> float:
    """The model's default probability for the documented applicant earning ``income``."""
    row = pd.DataFrame([{**schema.EXAMPLE_APPLICATION, "annual_income": income}])
    return float(model.predict_proba(row[schema.FEATURES])[0, 1])


def _telling_incomes(
    rng: np.random.Generator, low: float, high: float, step: float, model: Any
) -> list[float]:
    """``MOVES`` incomes on the slider's grid: one whose percentage's second decimal rounds up
    (7 to 9.5 tenths of a unit past it: cutting it off is wrong), one that rounds down (0.5 to
    3 tenths: rounding up is wrong), one whose percentage is not exact as a float computed as
    ``round(p, 3) * 100`` (such as 8.799999999999999), then any (a coarse grid may lack one:
    any then too)."""

    def draw() -> float:
        return low + step * int(rng.integers(1, int((high - low) / step)))

    chosen: list[float] = []
    for band in ((0.7, 0.95), (0.05, 0.3)):
        for _ in range(500):
            income = draw()
            if band[0] <= (_probability(model, income) * 1_000) % 1 < band[1]:
                chosen.append(income)
                break
    for _ in range(500):
        income = draw()
        if len(repr(round(_probability(model, income), 3) * 100).split(".")[-1]) > 1:
            chosen.append(income)
            break
    return chosen + [draw() for _ in range(MOVES - len(chosen))]


def _check(page: Path, seed: int) -> tuple[bool, str]:
    import streamlit as st

    # a fresh page server: what an earlier check cached (another model, maybe the same version
    # number) must not answer for this one (outside a server, clearing warns "No runtime found")
    with _quiet("streamlit.runtime.caching.cache_data_api"):
        st.cache_data.clear()
        st.cache_resource.clear()
    registry, loaded = _registry_with_two_models(seed)
    example = dict(schema.EXAMPLE_APPLICATION)
    try:
        passed, message, asked = _moves(page, seed, str(registry.root), loaded)
    finally:  # the page runs in this process: put the shared example back as it was
        changed = _put_back(example)
    if changed or not passed:
        return False, changed or message
    other_registry, other, income = _other_registry(seed, loaded, asked)
    try:
        problem = _second_session(page, str(other_registry.root), other, loaded, income)
    finally:
        changed = _put_back(example)
    if changed or problem:
        return False, changed or problem
    return True, message


def _put_back(example: dict[str, Any]) -> str:
    """Put schema.EXAMPLE_APPLICATION back to ``example``; what the page changed in it ("" if
    nothing)."""
    after = dict(schema.EXAMPLE_APPLICATION)
    schema.EXAMPLE_APPLICATION.clear()
    schema.EXAMPLE_APPLICATION.update(example)
    changed = sorted(k for k in example.keys() | after.keys() if after.get(k) != example.get(k))
    if not changed:
        return ""
    return (
        f"the page changed schema.EXAMPLE_APPLICATION itself ({', '.join(changed)}): every "
        "page and test in this process shares that dict; build a new one from it instead"
    )


def _other_registry(
    seed: int, first: LoadedModel, asked: list[float]
) -> tuple[Registry, LoadedModel, float]:
    """A second registry (production 1.0.0) whose model differs from ``first`` by
    ``OTHER_DIFFERENCE`` or more at an income the first session was asked (the first of a few
    fresh models that does; the one that differs most if none does), and that income."""
    best: tuple[float, Registry, LoadedModel, float] | None = None
    for k in range(OTHER_CANDIDATES):
        registry, production = shared.trained_model(fresh_seed(seed, 10 + k), rows=LATER_ROWS)
        gap, income = max(
            (abs(_probability(production.model, x) - _probability(first.model, x)), x)
            for x in asked
        )
        if best is None or gap > best[0]:
            best = (gap, registry, production, income)
        if gap >= OTHER_DIFFERENCE:
            break
    assert best is not None  # OTHER_CANDIDATES > 0
    return best[1], best[2], best[3]


def _registry_with_two_models(seed: int) -> tuple[Registry, LoadedModel]:
    """A registry whose production (1.1.0) is another model than its first version (1.0.0),
    trained on other rows: a page that loads a version by name shows the wrong model."""
    registry, _ = shared.trained_model(fresh_seed(seed, 1))
    rows = data.make_applications(LATER_ROWS, seed=fresh_seed(seed, 3))
    later = training.build_pipeline("logistic").fit(*training.split_features(rows))
    shared.register(registry, later, rows, "logistic")
    return registry, registry.load()


@contextlib.contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """Meanwhile ``logger`` reports errors only (Streamlit warns when used outside a server)."""
    quiet = logging.getLogger(logger)
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        yield
    finally:
        quiet.setLevel(level)


def _session(page: Path, registry_root: str) -> Any:
    """A new session of the page (the process's Streamlit caches are kept), handed
    ``registry_root``, after its first run."""
    # before the first run there is no script run: setting the state warns "missing
    # ScriptRunContext"
    with _quiet("streamlit.runtime.scriptrunner_utils.script_run_context"):
        app = app_test(str(page), timeout=30)
        app.session_state["registry_root"] = registry_root
    app.run()
    return app


def _moves(
    page: Path, seed: int, registry_root: str, loaded: LoadedModel
) -> tuple[bool, str, list[float]]:
    """Run the page, move its slider to telling incomes and compare it with production; the
    verdict, and the incomes the page was asked (its first value, then the moves)."""
    app = _session(page, registry_root)
    if app.exception:
        return False, f"the page raised: {app.exception[0].message}", []
    if len(app.slider) != 1:
        return False, f"the page should show one income slider, it shows {len(app.slider)}", []
    slider = app.slider[0]
    asked = [float(cast(float, slider.value))]
    rng = np.random.default_rng(fresh_seed(seed, 2))
    low, high = float(cast(float, slider.min)), float(cast(float, slider.max))
    if low > 20_000 or high < 200_000:
        spans = f"the slider spans {low:,.0f} to {high:,.0f}: cover 20,000 to 200,000 USD"
        return False, spans, asked
    step = float(cast(float, slider.step) or 1)
    model = loaded.model
    for income in _telling_incomes(rng, low, high, step, model):
        _move(slider, income)
        asked.append(income)
        if app.exception:
            raised = app.exception[0].message
            return False, f"at income {income:,.0f} the page raised: {raised}", asked
        expected = _probability(model, income)
        shown, text = _shown_probability(app)
        if _decimals(text) != 1:
            return False, f"the page shows {text!r}: show the percentage with one decimal", asked
        if abs(shown - expected) > TOLERANCE:
            return (
                False,
                (
                    f"at an income of {income:,.0f} USD the page shows {text!r}; production "
                    f"(version {loaded.version} of the registry the page is handed) says "
                    f"{expected:.1%} for the documented applicant with that income"
                ),
                asked,
            )
    return (
        True,
        (
            f"moved the slider to {MOVES} fresh incomes: the page follows production (version "
            f"{loaded.version}) each time; a second session, handed another registry, showed "
            "that registry's production"
        ),
        asked,
    )


def _move(slider: Any, income: float) -> None:
    """Set the page's slider to ``income`` (an int where the slider holds ints) and rerun."""
    slider.set_value(int(income) if isinstance(slider.value, int) else income).run()


def _second_session(
    page: Path, registry_root: str, production: LoadedModel, first: LoadedModel, income: float
) -> str:
    """What is wrong when a second session of the page, in the same process and handed another
    registry, is moved to ``income``, an income the first session was asked, where the two
    productions differ ("" when it shows its own production's)."""
    expected, before = _probability(production.model, income), _probability(first.model, income)
    app = _session(page, registry_root)
    if app.exception:
        return f"a second session of the page raised: {app.exception[0].message}"
    _move(app.slider[0], income)
    if app.exception:
        raised = app.exception[0].message
        return f"a second session of the page raised at {income:,.0f} USD: {raised}"
    shown, text = _shown_probability(app)
    if abs(shown - expected) <= TOLERANCE:
        return ""
    whose = (
        f": that is the first session's model (version {first.version} of the first "
        "registry), kept in a cache: key what the page caches by the registry it is handed"
        if abs(shown - before) <= TOLERANCE
        else ""
    )
    return (
        f"a second session of the page, handed another registry (production version "
        f"{production.version}), shows {text!r} at {income:,.0f} USD where its production "
        f"says {expected:.1%}{whose}"
    )


def _reference() -> Path:
    return reference_file("lab04_frontend.py")


register(
    Lab(
        id="04",
        file="lab04_frontend.py",
        prompt="Write a Streamlit what-if page: one income slider, and the default probability "
        "of the documented applicant at that income, as a percentage with one decimal.",
        hint="income = st.slider('Annual income (USD)', 10_000, 250_000, 62_000, step=1_000); "
        "build a one-row DataFrame from {**schema.EXAMPLE_APPLICATION, 'annual_income': income}; "
        "st.metric('Default probability', f'{p:.1%}')",
        checker=_check,
        reference=_reference,
        page=True,
    )
)
