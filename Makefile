# The README's commands. `make demo` and `make test` install on first use.
#
# STACK selects the tested set of versions, each one constraints file and its own venv:
#   STACK=default (the default)  torch 2.1.2, constraints.txt, .venv: CPUs and GPUs sm_50 to sm_90
#   STACK=pinned                 AllenNLP's own torch 1.12.1, constraints-pinned.txt, .venv-pinned:
#                                CPUs and GPUs sm_37 to sm_75 (not A100/H100)
# e.g. `make install STACK=pinned`, `make test STACK=pinned`. VENV overrides the venv's folder.
SHELL := /bin/bash
STACK ?= default
ifeq ($(STACK),default)
CONSTRAINTS := constraints.txt
VENV ?= .venv
else ifeq ($(STACK),pinned)
CONSTRAINTS := constraints-pinned.txt
VENV ?= .venv-pinned
else
$(error STACK must be 'default' or 'pinned', not '$(STACK)')
endif
PYTHON_VERSION := $(shell cat .python-version)
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
DEMO_ARGS ?=
BENCH_ARGS ?=

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install test test-slow test-all lint demo bench clean-venv

install: $(STAMP)

# Re-runs only when the package metadata or the stack's pinned versions change.
$(STAMP): setup.py $(CONSTRAINTS) .python-version
	bash scripts/install.sh "$(VENV)" "$(CONSTRAINTS)"
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
# Both stacks pin the same black and flake8.
lint: $(STAMP)
	$(BIN)/black --check .
	$(BIN)/flake8

# The demo is an example outside the package (examples/demo/): every robust method on the synthetic
# world (one seed, 2 trainings at once), then the real encoder on real parallel text (--no-real
# skips it). DEMO_ARGS="--seeds 0 1 2" reports 95% intervals over three training seeds; "--quick"
# checks the pipeline in about a minute. Timed in docs/demo.md.
demo: $(STAMP)
	$(BIN)/python examples/demo/run_demo.py $(DEMO_ARGS)

# BENCH_ARGS="--figure1-row" measures figure 1 alone (e.g. on the pinned stack), see benchmarks/README.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all $(BENCH_ARGS)

clean-venv:
	rm -rf $(VENV)
