"""Detector geometry against the REFERENCE.md table: ids, radii, z positions, tiling."""

import numpy as np
import pytest

from fivesigma.datasets import trackml
from fivesigma.datasets.trackml.detector_geometry import detectors_frame

# REFERENCE.md section 2, detector table
BARRELS = {8: (32, 72, 116, 172), 13: (260, 360, 500, 660), 17: (820, 1020)}
PIXEL_Z = (600, 700, 820, 960, 1100, 1300, 1500)
STRIP_Z = (1220, 1500, 1800, 2150, 2550, 2950)
ENDCAPS = {7: PIXEL_Z, 9: PIXEL_Z, 12: STRIP_Z, 14: STRIP_Z, 16: STRIP_Z, 18: STRIP_Z}
SENSORS = {  # volume: (pitch_u, pitch_v, thickness)
    **dict.fromkeys((7, 8, 9), (0.05, 0.05625, 0.15)),
    **dict.fromkeys((12, 13, 14), (0.08, 1.2, 0.25)),
    **dict.fromkeys((16, 17, 18), (0.12, 10.4, 0.35)),
}


@pytest.fixture(scope="module")
def det():
    return detectors_frame()


def test_volumes_and_even_layer_ids(det):
    layers = det.groupby("volume_id")["layer_id"].unique().map(sorted).to_dict()
    for volume, radii in BARRELS.items():
        assert layers[volume] == [2 * (i + 1) for i in range(len(radii))]
    for volume, zs in ENDCAPS.items():
        assert layers[volume] == [2 * (i + 1) for i in range(len(zs))]


def test_module_ids_run_from_one_within_each_layer(det):
    for _, group in det.groupby(["volume_id", "layer_id"]):
        assert sorted(group.module_id) == list(range(1, len(group) + 1))


def test_barrel_radii_match_the_table(det):
    for volume, radii in BARRELS.items():
        for i, radius in enumerate(radii):
            layer = det[(det.volume_id == volume) & (det.layer_id == 2 * (i + 1))]
            r = np.hypot(layer.cx, layer.cy)
            assert abs(r.mean() - radius) < 1.0
            assert (abs(r - radius) <= 3.0).all()


def test_pixel_barrel_half_length(det):
    pixel = det[det.volume_id == 8]
    extent = (pixel.cz.abs() + pixel.module_hv).max()
    assert 440 <= extent <= 470


def test_endcap_z_positions_match_the_table(det):
    for volume, zs in ENDCAPS.items():
        sign = -1 if volume in (7, 12, 16) else 1
        expected = sorted(sign * z for z in zs)  # layer ids increase with z
        for i, z in enumerate(expected):
            layer = det[(det.volume_id == volume) & (det.layer_id == 2 * (i + 1))]
            assert abs((layer.cz.max() + layer.cz.min()) / 2 - z) < 0.5  # faces around z
            assert (abs(layer.cz - z) <= 4.0).all()


def test_sensor_pitch_and_thickness(det):
    for volume, (pitch_u, pitch_v, thickness) in SENSORS.items():
        modules = det[det.volume_id == volume]
        assert np.allclose(modules.pitch_u, pitch_u)
        assert np.allclose(modules.pitch_v, pitch_v)
        assert np.allclose(modules.module_t, thickness)


def rotations(det):
    cols = [
        "rot_xu",
        "rot_xv",
        "rot_xw",
        "rot_yu",
        "rot_yv",
        "rot_yw",
        "rot_zu",
        "rot_zv",
        "rot_zw",
    ]
    return det[cols].to_numpy().reshape(-1, 3, 3)


def test_rotations_are_proper_and_axes_as_documented(det):
    rot = rotations(det)
    eye = np.einsum("mji,mjk->mik", rot, rot)
    assert np.allclose(eye, np.eye(3), atol=1e-12)
    assert np.allclose(np.linalg.det(rot), 1.0)
    barrel = det.volume_id.isin(BARRELS).to_numpy()
    assert np.allclose(rot[barrel, :, 1], [0, 0, 1])  # v along the beam
    assert np.allclose(np.abs(rot[~barrel, 2, 2]), 1)  # endcap normal along z


def covered(det_layer, origins, directions):
    """For each straight line, whether some module of the layer contains its plane crossing."""
    rot = rotations(det_layer)  # (m, 3, 3)
    centre = det_layer[["cx", "cy", "cz"]].to_numpy()
    normal = rot[:, :, 2]
    denom = directions @ normal.T  # (lines, modules)
    offset = np.einsum("mk,mk->m", centre, normal)[None, :] - origins @ normal.T
    with np.errstate(divide="ignore", invalid="ignore"):
        s = offset / denom
    point = origins[:, None, :] + s[:, :, None] * directions[:, None, :] - centre[None]
    u = np.einsum("lmk,mk->lm", point, rot[:, :, 0])
    v = np.einsum("lmk,mk->lm", point, rot[:, :, 1])
    hv = det_layer.module_hv.to_numpy()
    minhu, maxhu = det_layer.module_minhu.to_numpy(), det_layer.module_maxhu.to_numpy()
    hu = minhu + (maxhu - minhu) * (v + hv) / (2 * hv)
    return ((s > 0) & (np.abs(v) <= hv) & (np.abs(u) <= hu)).any(axis=1)


@pytest.mark.parametrize("volume,layer_id", [(8, 2), (8, 8), (13, 4), (17, 4)])
def test_barrel_layer_is_tiled_without_gaps(det, volume, layer_id):
    layer = det[(det.volume_id == volume) & (det.layer_id == layer_id)]
    half_length = 0.9 * (layer.cz.abs() + layer.module_hv).max()  # rays stay inside the ends
    rng = np.random.default_rng(3)
    phi = rng.uniform(-np.pi, np.pi, 400)
    radius = np.hypot(layer.cx, layer.cy).mean()
    z = rng.uniform(-half_length, half_length, 400)
    directions = np.c_[radius * np.cos(phi), radius * np.sin(phi), z]
    assert covered(layer, np.zeros((400, 3)), directions).all()


@pytest.mark.parametrize(
    "volume,layer_id,r_min,r_max", [(9, 2, 32, 173), (12, 6, 232, 698), (18, 12, 722, 1018)]
)
def test_endcap_disk_is_tiled_without_gaps(det, volume, layer_id, r_min, r_max):
    layer = det[(det.volume_id == volume) & (det.layer_id == layer_id)]
    rng = np.random.default_rng(4)
    phi = rng.uniform(-np.pi, np.pi, 400)
    r = rng.uniform(r_min, r_max, 400)
    origins = np.c_[r * np.cos(phi), r * np.sin(phi), np.zeros(400)]
    directions = np.tile([0.0, 0.0, np.sign(layer.cz.mean())], (400, 1))
    assert covered(layer, origins, directions).all()


def test_detectors_file_round_trip(tmp_path, det):
    path = trackml.write_detectors(tmp_path / "detectors.csv")
    back = trackml.read_detectors(path)
    assert list(back.columns) == list(det.columns)
    assert (
        (
            back[["volume_id", "layer_id", "module_id"]]
            == det[["volume_id", "layer_id", "module_id"]]
        )
        .all()
        .all()
    )
    assert np.allclose(
        back.drop(columns=["volume_id", "layer_id", "module_id"]),
        det.drop(columns=["volume_id", "layer_id", "module_id"]),
        rtol=0,
        atol=1e-12,
    )
