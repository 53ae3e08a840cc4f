"""tools/lab_mutants.py: its operators reach every lab's reference, lab 06's single call too.

The mutants themselves are checked by ``make mutants`` (slow); these tests only build them.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from tools.lab_mutants import DropKeyword, Mutant, ParameterSwap, equivalents, mutants
from workshop_lib.labs import LABS


@functools.cache
def _mutants(lab_id: str) -> list[Mutant]:
    reference = LABS[lab_id].reference()
    return mutants(reference if isinstance(reference, Path) else Path(str(reference.__file__)))


def _mutated(source: str, operator: object) -> list[str]:
    from cosmic_ray.mutating import mutate_code

    found, occurrence = [], 0
    while (code := mutate_code(source, operator, occurrence)) is not None:
        found.append(code)
        occurrence += 1
    return found


def test_every_reference_is_mutated():
    counts = {lab_id: len(_mutants(lab_id)) for lab_id in LABS}
    assert min(counts.values()) >= 3, counts


def test_lab06_arguments_are_swapped_and_its_setting_dropped():
    lines = {m.mutated for m in _mutants("06")}
    assert {
        "quantize_dynamic(Path(int8_path), Path(int8_path), weight_type=QuantType.QInt8)",
        "quantize_dynamic(Path(fp32_path), Path(fp32_path), weight_type=QuantType.QInt8)",
        "quantize_dynamic(Path(fp32_path), Path(int8_path))",
    } <= lines, lines


def test_parameter_swap_leaves_attributes_keywords_and_other_functions_alone():
    source = "def f(a, b):\n    return g(a, a=a.a)\n\n\ndef h(a, b):\n    return a\n"
    assert _mutated(source, ParameterSwap("f", "a", "b")) == [
        "def f(a, b):\n    return g(b, a=a.a)\n\n\ndef h(a, b):\n    return a\n",
        "def f(a, b):\n    return g(a, a=b.a)\n\n\ndef h(a, b):\n    return a\n",
    ]


def test_drop_keyword_leaves_valid_calls():
    source = "f(x, y=1, z=2)\ng(w=3)\nh(x)\n"
    found = _mutated(source, DropKeyword())
    assert found == [
        "f(x, z=2)\ng(w=3)\nh(x)\n",
        "f(x, y=1)\ng(w=3)\nh(x)\n",
        "f(x, y=1, z=2)\ng()\nh(x)\n",
    ]
    for code in found:
        ast.parse(code)


def test_listed_equivalents_are_mutants_of_their_reference():
    for lab_id, listed in equivalents().items():
        keys = {m.key for m in _mutants(lab_id)}
        assert set(listed) <= keys, (lab_id, set(listed) - keys)
