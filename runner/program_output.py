"""What a scoring program leaves in its ``output/``: its scores, read as the platform trusts them.

A program writes ``scores.json``, an object of named numbers (``{"accuracy": 0.93, ...}``),
or the legacy ``scores.txt`` with one ``key: value`` line each (read as YAML, as Codabench
does). Scores for the two leaderboard subsets may come nested,
``{"public": {...}, "private": {...}}``; flat scores count for both. Values are numbers (or
strings holding one); NaN, infinities and null are undefined, which ranks last.
"""

from __future__ import annotations

import json
import math
import stat
from pathlib import Path

import yaml

SCORES_FILES = ("scores.json", "scores.txt")
MAX_SCORES_BYTES = 1_000_000
SUBSETS = ("public", "private")


class ProgramOutputError(ValueError):
    """The program's output cannot be scored; the message says what is wrong, for organisers
    and participants alike (it names files and keys, never more than a line of a value)."""


def read_scores(output_dir: Path) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """The (public, private) named numbers of ``output_dir/scores.json`` (or ``scores.txt``)."""
    found = [
        Path(output_dir) / name
        for name in SCORES_FILES
        if (Path(output_dir) / name).exists() or (Path(output_dir) / name).is_symlink()
    ]
    if not found:
        raise ProgramOutputError("it wrote no scores (output/scores.json or output/scores.txt)")
    path = found[0]
    if not stat.S_ISREG(path.lstat().st_mode):  # a link could point at the worker's own files
        raise ProgramOutputError(f"{path.name} is not a regular file (a link, a folder, ...)")
    if path.stat().st_size > MAX_SCORES_BYTES:
        raise ProgramOutputError(f"{path.name} is larger than {MAX_SCORES_BYTES // 1000} kB")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        first = str(error).splitlines()[0][:200]
        raise ProgramOutputError(f"{path.name} cannot be read ({first})") from None
    if not isinstance(raw, dict) or not raw:
        raise ProgramOutputError(f"{path.name} must hold an object of named numbers")
    if set(raw) <= set(SUBSETS) and all(isinstance(v, dict) for v in raw.values()):
        public = named_numbers(raw.get("public", {}), f"{path.name}, public")
        private_raw = raw["private"] if "private" in raw else raw.get("public", {})
        private = named_numbers(private_raw, f"{path.name}, private")
        return public, private
    flat = named_numbers(raw, path.name)
    return flat, dict(flat)


def named_numbers(raw: dict, where: str) -> dict[str, float | None]:
    """``raw`` as {name: float or None}; a value that is not a number is an error naming it."""
    numbers: dict[str, float | None] = {}
    for key, value in raw.items():
        name = str(key)[:100]
        if value is None:
            numbers[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ProgramOutputError(f"{where}: '{name}' is not a number ({type(value).__name__})")
        try:
            number = float(value)
        except ValueError:
            raise ProgramOutputError(
                f"{where}: '{name}' is not a number ({str(value)[:40]!r})"
            ) from None
        numbers[name] = number if math.isfinite(number) else None
    return numbers
