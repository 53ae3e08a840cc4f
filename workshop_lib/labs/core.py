"""Labs: the learner writes a function, an app or a page in ``notebooks/labs/``; a checker runs it.

``check_lab("02")`` loads the learner's file, runs it on inputs the notebook never showed (a
fresh seed each call) and returns the same ``CheckResult`` the exercises use. A file that still
holds a ``...`` placeholder statement counts as "not answered yet" and shows the hint, so the
notebook runs through while the lab is unfinished.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from workshop_lib.exercises.core import CheckResult
from workshop_lib.labs import shared

LAB_DIR = Path(__file__).resolve().parents[2] / "notebooks" / "labs"


@dataclass(frozen=True)
class Lab:
    """One lab: the learner's file, what to write, a hint, the checker and the reference.

    ``checker(answer, seed)`` returns ``(passed, message)``; the answer is the learner's
    imported module, or for a ``page`` (a Streamlit script, which must not be imported) the
    file's path. ``reference()`` returns the reference solution the same way
    (``workshop_lib/labs/reference/<file>``).
    """

    id: str
    file: str
    prompt: str
    hint: str
    checker: Callable[[Any, int], tuple[bool, str]]
    reference: Callable[[], ModuleType | Path]
    page: bool = False


LABS: dict[str, Lab] = {}


def register(lab: Lab) -> Lab:
    """Add a lab to the catalogue (ids are unique)."""
    if lab.id in LABS:
        raise ValueError(f"lab {lab.id!r} is registered twice")
    LABS[lab.id] = lab
    return lab


def _find(lab_id: str) -> Lab:
    if lab_id not in LABS:
        raise KeyError(f"no lab {lab_id!r}; known: {sorted(LABS)}")
    return LABS[lab_id]


def unfinished(path: Path) -> bool:
    """Whether the learner's file still holds a ``...`` placeholder statement."""
    try:
        tree = ast.parse(path.read_text())
    except SyntaxError:
        return False  # importing it reports the error
    return any(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and node.value.value is Ellipsis
        for node in ast.walk(tree)
    )


def load_learner_file(path: Path) -> ModuleType:
    """Import the learner's file afresh (edits since the last check are picked up)."""
    spec = importlib.util.spec_from_file_location(f"learner_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Dask and pickle find functions by their module's name
    spec.loader.exec_module(module)
    return module


class Refusal(Exception):
    """A checker's verdict raised from deep inside it (the answer returned something unusable):
    reported as its message, not as "your code raised"."""


def run_checker(lab: Lab, answer: Any, seed: int) -> CheckResult:
    """Run the checker; an error in the learner's code is a failed check that names the error."""
    try:
        passed, message = lab.checker(answer, seed)
    except Refusal as refusal:
        passed, message = False, str(refusal)
    except Exception as error:  # the learner's code may raise anything: report it, do not crash
        passed, message = False, f"your code raised {type(error).__name__}: {error}"
    return CheckResult(f"lab {lab.id}", passed, f"{message} (seed {seed})", lab.hint)


def check_lab(lab_id: str, path: Path | str | None = None, seed: int | None = None) -> CheckResult:
    """Check the learner's lab file (default ``notebooks/labs/<file>``) on fresh inputs."""
    lab = _find(lab_id)
    # resolved against the working directory now: Streamlit's AppTest would resolve a relative
    # page path against the checker's own folder
    path = Path(path).resolve() if path is not None else LAB_DIR / lab.file
    if not path.exists():
        return CheckResult(f"lab {lab_id}", False, f"{path} does not exist", lab.hint)
    if unfinished(path):
        return CheckResult(
            f"lab {lab_id}", None, f"{lab.prompt} Edit {path.name} (replace every `...`).", lab.hint
        )
    seed = secrets.randbelow(2**31) if seed is None else seed
    with shared.decoy_default_registry():  # no lab's answer may use the default registry
        if lab.page:
            return run_checker(lab, path, seed)
        try:
            module = load_learner_file(path)
        except Exception as error:  # a syntax error in the learner's file is a failed check
            return CheckResult(
                f"lab {lab_id}", False, f"{path.name} does not import: {error!r}", lab.hint
            )
        return run_checker(lab, module, seed)


def lab_solution(lab_id: str) -> None:
    """Print the reference solution's code: look only after you have tried."""
    reference = _find(lab_id).reference()
    source = reference.read_text() if isinstance(reference, Path) else inspect.getsource(reference)
    print(f"Reference solution of lab {lab_id}:\n\n{source}")


def reference_file(name: str) -> Path:
    """The path of a reference solution that is a file, not a module (a Streamlit page)."""
    return Path(__file__).resolve().parent / "reference" / name


def fresh_seed(seed: int, offset: int) -> int:
    """A seed derived from the check's seed, distinct per use."""
    return (seed * 7_919 + offset) % 2**31
