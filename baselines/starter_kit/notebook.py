"""Starter-kit notebooks: written as Python scripts, shipped as Jupyter notebooks.

``notebooks/<kit>.py`` is a script in the "percent" layout: ``# %%`` starts a code cell and
``# %% [markdown]`` a Markdown cell whose lines are comments. Kept as a script it is linted
and formatted with the rest of the code; :func:`notebook` turns it into an ``.ipynb``
document (nbformat 4.5, no outputs), the same bytes for the same script.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
# what the notebooks need beyond the kit's code: their plots, and a Jupyter kernel
NOTEBOOK_REQUIREMENTS = ("matplotlib", "ipykernel")

# The README section every kit shares: a virtual environment of its own, the requirements.
SET_UP = """\
## Set up

Python 3.11 or newer. From this directory, in a virtual environment of its own:

```bash
python3 -m venv .venv
source .venv/bin/activate
pip install -r requirements.txt
```

`requirements.txt` names the libraries the code imports, matplotlib for the notebook's
plots, and ipykernel, which makes this environment a Jupyter kernel. The kit's own code is
in `fivesigma/`: the baselines and copies of the server's file readers and scorer.
"""
CELL_MARK = re.compile(r"^# %%( \[markdown\])?[ \t]*$", re.M)


def cells(script: str) -> list[tuple[str, str]]:
    """(``"code"`` or ``"markdown"``, source) of each cell of a percent-layout script."""
    marks = list(CELL_MARK.finditer(script))
    if not marks or script[: marks[0].start()].strip():
        raise ValueError("a notebook script starts with a '# %%' cell mark")
    found = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        body = script[mark.end() : following.start() if following else len(script)].strip("\n")
        if mark.group(1):
            kind = "markdown"
            body = "\n".join(re.sub(r"^# ?", "", line) for line in body.splitlines())
        else:
            kind = "code"
        found.append((kind, body))
    return found


def notebook(script: str) -> bytes:
    """The ``.ipynb`` document of a percent-layout script."""
    document_cells = []
    for k, (kind, source) in enumerate(cells(script), start=1):
        cell: dict[str, object] = {
            "cell_type": kind,
            "id": f"cell-{k}",
            "metadata": {},
            "source": source,
        }
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        document_cells.append(cell)
    document = {
        "cells": document_cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def kit_notebook(kit: str) -> bytes:
    """The notebook of the starter kit ``kit`` (``notebooks/<kit>.py``)."""
    return notebook((NOTEBOOKS / f"{kit}.py").read_text(encoding="utf-8"))
