"""Reading a scoring program's scores: scores.json, legacy scores.txt, subsets, bad values."""

from __future__ import annotations

import pytest

from fivesigma.runner.program_output import ProgramOutputError, read_scores


def write(tmp_path, name: str, text: str):
    (tmp_path / name).write_text(text)
    return tmp_path


def test_flat_scores_json_count_for_both_subsets(tmp_path):
    public, private = read_scores(write(tmp_path, "scores.json", '{"auc": 0.91, "n": 12}'))
    assert public == private == {"auc": 0.91, "n": 12.0}


def test_nested_scores_give_each_subset(tmp_path):
    text = '{"public": {"auc": 0.9}, "private": {"auc": 0.8, "extra": "1e-3"}}'
    public, private = read_scores(write(tmp_path, "scores.json", text))
    assert public == {"auc": 0.9} and private == {"auc": 0.8, "extra": 0.001}


def test_legacy_scores_txt_key_value_lines(tmp_path):
    public, _ = read_scores(write(tmp_path, "scores.txt", "set1_score: 0.75\nDuration: 12\n"))
    assert public == {"set1_score": 0.75, "Duration": 12.0}


def test_json_wins_over_txt_when_both_exist(tmp_path):
    write(tmp_path, "scores.txt", "a: 1\n")
    assert read_scores(write(tmp_path, "scores.json", '{"a": 2}'))[0] == {"a": 2.0}


@pytest.mark.parametrize("value", ["NaN", "Infinity", "null"])
def test_undefined_values_are_none(tmp_path, value):
    public, _ = read_scores(write(tmp_path, "scores.json", f'{{"a": {value}}}'))
    assert public["a"] is None


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("scores.json", '{"a": "high"}', "'a' is not a number ('high')"),
        ("scores.json", '{"a": [1, 2]}', "'a' is not a number (list)"),
        ("scores.json", '{"a": true}', "'a' is not a number (bool)"),
        ("scores.json", "[0.5]", "must hold an object of named numbers"),
        ("scores.json", "{}", "must hold an object of named numbers"),
        ("scores.json", '{"a": 0.5', "scores.json cannot be read"),
        ("scores.txt", "a: [1\n", "scores.txt cannot be read"),
    ],
)
def test_bad_scores_name_the_file_and_key(tmp_path, name, text, words):
    with pytest.raises(
        ProgramOutputError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        read_scores(write(tmp_path, name, text))


def test_no_scores_file_says_which_files_were_expected(tmp_path):
    with pytest.raises(ProgramOutputError, match="scores.json or output/scores.txt"):
        read_scores(tmp_path)


def test_a_huge_scores_file_is_refused_without_reading_it(tmp_path):
    (tmp_path / "scores.json").write_bytes(b" " * 2_000_000)
    with pytest.raises(ProgramOutputError, match="larger than"):
        read_scores(tmp_path)


def test_a_long_bad_value_is_not_echoed_whole(tmp_path):
    with pytest.raises(ProgramOutputError) as caught:
        read_scores(write(tmp_path, "scores.json", '{"a": "' + "x" * 10_000 + '"}'))
    assert len(str(caught.value)) < 200
