"""Every released variant of the TrackML files, written by hand, read by datasets.trackml.

Rows follow the layout of the public releases (accuracy phase on Kaggle, throughput phase
on Codalab, the training sample's blacklists); values are made up. Expected frames are
built here from the same literal values, independently of the reader.
"""

import bz2
import gzip

import numpy as np
import pandas as pd
import pytest

from fivesigma.datasets import trackml
from fivesigma.datasets.trackml.detector_geometry import DETECTOR_COLUMNS
from fivesigma.datasets.trackml.io import read_table

PREFIX = "event000001000"

HITS = """hit_id,x,y,z,volume_id,layer_id,module_id
1,-64.4099,-7.1637,-1502.5,7,2,1
2,-55.3385,0.635874,-1502.5,7,2,1
3,-83.8305,-1.14301,-1502.5,7,2,1
"""
CELLS = """hit_id,ch0,ch1,value
1,209,617,0.0138182
1,210,617,0.0792868
2,68,446,0.211072
3,58,954,0.28257
"""
PARTICLES_ACCURACY = """particle_id,vx,vy,vz,px,py,pz,q,nhits
4503668346847232,-0.00928161,0.00955453,-5.66154,-0.0552894,0.323007,-0.203448,-1,8
4503737066323968,-0.00928161,0.00955453,-5.66154,-0.948125,0.470892,2.01006,1,11
"""
PARTICLES_THROUGHPUT = """particle_id,particle_type,vx,vy,vz,px,py,pz,q,nhits
4503668346847232,-211,-0.00928161,0.00955453,-5.66154,-0.0552894,0.323007,-0.203448,-1,8
4503737066323968,2212,-0.00928161,0.00955453,-5.66154,-0.948125,0.470892,2.01006,1,11
"""
TRUTH = """hit_id,particle_id,tx,ty,tz,tpx,tpy,tpz,weight
1,0,-64.4116,-7.16412,-1502.5,250710.0,-149908.0,-956385.0,0
2,22525763437723648,-55.3385,0.630805,-1502.5,-0.570605,0.0283904,-15.4922,1.0e-05
3,0,-83.8282,-1.14558,-1502.5,626295.0,-169767.0,-760877.0,0
"""
BLACKLIST_HITS = "hit_id\n8\n40\n41\n"
BLACKLIST_PARTICLES = "particle_id\n22525763437723648\n4503668346847232\n"
DETECTOR_ROWS = [
    "7,2,1,-65.7965,-5.17305,-1502.5,-0.0785302,-0.996912,0,0.996912,-0.0785302,0,"
    "0,0,1,0.15,8.4,8.4,36,0.05,0.05625",
    "7,2,2,-139.851,-6.88553,-1502,-0.0490651,-0.998796,0,0.998796,-0.0490651,0,"
    "0,0,1,0.15,8.4,8.4,36,0.05,0.05625",
]
DETECTORS = ",".join(DETECTOR_COLUMNS) + "\n" + "\n".join(DETECTOR_ROWS) + "\n"

TEXTS = {
    "hits": HITS,
    "cells": CELLS,
    "particles": PARTICLES_ACCURACY,
    "truth": TRUTH,
    "blacklist_hits": BLACKLIST_HITS,
    "blacklist_particles": BLACKLIST_PARTICLES,
}
FLOAT32 = set("x y z value vx vy vz px py pz tx ty tz tpx tpy tpz".split())
FLOAT64 = {"weight", *DETECTOR_COLUMNS[3:]}


def expected_frame(text: str) -> pd.DataFrame:
    """The file's values with the official dtypes, parsed by hand from the literal text."""
    header, *rows = [line.split(",") for line in text.strip().splitlines()]
    columns = {}
    for k, name in enumerate(header):
        values = [row[k] for row in rows]
        if name == "particle_id":
            columns[name] = np.array([int(v) for v in values], dtype=np.int64)
        elif name in FLOAT32:
            columns[name] = np.array([float(v) for v in values], dtype=np.float32)
        elif name in FLOAT64:
            columns[name] = np.array([float(v) for v in values], dtype=np.float64)
        else:
            columns[name] = np.array([int(v) for v in values], dtype=np.int64)
    return pd.DataFrame(columns)


def write(directory, part, text, suffix=".csv", name=None):
    path = directory / (name or f"{PREFIX}-{part}{suffix}")
    data = text.encode()
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
    elif suffix.endswith(".bz2"):
        data = bz2.compress(data)
    path.write_bytes(data)
    return path


