"""The seeded tracker as a ready code submission zip.

The zip holds ``submission.py`` at its root and a copy of :mod:`baselines.trackml.seeded`
renamed ``trackml_seeded``: self-contained, it needs only numpy and numba from the
sandbox's environment, not this project.
"""

import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE_NAME = "trackml_seeded"


def build_submission_zip(out_path) -> Path:
    """Write the code submission zip to ``out_path`` and return its path."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(HERE / "submission_zip" / "submission.py", "submission.py")
        for source in sorted((HERE / "seeded").glob("*.py")):
            archive.write(source, f"{PACKAGE_NAME}/{source.name}")
    return out_path
