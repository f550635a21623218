"""The import graph of the fivesigma distribution, read from the sources (nothing is imported).

Module names are the installed ones (``fivesigma.scoring.kernels.ams`` for ``scoring/ams.py``). Every
``import`` statement counts, at module level or inside a function: an import moved into a
function still ties the two modules together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("challenges", "scoring", "datasets", "baselines", "runner")  # as setup.py maps them


def source_files() -> Iterator[tuple[str, Path]]:
    """(installed module name, source path) of every module, migrations left out."""
    roots = [("fivesigma", REPO / "fivesigma")] + [(f"fivesigma.{f}", REPO / f) for f in FOLDERS]
    for prefix, root in roots:
        for path in sorted(root.rglob("*.py")):
            relative = path.relative_to(root).with_suffix("")
            if "migrations" in relative.parts:
                continue
            parts = [p for p in relative.parts if p != "__init__"]
            yield ".".join([prefix, *parts]), path


def package_modules(folders: tuple[str, ...] = FOLDERS) -> Iterator[Path]:
    """Source paths of the importable modules of ``folders``: files in a package (every folder
    from the top one down holds an ``__init__.py``), package markers, ``__main__``, conftest,
    migrations and tests left out. A starter notebook or a code submission's ``submission.py``
    kept as package data is not a module of the tree."""
    skipped = {"__init__.py", "__main__.py", "conftest.py"}
    for folder in folders:
        root = REPO / folder
        for path in sorted(root.rglob("*.py")):
            inside = path.relative_to(root).parent.parts
            if path.name in skipped or {"migrations", "tests"} & set(inside):
                continue
            packages = [root.joinpath(*inside[:depth]) for depth in range(len(inside) + 1)]
            if all((package / "__init__.py").is_file() for package in packages):
                yield path


def shared_names(paths: Iterable[Path]) -> dict[str, list[str]]:
    """Module file name -> its paths, for every name more than one path has."""
    by_name: dict[str, list[str]] = {}
    for path in paths:
        by_name.setdefault(path.name, []).append(path.relative_to(REPO).as_posix())
    return {name: found for name, found in sorted(by_name.items()) if len(found) > 1}


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Absolute names each import statement of ``path`` refers to (``from a import b`` gives
    ``a.b``, which may be a module or a name inside ``a``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (the longest existing module of each name)."""
    sources = dict(source_files())
    graph: dict[str, set[str]] = {module: set() for module in sources}
    for module, path in sources.items():
        for name in imported_names(module, path):
            while name and name not in sources:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                graph[module].add(name)  # importing one's own package is not a cycle
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm,
    iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