def read(directory, part):
    (frame,) = trackml.read_event(directory / PREFIX, parts=(part,))
    return frame


@pytest.mark.parametrize("part", list(TEXTS))
def test_every_part_is_read_with_the_official_types(tmp_path, part):
    write(tmp_path, part, TEXTS[part])
    pd.testing.assert_frame_equal(read(tmp_path, part), expected_frame(TEXTS[part]))


def test_accuracy_phase_particles_have_no_particle_type(tmp_path):
    write(tmp_path, "particles", PARTICLES_ACCURACY)
    particles = read(tmp_path, "particles")
    assert list(particles.columns) == "particle_id vx vy vz px py pz q nhits".split()


def test_throughput_phase_particles_keep_their_particle_type(tmp_path):
    write(tmp_path, "particles", PARTICLES_THROUGHPUT)
    particles = read(tmp_path, "particles")
    assert list(particles.columns) == (
        "particle_id particle_type vx vy vz px py pz q nhits".split()
    )
    assert particles.particle_type.dtype == np.int64
    assert particles.particle_type.tolist() == [-211, 2212]  # PDG codes: pi-, proton
    pd.testing.assert_frame_equal(
        particles.drop(columns="particle_type"), expected_frame(PARTICLES_ACCURACY)
    )


def test_a_bad_particle_type_is_reported(tmp_path):
    write(tmp_path, "particles", PARTICLES_THROUGHPUT.replace("2212", "p+"))
    with pytest.raises(
        trackml.FormatError,
        match=r"particles\.csv: column 'particle_type', row 2 \(line 3\): 'p\+' is not an integer",
    ):
        read(tmp_path, "particles")


def test_unknown_extra_columns_are_kept_as_read(tmp_path):
    lines = HITS.strip().splitlines()
    text = "\n".join(
        [lines[0] + ",charge,station"]
        + [line + f",{0.5 * k},s{k}" for k, line in enumerate(lines[1:])]
    )
    write(tmp_path, "hits", text + "\n")
    hits = read(tmp_path, "hits")
    assert list(hits.columns[-2:]) == ["charge", "station"]
    assert hits.charge.tolist() == [0.0, 0.5, 1.0] and hits.station.tolist() == ["s0", "s1", "s2"]
    pd.testing.assert_frame_equal(hits.iloc[:, :7], expected_frame(HITS))


def test_columns_in_another_order_keep_the_file_order(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(CELLS), dtype=str)
    write(tmp_path, "cells", frame[["value", "ch1", "hit_id", "ch0"]].to_csv(index=False))
    cells = read(tmp_path, "cells")
    assert list(cells.columns) == ["value", "ch1", "hit_id", "ch0"]
    pd.testing.assert_frame_equal(cells[["hit_id", "ch0", "ch1", "value"]], expected_frame(CELLS))


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2"])
def test_compressed_files_are_read(tmp_path, suffix):
    for part, text in TEXTS.items():
        write(tmp_path, part, text, suffix)
    frames = trackml.read_event(tmp_path / PREFIX, parts=tuple(TEXTS))
    for frame, text in zip(frames, TEXTS.values(), strict=True):
        pd.testing.assert_frame_equal(frame, expected_frame(text))


def test_a_compressed_file_with_a_plain_name_is_recognised(tmp_path):
    (tmp_path / f"{PREFIX}-truth.csv").write_bytes(gzip.compress(TRUTH.encode()))
    pd.testing.assert_frame_equal(read(tmp_path, "truth"), expected_frame(TRUTH))


def test_two_files_for_one_part_are_refused(tmp_path):
    write(tmp_path, "hits", HITS)
    write(tmp_path, "hits", HITS, ".csv.gz")
    with pytest.raises(trackml.FormatError, match="more than one hits file"):
        read(tmp_path, "hits")


def test_detectors_without_an_index_column(tmp_path):
    path = tmp_path / "detectors.csv"
    path.write_text(DETECTORS)
    detectors = trackml.read_detectors(path)
    assert list(detectors.columns) == DETECTOR_COLUMNS
    pd.testing.assert_frame_equal(detectors, expected_frame(DETECTORS))


def test_detectors_written_by_pandas_with_its_index(tmp_path):
    path = tmp_path / "detectors.csv"
    pd.read_csv(pd.io.common.StringIO(DETECTORS), dtype=str).to_csv(path)  # index=True
    assert path.read_text().startswith(",volume_id,layer_id,module_id,")
    pd.testing.assert_frame_equal(trackml.read_detectors(path), expected_frame(DETECTORS))


