"""Mutation testing of the lab checkers: every mutant of a reference is a wrong answer to refuse.

    .venv/bin/python -m tools.lab_mutants            # all nine labs (what `make mutants` runs)
    .venv/bin/python -m tools.lab_mutants 05 07 -v   # some labs, listing each survivor

Cosmic Ray's mutation operators (every core operator, plus its VariableReplacer on each
function parameter; ``ParameterSwap``: each use of a parameter, in any statement, replaced by
another parameter of its function: "a parameter ignored", "arguments mixed up"; and
``DropKeyword``: one keyword argument of a call left out, "a setting left at its default")
make the mutants of
``workshop_lib/labs/reference/labNN_*.py``; each mutant is written as the learner's file and
checked with ``check_lab`` on ``SEEDS``. A mutant is killed when one seed refuses it, survives
when every seed accepts it. Survivors that behave exactly like the reference are listed, each
with a reason, in ``tests/lab_mutants/equivalent.toml`` (keyed by operator, line and mutated
line, so the listing survives re-runs); the run fails when a lab kills under 95 % of the others.
"""

from __future__ import annotations

import argparse
import difflib
import random
import signal
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cosmic_ray.plugins
from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code
from cosmic_ray.operators.operator import Operator
from cosmic_ray.operators.variable_replacer import VariableReplacer
from parso.python.tree import Function, Name

from workshop_lib.labs import LABS, check_lab

SEEDS = (11, 22, 33)
MIN_KILLED = 0.95
TIMEOUT_S = 120
EQUIVALENT_FILE = Path(__file__).resolve().parents[1] / "tests" / "lab_mutants" / "equivalent.toml"


@dataclass(frozen=True)
class Mutant:
    """One mutation of a reference: which operator, where, and the mutated source."""

    operator: str
    line: str
    mutated: str
    code: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.operator, self.line, self.mutated)


class _VariableReplacer(VariableReplacer):
    """Cosmic Ray's VariableReplacer, which crashes on an assignment of a bare constant
    (``ALPHA = 0.01``: a right-hand side without children); such a line has no variable."""

    def _get_causes_from_expr_node(self, expr_node: object) -> Iterator[object]:
        rhs = expr_node.get_rhs()  # type: ignore[attr-defined]
        return self._flatten_expr(getattr(rhs, "children", [rhs]))


class ParameterSwap(Operator):
    """Each use of parameter ``cause`` inside function ``function`` becomes ``effect``, another
    of its parameters: a learner who passes the wrong argument or ignores one. Cosmic Ray's
    VariableReplacer reaches only assignments, so a parameter used in a bare call, a return or
    a condition (lab 06's ``quantize_dynamic(fp32_path, int8_path)``) was never mutated."""

    def __init__(self, function: str, cause: str, effect: str):
        self.function, self.cause, self.effect = function, cause, effect

    def mutation_positions(self, node: object) -> Iterator[tuple[object, object]]:
        if (
            isinstance(node, Name)
            and node.value == self.cause
            and not node.is_definition()
            and getattr(node.get_previous_sibling(), "value", None) != "."  # not obj.cause
            and getattr(node.get_next_sibling(), "value", None) != "="  # not f(cause=...)
        ):
            function = node.search_ancestor("funcdef")
            if isinstance(function, Function) and function.name.value == self.function:
                yield (node.start_pos, node.end_pos)

    def mutate(self, node: object, index: int) -> object:
        assert isinstance(node, Name)
        node.value = self.effect
        return node

    @classmethod
    def examples(cls) -> tuple[()]:
        return ()


def _is_keyword(node: object) -> bool:
    children = getattr(node, "children", [])
    return getattr(node, "type", "") == "argument" and getattr(children[1], "value", "") == "="


class DropKeyword(Operator):
    """One keyword argument of a call left out (``f(x, weight_type=...)`` -> ``f(x)``)."""

    @staticmethod
    def _keywords(node: object) -> list[int]:
        children = getattr(node, "children", [])
        kind = getattr(node, "type", "")
        if kind == "arglist" or (kind == "trailer" and children[0].value == "("):
            return [i for i, child in enumerate(children) if _is_keyword(child)]
        return []

    def mutation_positions(self, node: object) -> Iterator[tuple[object, object]]:
        children = [node.children[i] for i in self._keywords(node)]  # type: ignore[attr-defined]
        yield from [(child.start_pos, child.end_pos) for child in children]  # before mutate()

    def mutate(self, node: object, index: int) -> object:
        i = self._keywords(node)[index]
        children = node.children  # type: ignore[attr-defined]
        if node.type == "trailer":  # type: ignore[attr-defined]
            drop = {i}  # f(x=1) -> f()
        elif i + 1 < len(children) and children[i + 1].value == ",":
            drop = {i, i + 1}  # the argument and the comma after it
        else:
            drop = {i - 1, i}  # the last argument and the comma before it
        node.children = [c for j, c in enumerate(children) if j not in drop]  # type: ignore[attr-defined]
        return node

    @classmethod
    def examples(cls) -> tuple[()]:
        return ()


class Timeout(BaseException):
    """A mutant that runs too long (a BaseException: the checker's ``except Exception`` lets
    it through)."""


