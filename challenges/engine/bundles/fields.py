"""The value types of a bundle's manifest, each with the words its problems use.

Each type is an ``Annotated`` pydantic type whose validator refuses a wrong value with the
bundle's own message (``must be a whole number, not 'five'``) and carries a ``Doc`` naming
it in the field reference of docs/bundles.md. File types check the path against the bundle
when validation is given a ``checks.Context``.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo

from fivesigma.challenges.engine.bundles import checks
from fivesigma.challenges.engine.bundles.problems import kind, shown


class Doc:
    """How the field reference names a type (and what it says of it)."""

    def __init__(self, name: str):
        self.name = name


def _text(value) -> str:
    if value is None:
        checks.fail("is required")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        checks.fail(f"must be text, not {kind(value)}")
    return str(value)


def _optional_text(value) -> str:
    return "" if value is None else _text(value)


def _whole_number(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        checks.fail(f"must be a whole number, not {shown(value)}")
    return value


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        checks.fail(f"must be a number, not {shown(value)}")
    return float(value)


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        checks.fail(f"must be true or false, not {shown(value)}")
    return value


def _mapping(value) -> dict:
    if not isinstance(value, dict):
        checks.fail(f"must be a mapping, not {kind(value)}")
    return value


def _date(value) -> dt.datetime:
    """A YAML timestamp or date, or ISO text (``2026-05-01``, ``2026-05-01 12:00``,
    ``2026-05-01T12:00:00Z``); UTC unless it names its offset."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time.min)
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            checks.fail(f"{shown(value)} is not a date (use e.g. 2026-05-01T00:00:00Z)")
    elif value is None:
        checks.fail("is required (a date such as 2026-05-01T00:00:00Z)")
    else:
        checks.fail(f"{shown(value)} is not a date (use e.g. 2026-05-01T00:00:00Z)")
    return in_utc(parsed)


def in_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC; one without an offset is taken to be UTC already."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _file(value, info: ValidationInfo) -> Path:
    return checks.inside(_text(value), info.context, "file")


def _folder(value, info: ValidationInfo) -> Path:
    return checks.inside(_text(value), info.context, "folder")


def _folder_or_zip(value, info: ValidationInfo) -> Path:
    return checks.folder_or_zip(_text(value), info.context)


def _file_or_folder(value, info: ValidationInfo) -> Path:
    return checks.inside(_text(value), info.context, "any")


Text = Annotated[str, BeforeValidator(_text), Doc("text")]
OptionalText = Annotated[str, BeforeValidator(_optional_text), Doc("text")]
WholeNumber = Annotated[int, BeforeValidator(_whole_number), Doc("whole number")]
Number = Annotated[float, BeforeValidator(_number), Doc("number")]
Boolean = Annotated[bool, BeforeValidator(_boolean), Doc("true or false")]
Mapping = Annotated[dict[str, Any], BeforeValidator(_mapping), Doc("mapping")]
Date = Annotated[dt.datetime, BeforeValidator(_date), Doc("date")]
BundleFile = Annotated[Path, BeforeValidator(_file), Doc("file in the bundle")]
BundleFolder = Annotated[Path, BeforeValidator(_folder), Doc("folder in the bundle")]
FolderOrZip = Annotated[
    Path, BeforeValidator(_folder_or_zip), Doc("folder (or .zip of one) in the bundle")
]
FileOrFolder = Annotated[
    Path, BeforeValidator(_file_or_folder), Doc("file or folder in the bundle")
]
