"""Format and id checks of submissions: every message names the column, the rows and the ids."""

import io

import numpy as np
import pandas as pd
import pytest

from fivesigma.scoring import registry, validation
from fivesigma.scoring.validation import SubmissionError


def _read(metric_key: str, text: str, **options):
    return registry.get(metric_key, **options).read_submission(
        io.BytesIO(text.encode()), name="sub.csv"
    )


def _problems(metric_key: str, text: str, **options) -> str:
    with pytest.raises(SubmissionError) as error:
        _read(metric_key, text, **options)
    return str(error.value)


def test_valid_ams_submission_is_typed():
    frame = _read("ams", "EventId,RankOrder,Class\n10,2,s\n11,1,b\n")
    assert frame["EventId"].dtype == np.int64 and frame["RankOrder"].tolist() == [2, 1]
    assert frame["Class"].tolist() == ["s", "b"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "EventId,Rank,Class\n1,1,s\n",
            "the header must be EventId,RankOrder,Class; missing RankOrder; unexpected Rank",
        ),
        ("eventid,RankOrder,Class\n1,1,s\n", "case-sensitive"),
        ("EventId,RankOrder,Class\n", "header but no rows"),
        (
            "EventId,RankOrder,Class\n1,1,s\n1,2,b\n",
            "duplicated value(s) in column 'EventId', e.g. 1 (repeated at rows 2)",
        ),
        (
            "EventId,RankOrder,Class\n1,1,s\nx,2,b\n",
            "column 'EventId' must be numeric; rows 2 hold 'x'",
        ),
        (
            "EventId,RankOrder,Class\n1,1,s\n2,1.5,b\n",
            "column 'RankOrder' must hold whole numbers; rows 2",
        ),
        (
            "EventId,RankOrder,Class\n1,1,s\n2,,b\n",
            "column 'RankOrder' has empty or NaN values in rows 2",
        ),
        (
            "EventId,RankOrder,Class\n1,1,s\n2,1,b\n3,5,b\n",
            "must be a permutation of 1..3; rows 3 hold 5",
        ),
        (
            "EventId,RankOrder,Class\n1,1,s\n2,1,b\n3,2,b\n",
            "value(s) 1 are repeated and 3 are absent",
        ),
        (
            "EventId,RankOrder,Class\n1,1,s\n2,2,S\n3,3,1\n",
            "column 'Class' must be one of s, b; rows 2, 3 hold 'S', '1'",
        ),
        ("EventId,RankOrder,Class\n-1,1,s\n", "column 'EventId' must be >= 0; rows 1 have -1"),
    ],
)
def test_ams_format_problems(text, expected):
    assert expected in _problems("ams", text)


def test_many_problems_are_summarised():
    rows = "".join(f"{i},{i},x\n" for i in range(1, 30))
    message = _problems("ams", "EventId,RankOrder,Class\n" + rows)
    assert "rows 1, 2, 3, 4, 5 (and 24 more)" in message


def test_more_than_ten_problems_end_with_a_count():
    error = SubmissionError([f"problem {i}" for i in range(14)], "f.csv")
    text = str(error)
    assert text.startswith("f.csv: 14 problems found:")
    assert "problem 9" in text and "problem 10" not in text and "and 4 more" in text
    assert len(error.problems) == 14


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("event_id,hit_id,track_id\n1,1,-4\n", "column 'track_id' must be >= 0; rows 1 have -4"),
        (
            "event_id,hit_id,track_id\n1,1,0\n1,2,0\n1,1,3\n",
            "1 hit(s) are assigned more than once, e.g. 'event 1 hit 1' (rows 3)",
        ),
        (
            "event_id,hit_id,track_id\n1,1,0\n1,2,nan\n",
            "column 'track_id' has empty or NaN values in rows 2",
        ),
    ],
)
def test_trackml_format_problems(text, expected):
    assert expected in _problems("trackml", text)


