"""How a bundle's problems are worded: one line each, naming the file and the field.

A problem reads ``challenge.yaml, phases[0].daily_limit: must be a whole number, not 'five'``.
Values from the bundle are echoed at most ``SHOWN_CHARS`` characters long, so that no
problem list grows with what a bundle holds (a YAML alias bomb once made one 6 GB long).
"""

from __future__ import annotations

import reprlib
import typing

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

SHOWN_CHARS = 60  # of a value echoed in a problem
PROBLEM_CHARS = 400  # of one problem, whatever it quotes
MAX_PROBLEMS = 100  # listed; the rest are counted


class BundleError(Exception):
    """A bundle that cannot be loaded; ``problems`` lists each one with its field and file."""

    def __init__(self, problems: list[str]):
        listed = [_one_line(p) for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            listed.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        self.problems = listed
        super().__init__("The bundle was not loaded:\n" + "\n".join(f"- {p}" for p in listed))


def _one_line(problem: str) -> str:
    problem = " ".join(str(problem).split())
    return problem if len(problem) <= PROBLEM_CHARS else problem[: PROBLEM_CHARS - 3] + "..."


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict = 2, 4, 4
_SHORT.maxstring = _SHORT.maxother = SHOWN_CHARS


def shown(value) -> str:
    """``value`` as a problem quotes it: its repr, on one line, at most SHOWN_CHARS long
    (a nested value is abbreviated as it is written, so its size costs nothing)."""
    try:
        text = _SHORT.repr(value)
    except Exception:  # a value whose repr fails is shown by its type
        return kind(value)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def kind(value) -> str:
    """The YAML name of a value's type, for 'must be text, not a list'."""
    return {
        bool: "true/false",
        int: "whole number",
        float: "number",
        str: "text",
        list: "list",
        tuple: "list",
        dict: "mapping",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


def label(loc: typing.Iterable) -> str:
    """A field path as the documentation writes it: ``phases[0].code.time_limit_s``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


MISSING_HINTS = {
    "start": " (a date such as 2026-05-01T00:00:00Z)",
    "end": " (a date such as 2026-05-01T00:00:00Z)",
    "phases": " (a list)",
}


def from_validation(error: ValidationError, manifest: str, model: type[BaseModel]) -> list[str]:
    """The problems of a failed schema validation, in the bundle's words."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        context = detail.get("ctx") or {}
        if "at" in context:  # a check of one field that reports on another
            loc = loc[:-1] + (context["at"],)
        problems.append(f"{manifest}, {label(loc)}: {_message(detail, loc, model)}")
    return problems


def _message(detail: ErrorDetails, loc: tuple, model: type[BaseModel]) -> str:
    kind_of_error = detail["type"]
    value = detail.get("input")
    context = detail.get("ctx") or {}
    if kind_of_error == "bundle":
        return detail["msg"]
    if kind_of_error == "missing" or (value is None and kind_of_error.endswith("_type")):
        return "is required" + MISSING_HINTS.get(str(loc[-1]), "")
    if kind_of_error == "extra_forbidden":
        known = ", ".join(fields_at(model, loc[:-1]))
        return f"unknown field (known: {known})"
    if kind_of_error in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping of fields, not {kind(value)}"
    if kind_of_error == "list_type":
        return f"must be a list, not {kind(value)}"
    if kind_of_error == "too_short":
        return "needs at least one entry"
    if kind_of_error == "too_long":
        return f"has {context.get('actual_length')} entries; at most {context.get('max_length')}"
    if kind_of_error == "string_too_short":
        return "is required"
    if kind_of_error == "string_too_long":
        return f"is {len(value)} characters long; at most {context['max_length']}"
    if kind_of_error == "string_pattern_mismatch":
        return f"{shown(value)} may hold only letters, digits, '-' and '_'"
    if kind_of_error == "greater_than_equal":
        return f"must be at least {context['ge']}, not {shown(value)}"
    if kind_of_error == "greater_than" and context["gt"] == 0:
        return f"must be a positive number, not {shown(value)}"
    if kind_of_error == "greater_than":
        return f"must be more than {context['gt']}, not {shown(value)}"
    if kind_of_error == "less_than_equal":
        return f"must be at most {context['le']}, not {shown(value)}"
    if kind_of_error == "literal_error":
        return f"{shown(value)} is not one of {context['expected']}"
    return f"{detail['msg']} (not {shown(value)})"


def fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the model found at ``loc`` below ``model`` (list indices skipped)."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        inner = nested_model(field.annotation) if field else None
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def nested_model(annotation) -> type[BaseModel] | None:
    """The model inside an annotation such as ``Phase``, ``list[Phase]`` or ``Phase | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = nested_model(argument)
        if found is not None:
            return found
    return None
