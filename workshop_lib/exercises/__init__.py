"""The workbook's exercises. ``check("01.2", answer)`` grades, ``solution("01.2")`` reveals.

Each chapter's exercises live in a module named ``chNN_*`` in this package and register
themselves on import; all of them are imported here.
"""

import importlib
import pkgutil

from workshop_lib.exercises.core import EXERCISES, CheckResult, Exercise, check, hint, solution

for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("ch"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["EXERCISES", "CheckResult", "Exercise", "check", "hint", "solution"]
