"""A short coverage-guided fuzzing run of each reader (``fuzz/``, atheris and libFuzzer).

Each target runs in its own process for a fixed number of inputs, from a seed corpus of valid
files (and near misses) written here, with a fixed libFuzzer seed so that a run can be
repeated. Every input must be read or refused with the platform's own error: an escaping
exception, an input running over 10 s or the process passing 2 GB fails the test, and the
failing input and output are kept for the message. ``make fuzz`` runs the same targets for
minutes.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from fuzz.campaign import fuzz_session, without_progress, write_seeds
from fuzz.targets import TARGETS
from tests.conftest import require

# inputs per target: 1 to 2 s of CPU each after 3.5 s of start-up (the bundle target parses a
# whole bundle with its solutions per input)
RUNS = {"higgsml-csv": 4000, "trackml-csv": 4000, "code-zip": 1000, "bundle-zip": 250}
LIBFUZZER_SEED = 20260501


@pytest.mark.parametrize("name", list(TARGETS))
def test_every_fuzzed_input_is_read_or_refused_cleanly(name, tmp_path):
    require(importlib.util.find_spec("atheris") is not None, "atheris (pip install atheris)")
    corpus = tmp_path / "corpus"
    seeds = TARGETS[name].seeds()
    write_seeds(seeds, corpus)
    session = fuzz_session(
        name,
        corpus,
        tmp_path / "crashes",
        runs=RUNS[name],
        seed=LIBFUZZER_SEED,
        env={**os.environ, "FIVESIGMA_DATA_DIR": str(tmp_path)},
    )
    if session.crash:
        trace = without_progress(session.output, last=60)
        pytest.fail(f"{name}: {session.crash}; input {session.artifact}\n{trace}")
    # libFuzzer stops once it has run at least the inputs asked for; it may count a few more
    # (inputs it replays while reducing the corpus), never fewer unless the run was cut short
    assert session.runs >= RUNS[name], f"{name}: the fuzzer stopped after {session.runs} inputs"
    assert len(list(corpus.iterdir())) > len(seeds), "the fuzzer found no new coverage"
