"""Writing the official files, reading them back, and rejecting malformed ones."""

import gzip
import shutil

import numpy as np
import pandas as pd
import pytest

from fivesigma.datasets import higgsml
from fivesigma.datasets.higgsml import __main__ as cli
from fivesigma.datasets.higgsml.layout import CERN_COLUMNS, TEST_COLUMNS, TRAINING_COLUMNS

SIGNAL_TOTAL, BACKGROUND_TOTAL = 691.988607712, 410999.847322


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("higgsml")
    return higgsml.generate(out, seed=5, n_events=4000)


def test_generate_writes_the_four_files(written):
    assert set(written) == {"cern", "training", "test", "solution"}
    assert written["cern"].name == "atlas-higgs-challenge-2014-v2.csv"
    for path in written.values():
        assert path.exists() and not path.with_name(path.name + ".partial").exists()
    header = written["cern"].read_text().splitlines()[0].split(",")
    assert tuple(header) == CERN_COLUMNS


def test_files_round_trip_through_the_reader(written):
    cern = higgsml.read_events(written["cern"])
    simulated = higgsml.simulate_events(4000, seed=5)
    features = list(higgsml.FEATURES)
    pd.testing.assert_frame_equal(cern[["EventId", *features]], simulated[["EventId", *features]])
    for column in ("Weight", "KaggleWeight"):
        np.testing.assert_allclose(cern[column], simulated[column], rtol=1e-14)
    assert (cern["Label"] == simulated["Label"]).all()
    assert (cern["KaggleSet"] == simulated["KaggleSet"]).all()


def test_kaggle_files_are_the_official_subsets(written):
    cern = higgsml.read_events(written["cern"])
    training = higgsml.read_events(written["training"])
    test = higgsml.read_events(written["test"])
    solution = higgsml.read_events(written["solution"])
    assert tuple(training.columns) == TRAINING_COLUMNS
    assert tuple(test.columns) == TEST_COLUMNS
    in_training = cern[cern["KaggleSet"] == "t"]
    assert training["EventId"].tolist() == in_training["EventId"].tolist()
    np.testing.assert_allclose(training["Weight"], in_training["KaggleWeight"], rtol=1e-14)
    in_test = cern[cern["KaggleSet"].isin(["b", "v"])]
    assert test["EventId"].tolist() == in_test["EventId"].tolist()
    assert test["EventId"].is_monotonic_increasing
    assert solution["EventId"].tolist() == test["EventId"].tolist()
    assert (solution["Label"] == in_test["Label"].to_numpy()).all()
    expected_usage = in_test["KaggleSet"].map({"b": "Public", "v": "Private"}).to_numpy()
    assert (solution["Usage"] == expected_usage).all()
    for subset in ("Public", "Private"):
        rows = solution[solution["Usage"] == subset]
        totals = rows.groupby("Label")["Weight"].sum()
        assert totals["s"] == pytest.approx(SIGNAL_TOTAL, rel=1e-12)
        assert totals["b"] == pytest.approx(BACKGROUND_TOTAL, rel=1e-12)


def test_number_formats_follow_the_official_files(written):
    line = written["training"].read_text().splitlines()[1].split(",")
    assert line[0].isdigit()  # EventId
    assert line[23] in {"0", "1", "2", "3"}  # PRI_jet_num
    for field in line[1:23] + line[24:31]:
        decimals = field.split(".")[1]
        assert 1 <= len(decimals) <= 3 and (len(decimals) == 1 or not decimals.endswith("0"))
    assert line[-1] in {"s", "b"}
    assert len(line[-2].replace("0.", "").lstrip("0").replace(".", "")) <= 15


