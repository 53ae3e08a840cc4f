# The Model Deployment Workbook. Everyday commands:
#   make lab    set up (first time only) and open JupyterLab at the first notebook
#   make test   set up (first time only) and run every test, notebooks included
# Set-up: a .venv with exactly the versions in requirements.lock, plus workshop_lib itself.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: help install model lab test lint notebooks lock mutants lab-answers ci-checks contention api frontend batch stream pipeline rollback \
	edge bench reset demo-ready tflite tflite-check fleet \
	airflow airflow-env airflow-lock book screenshots diagrams mlserver mlserver-env mlserver-lock \
	replicas

help:  ## this list: every target and what it does
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  make %-14s %s\n", $$1, $$2 }' Makefile

$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "The workbook needs Python 3.11; $(PYTHON) is %d.%d. Install 3.11 or run: make PYTHON=/path/to/python3.11" % v)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep '^uv==' requirements.lock)"
	# --compile-bytecode: every kernel, server and worker then starts from .pyc files (importing
	# the service took 3.9 s without them, 1.3 s with them, where PYTHONDONTWRITEBYTECODE is set)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(INSTALLED)

install: $(INSTALLED)  ## only the set-up: .venv with the exact versions of requirements.lock

model: $(INSTALLED)  ## train, register and promote the default model (skipped if one serves)
	$(BIN)/python -m workshop_lib.default_model

# binder/jupyterlab/overrides.json turns off the news question and update checks (Binder too)
lab: model  ## set up (first time only) and open JupyterLab on the whole workbook at notebook 00
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb \
		--LabApp.app_settings_dir=$(CURDIR)/binder/jupyterlab \
		--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate $(if $(filter 0,$(shell id -u)),--allow-root)

lint: $(INSTALLED)  ## ruff (style, imports) and mypy (types of workshop_lib and apps)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/mypy

# tests/ in two processes (pytest-xdist: most of them wait on servers); the notebooks one at a
# time, alone, since their claims measure a quiet machine; both run even if the first fails
test: model lint book  ## lint, the website build and checks, every test and every notebook (nbval)
	$(BIN)/python -m pytest -n 2 tests; tests=$$?; \
	$(BIN)/python -m pytest notebooks; notebooks=$$?; \
	test $$tests = 0 && test $$notebooks = 0

contention: model  ## every notebook beside a busy core, then on one core (taskset; ~32 min)
	WORKBOOK_CONTENTION=1 $(BIN)/python -m tools.contention both

lab-answers: model  ## every catalogued lab answer on 20 seeds, one process per lab and kind, two at once (make test tries 2 unless this code passed here)
	$(BIN)/python -m tools.lab_answers

ci-checks: model  ## what .ci/run runs before make test: make lab-answers beside the one-core contention run
	$(BIN)/python -m tools.lab_answers --beside-contention

mutants: $(INSTALLED)  ## mutation testing of the lab checkers (Cosmic Ray's mutants of each reference; slow)
	$(BIN)/python -m tools.lab_mutants

notebooks: model  ## re-run every notebook in place, saving fresh outputs
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9]*.ipynb

lock: $(INSTALLED)  ## re-pin requirements.lock and environment.yml from pyproject.toml's ranges
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --upgrade -o requirements.lock
	$(BIN)/python tools/write_environment.py

# --- the chapters' apps and benchmarks (see README: "Run the apps") ---------------------------
api: model  ## the model service on http://127.0.0.1:8000 (docs at /docs)
	$(BIN)/uvicorn apps.api:app --port 8000 --timeout-keep-alive 75 --http workshop_lib.realtime.http_limits:HeadLimitedProtocol

frontend: model  ## the Streamlit page; start `make api` in another terminal first
	$(BIN)/streamlit run apps/frontend.py

batch: model  ## one day's batch scoring of 2 million applications into runtime/predictions.db
	$(BIN)/python -m apps.batch_job --date 2025-01-31 --generate 2000000 --rows-per-file 1000000

stream: model  ## the stream processor, in-process queues, 20 000 events at 5 000 events/s
	$(BIN)/python -m apps.stream_worker --events 20000 --rate 5000

pipeline: model  ## CI/CD: tests, data checks, training, gates, packaging, promotion
	$(BIN)/python -m apps.pipeline run

rollback: $(INSTALLED)  ## production back to the previous model version
	$(BIN)/python -m apps.pipeline rollback

edge: model  ## export to ONNX, quantize, distil, measure every variant, run the edge device
	$(BIN)/python -m apps.edge_export

# TensorFlow cannot share the main lock: its own pinned environment, for conversion only.
.venv-tf/.installed: requirements-tf.txt
	test -x .venv-tf/bin/python || $(PYTHON) -m venv .venv-tf
	.venv-tf/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-tf.txt
	touch .venv-tf/.installed

tflite: $(INSTALLED) .venv-tf/.installed  ## re-export the student and re-convert data/litert/*.tflite
	$(BIN)/python tools/litert_weights.py
	.venv-tf/bin/python tools/litert_convert.py data/litert
	cd data/litert && sha256sum student_weights.npz student_bare.onnx student_*.tflite > SHA256SUMS

