"""The layout's rules, checked on the sources: no import cycle, the arrows of DESIGN.md, and
one name for one module."""

from __future__ import annotations

import pytest

from tests.architecture.imports import (
    REPO,
    cycles,
    import_graph,
    imported_names,
    package_modules,
    shared_names,
    source_files,
)

SCIENCE = ("fivesigma.scoring", "fivesigma.datasets", "fivesigma.baselines", "fivesigma.runner")


def test_the_graph_finds_a_cycle_when_there_is_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    # the worker imports the runner inside a function, only when a code phase runs
    assert "fivesigma.runner" in graph["fivesigma.challenges.engine.worker"]


def test_no_import_cycle_between_modules():
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("package", SCIENCE)
def test_science_packages_import_neither_django_nor_the_site(package):
    offenders = [
        f"{module} imports {name}"
        for module, path in source_files()
        if module == package or module.startswith(package + ".")
        for name in imported_names(module, path)
        if name.split(".")[0] == "django"
        or name.startswith(("fivesigma.challenges", "fivesigma.settings", "fivesigma.celery"))
    ]
    assert offenders == []


def test_the_engine_has_no_http_in_it():
    """The engine answers questions and raises; building responses is for the two faces."""
    offenders = [
        f"{module} imports {name}"
        for module, path in source_files()
        if module.startswith("fivesigma.challenges.engine")
        for name in imported_names(module, path)
        if name.startswith(
            ("rest_framework", "fivesigma.challenges.web", "fivesigma.challenges.api")
        )
        or name in ("django.shortcuts", "django.http.HttpResponse", "django.http.JsonResponse")
    ]
    assert offenders == []


def test_shared_names_finds_two_modules_of_one_name():
    paths = [REPO / "a" / "detector.py", REPO / "b" / "c" / "detector.py", REPO / "a" / "io.py"]
    assert shared_names(paths) == {"detector.py": ["a/detector.py", "b/c/detector.py"]}


def test_the_tree_walk_sees_nested_modules_and_skips_package_data():
    found = {path.relative_to(REPO).as_posix() for path in package_modules()}
    assert "baselines/trackml/seeded/tracker.py" in found
    assert "challenges/engine/bundles/schema.py" in found
    # a code submission and a starter notebook are files the package ships, not its modules
    assert "baselines/trackml/submission_zip/submission.py" not in found
    assert not any(name.startswith("baselines/starter_kit/notebooks/") for name in found)


def test_no_two_modules_share_a_name():
    """A module is named by what it does: ``datasets/trackml/detector_geometry.py``, not a
    second ``detector.py`` beside the HiggsML detector response."""
    shared = shared_names(package_modules())
    assert shared == {}, "modules sharing a name:\n" + "\n".join(
        f"{name}: {', '.join(paths)}" for name, paths in shared.items()
    )
