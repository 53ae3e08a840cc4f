"""The workbook's labs: ``check_lab("01")`` runs the learner's ``notebooks/labs/`` file.

Each chapter's lab lives in a module ``labNN_*`` in this package (checker and hint;
the reference solution is ``reference/<the learner's file name>``) and registers itself on
import; all of them are imported here.
"""

import importlib
import pkgutil

from workshop_lib.labs.core import LAB_DIR, LABS, Lab, check_lab, lab_solution

for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("lab"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["LABS", "LAB_DIR", "Lab", "check_lab", "lab_solution"]
