"""``fivesigma leaderboard`` of a phase scored by an organiser's program: one column per
declared column, figures with each column's precision, the ranking column marked."""

from __future__ import annotations

from fivesigma.challenges.client.__main__ import main
from tests.challenges.programs import program_phase, scored, team


def test_the_table_has_every_declared_column(site, logged_in, capsys):
    phase = program_phase()
    scored(phase, team(phase, "slow"), {"accuracy": 0.8, "time": 2.5, "efficiency": 3}, {})
    scored(phase, team(phase, "fast"), {"accuracy": 0.8, "time": 1.23456}, {})
    assert main(["leaderboard", "programs", "main"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "programs / main: public leaderboard, Accuracy (higher is better), top 2 teams"
    )
    assert lines[1].split() == [
        "#",
        "team",
        "Accuracy",
        "▼",
        "Time",
        "[s]",
        "Efficiency",
        "entries",
    ]
    # precision 2, 3 and 1; equal accuracy, so the faster team ranks first
    assert lines[2].split() == ["1", "fast", "0.80", "1.235", "—", "1"]
    assert lines[3].split() == ["2", "slow", "0.80", "2.500", "3.0", "1"]
    assert lines[4] == (
        "Ranked by Accuracy (higher is better); ties broken by Time [s] (lower is better)."
    )
    # the columns line up under their titles
    assert lines[1].index("Time [s]") + len("Time [s]") == lines[2].index("1.235") + len("1.235")


def test_a_metric_phase_prints_as_before(site, logged_in, capsys):
    assert main(["leaderboard", "tiny-higgs", "main"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "ams (higher is better)" in lines[0]
    assert lines[1].split() == ["#", "team", "score", "95%", "interval", "entries"]
    assert not any(line.startswith("Ranked by") for line in lines)
