import json

import pandas as pd

from fivesigma.scoring.__main__ import main
from tests.scoring.test_metrics import ams_data


def _files(tmp_path):
    solution, submission = ams_data(n=1000)
    solution.to_csv(tmp_path / "solution.csv", index=False)
    submission.to_csv(tmp_path / "submission.csv.gz", index=False)
    return tmp_path / "solution.csv", tmp_path / "submission.csv.gz"


def test_score_prints_public_and_private(tmp_path, capsys):
    solution, submission = _files(tmp_path)
    assert (
        main(
            [
                "score",
                "ams",
                "--solution",
                str(solution),
                "--submission",
                str(submission),
                "--bootstrap",
                "20",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("public   ams = ") and "95% interval [" in lines[0]
    assert lines[1].startswith("private  ams = ")


def test_score_json_equals_the_library_result(tmp_path, capsys):
    from fivesigma.scoring import registry

    solution, submission = _files(tmp_path)
    assert (
        main(
            [
                "score",
                "ams",
                "--solution",
                str(solution),
                "--submission",
                str(submission),
                "--bootstrap",
                "30",
                "--seed",
                "4",
                "--json",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    metric = registry.get("ams")
    expected = metric.evaluate(
        metric.read_solution(solution), metric.read_submission(submission), n_bootstrap=30, seed=4
    )
    assert printed == json.loads(json.dumps(expected))


def test_invalid_submission_exits_2_with_the_reasons(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"EventId": [1, 1], "RankOrder": [1, 2], "Class": ["s", "q"]}).to_csv(
        path, index=False
    )
    assert main(["validate", "ams", "--submission", str(path)]) == 2
    err = capsys.readouterr().err
    assert (
        "invalid submission" in err
        and "duplicated value(s) in column 'EventId'" in err
        and "'q'" in err
    )
    assert "Traceback" not in err


def test_validate_accepts_a_good_file_and_options_parse_as_json(tmp_path, capsys):
    _, submission = _files(tmp_path)
    assert main(["validate", "ams", "--submission", str(submission), "--option", "b_reg=10.0"]) == 0
    assert "valid ams submission, 1000 rows" in capsys.readouterr().out
    assert main(["validate", "ams", "--submission", str(submission), "--option", "colour=red"]) == 1
    assert "unknown option(s) colour" in capsys.readouterr().err
