# The Model Deployment Workbook. Everyday commands:
#   make lab    set up (first time only) and open JupyterLab at the first notebook
#   make test   set up (first time only) and run every test, notebooks included
# Set-up: a .venv with exactly the versions in requirements.lock, plus workshop_lib itself.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: help install model lab test lint notebooks lock

help:
	@sed -n '2,4p' Makefile

$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "The workbook needs Python 3.11; $(PYTHON) is %d.%d. Install 3.11 or run: make PYTHON=/path/to/python3.11" % v)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(INSTALLED)

install: $(INSTALLED)

model: $(INSTALLED)  ## train, register and promote the default model (skipped if one serves)
	$(BIN)/python -m workshop_lib.default_model

lab: model
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: model lint
	$(BIN)/python -m pytest

notebooks: model  ## re-run every notebook in place, saving fresh outputs
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9]*.ipynb

lock: $(INSTALLED)  ## re-pin requirements.lock and environment.yml from pyproject.toml's ranges
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --upgrade -o requirements.lock
	$(BIN)/python tools/write_environment.py
