"""The TrackML starter kit: the tracking baselines, the event reader, the scorers, and a
ready code submission for the throughput phase."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from fivesigma.baselines.starter_kit.closure import kit_code
from fivesigma.baselines.starter_kit.notebook import NOTEBOOK_REQUIREMENTS, SET_UP, kit_notebook
from fivesigma.baselines.trackml.packaging import build_submission_zip

LOCAL_TOOLS = "baselines/starter_kit/trackml_local.py"  # shipped at the kit's root

README = (
    """\
# TrackML starter kit

Group the hits of each collision event into particle tracks. You are scored with the
TrackML weighted accuracy (mean over events), and in the throughput phase also on the
time your code takes per event. This kit holds the reference baselines in
`fivesigma/baselines/trackml/`, the server's event reader (`fivesigma/datasets/`) and scorers (`fivesigma/scoring/`),
and `trackml_local.py` to score and time runs on your machine as the server does.

"""
    + SET_UP
    + """\

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
python -m fivesigma.baselines.trackml seeded --input data/train --out valid/seeded.csv
python -m fivesigma.scoring score trackml --solution valid/solution.csv --submission valid/seeded.csv
python -m fivesigma.baselines.trackml dbscan --input data/train --out valid/dbscan.csv
python -m fivesigma.scoring score trackml --solution valid/solution.csv --submission valid/dbscan.csv
```

## Run the baselines on the test events

`dbscan` unrolls helices into features and clusters them with scikit-learn's DBSCAN;
`seeded` builds triplet seeds in the pixel layers, fits helices and follows them outwards
layer by layer (numba). Both print the accuracy per event when truth is present and the
seconds per event, and write `event_id,hit_id,track_id` for every hit:

```bash
python -m fivesigma.baselines.trackml seeded --input data/test --out submission.csv
```

Upload `submission.csv` in the accuracy phase.

## The notebook

`starter.ipynb` goes through it all in one place: it loads a training event, plots its hits
and a few of its tracks, runs the seeded tracker on the training events, scores it as the
server does, and writes `submission.csv` for the test events. Open it in JupyterLab, Jupyter
Notebook or VS Code with this environment's Python as the kernel (no Jupyter yet?
`pip install notebook`, then `jupyter notebook starter.ipynb`).
"""
)

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
python -m fivesigma.scoring score throughput --solution valid/solution.csv --submission valid/code.csv --seconds-per-event 0.5
```

Pass the mean seconds per event that `time` prints to `--seconds-per-event`. To upload
your changed version, zip the contents of `code_submission/` (not the folder itself):
`cd code_submission && python -m zipfile -c ../my-submission.zip .`
"""


def code_submission() -> dict[str, bytes]:
    """The seeded tracker's code submission, zipped and unpacked."""
    with tempfile.TemporaryDirectory() as scratch:
        path = build_submission_zip(Path(scratch) / "seeded-submission.zip")
        files = {"seeded-submission.zip": path.read_bytes()}
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not name.endswith("/"):
                    files[f"code_submission/{name}"] = archive.read(name)
    return files


def contents(root: Path) -> dict[str, bytes]:
    """Every file of the kit, by path inside the kit, read from the project at ``root``."""
    code = kit_code(
        root,
        [
            "fivesigma.scoring.__main__",
            "fivesigma.datasets.trackml",
            "fivesigma.baselines.trackml.__main__",
        ],
        NOTEBOOK_REQUIREMENTS,
    )
    return {
        "README.md": (README + CODE_SECTION).encode(),
        "starter.ipynb": kit_notebook("trackml"),
        "trackml_local.py": (root / LOCAL_TOOLS).read_bytes(),
        **code,
        **code_submission(),
    }
