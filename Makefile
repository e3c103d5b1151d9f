# Two commands on a fresh machine (Python 3.11 and make): `make report` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.DEFAULT_GOAL := help
.PHONY: help setup report test test-all lab lock clean bench

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

# Left out of the environment: rfc3987-syntax, an optional IRI format checker of jsonschema that jupyter-events asks
# for as an extra. Nothing here checks IRIs, and importing it compiles 39 grammars (about 1.1 s) in every process that
# imports nbformat: pytest and each of its workers, `attrition report`. The lock is a complete freeze without it,
# installed as it is (--no-deps), so pip does not add it back; `pip check` confirms nothing else is missing.
LEFT_OUT := rfc3987-syntax

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip uninstall --quiet --yes $(LEFT_OUT) 2>/dev/null || true
	$(BIN)/python -m pip check
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the pinned environment

report: $(STAMP)  ## validate the data, build the tidy tables, execute the notebooks in place
	$(BIN)/attrition validate
	$(BIN)/attrition build
	$(BIN)/attrition report

# Test files run in parallel, one worker per core, each file whole and in order on one worker (a notebook's
# cells share one kernel; a module's fixtures are built once), the files that share the built site together
# and the longest first (tests/conftest.py: GROUPS, LONGEST_FIRST). `make test WORKERS=0` runs them one by one.
WORKERS ?= auto
PYTEST  := $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

test: $(STAMP)  ## unit tests and nbval regression checks of every notebook (the slow checks left out; 3 minutes)
	$(PYTEST) -m "not slow"

test-all: $(STAMP)  ## everything `make test` runs, plus the slow equality and reproducibility checks (.ci/run runs this)
	$(PYTEST)

lab: $(STAMP)  ## open JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks/

lock:  ## re-pin requirements.lock from a scratch venv (needs the package index)
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -e ".[dev]"
	{ echo "# Exact versions behind the committed notebook outputs (pip freeze of .[dev] on Python 3.11)."; \
	  echo "# Regenerate with: make lock (installed with --no-deps: see LEFT_OUT in the Makefile)"; \
	  .lockenv/bin/pip freeze --exclude-editable | grep -v '^-e' | grep -v -i -E '^($(subst $(eval) ,|,$(LEFT_OUT)))=='; \
	} > requirements.lock
	rm -rf .lockenv

clean:  ## remove .venv, built tables and the rendered site (the cache in ~/.cache/attrition stays)
	rm -rf $(VENV) build site

bench: $(STAMP)  ## benchmark on synthetic rosters up to 1e6 people and 1e7 spells (several minutes; prints a table)
	$(BIN)/python -m attrition.dev.bench
