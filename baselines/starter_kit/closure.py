"""Which project files a set of entry modules needs, and which third-party packages.

The starter kit ships exactly the modules its commands import, found by reading the
``import`` statements of each module (without running them) and following the project's
own packages, so the kit never goes stale when a module is added or renamed.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SCIENCE_FOLDERS = ("baselines", "datasets", "scoring", "runner")  # fivesigma.<folder> <- <folder>/
PIP_NAMES = {"sklearn": "scikit-learn", "yaml": "pyyaml"}  # import name -> distribution name


def module_path(root: Path, module: str) -> Path | None:
    """The source file of ``module`` (``fivesigma.scoring.kernels.ams``) in the repository at ``root``
    (``scoring/kernels/ams.py``), or ``None`` if it is not one of the science packages' modules."""
    parts = module.split(".")
    if parts[0] != "fivesigma":
        return None
    if len(parts) == 1:
        base = root / "fivesigma"
    elif parts[1] in SCIENCE_FOLDERS:
        base = root.joinpath(*parts[1:])
    else:
        return None
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def kit_path(root: Path, module: str, source: Path) -> Path:
    """Where ``module`` goes in the kit: under ``fivesigma/``, so that it imports by its own name."""
    inside = Path(*module.split("."))
    return inside / "__init__.py" if source.name == "__init__.py" else inside.with_suffix(".py")


def imported_modules(path: Path, module: str) -> set[str]:
    """Absolute names of the modules ``path`` (the source of ``module``) imports anywhere."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def dependency_closure(root: Path, entry_modules: list[str]) -> tuple[dict[Path, Path], list[str]]:
    """Project files the ``entry_modules`` need and third-party packages.

    Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too, so those are
    followed as well. Returns {path in the kit: source path} and sorted pip distribution
    names. Raises ``ValueError`` if an entry module does not exist or the site is imported
    (Django or ``fivesigma.challenges``: the science packages must run without the site).
    """
    seen: set[str] = set()
    files: dict[Path, Path] = {}
    third_party: set[str] = set()
    pending = list(entry_modules)
    for entry in entry_modules:
        if module_path(root, entry) is None:
            raise ValueError(f"starter kit: module {entry} not found under {root}")
    while pending:
        name = pending.pop()
        top = name.split(".")[0]
        if name.startswith("fivesigma.challenges") or name.startswith("fivesigma.settings"):
            raise ValueError(f"starter kit: a science module imports the site ({name})")
        if top != "fivesigma":
            if top not in sys.stdlib_module_names and top != "__future__":
                third_party.add(PIP_NAMES.get(top, top))
            continue
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            module = ".".join(parts[:depth])
            path = module_path(root, module)
            if module in seen or path is None:
                continue
            seen.add(module)
            files[kit_path(root, module, path)] = path
            pending.extend(imported_modules(path, module))
    if "django" in third_party:
        raise ValueError("starter kit: a science module imports django, which the kit cannot ship")
    return dict(sorted(files.items())), sorted(third_party)


def kit_code(root: Path, entry_modules: list[str]) -> dict[str, bytes]:
    """The kit's code files (relative path -> bytes) and its ``requirements.txt``."""
    files, requirements = dependency_closure(root, entry_modules)
    code = {inside.as_posix(): source.read_bytes() for inside, source in files.items()}
    code["requirements.txt"] = "".join(f"{name}\n" for name in requirements).encode()
    return code
