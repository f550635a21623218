"""HiggsML-style events: H -> tau tau against Z -> tau tau, t tbar and W + jets.

A four-vector level simulation (tau decays, jets, detector smearing, missing ET, trigger and
lepton-hadron preselection) producing the 30 features of the 2014 ATLAS Higgs Machine
Learning Challenge, written in the official CERN Open Data and Kaggle layouts, and a
validating reader for those layouts that also reads the released files unchanged.

    from fivesigma.datasets import higgsml
    events = higgsml.simulate_events(n_events=818238, seed=0)   # CERN layout DataFrame
    paths = higgsml.generate("data/higgsml", seed=0)            # cern/training/test/solution
    frame = higgsml.read_events(paths["training"])

Command line: ``python -m fivesigma.datasets.higgsml generate --out DIR --seed N [--events N]``.
"""

from fivesigma.datasets.higgsml.features import FEATURES
from fivesigma.datasets.higgsml.layout import CERN_COLUMNS, FormatError, read_events
from fivesigma.datasets.higgsml.official_files import FILE_NAMES, generate
from fivesigma.datasets.higgsml.simulation import simulate_events

__all__ = [
    "CERN_COLUMNS",
    "FEATURES",
    "FILE_NAMES",
    "FormatError",
    "generate",
    "read_events",
    "simulate_events",
]
