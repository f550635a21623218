"""The compiled CSV formatter against its pure-Python twin (Python's own float formatting)."""

import numpy as np
import pytest

from fivesigma.datasets.higgsml import csvwriter as cw

LABELS = ["s", "b", "Public"]


def kernel_fields(values, kinds):
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    kinds = np.asarray(kinds, dtype=np.int64)
    table = np.zeros((len(LABELS), 6), dtype=np.uint8)
    for k, label in enumerate(LABELS):
        table[k, : len(label)] = np.frombuffer(label.encode(), dtype=np.uint8)
    lengths = np.array([len(label) for label in LABELS], dtype=np.int64)
    text = bytes(cw.format_rows(values, kinds, table, lengths)).decode()
    return [line.split(",") for line in text.splitlines()]


def twin_fields(values, kinds):
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    return [
        [cw.format_value(x, k, LABELS) for x, k in zip(row, kinds, strict=True)] for row in values
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (138.47, "138.47"),
        (0.2, "0.2"),
        (-999.0, "-999.0"),
        (30.0, "30.0"),
        (2.666, "2.666"),
        (1.0625, "1.062"),  # an exact binary tie rounds to even
        (1.0635, "1.063"),  # stored slightly below the tie
        (-0.0004, "-0.0"),
        (0.0005, "0.001"),  # 0.0005 is stored slightly above the tie
        (123456.7891, "123456.789"),
    ],
)
def test_three_decimals_like_python(value, text):
    assert kernel_fields([[value]], [cw.DECIMAL3])[0][0] == text
    assert cw.format_value(value, cw.DECIMAL3) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.00265331133733, "0.00265331133733"),
        (2.23371150266, "2.23371150266"),
        (1.0, "1.0"),
        (410999.847322, "410999.847322"),
        (691.988607712, "691.988607712"),
        (1e-5, "0.00001"),
        (0.1 + 0.2, "0.3"),
        (123456789012345.6, "123456789012346.0"),
    ],
)
def test_fifteen_significant_digits(value, text):
    assert kernel_fields([[value]], [cw.SIGNIFICANT15])[0][0] == text
    assert cw.format_value(value, cw.SIGNIFICANT15) == text


def test_random_values_match_the_twin_exactly():
    rng = np.random.default_rng(3)
    n = 20_000
    columns = [
        rng.integers(0, 10**6, n),
        rng.normal(0, 100, n),
        np.round(rng.normal(0, 3, n), 3),
        rng.choice([-999.0, 0.0, 1.5], n),
        10.0 ** rng.uniform(-7, 6, n) * rng.uniform(1, 10, n),
        rng.integers(0, 3, n),
    ]
    kinds = [cw.INTEGER, cw.DECIMAL3, cw.DECIMAL3, cw.DECIMAL3, cw.SIGNIFICANT15, cw.CATEGORY]
    values = np.stack(columns, axis=1).astype(np.float64)
    assert kernel_fields(values, kinds) == twin_fields(values, kinds)


def test_round_trip_precision():
    rng = np.random.default_rng(4)
    weights = 10.0 ** rng.uniform(-4, 1, 5000)
    parsed = np.array([float(f[0]) for f in kernel_fields(weights[:, None], [cw.SIGNIFICANT15])])
    np.testing.assert_allclose(parsed, weights, rtol=6e-15)
    features = np.round(rng.normal(0, 50, 5000), 3)
    parsed = np.array([float(f[0]) for f in kernel_fields(features[:, None], [cw.DECIMAL3])])
    np.testing.assert_array_equal(parsed, features)