def test_tabular_columns_follow_the_options():
    frame = _read("log_loss", "Id,p\na,0.5\nb,1\n", id_column="Id", prediction_column="p")
    assert frame.columns.tolist() == ["Id", "p"]
    assert "column 'p' must lie in [0.0, 1.0]; rows 2 have 1.5" in _problems(
        "log_loss", "Id,p\na,0.5\nb,1.5\n", id_column="Id", prediction_column="p"
    )


def _ams_solution():
    return pd.DataFrame(
        {
            "EventId": [1, 2, 3, 4],
            "Label": ["s", "b", "s", "b"],
            "Weight": [1.0, 2.0, 1.0, 2.0],
            "Usage": ["Public", "Public", "Private", "Private"],
        }
    )


def test_check_names_missing_and_unknown_ids():
    metric = registry.get("ams")
    submission = pd.DataFrame(
        {"EventId": [1, 2, 3, 99, 98], "RankOrder": [1, 2, 3, 4, 5], "Class": ["s"] * 5}
    )
    with pytest.raises(SubmissionError) as error:
        metric.check(_ams_solution(), submission)
    problems = error.value.problems
    assert (
        problems[0]
        == "1 row is missing: 1 EventId(s) of the test set are not in the submission, e.g. 4"
    )
    assert (
        problems[1]
        == "2 EventId(s) in the submission are not in the test set, e.g. 99, 98 (rows 4, 5)"
    )
    assert "has 5 rows; the test set needs one row for each of its 4 EventIds" in problems[2]


def test_check_accepts_a_complete_submission():
    submission = pd.DataFrame(
        {"EventId": [4, 3, 2, 1], "RankOrder": [1, 2, 3, 4], "Class": ["s"] * 4}
    )
    registry.get("ams").check(_ams_solution(), submission)


def test_trackml_check_lists_problems_of_several_events():
    truth = pd.DataFrame(
        {
            "event_id": [1, 1, 2, 2, 3, 3],
            "hit_id": [1, 2, 1, 2, 1, 2],
            "particle_id": [5, 5, 6, 6, 7, 7],
            "weight": 0.5,
            "Usage": ["Public", "Public", "Private", "Private", "Private", "Private"],
        }
    )
    submission = pd.DataFrame(
        {"event_id": [1, 2, 2, 2, 4], "hit_id": [1, 1, 2, 3, 1], "track_id": 0}
    )
    with pytest.raises(SubmissionError) as error:
        registry.get("trackml").check(truth, submission)
    text = str(error.value)
    # event 3 (2 hits) is absent and event 1 lacks hit 2: 3 of the 6 hits have no row
    assert error.value.problems[0] == (
        "3 rows are missing: the test events have 6 hits, one row each, and 3 of them are not "
        "in the submission (it has 5 rows)"
    )
    assert "1 test event(s) are missing from the submission, e.g. event_id 3" in text
    assert "not test events, e.g. 4" in text
    assert "event 1: 1 hit(s) of the event are missing, e.g. hit_id 2" in text
    assert "event 2: 1 hit_id(s) are not hits of this event, e.g. 3" in text


def test_metric_option_caps_the_decompressed_size():
    import gzip

    payload = gzip.compress(b"EventId,RankOrder,Class\n" + b"1,1,s\n" * 100_000)
    metric = registry.get("ams", max_bytes=10_000)
    with pytest.raises(SubmissionError, match="once decompressed"):
        metric.read_submission(io.BytesIO(payload), name="big.csv.gz")


