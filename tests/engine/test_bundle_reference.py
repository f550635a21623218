"""docs/bundles.md's field reference is the one the schema writes, so the page cannot drift
from the code; and the reference names what the schema enforces."""

from __future__ import annotations

from pathlib import Path

from fivesigma.challenges.engine.bundles import reference, schema

PAGE = Path(__file__).resolve().parents[2] / "docs" / "bundles.md"


def test_the_documented_field_reference_is_the_schemas():
    page = PAGE.read_text(encoding="utf-8")
    assert reference.rewritten(page) == page, (
        "docs/bundles.md differs from the schema: run "
        "python -m fivesigma.challenges.engine.bundles.reference"
    )


def test_the_check_command_fails_on_a_page_that_drifted(tmp_path):
    page = tmp_path / "bundles.md"
    page.write_text(PAGE.read_text().replace("members a team may have", "members a team has"))
    assert reference.main([str(page), "--check"]) == 1
    assert reference.main([str(page)]) == 0
    assert reference.main([str(page), "--check"]) == 0
    assert page.read_text() == PAGE.read_text()


def test_every_field_of_the_schema_is_in_the_reference():
    table = reference.challenge_table()
    for path, _info in reference.rows(schema.Manifest):
        assert f"| `{path}` |" in table
    assert "| `phases[].daily_limit` | whole number | `5` | ≥ 1 |" in table
    assert "| `title` | text | required | at most 200 characters |" in table