def _operators(source: str) -> Iterator[tuple[str, Operator]]:
    for name in cosmic_ray.plugins.operator_names():
        operator_class = cosmic_ray.plugins.get_operator(name)
        if not operator_class.arguments():
            yield name, operator_class()
    functions = {
        node.name.value: [param.name.value for param in node.get_params()]
        for node in ast_nodes(get_ast(source))
        if isinstance(node, Function)
    }
    yield "DropKeyword", DropKeyword()
    for parameter in sorted({name for params in functions.values() for name in params}):
        yield f"core/VariableReplacer({parameter})", _VariableReplacer(parameter)
    for function, params in sorted(functions.items()):
        for cause in params:
            for effect in params:
                if effect != cause:
                    name = f"ParameterSwap({function}: {cause} -> {effect})"
                    yield name, ParameterSwap(function, cause, effect)


def _changed_lines(before: str, after: str) -> tuple[str, str]:
    old, new = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            old.append(line[2:].strip())
        elif line.startswith("+ "):
            new.append(line[2:].strip())
    return " / ".join(old), " / ".join(new)


def mutants(path: Path) -> list[Mutant]:
    """Every mutant Cosmic Ray's operators make of the file at ``path`` (no duplicates)."""
    source = path.read_text()
    nodes = list(ast_nodes(get_ast(source)))
    found: dict[tuple[str, str, str], Mutant] = {}
    for name, operator in _operators(source):
        # parse again only where the operator applies (most of them apply nowhere)
        places = sum(1 for node in nodes for _ in operator.mutation_positions(node))
        for occurrence in range(places):
            random.seed(f"{path.name}:{name}:{occurrence}")  # VariableReplacer draws a number
            code = mutate_code(source, operator, occurrence)
            if code is None:
                break
            line, mutated = _changed_lines(source, code)
            if line == mutated:
                continue  # only spacing changed
            mutant = Mutant(name, line, mutated, code)
            found.setdefault(mutant.key, mutant)
    return list(found.values())


def equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, dict[tuple[str, str, str], str]]:
    """The reviewed equivalent mutants: lab id -> key -> reason."""
    listing = tomllib.loads(path.read_text()) if path.exists() else {}
    return {
        lab: {(e["operator"], e["line"], e["mutated"]): e["reason"] for e in entries}
        for lab, entries in listing.items()
    }


def _alarm(signum: int, frame: object) -> None:
    raise Timeout


def verdict(lab_id: str, mutant: Mutant, folder: Path) -> tuple[bool, str]:
    """(killed, how): check the mutant on each seed until one refuses it."""
    path = folder / LABS[lab_id].file
    path.write_text(mutant.code)
    signal.signal(signal.SIGALRM, _alarm)
    for seed in SEEDS:
        signal.alarm(TIMEOUT_S)
        try:
            result = check_lab(lab_id, path=path, seed=seed)
        except Timeout:
            return True, f"ran over {TIMEOUT_S} s (seed {seed})"
        finally:
            signal.alarm(0)
        if result.passed is not True:
            return True, result.message
    return False, f"accepted on seeds {SEEDS}"


@dataclass
class Row:
    lab: str
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0
    survived: int = 0
    seconds: float = 0.0

    @property
    def score(self) -> float:
        judged = self.mutants - self.equivalent
        return self.killed / judged if judged else 1.0


def run_lab(lab_id: str, listed: dict[tuple[str, str, str], str], verbose: bool) -> Row:
    """Check every mutant of one lab's reference; print each survivor."""
    reference = LABS[lab_id].reference()
    path = reference if isinstance(reference, Path) else Path(str(reference.__file__))
    row, start = Row(lab_id), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"mutants-{lab_id}-") as folder:
        for mutant in mutants(path):
            row.mutants += 1
            killed, how = verdict(lab_id, mutant, Path(folder))
            if killed:
                row.killed += 1
                if mutant.key in listed:
                    print(f"  lab {lab_id}: listed as equivalent but killed ({how}): {mutant.key}")
                if verbose:
                    print(f"  killed  {mutant.operator}: {mutant.line!r} -> {mutant.mutated!r}")
                    print(f"          {how[:160]}")
            elif mutant.key in listed:
                row.equivalent += 1
            else:
                row.survived += 1
                print(f"  lab {lab_id} SURVIVED {mutant.operator}:")
                print(f"      line    = {mutant.line!r}\n      mutated = {mutant.mutated!r}")
    row.seconds = time.perf_counter() - start
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", default=sorted(LABS))
    parser.add_argument("-v", "--verbose", action="store_true", help="list every killed mutant")
    args = parser.parse_args(argv)
    listed = equivalents()
    rows = [run_lab(lab, listed.get(lab, {}), args.verbose) for lab in args.labs]
    print(
        f"\n{'lab':<4}{'mutants':>9}{'killed':>8}{'equiv.':>8}{'survived':>10}"
        f"{'killed %':>10}{'seconds':>9}"
    )
    for row in rows:
        print(
            f"{row.lab:<4}{row.mutants:>9}{row.killed:>8}{row.equivalent:>8}{row.survived:>10}"
            f"{row.score:>10.1%}{row.seconds:>9.0f}"
        )
    weak = [row.lab for row in rows if row.score < MIN_KILLED]
    if weak:
        print(f"under {MIN_KILLED:.0%} of non-equivalent mutants killed: lab(s) {weak}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
