"""Shared code of the Model Deployment Workbook: the notebooks, apps and tests import it."""

__version__ = "0.1.0"
