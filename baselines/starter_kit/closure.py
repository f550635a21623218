"""Which project files a set of entry modules needs, and which third-party packages.

The starter kit ships exactly the modules its commands import, found by reading the
``import`` statements of each module (without running them) and following the project's
own packages, so the kit never goes stale when a module is added or renamed. The
third-party packages become the kit's ``requirements.txt``: distributions named as on the
package index, with the lowest versions this project supports.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

SCIENCE_FOLDERS = ("baselines", "datasets", "scoring", "runner")  # fivesigma.<folder> <- <folder>/
# import name -> the distributions that provide it, each with the environment marker that
# picks it (pip installs the one whose marker holds). The version bound is the first one's.
# xgboost-cpu, which this project installs, has no macOS wheels; xgboost on macOS is CPU-only.
DISTRIBUTIONS = {
    "sklearn": [("scikit-learn", "")],
    "yaml": [("pyyaml", "")],
    "xgboost": [
        ("xgboost-cpu", 'sys_platform != "darwin"'),
        ("xgboost", 'sys_platform == "darwin"'),
    ],
}


def module_path(root: Path, module: str) -> Path | None:
    """The source file of ``module`` (``fivesigma.scoring.kernels.ams``) under ``root``, or
    ``None`` if it is not one of the science packages' modules.

    ``root`` is the repository (``scoring/kernels/ams.py``, ``fivesigma/__init__.py``) or,
    once the project is installed, the ``fivesigma`` package folder itself
    (``scoring/kernels/ams.py``, ``__init__.py``).
    """
    parts = module.split(".")
    if parts[0] != "fivesigma":
        return None
    if len(parts) == 1:
        base = root / "fivesigma" if (root / "fivesigma").is_dir() else root
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
    found: set[str] = set()
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
    followed as well. Returns {path in the kit: source path} and the sorted top-level names
    of the third-party modules imported. Raises ``ValueError`` if an entry module does not exist or the site is imported
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
                third_party.add(top)
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


def version_bounds() -> dict[str, str]:
    """Distribution name -> the version specifier this project requires (``>=1.26``), for
    the participant-side dependencies of the installed ``fivesigma`` (none if it is not
    installed)."""
    try:
        declared = metadata.requires("fivesigma") or []
    except metadata.PackageNotFoundError:
        return {}
    bounds = {}
    for requirement in declared:
        if ";" in requirement:  # an extra's (the site, the tests) or a platform's
            continue
        match = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*(.*)", requirement)
        if match is None:
            raise ValueError(f"fivesigma's metadata: no distribution name in {requirement!r}")
        name, specifier = match.groups()
        bounds[name.lower()] = specifier.replace(" ", "")
    return bounds


def requirement_lines(modules: list[str]) -> list[str]:
    """``requirements.txt`` lines for the third-party top-level ``modules``."""
    bounds = version_bounds()
    lines = []
    for module in modules:
        choices = DISTRIBUTIONS.get(module, [(module, "")])
        specifier = bounds.get(choices[0][0].lower(), "")
        for name, marker in choices:
            lines.append(f"{name}{specifier}" + (f"; {marker}" if marker else ""))
    return sorted(lines)


def kit_code(
    root: Path, entry_modules: list[str], extra_requirements: tuple[str, ...] = ()
) -> dict[str, bytes]:
    """The kit's code files (relative path -> bytes) and its ``requirements.txt``:
    the third-party modules the code imports, and ``extra_requirements`` (distributions)."""
    files, modules = dependency_closure(root, entry_modules)
    code = {inside.as_posix(): source.read_bytes() for inside, source in files.items()}
    lines = requirement_lines(sorted({*modules, *extra_requirements}))
    code["requirements.txt"] = "".join(f"{line}\n" for line in lines).encode()
    return code
