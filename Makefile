# The README's commands. `make run` serves the demo site; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_SIZE ?= full
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test bench fuzz lint install install-test services-start

$(VENV)/.installed: pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[server]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[server,test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_demo --size $(DEMO_SIZE)
	bash platform/dev-serve.sh

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

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