def test_reader_accepts_gzip_and_real_file_conventions(tmp_path, written):
    packed = tmp_path / "training.csv.gz"
    with open(written["training"], "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert len(higgsml.read_events(packed)) == len(higgsml.read_events(written["training"]))
    header = ",".join(TRAINING_COLUMNS)
    row = (
        "100000,138.47,51.655,97.827,27.98,0.91,124.711,2.666,3.064,41.928,197.76,1.582,1.396,"
        "0.2,32.638,1.017,0.381,51.626,2.273,-2.414,16.824,-0.277,258.733,2,67.435,2.15,0.444,"
        "46.062,1.24,-2.475,113.497,0.00265331133733,s"
    )
    row2 = (
        "100001,160.937,68.768,103.235,48.146,-999.0,-999.0,-999.0,3.473,2.078,125.157,0.879,"
        "1.414,-999.0,42.014,2.039,-3.011,36.918,0.501,0.103,44.704,-1.916,164.546,1,46.226,"
        "0.725,1.158,-999.0,-999.0,-999.0,46.226,2.23371150266,b"
    )
    path = tmp_path / "official.csv"
    path.write_text(f"{header}\n{row}\n{row2}\n")
    frame = higgsml.read_events(path)
    assert frame["PRI_jet_num"].dtype == np.int64 and frame["EventId"].dtype == np.int64
    assert frame["DER_mass_MMC"].tolist() == [138.47, 160.937]
    assert frame["DER_mass_jet_jet"].iloc[1] == -999.0
    assert frame["Label"].tolist() == ["s", "b"]


def corrupt(path, tmp_path, line_number, column, value):
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    fields = lines[line_number].split(",")
    fields[header.index(column)] = value
    lines[line_number] = ",".join(fields)
    bad = tmp_path / path.name
    bad.write_text("\n".join(lines) + "\n")
    return bad


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("DER_mass_vis", "abc", "expected a number, got 'abc'"),
        ("DER_mass_vis", "", "expected a number"),
        ("PRI_jet_num", "1.5", "expected an integer"),
        ("PRI_jet_num", "4", "expected 0, 1, 2 or 3"),
        ("Label", "x", "expected one of s, b"),
        ("Weight", "nan", "expected a number, got 'nan'"),
        ("Weight", "inf", "not finite"),
    ],
)
def test_bad_values_are_reported_with_file_column_and_row(
    tmp_path, written, column, value, message
):
    bad = corrupt(written["training"], tmp_path, 3, column, value)
    with pytest.raises(higgsml.FormatError) as error:
        higgsml.read_events(bad)
    text = str(error.value)
    assert str(bad) in text and repr(column) in text and "row 3 (line 4)" in text
    assert message in text


def test_bad_layouts_are_reported(tmp_path, written):
    frame = pd.read_csv(written["test"])
    missing = tmp_path / "missing.csv"
    frame.drop(columns=["PRI_met"]).to_csv(missing, index=False)
    with pytest.raises(higgsml.FormatError, match="missing column 'PRI_met'"):
        higgsml.read_events(missing)
    swapped = tmp_path / "swapped.csv"
    frame[["PRI_met", *[c for c in frame.columns if c != "PRI_met"]]].to_csv(swapped, index=False)
    with pytest.raises(higgsml.FormatError, match="order"):
        higgsml.read_events(swapped)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(higgsml.FormatError, match="empty.csv"):
        higgsml.read_events(empty)
    assert issubclass(higgsml.FormatError, ValueError)


def test_command_line_generates_and_reports(tmp_path, capsys):
    assert cli.main(["generate", "--out", str(tmp_path), "--seed", "2", "--events", "1500"]) == 0
    out = capsys.readouterr().out
    assert "wrote 1500 events (seed 2)" in out
    for name in ("atlas-higgs-challenge-2014-v2.csv", "training.csv", "test.csv", "solution.csv"):
        assert name in out and (tmp_path / name).exists()
    with pytest.raises(SystemExit):
        cli.main(["generate", "--out", str(tmp_path), "--events", "0"])
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert cli.main(["generate", "--out", str(blocker), "--events", "100"]) == 1
    assert "cannot write the files in" in capsys.readouterr().err
