"""The field reference of docs/bundles.md, written from the schema so that it cannot drift.

    python -m fivesigma.challenges.engine.bundles.reference            # rewrite docs/bundles.md
    python -m fivesigma.challenges.engine.bundles.reference --check    # exit 1 if it differs

Everything between the BEGIN and END markers of the page is replaced: one table for
challenge.yaml (field, type, default, limits, meaning) and one mapping Codabench's
competition.yaml fields to fivesigma's (or saying why one is not supported).
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from fivesigma.challenges.engine.bundles import codabench, schema
from fivesigma.challenges.engine.bundles.fields import Doc
from fivesigma.challenges.engine.bundles.problems import nested_model

BEGIN = (
    "<!-- field reference: written by `python -m fivesigma.challenges.engine.bundles.reference`"
    " from the schema; do not edit by hand -->"
)
END = "<!-- end of the field reference -->"
PLAIN = {str: "text", int: "whole number", float: "number", bool: "true or false", dict: "mapping"}


def type_name(annotation, metadata=()) -> str:
    """How the reference names a field's type."""
    for item in metadata:
        if isinstance(item, Doc):
            return item.name
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(arguments[0], arguments[1:])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in arguments if a is not type(None))
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in arguments)
    if origin is list:
        return f"list of {type_name(arguments[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    if annotation is typing.Any:
        return "any"
    return PLAIN.get(origin or annotation, getattr(annotation, "__name__", str(annotation)))


def default_text(info) -> str:
    if info.is_required():
        return "required"
    value = info.default_factory() if info.default_factory else info.default
    if value is None or value is PydanticUndefined:
        return ""
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, dict | list):
        return f"`{json.dumps(value)}`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def limits_text(info) -> str:
    is_list = typing.get_origin(info.annotation) is list
    unit = "entries" if is_list else "characters"
    words = []
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            words.append(f"≥ {item.ge}")
        elif isinstance(item, annotated_types.Gt):
            words.append(f"> {item.gt}")
        elif isinstance(item, annotated_types.Le):
            words.append(f"≤ {item.le}")
        elif isinstance(item, annotated_types.MinLen) and is_list:
            words.append(f"at least {item.min_length} {'entry' if item.min_length == 1 else unit}")
        elif isinstance(item, annotated_types.MaxLen):
            words.append(f"at most {item.max_length} {unit}")
        elif getattr(item, "pattern", None):
            words.append("letters, digits, `-`, `_`")
    return ", ".join(words)


def rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, FieldInfo]]:
    """(field path, FieldInfo) for every field of ``model`` and of the models inside it."""
    found: list[tuple[str, FieldInfo]] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        found.append((path, info))
        inner = nested_model(info.annotation)
        if inner is not None:
            below = "[]." if "list" in type_name(info.annotation) else "."
            found += rows(inner, path + below)
    return found


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def challenge_table() -> str:
    lines = [
        "| field | type | default | limits | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for path, info in rows(schema.Manifest):
        cells = (
            f"`{path}`",
            type_name(info.annotation, info.metadata),
            default_text(info),
            limits_text(info),
            info.description or "",
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def codabench_table() -> str:
    lines = [
        "| competition.yaml | type | in fivesigma | notes |",
        "| --- | --- | --- | --- |",
    ]
    for path, info in rows(codabench.Competition):
        extra = codabench.schema_extra(info)
        becomes: object  # what the field becomes: a challenge.yaml field (``maps_to``)
        if extra.get("unsupported"):
            becomes, notes = "not supported", info.description
        else:
            becomes, notes = extra.get("maps_to", "as in challenge.yaml"), info.description or ""
        cells = (f"`{path}`", type_name(info.annotation, info.metadata), becomes, notes)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def generated() -> str:
    return "\n\n".join(
        [
            BEGIN,
            "### challenge.yaml (version 1)",
            challenge_table(),
            "### Codabench competition.yaml (version 2)",
            "A field marked *not supported* is listed in the load's notes and ignored; "
            "fields Codabench does not document are noted too.",
            codabench_table(),
            END,
        ]
    )


def rewritten(page: str) -> str:
    """``page`` with its field reference replaced by the one the schema gives."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError("the page has no field reference markers")
    return page[:start] + generated() + page[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", default="docs/bundles.md", type=Path)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page differs")
    arguments = parser.parse_args(argv)
    page = arguments.page.read_text(encoding="utf-8")
    new = rewritten(page)
    if arguments.check:
        if new != page:
            print(f"{arguments.page}: the field reference differs from the schema", file=sys.stderr)
            return 1
        return 0
    arguments.page.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
