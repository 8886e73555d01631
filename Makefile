# Kinerja 360 — `make` lists the targets. Only Python 3.11 and the package registries are needed.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
KINERJA_DB ?= data/kinerja.db
# The demo has its own file: `kinerja demo --ganti` rebuilds only databases the demo built, and the
# admin's data/kinerja.db is never its target.
DEMO_DB ?= data/demo.db
DEMO_PEGAWAI ?= 300
DEMO_SEED ?= 2026
HOST ?= 127.0.0.1
PORT ?= 8866
BASE_URL ?= http://$(HOST):$(PORT)
export KINERJA_DB

.PHONY: help install demo demo-data serve test test-fast bench lab clean

help: ## Show this list of targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Butuh $(PYTHON) (Python 3.11)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(STAMP) ## Create .venv and install the kit with its test tools

demo-data: $(STAMP) ## Build the demo database DEMO_DB (DEMO_PEGAWAI, DEMO_SEED) and print rater links for BASE_URL
	$(BIN)/kinerja --db "$(DEMO_DB)" demo --pegawai $(DEMO_PEGAWAI) --seed $(DEMO_SEED) --jawaban --ganti \
		--base-url "$(BASE_URL)"

demo: demo-data ## Build the demo database DEMO_DB, then serve its rater forms with Voilà on HOST:PORT
	$(BIN)/kinerja --db "$(DEMO_DB)" serve --host $(HOST) --port $(PORT)

serve: $(STAMP) ## Serve the forms for the admin's database KINERJA_DB
	$(BIN)/kinerja --db "$(KINERJA_DB)" serve --host $(HOST) --port $(PORT)

test: $(STAMP) ## Run the whole test suite (unit, notebooks, browser end-to-end)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## Run the suite without the browser and slow tests
	$(BIN)/python -m pytest -m "not e2e and not slow"

bench: $(STAMP) ## Run the benchmarks and write benchmarks/results.json
	$(BIN)/python -m benchmarks.run --out benchmarks/results.json

lab: $(STAMP) ## Open JupyterLab on notebooks/ pointed at the demo database DEMO_DB
	@test -f "$(DEMO_DB)" || $(MAKE) demo-data
	KINERJA_DB="$(abspath $(DEMO_DB))" $(BIN)/jupyter lab --notebook-dir=notebooks --ip=$(HOST) \
		$(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## Remove the virtual environment and the demo database (never the admin's data/kinerja.db)
	rm -rf $(VENV) build *.egg-info
	rm -f data/demo.db data/demo.db-wal data/demo.db-shm data/demo.db-tautan.csv
