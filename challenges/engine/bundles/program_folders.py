"""Organisers' programs (scoring and ingestion): how one runs, what it needs, how it is kept.

A program is a folder (or a zip of one). Its command comes from the bundle, or from the
folder's ``metadata.yaml`` (``command: python $program/score.py $input $output``), or from a
legacy ``metadata`` file in the same form, as Codabench reads them; the command is kept as
written, ``$input``/``$output``/``$program``/``$ingestion_program``/``$submission_program``
included, for the worker to substitute. A ``requirements.txt`` at the top of the folder names
the packages the program needs beyond the worker's own (runner/environments.py).
The folder is stored as one zip, written the same way every time (sorted names, fixed
dates), so that an unchanged program keeps its checksum and is not copied again on reload.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from fivesigma.challenges.engine.bundles.problems import BundleError
from fivesigma.challenges.engine.bundles.reading import read_yaml

METADATA_FILES = ("metadata.yaml", "metadata")
REQUIREMENTS = "requirements.txt"
MAX_METADATA_BYTES = 64 * 1024
MAX_COMMAND_CHARS = 2000
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Program:
    folder: Path
    command: str
    requirements: str  # the text of its requirements.txt, "" without one

    def packages(self) -> list[str]:
        """The requirement lines, for the load's report."""
        return [
            line.split("#")[0].strip()
            for line in self.requirements.splitlines()
            if line.split("#")[0].strip()
        ]


def read_program(folder: Path, rel: str, command: str = "") -> Program:
    """The program in ``folder`` (written ``rel`` in the bundle), run by ``command`` or by the
    command of its metadata file; ValueError says what is missing."""
    if not command:
        command = _metadata_command(folder, rel)
    if len(command) > MAX_COMMAND_CHARS:
        raise ValueError(f"the command of '{rel}' is longer than {MAX_COMMAND_CHARS} characters")
    requirements = ""
    if (folder / REQUIREMENTS).is_file():
        try:
            requirements = (folder / REQUIREMENTS).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"'{rel}/{REQUIREMENTS}' is not UTF-8 text") from None
    return Program(folder, command.strip(), requirements)


def _metadata_command(folder: Path, rel: str) -> str:
    for name in METADATA_FILES:
        path = folder / name
        if path.is_file():
            try:
                data = read_yaml(path, f"{rel}/{name}", MAX_METADATA_BYTES)
            except BundleError as error:
                raise ValueError("; ".join(error.problems)) from None
            command = data.get("command") if isinstance(data, dict) else None
            if not isinstance(command, str) or not command.strip():
                raise ValueError(f"'{rel}/{name}' has no 'command' (e.g. command: python score.py)")
            return command
    raise ValueError(
        f"'{rel}' has no metadata.yaml (or metadata) saying how it runs "
        "(command: python score.py); or give the command in the bundle"
    )


def zip_folder(folder: Path, target: Path) -> Path:
    """Write ``folder``'s files into the zip ``target``, the same bytes for the same files."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), ZIP_DATE)
                info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as source, archive.open(info, "w") as sink:
                    while chunk := source.read(1 << 20):
                        sink.write(chunk)
    return target
