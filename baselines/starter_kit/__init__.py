"""Starter kits: the zip a participant downloads from a demo challenge's page.

A kit holds the reference baselines, the server's scorer and file readers (only the
modules the kit's commands import), a ``requirements.txt`` and a README with the commands
to run each baseline on the downloaded data, make a validation split and score it locally
as the server does. ``build("higgsml" | "higgsml-uncertainty" | "trackml", out_path)`` writes one;
``python -m fivesigma.baselines.starter_kit higgsml --out kit.zip`` does the same from a shell.
"""

from __future__ import annotations

import importlib
import pkgutil
import zipfile
from collections.abc import Callable
from pathlib import Path


def discover() -> dict[str, Callable[[Path], dict[str, bytes]]]:
    """Each ``<name>_kit`` module's ``contents``, keyed by the challenge kind (``<name>``
    with hyphens: ``higgsml_uncertainty_kit`` is the ``higgsml-uncertainty`` kit)."""
    kits = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.endswith("_kit"):
            key = module.name.removesuffix("_kit").replace("_", "-")
            kits[key] = importlib.import_module(f"{__name__}.{module.name}").contents
    return dict(sorted(kits.items()))


KITS = discover()
PROJECT_ROOT = (
    Path(__file__).resolve().parents[2]
)  # the directory holding baselines/, scoring/, datasets/
ZIP_DATE = (2014, 5, 12, 0, 0, 0)  # a fixed date, so the same code gives the same zip


def build(challenge: str, out_path: str | Path) -> Path:
    """Write the starter kit of ``challenge`` (a key of ``KITS``) as a zip at ``out_path``.

    Every file sits under one folder, ``<challenge>-starter-kit/``. Returns the path.
    """
    if challenge not in KITS:
        raise ValueError(f"no starter kit for {challenge!r}; choose one of {', '.join(KITS)}")
    files = KITS[challenge](PROJECT_ROOT)
    return write_zip(out_path, {f"{challenge}-starter-kit/{n}": data for n, data in files.items()})


def write_zip(out_path: str | Path, files: dict[str, bytes]) -> Path:
    """``files`` (name in the zip -> bytes) as a zip at ``out_path``, in name order with a
    fixed date, so that the same files give the same bytes. Returns the path."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return out_path