@pytest.mark.parametrize("dropped", [1, 7, 60])
def test_a_file_with_missing_rows_says_how_many(dropped):
    rng = np.random.default_rng(dropped)
    n = 100
    solution = pd.DataFrame(
        {
            "EventId": np.arange(1000, 1000 + n),
            "Label": rng.choice(["s", "b"], n),
            "Weight": 1.0,
            "Usage": rng.choice(["Public", "Private"], n),
        }
    )
    kept = np.sort(rng.choice(n, n - dropped, replace=False))
    submission = pd.DataFrame(
        {
            "EventId": solution["EventId"].to_numpy()[kept],
            "RankOrder": np.arange(1, n - dropped + 1),
            "Class": "b",
        }
    )
    with pytest.raises(SubmissionError) as error:
        registry.get("ams").check(solution, submission)
    expected = "1 row is missing" if dropped == 1 else f"{dropped} rows are missing"
    assert error.value.problems[0].startswith(expected + ": ")


def test_trackml_counts_missing_hits_over_every_event_not_only_those_listed():
    """More events with missing hits than the problems list shows: the count covers all."""
    rng = np.random.default_rng(3)
    events = np.repeat(np.arange(1, 31), 20)
    hits = np.tile(np.arange(1, 21), 30)
    truth = pd.DataFrame(
        {"event_id": events, "hit_id": hits, "particle_id": 5, "weight": 0.1, "Usage": "Public"}
    )
    keep = rng.random(len(truth)) > 0.1
    submission = pd.DataFrame({"event_id": events[keep], "hit_id": hits[keep], "track_id": 0})
    with pytest.raises(SubmissionError) as error:
        registry.get("trackml").check(truth, submission)
    absent = set(zip(events, hits, strict=True)) - set(zip(events[keep], hits[keep], strict=True))
    assert error.value.problems[0].startswith(f"{len(absent)} rows are missing: ")
    listed = [p for p in error.value.problems if "hit(s) of the event are missing" in p]
    assert len(listed) < len({e for e, _ in absent})  # some events are not itemised


@pytest.mark.parametrize(
    ("name", "content", "complaint"),
    [
        ("mine.zip", b"EventId,RankOrder,Class\n1,1,s\n", "named .zip but is not a zip archive"),
        ("mine.csv.gz", b"EventId,RankOrder,Class\n", "named .gz but is not gzip-compressed"),
        ("mine.zip", bytes(range(200, 216)), "(it starts with c8 c9 ca"),
    ],
)
def test_a_file_named_as_an_archive_that_is_not_one_says_so(tmp_path, name, content, complaint):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SubmissionError) as error:
        registry.get("ams").read_submission(path, name=name)
    assert complaint in str(error.value) and name in str(error.value)


def test_a_real_zip_and_a_plain_csv_are_still_read(tmp_path):
    import zipfile

    table = b"EventId,RankOrder,Class\n1,1,s\n"
    with zipfile.ZipFile(tmp_path / "mine.zip", "w") as archive:
        archive.writestr("mine.csv", table)
    (tmp_path / "plain.csv").write_bytes(table)
    metric = registry.get("ams")
    for name in ("mine.zip", "plain.csv"):
        assert metric.read_submission(tmp_path / name, name=name)["EventId"].tolist() == [1]


@pytest.mark.parametrize("dropped", [1, 5])
def test_a_truncated_ranking_says_how_many_rows_are_missing(dropped):
    """A complete ranking that lost its last rows: the ranks above the row count tell."""
    rng = np.random.default_rng(dropped)
    ranks = rng.permutation(np.arange(1, 41))
    kept = ranks[: 40 - dropped]
    problems = validation.permutation(kept, "RankOrder")
    expected = "1 row is missing" if dropped == 1 else f"{dropped} rows are missing"
    assert problems[0].startswith(expected + ", or column 'RankOrder' is wrong")
    lost = sorted(ranks[40 - dropped :].tolist())
    assert f"ranks {', '.join(map(str, lost))} have no row" in problems[0]


def test_ranks_out_of_range_and_repeated_are_still_named():
    assert "rows 2 hold 0" in validation.permutation(np.array([1, 0, 2]), "RankOrder")[0]
    repeated = validation.permutation(np.array([1, 5, 5]), "RankOrder")[0]
    assert repeated.startswith("column 'RankOrder' must be a permutation of 1..3")
