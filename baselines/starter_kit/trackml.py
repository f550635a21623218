"""The TrackML starter kit: the tracking baselines, the event reader, the scorers, and a
ready code submission for the throughput phase."""

from __future__ import annotations

import importlib
import tempfile
import zipfile
from pathlib import Path

from baselines.starter_kit.closure import kit_code, module_path

LOCAL_TOOLS = "baselines/starter_kit/trackml_local.py"  # shipped at the kit's root

README = """\
# TrackML starter kit

Group the hits of each collision event into particle tracks. You are scored with the
TrackML weighted accuracy (mean over events), and in the throughput phase also on the
time your code takes per event. This kit holds the reference baselines in
`baselines/trackml/`, the server's event reader (`datasets/`) and scorers (`scoring/`),
and `trackml_local.py` to score and time runs on your machine as the server does.

## Set up

Python 3.11 or newer. From this directory:

```bash
pip install -r requirements.txt
```

Download `train.zip`, `test.zip` and `detectors.csv` from the challenge page and unpack
them into a folder `data/` next to this README: `data/train/event000001000-hits.csv`
and so on (hits, cells, particles and truth per training event; hits and cells per test
event), and `data/detectors.csv`. Lengths are in mm, momenta in GeV.

## Make a validation set and score it like the server

The training events carry their truth, so they serve as a local test set. Write their
truth as a solution file in the server's layout (whole events public or private), run a
baseline on them and score it with the server's own scorer:

```bash
python trackml_local.py solution --events data/train --out valid/solution.csv
python -m baselines.trackml seeded --input data/train --out valid/seeded.csv
python -m scoring score trackml --solution valid/solution.csv --submission valid/seeded.csv
python -m baselines.trackml dbscan --input data/train --out valid/dbscan.csv
python -m scoring score trackml --solution valid/solution.csv --submission valid/dbscan.csv
```

## Run the baselines on the test events

`dbscan` unrolls helices into features and clusters them with scikit-learn's DBSCAN;
`seeded` builds triplet seeds in the pixel layers, fits helices and follows them outwards
layer by layer (numba). Both print the accuracy per event when truth is present and the
seconds per event, and write `event_id,hit_id,track_id` for every hit:

```bash
python -m baselines.trackml seeded --input data/test --out submission.csv
```

Upload `submission.csv` in the accuracy phase.
"""

CODE_SECTION = """
## The throughput phase: a code submission

In the throughput phase you upload code, not results. The server unpacks your zip, builds
`Model(model_dir)` from `submission.py` at its root (not timed; `model_dir` is the
unpacked zip, so you can ship files and load them here), then calls
`predict_one_event(event_id, hits, cells)` once per test event, timing each call; it must
return one track id per hit, in hit order. `seeded-submission.zip` is the seeded tracker
ready to upload, and `code_submission/` is the same zip unpacked, to read and change.

Run and time it locally the way the server does, then score accuracy and speed together:

```bash
python trackml_local.py time --code code_submission --input data/train --out valid/code.csv
python -m scoring score throughput --solution valid/solution.csv --submission valid/code.csv --seconds-per-event 0.5
```

Pass the mean seconds per event that `time` prints to `--seconds-per-event`. To upload
your changed version, zip the contents of `code_submission/` (not the folder itself):
`cd code_submission && python -m zipfile -c ../my-submission.zip .`
"""


def baseline_modules(root: Path) -> list[str]:
    """Modules of ``baselines.trackml`` to ship: its command line and what it imports, or,
    while it has no command line, every module it has."""
    if module_path(root, "baselines.trackml.__main__"):
        return ["baselines.trackml.__main__"]
    package = root / "baselines" / "trackml"
    return [
        ".".join(path.relative_to(root).with_suffix("").parts)
        for path in sorted(package.rglob("*.py"))
        if "__pycache__" not in path.parts
    ]


def code_submission(root: Path) -> dict[str, bytes]:
    """The seeded tracker's code submission, zipped and unpacked, if ``baselines.trackml``
    builds one (``build_submission_zip``); otherwise nothing."""
    if module_path(root, "baselines.trackml") is None:
        return {}
    builder = getattr(importlib.import_module("baselines.trackml"), "build_submission_zip", None)
    if builder is None:
        return {}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(builder(Path(scratch) / "seeded-submission.zip"))
        files = {"seeded-submission.zip": path.read_bytes()}
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not name.endswith("/"):
                    files[f"code_submission/{name}"] = archive.read(name)
    return files


def contents(root: Path) -> dict[str, bytes]:
    """Every file of the kit, by path inside the kit, read from the project at ``root``."""
    code = kit_code(root, ["scoring.__main__", "datasets.trackml", *baseline_modules(root)])
    submission = code_submission(root)
    readme = README + (CODE_SECTION if submission else "")
    return {
        "README.md": readme.encode(),
        "trackml_local.py": (root / LOCAL_TOOLS).read_bytes(),
        **code,
        **submission,
    }