tflite-check: $(INSTALLED) .venv-tf/.installed  ## CI: TensorFlow, run now, gives the shipped files
	.venv-tf/bin/python tools/litert_convert.py runtime/litert_check
	$(BIN)/python tools/litert_check.py runtime/litert_check

fleet: model  ## 20 devices over MQTT: staged rollout, tampering refused, rollback (needs mosquitto)
	$(BIN)/python -m apps.fleet --devices 20

bench: model  ## every chapter's benchmark, one after another (about 10 minutes on 2 cores)
	$(BIN)/python -m benchmarks.bench_data
	$(BIN)/python -m benchmarks.bench_batch
	$(BIN)/python -m benchmarks.bench_realtime
	$(BIN)/python -m benchmarks.bench_streaming
	$(BIN)/python -m benchmarks.bench_edge
	$(BIN)/python -m benchmarks.bench_drift

replicas: model  ## nginx in front of 3 replicas of the service until Ctrl-C (needs nginx); prints the URL
	$(BIN)/python -m apps.replicas --replicas 3

# --- instructors ---------------------------------------------------------------------------
reset: $(INSTALLED)  ## stop stray servers, delete models/ and runtime/ (nothing under git)
	$(BIN)/python -m workshop_lib.support.reset

demo-ready: model  ## run all 14 notebooks into runtime/executed/ before class; records their times in docs/notebook_times.json
	$(BIN)/python -m workshop_lib.support.demo_ready

# --- MLServer (chapter 09), a real model server, in its own pinned environment -----------------
MLSERVER_VENV := .venv-mlserver

$(MLSERVER_VENV)/.installed: requirements-mlserver.txt $(INSTALLED)
	test -x $(MLSERVER_VENV)/bin/python || $(PYTHON) -m venv $(MLSERVER_VENV)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(MLSERVER_VENV)/bin/python -r requirements-mlserver.txt
	touch $@

mlserver-env: $(MLSERVER_VENV)/.installed  ## only the set-up: .venv-mlserver with requirements-mlserver.txt

mlserver: model mlserver-env  ## MLServer serving the production model over the V2 protocol (Ctrl-C stops it)
	$(BIN)/python -m apps.model_server

mlserver-lock: $(INSTALLED)  ## re-pin requirements-mlserver.txt from requirements-mlserver.in
	$(BIN)/uv pip compile requirements-mlserver.in --universal --python-version 3.11 -o requirements-mlserver.txt

# --- Apache Airflow (chapter 02b), in its own pinned environment --------------------------------
AIRFLOW_VENV := .venv-airflow
AIRFLOW_ENV := AIRFLOW_HOME=$(CURDIR)/runtime/airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/apps/airflow/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__PARALLELISM=2 PATH=$(CURDIR)/$(AIRFLOW_VENV)/bin:$$PATH
AIRFLOW_DAY ?= 2025-02-01

$(AIRFLOW_VENV)/.installed: requirements-airflow.txt $(INSTALLED)
	test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(AIRFLOW_VENV)/bin/python -r requirements-airflow.txt
	touch $@

airflow-env: $(AIRFLOW_VENV)/.installed  ## only the set-up: .venv-airflow with requirements-airflow.txt

airflow: model airflow-env  ## the DAG for one day (the run of AIRFLOW_DAY scores the day before)
	$(AIRFLOW_ENV) $(AIRFLOW_VENV)/bin/airflow db migrate >/dev/null
	$(AIRFLOW_ENV) WORKBOOK_BATCH_ARGS="--generate 20000" $(AIRFLOW_VENV)/bin/airflow dags test daily_scoring $(AIRFLOW_DAY)

airflow-lock: $(INSTALLED)  ## re-pin requirements-airflow.txt from requirements-airflow.in
	$(BIN)/uv pip compile requirements-airflow.in --universal --python-version 3.11 -o requirements-airflow.txt

# --- the website (README: "The website") ----------------------------------------------------
BOOK_VENV := .venv-book
BOOK_INSTALLED := $(BOOK_VENV)/.installed
BOOK_SOURCE := _build/book/source
BOOK_SITE := _build/book/_build/html

$(BOOK_INSTALLED): book/requirements-book.txt $(INSTALLED)
	test -x $(BOOK_VENV)/bin/python || $(BIN)/uv venv --quiet --python $(PYTHON) $(BOOK_VENV)
	$(BIN)/uv pip install --quiet --python $(BOOK_VENV)/bin/python -r book/requirements-book.txt
	touch $(BOOK_INSTALLED)

book: $(INSTALLED) $(BOOK_INSTALLED)  ## the website from the notebooks' saved outputs, into _build/book/_build/html
	$(BIN)/python -m tools.book_source $(BOOK_SOURCE)
	$(BOOK_VENV)/bin/jupyter-book build $(BOOK_SOURCE) --path-output _build/book -W -n --keep-going
	$(BIN)/python -m tools.site_links $(BOOK_SITE)

screenshots: model  ## re-take the pictures of the running apps (Streamlit, MLflow, evidently, Prometheus) with headless Chromium
	$(BIN)/python -m tools.screenshots

diagrams: $(INSTALLED)  ## redraw the deployment diagrams, notebooks/images/diagram_*.svg, from tools/diagrams.py
	$(BIN)/python -m tools.diagrams
