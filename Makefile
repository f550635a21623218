# The README's commands. `make run` serves the demo site; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_SIZE ?= full
# mypy reads the packages as installed (fivesigma.scoring is scoring/): a tree of links
INSTALLED_FOLDERS := challenges scoring datasets baselines runner
TYPECHECK := build/typecheck
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test test-fast bench fuzz lint lock install install-test services-start

# Every third-party package comes from requirements.lock (exact versions, refreshed by
# `make lock`); the project itself is installed editable on top, without dependencies.
$(VENV)/.installed: requirements.lock pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	touch $@

# Re-resolve requirements.lock from pyproject.toml (the server and test extras).
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --upgrade --strip-extras --no-emit-index-url \
		--no-emit-find-links --extra server --extra test --output-file requirements.lock pyproject.toml

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_demo --size $(DEMO_SIZE)
	bash platform/dev-serve.sh

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

# While developing: everything but the slow, integration and browser tests, two processes.
test-fast: install-test
	$(PY) -m pytest -m "not slow and not integration and not browser" -n 2 $(PYTEST_ARGS)

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
