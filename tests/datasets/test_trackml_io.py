"""Writers, readers and the dataset layout; readers' error messages."""

import gzip
import shutil

import numpy as np
import pandas as pd
import pytest

from fivesigma.datasets import trackml
from fivesigma.datasets.trackml.__main__ import main
from fivesigma.datasets.trackml.io import write_event

PARTS = ("hits", "cells", "particles", "truth")


@pytest.fixture(scope="module")
def event():
    return trackml.simulate_event(1000, seed=2, pileup=5)


@pytest.fixture()
def written(tmp_path, event):
    prefix = tmp_path / "event000001000"
    write_event(prefix, event, PARTS)
    return prefix


def test_round_trip_is_exact(written, event):
    frames = trackml.read_event(written)
    for name, frame in zip(PARTS, frames, strict=True):
        pd.testing.assert_frame_equal(frame, event[name], check_exact=True)


def test_parts_come_back_in_the_order_asked(written, event):
    truth, hits = trackml.read_event(written, parts=("truth", "hits"))
    assert list(truth.columns) == list(event["truth"].columns)
    assert list(hits.columns) == list(event["hits"].columns)


def test_gzip_files_are_read(written, event):
    for part in PARTS:
        plain = written.parent / f"{written.name}-{part}.csv"
        with open(plain, "rb") as src, gzip.open(f"{plain}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        plain.unlink()
    (hits,) = trackml.read_event(written, parts=("hits",))
    pd.testing.assert_frame_equal(hits, event["hits"], check_exact=True)


def test_particle_ids_beyond_int64_are_read_exactly(tmp_path):
    big = (1 << 64) - 1
    path = tmp_path / "event000000001-particles.csv"
    path.write_text(
        f"particle_id,vx,vy,vz,px,py,pz,q,nhits\n{big},0,0,0,1,0,0,1,0\n4503599627370496,0,0,0,1,0,0,-1,3\n"
    )
    (particles,) = trackml.read_event(tmp_path / "event000000001", parts=("particles",))
    assert particles.particle_id.dtype == np.uint64
    assert int(particles.particle_id[0]) == big and int(particles.particle_id[1]) == 1 << 52


def test_list_events(tmp_path, event):
    for event_id in (1002, 1000, 1001):
        write_event(tmp_path / f"event{event_id:09d}", event, ("hits",))
    (tmp_path / "detectors.csv").write_text("x\n")
    assert trackml.list_events(tmp_path) == [
        str(tmp_path / f"event{i:09d}") for i in (1000, 1001, 1002)
    ]


def rewrite(prefix, part, edit):
    path = prefix.parent / f"{prefix.name}-{part}.csv"
    frame = pd.read_csv(path, dtype=str)
    frame = edit(frame)
    frame.to_csv(path, index=False)
    return path


def test_missing_column_is_named(written):
    path = rewrite(written, "hits", lambda f: f.drop(columns=["layer_id"]))
    with pytest.raises(
        trackml.FormatError, match=r"event000001000-hits\.csv: missing column 'layer_id' \("
    ):
        trackml.read_event(written, parts=("hits",))
    assert path.exists()


def test_bad_integer_names_file_column_and_row(written):
    rewrite(written, "cells", lambda f: f.assign(ch0=f.ch0.where(f.index != 6, "2.5")))
    with pytest.raises(
        trackml.FormatError,
        match=r"cells\.csv: column 'ch0', row 7 \(line 8\): '2\.5' is not an integer",
    ):
        trackml.read_event(written, parts=("cells",))


def test_bad_float_names_file_column_and_row(written):
    rewrite(written, "hits", lambda f: f.assign(z=f.z.where(f.index != 3, "abc")))
    with pytest.raises(
        trackml.FormatError, match=r"hits\.csv: column 'z', row 4 .*'abc' is not a number"
    ):
        trackml.read_event(written, parts=("hits",))


def test_empty_value_is_reported(written):
    rewrite(written, "truth", lambda f: f.assign(hit_id=f.hit_id.where(f.index != 0, None)))
    with pytest.raises(
        trackml.FormatError,
        match=r"column 'hit_id', row 1 \(line 2\): an empty value is not an integer",
    ):
        trackml.read_event(written, parts=("truth",))


@pytest.mark.parametrize("bad", ["-5", "18446744073709551616", "12x"])
def test_bad_particle_id_is_reported(written, bad):
    rewrite(
        written,
        "truth",
        lambda f: f.assign(particle_id=f.particle_id.where(f.index != 2, bad)),
    )
    with pytest.raises(
        trackml.FormatError,
        match=rf"column 'particle_id', row 3 .*'{bad}' is not an unsigned 64-bit",
    ):
        trackml.read_event(written, parts=("truth",))


def test_missing_file_and_unknown_part(written, tmp_path):
    with pytest.raises(FileNotFoundError, match="no truth file"):
        trackml.read_event(tmp_path / "event000000007", parts=("truth",))
    with pytest.raises(ValueError, match="unknown event parts"):
        trackml.read_event(written, parts=("hits", "tracks"))


def test_unreadable_file(tmp_path):
    (tmp_path / "event000000001-hits.csv").write_bytes(b"")
    with pytest.raises(trackml.FormatError, match="hits.csv: empty file, no header line"):
        trackml.read_event(tmp_path / "event000000001", parts=("hits",))
    (tmp_path / "event000000001-hits.csv").write_bytes(b"\x1f\x8b\x08\x00 broken gzip")
    with pytest.raises(trackml.FormatError, match="hits.csv: not a readable CSV"):
        trackml.read_event(tmp_path / "event000000001", parts=("hits",))
    (tmp_path / "event000000001-hits.csv").write_bytes(b"hit_id,x\n\xff\xfe,1\n")
    with pytest.raises(trackml.FormatError, match="hits.csv: not a readable CSV"):
        trackml.read_event(tmp_path / "event000000001", parts=("hits",))


def test_generate_writes_the_challenge_layout(tmp_path):
    paths = trackml.generate(tmp_path, seed=4, n_train=2, n_test=2, pileup=3, first_event_id=20)
    assert (tmp_path / "detectors.csv").exists() and paths[
        "detectors"
    ] == tmp_path / "detectors.csv"
    assert trackml.list_events(tmp_path / "train") == [
        str(tmp_path / "train" / f"event{i:09d}") for i in (20, 21)
    ]
    assert sorted(p.name for p in (tmp_path / "test").iterdir()) == [
        f"event{i:09d}-{part}.csv" for i in (22, 23) for part in ("cells", "hits")
    ]
    assert sorted(p.name for p in (tmp_path / "test_truth").iterdir()) == [
        f"event{i:09d}-{part}.csv" for i in (22, 23) for part in ("particles", "truth")
    ]
    assert len(paths["train"]) == 8 and len(paths["test"]) == 4 and len(paths["test_truth"]) == 4
    solution = pd.read_csv(paths["solution"])
    assert (
        list(solution.columns) == "event_id hit_id particle_id tx ty tz tpx tpy tpz weight".split()
    )
    for event_id in (22, 23):
        (truth,) = trackml.read_event(
            tmp_path / "test_truth" / f"event{event_id:09d}", parts=("truth",)
        )
        part = (
            solution[solution.event_id == event_id].drop(columns="event_id").reset_index(drop=True)
        )
        assert (part.particle_id.to_numpy() == truth.particle_id.to_numpy()).all()
        assert np.allclose(part.weight, truth.weight, rtol=1e-15, atol=0)
        assert part.weight.sum() == pytest.approx(1.0)
    # a generated training event equals the simulation with the same ids
    hits, truth = trackml.read_event(tmp_path / "train" / "event000000021", parts=("hits", "truth"))
    sim = trackml.simulate_event(21, seed=4, pileup=3)
    pd.testing.assert_frame_equal(hits, sim["hits"], check_exact=True)
    pd.testing.assert_frame_equal(truth, sim["truth"], check_exact=True)


def test_command_line(tmp_path, capsys):
    assert (
        main(
            [
                "generate",
                "--out",
                str(tmp_path),
                "--seed",
                "1",
                "--events",
                "1",
                "--test-events",
                "1",
                "--pileup",
                "2",
            ]
        )
        == 0
    )
    assert "1 training and 1 test events" in capsys.readouterr().out
    assert len(trackml.list_events(tmp_path / "train")) == 1
    assert main(["generate", "--out", str(tmp_path), "--events", "-1"]) == 2
    assert "error: event counts" in capsys.readouterr().err
