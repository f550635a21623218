"""The layout's rules, checked on the sources: no import cycle, the arrows of DESIGN.md."""

from __future__ import annotations

import pytest

from tests.architecture.imports import cycles, import_graph, imported_names, source_files

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
