# The README's commands. `make run` serves the demo site; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_SIZE ?= full
PORT ?= 8000
# mypy reads the packages as installed (fivesigma.scoring is scoring/): a tree of links
INSTALLED_FOLDERS := challenges scoring datasets baselines runner
TYPECHECK := build/typecheck
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test test-fast bench fuzz lint lock install install-test services-start

# Every third-party package comes from requirements.lock (exact versions, refreshed by
# `make lock`). `make run` installs the site's share of it (the project editable, with its
# `server` extra), without compiling the modules to bytecode, which took two thirds of pip's
# time: platform/dev-serve.sh compiles them in the background after the first page. The test
# tools come on top for `make test` and `make lint`.
$(VENV)/.installed: requirements.lock pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "fivesigma: installing the site's packages into $(VENV) (the first time only)..."
	$(PY) -m pip install --progress-bar off --no-compile -c requirements.lock -e '.[server]'
	rm -f $(VENV)/.compiled
	touch $@

# The tests run sandboxed code that imports numpy and pandas from the read-only environment
# with -B: compiled once here (make run does it in the background after the first page).
$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m compileall -q -j 0 $(VENV)/lib > /dev/null
	touch $(VENV)/.compiled $@

# Re-resolve requirements.lock from pyproject.toml (the server and test extras).
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet --upgrade pip pip-tools
	$(PY) -m piptools compile --quiet --upgrade --strip-extras --no-emit-index-url \
		--no-emit-find-links --extra server --extra test --output-file requirements.lock pyproject.toml

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Migrate, list the demo challenges, serve on PORT with a worker that prepares the demos in
# the background (platform/dev-serve.sh). The clock for "first page after N s" starts here.
run: export FIVESIGMA_RUN_STARTED := $(shell date +%s)
run: install
	PORT=$(PORT) DEMO_SIZE=$(DEMO_SIZE) bash platform/dev-serve.sh

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

# While developing: everything but the slow, integration, browser and install tests, two
# processes.
test-fast: install-test
	$(PY) -m pytest -m "not slow and not integration and not browser and not install" -n 2 $(PYTEST_ARGS)

bench: install-test
	$(PY) -m benchmarks $(AREAS)

# Coverage-guided fuzzing of the file readers, FUZZ_SECONDS per target (all of them, or
# FUZZ_TARGETS); counts in var/fuzz/summary.json, crashing inputs in var/fuzz/<target>/crashes.
FUZZ_SECONDS ?= 300
fuzz: install-test
	$(PY) -m fuzz campaign --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

lint: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/fivesigma
	for f in fivesigma/*; do ln -s $(CURDIR)/$$f $(TYPECHECK)/fivesigma/; done
	for d in $(INSTALLED_FOLDERS); do ln -s $(CURDIR)/$$d $(TYPECHECK)/fivesigma/$$d; done
	cd $(TYPECHECK) && $(CURDIR)/$(PY) -m mypy --config-file $(CURDIR)/pyproject.toml -p fivesigma
