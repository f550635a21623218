"""The reference models as code submissions of the HiggsML uncertainty challenge.

A submission zip holds ``model.py`` (the challenge's interface: ``Model()``, ``fit(train)``,
``predict(events)``) and the project modules the model imports, under ``fivesigma/`` as in
the installed package (found by :mod:`baselines.starter_kit.closure`), since the sandbox
has numpy, scipy, pandas, scikit-learn and numba but not this project.
"""

from __future__ import annotations

from pathlib import Path

from fivesigma.baselines.higgsml_uncertainty.pseudo_experiments import METHODS
from fivesigma.baselines.starter_kit import PROJECT_ROOT, write_zip
from fivesigma.baselines.starter_kit.closure import dependency_closure

MODEL_MODULE = "fivesigma.baselines.higgsml_uncertainty.model"
MODEL_PY = '''\
"""The {method} reference model of the HiggsML uncertainty challenge as a code submission:
``fivesigma/baselines/higgsml_uncertainty/model.py`` holds the model, this file the entry
point the ingestion program calls."""

from fivesigma.baselines.higgsml_uncertainty.model import Model as ReferenceModel


class Model(ReferenceModel):
    def __init__(self):
        super().__init__(profiled={profiled})
'''


def build_submission_zip(method: str, out_path) -> Path:
    """Write the code submission of ``method`` (``stats`` or ``profiled``) to ``out_path``."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    files, _ = dependency_closure(PROJECT_ROOT, [MODEL_MODULE])
    entries = {"model.py": MODEL_PY.format(method=method, profiled=METHODS[method]).encode()}
    entries.update({inside.as_posix(): source.read_bytes() for inside, source in files.items()})
    return write_zip(out_path, entries)
