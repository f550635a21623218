"""challenge.yaml phases scored by the organiser's own programs: commands, columns, reference
data and code-phase inputs as stored, and the rules that refuse a phase that cannot run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from fivesigma.challenges.engine import bundles
from fivesigma.challenges.models import Challenge, DataFile
from tests.builders.codabench_bundles import write


def write_program_bundle(root: Path) -> Path:
    write(
        root,
        {
            "challenge.yaml": textwrap.dedent("""\
                version: 1
                slug: programs
                title: Programs
                phases:
                  - key: results
                    start: 2024-01-01
                    end: 2099-01-01
                    scoring: {program: scoring, command: "python $program/score.py $input $output"}
                    reference: reference
                    leaderboard:
                      columns:
                        - {title: Time, key: time, index: 1, sorting: asc, precision: 3}
                        - {title: Accuracy, key: accuracy, index: 0}
                        - {title: Secret, key: secret, index: 2, hidden: true}
                  - key: code
                    start: 2024-01-01
                    end: 2099-01-01
                    kind: code
                    scoring: {program: scoring}
                    ingestion: {program: ingestion}
                    reference: reference
                    code: {input: input, time_limit_s: 30, memory_limit_mb: 512}
                    leaderboard:
                      columns: [{title: Accuracy, key: accuracy}]
                """),
            "scoring/score.py": "print('scoring')\n",
            "scoring/metadata.yaml": "command: python3 score.py\n",
            "ingestion/ingestion.py": "print('ingesting')\n",
            "ingestion/metadata.yaml": "command: python3 ingestion.py $input_data $output\n",
            "reference/public/truth.csv": "id,y\n1,0\n",
            "reference/private/truth.csv": "id,y\n2,1\n",
            "input/events/a.csv": "id\n1\n",
            "input/b.csv": "id\n2\n",
        },
    )
    return root


def edit(root: Path, change) -> None:
    manifest = root / "challenge.yaml"
    data = yaml.safe_load(manifest.read_text())
    change(data)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))


def names(phase, role) -> set[str]:
    return set(DataFile.objects.filter(phase=phase, role=role).values_list("name", flat=True))


def test_program_scored_phases_store_commands_columns_and_data(db, isolated_storage, tmp_path):
    result = bundles.load_bundle(write_program_bundle(tmp_path / "b"), environments=tmp_path / "e")
    results = result.challenge.phases.get(key="results")
    code = result.challenge.phases.get(key="code")
    assert results.metric == code.metric == ""
    assert results.scoring_command == "python $program/score.py $input $output"  # the bundle's
    assert code.scoring_command == "python3 score.py"  # from metadata.yaml
    assert code.ingestion_command == "python3 ingestion.py $input_data $output"
    assert results.columns == [
        {"key": "accuracy", "title": "Accuracy", "sorting": "desc", "precision": 2, "rank": 1},
        {"key": "time", "title": "Time", "sorting": "asc", "precision": 3, "rank": 2},
    ]
    assert names(results, DataFile.REFERENCE) == {"public/truth.csv", "private/truth.csv"}
    assert names(results, DataFile.SCORING_PROGRAM) == {"scoring_program.zip"}
    assert names(results, DataFile.INGESTION_PROGRAM) == set()
    assert names(code, DataFile.INPUT) == {"b.csv", "events/a.csv"}
    assert names(code, DataFile.INGESTION_PROGRAM) == {"ingestion_program.zip"}
    assert (code.kind, code.harness, code.time_limit_s, code.memory_limit_mb) == (
        "code",
        "",
        30,
        512,
    )
    assert any("columns[2]: column 'secret' is hidden" in n for n in result.notes)


BROKEN = [
    (
        "metric and program",
        lambda d: d["phases"][0].update(metric="ams"),
        ["phases[0].scoring", "not both"],
    ),
    (
        "neither metric nor program",
        lambda d: d["phases"][0].pop("scoring"),
        ["phases[0].metric", "is required"],
    ),
    (
        "program without columns",
        lambda d: d["phases"][0].pop("leaderboard"),
        ["phases[0].leaderboard", "lists its leaderboard columns"],
    ),
    (
        "program and solution",
        lambda d: d["phases"][0].update(solution="reference/public/truth.csv"),
        ["phases[0].solution", "reference"],
    ),
    (
        "code phase without ingestion",
        lambda d: d["phases"][1].pop("ingestion"),
        ["phases[1].ingestion", "ingestion program"],
    ),
    (
        "ingestion on a result phase",
        lambda d: d["phases"][0].update(ingestion={"program": "ingestion"}),
        ["phases[0].ingestion", "only a code phase"],
    ),
    (
        "ingestion and harness",
        lambda d: d["phases"][1]["code"].update(harness="trackml"),
        ["phases[1].code.harness", "no harness"],
    ),
    (
        "program folder missing",
        lambda d: d["phases"][0]["scoring"].update(program="nowhere"),
        ["phases[0].scoring.program", "'nowhere' does not exist"],
    ),
    (
        "no command anywhere",
        lambda d: d["phases"][1].update(scoring={"program": "reference"}),
        ["phases[1].scoring.program", "no metadata.yaml"],
    ),
    (
        "two columns with one key",
        lambda d: d["phases"][0]["leaderboard"]["columns"].append({"title": "A", "key": "time"}),
        ["phases[0].leaderboard", "'time' is used twice"],
    ),
    (
        "hidden column ranks",
        lambda d: d["phases"][0]["leaderboard"]["columns"][1].update(hidden=True),
        ["phases[0].leaderboard", "'accuracy' ranks", "hidden"],
    ),
    (
        "bad sorting",
        lambda d: d["phases"][0]["leaderboard"]["columns"][0].update(sorting="up"),
        ["phases[0].leaderboard.columns[0].sorting", "'up'"],
    ),
    (
        "unknown column field",
        lambda d: d["phases"][0]["leaderboard"]["columns"][0].update(colour="red"),
        ["phases[0].leaderboard.columns[0].colour", "unknown field", "sorting"],
    ),
    (
        "empty reference",
        lambda d: (Path(d["_root"]) / "empty").mkdir() or d["phases"][0].update(reference="empty"),
        ["phases[0].reference", "is empty"],
    ),
]


@pytest.mark.parametrize(("what", "change", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_phase_whose_programs_cannot_run_is_refused(
    db, isolated_storage, tmp_path, what, change, words
):
    root = write_program_bundle(tmp_path / "b")

    def with_root(data):
        data["_root"] = str(root)
        change(data)
        del data["_root"]

    edit(root, with_root)
    with pytest.raises(bundles.BundleError) as caught:
        bundles.load_bundle(root, environments=tmp_path / "e")
    text = "\n".join(caught.value.problems)
    for word in words:
        assert word in text, f"{what}: {word!r} not in {text!r}"
    assert not Challenge.objects.exists() and not DataFile.objects.exists()
