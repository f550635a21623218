"""Starter-kit notebooks: percent-layout scripts become valid Jupyter notebooks.

Running them on a kit's own environment: tests/install/test_starter_kits.py.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from fivesigma.baselines.starter_kit import build
from fivesigma.baselines.starter_kit.notebook import NOTEBOOKS, cells, kit_notebook, notebook
from tests.baselines.test_starter_kit import extract

SCRIPT = """# %% [markdown]
# # Title
#
# Some *text*.

# %%
import math

x = math.pi

# %% [markdown]
#Second

# %%
print(x)
"""


def test_cells_split_at_the_marks_and_markdown_loses_its_comment_signs():
    assert cells(SCRIPT) == [
        ("markdown", "# Title\n\nSome *text*."),
        ("code", "import math\n\nx = math.pi"),
        ("markdown", "Second"),
        ("code", "print(x)"),
    ]


def test_the_notebook_is_valid_nbformat_without_outputs_and_reproducible():
    document = nbformat.reads(notebook(SCRIPT).decode(), as_version=4)
    nbformat.validate(document)
    assert [(c.cell_type, c.source) for c in document.cells] == cells(SCRIPT)
    assert all(
        c.outputs == [] and c.execution_count is None
        for c in document.cells
        if c.cell_type == "code"
    )
    assert notebook(SCRIPT) == notebook(SCRIPT)


def test_a_script_must_start_with_a_cell():
    with pytest.raises(ValueError, match="starts with a '# %%' cell mark"):
        cells("import os\n# %%\nprint(1)\n")


@pytest.mark.parametrize("kit", ["higgsml", "trackml"])
def test_each_kit_ships_its_notebook(kit, tmp_path):
    folder = extract(build(kit, tmp_path / "kit.zip"), tmp_path / "unpacked")
    shipped = (folder / "starter.ipynb").read_bytes()
    assert shipped == kit_notebook(kit)
    document = json.loads(shipped)
    code = [c["source"] for c in document["cells"] if c["cell_type"] == "code"]
    script = (NOTEBOOKS / f"{kit}.py").read_text()
    assert all(source in script for source in code) and len(code) >= 4
    assert "starter.ipynb" in (folder / "README.md").read_text()