def test_detectors_with_an_index_column_without_a_header_field(tmp_path):
    path = tmp_path / "detectors.csv"
    rows = [f"{k},{row}" for k, row in enumerate(DETECTOR_ROWS)]
    path.write_text(",".join(DETECTOR_COLUMNS) + "\n" + "\n".join(rows) + "\n")
    pd.testing.assert_frame_equal(trackml.read_detectors(path), expected_frame(DETECTORS))


def test_trailing_delimiters_are_ignored(tmp_path):
    lines = HITS.strip().splitlines()
    write(tmp_path, "hits", lines[0] + "\n" + "\n".join(line + "," for line in lines[1:]) + "\n")
    pd.testing.assert_frame_equal(read(tmp_path, "hits"), expected_frame(HITS))
    write(tmp_path, "hits", "\n".join(line + "," for line in lines) + "\n")  # header too
    pd.testing.assert_frame_equal(read(tmp_path, "hits"), expected_frame(HITS))


def test_byte_order_mark_and_spaces_in_the_header(tmp_path):
    header, rest = CELLS.split("\n", 1)
    spaced = ", ".join(header.split(","))
    (tmp_path / f"{PREFIX}-cells.csv").write_bytes(
        b"\xef\xbb\xbf" + (spaced + "\n" + rest).encode()
    )
    pd.testing.assert_frame_equal(read(tmp_path, "cells"), expected_frame(CELLS))


@pytest.mark.parametrize("part", list(TEXTS))
def test_header_only_files_give_empty_frames_with_the_official_types(tmp_path, part):
    header = TEXTS[part].split("\n", 1)[0]
    write(tmp_path, part, header + "\n")
    frame = read(tmp_path, part)
    assert len(frame) == 0 and list(frame.columns) == header.split(",")
    full = expected_frame(TEXTS[part])
    for column in full.columns:
        assert frame[column].dtype == full[column].dtype, column


REQUIRED = [
    (part, column) for part, text in TEXTS.items() for column in text.split("\n", 1)[0].split(",")
]


@pytest.mark.parametrize(("part", "column"), REQUIRED)
def test_a_missing_required_column_names_the_file_and_the_column(tmp_path, part, column):
    frame = pd.read_csv(pd.io.common.StringIO(TEXTS[part]), dtype=str)
    renamed = frame.rename(columns={column: "other"})  # single-column parts keep a header
    path = write(tmp_path, part, renamed.to_csv(index=False))
    with pytest.raises(trackml.FormatError) as error:
        read(tmp_path, part)
    message = str(error.value)
    assert message.startswith(f"{path}: missing column '{column}' (a {part} file has ")


def test_a_missing_detector_column_names_the_file_and_the_column(tmp_path):
    path = tmp_path / "detectors.csv"
    frame = pd.read_csv(pd.io.common.StringIO(DETECTORS), dtype=str)
    frame.drop(columns=["pitch_v", "cz"]).to_csv(path, index=False)
    with pytest.raises(trackml.FormatError, match=rf"^{path}: missing columns 'cz', 'pitch_v' "):
        trackml.read_detectors(path)


def test_an_official_column_twice_is_refused(tmp_path):
    header, rest = HITS.split("\n", 1)
    write(tmp_path, "hits", header + ",x\n" + "\n".join(r + ",1" for r in rest.split("\n") if r))
    with pytest.raises(trackml.FormatError, match=r"hits\.csv: column 'x' appears more than once"):
        read(tmp_path, "hits")


def test_list_events_sees_blacklist_files(tmp_path):
    write(tmp_path, "blacklist_hits", BLACKLIST_HITS, name="event000001003-blacklist_hits.csv")
    write(tmp_path, "blacklist_particles", BLACKLIST_PARTICLES, ".csv.gz")
    assert trackml.list_events(tmp_path) == [
        str(tmp_path / PREFIX),
        str(tmp_path / "event000001003"),
    ]


def test_read_table_names_its_parts(tmp_path):
    path = write(tmp_path, "blacklist_hits", BLACKLIST_HITS)
    assert read_table(path, "blacklist_hits").hit_id.tolist() == [8, 40, 41]
    with pytest.raises(ValueError, match="unknown part 'tracks'"):
        read_table(path, "tracks")
