# The README's commands. `make demo` and `make test` install on first use.
SHELL := /bin/bash
VENV ?= .venv
PYTHON_VERSION := $(shell cat .python-version)
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
DEMO_ARGS ?=

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install test test-slow test-all lint demo bench clean-venv

install: $(STAMP)

# Re-runs only when the package metadata or the pinned versions change.
$(STAMP): setup.py constraints.txt .python-version
	bash scripts/install.sh "$(VENV)"
	touch $@

# Every component, quickly: the suite without the tests marked slow.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The longer end-to-end runs (distributed, resume, several methods); CI runs them too.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS); status=$$?; [ $$status -eq 5 ] || exit $$status

test-all: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Formatting and style, as AllenNLP's repositories: black (pyproject.toml) and flake8 (.flake8).
lint: $(STAMP)
	$(BIN)/black --check .
	$(BIN)/flake8

# DEMO_ARGS="--seeds 0 1 2" reports mean and standard deviation over three training seeds.
demo: $(STAMP)
	$(BIN)/python -m allennlp_robust_xlt.demo $(DEMO_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean-venv:
	rm -rf $(VENV)
