"""Fast CSV writing in the number format of the official HiggsML files.

Formats, per column:
- ``INTEGER``: EventId, PRI_jet_num.
- ``DECIMAL3``: features rounded to 3 decimals with trailing zeros dropped but one decimal
  kept, as Python prints a rounded float (``138.47``, ``0.2``, ``-999.0``).
- ``SIGNIFICANT15``: weights with 15 significant digits in positional notation, trailing
  zeros dropped (``0.00265331133733``); exact for magnitudes 1e-8 to 1e15.
- ``CATEGORY``: a code into a table of short strings (Label, KaggleSet, Usage).

Rounding is exact (half to even on the binary value, like Python's ``format``): the scaled
product is computed as an exact two-term sum. ``format_rows`` is the compiled kernel;
``format_value`` is the pure-Python twin used as its oracle.
"""

from __future__ import annotations

import math

import numba
import numpy as np

INTEGER, DECIMAL3, SIGNIFICANT15, CATEGORY = 0, 1, 2, 3
_MAX_FIELD = 40  # bytes per field, generous for every format
_SPLIT = 134217729.0  # 2^27 + 1, Veltkamp splitter for double precision


@numba.njit(cache=True)
def _two_product(a, b):
    """(p, e) with p + e == a * b exactly (Dekker)."""
    p = a * b
    c = _SPLIT * a
    a_hi = c - (c - a)
    a_lo = a - a_hi
    c = _SPLIT * b
    b_hi = c - (c - b)
    b_lo = b - b_hi
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, e


@numba.njit(cache=True)
def _round_scaled(x, scale):
    """Nearest integer to x * scale (x >= 0, product < 2^53), ties to even, exactly.

    The product is p + e exactly; p - floor(p) is exact, and |e| <= ulp(p) / 2 can only
    decide the rounding when p sits exactly on a half.
    """
    p = x * scale
    r = np.floor(p)
    f = p - r
    if abs(f - 0.5) > 1e-6:  # far from a tie: the rounding error cannot matter
        return np.int64(r + 1.0) if f > 0.5 else np.int64(r)
    p, e = _two_product(x, scale)
    r = np.floor(p)
    f = p - r
    if f > 0.5 or (f == 0.5 and (e > 0.0 or (e == 0.0 and r % 2.0 == 1.0))):
        r += 1.0
    return np.int64(r)


_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)
_PAIRS = np.frombuffer("".join(f"{k:02d}" for k in range(100)).encode(), dtype=np.uint8).copy()
_FRACTIONS = np.zeros((1000, 3), dtype=np.uint8)  # 3-decimal fractions, trailing zeros dropped
_FRACTION_LENGTHS = np.zeros(1000, dtype=np.int64)
for _k in range(1000):
    _text = f"{_k:03d}".rstrip("0") or "0"
    _FRACTIONS[_k, : len(_text)] = np.frombuffer(_text.encode(), dtype=np.uint8)
    _FRACTION_LENGTHS[_k] = len(_text)


@numba.njit(cache=True)
def _put_int(out, pos, value):
    """Write the decimal digits of value >= 0; return the new position."""
    digits = 1
    while digits < 19 and value >= _POW10[digits]:
        digits += 1
    end = pos + digits
    i = end
    while value >= 100:
        rest = value % 100
        value //= 100
        out[i - 1] = _PAIRS[2 * rest + 1]
        out[i - 2] = _PAIRS[2 * rest]
        i -= 2
    if value >= 10:
        out[i - 1] = _PAIRS[2 * value + 1]
        out[i - 2] = _PAIRS[2 * value]
    else:
        out[i - 1] = 48 + value
    return end


@numba.njit(cache=True)
def _put_fraction(out, pos, frac, width):
    """Write frac as ``width`` digits with trailing zeros dropped, at least one digit."""
    while width > 1 and frac % 10 == 0:
        frac //= 10
        width -= 1
    for i in range(width - 1, -1, -1):
        out[pos + i] = 48 + frac % 10
        frac //= 10
    return pos + width


@numba.njit(cache=True)
def _put_decimal3(out, pos, x):
    if math.copysign(1.0, x) < 0.0:
        out[pos] = 45
        pos += 1
        x = -x
    v = _round_scaled(x, 1000.0)
    pos = _put_int(out, pos, v // 1000)
    out[pos] = 46
    frac = v % 1000
    for k in range(_FRACTION_LENGTHS[frac]):
        out[pos + 1 + k] = _FRACTIONS[frac, k]
    return pos + 1 + _FRACTION_LENGTHS[frac]


@numba.njit(cache=True)
def _put_significant15(out, pos, x):
    if math.copysign(1.0, x) < 0.0:
        out[pos] = 45
        pos += 1
        x = -x
    if x == 0.0:
        out[pos] = 48
        out[pos + 1] = 46
        out[pos + 2] = 48
        return pos + 3
    exponent = int(np.floor(np.log10(x)))
    for _ in range(3):  # log10 can be one off near powers of ten
        scale = _POW10[14 - exponent] if 0 <= 14 - exponent <= 18 else 10.0 ** (14 - exponent)
        digits = _round_scaled(x, float(scale))
        if digits >= 10**15:
            exponent += 1
        elif digits < 10**14:
            exponent -= 1
        else:
            break
    if exponent >= 0:
        whole = digits // _POW10[14 - exponent]
        frac = digits % _POW10[14 - exponent]
        pos = _put_int(out, pos, whole)
        out[pos] = 46
        if 14 - exponent == 0:
            out[pos + 1] = 48
            return pos + 2
        return _put_fraction(out, pos + 1, frac, 14 - exponent)
    out[pos] = 48
    out[pos + 1] = 46
    pos += 2
    for _ in range(-exponent - 1):
        out[pos] = 48
        pos += 1
    return _put_fraction(out, pos, digits, 15)


@numba.njit(cache=True)
def _format_rows(values, rows, columns, kinds, labels, label_lengths, out):
    pos = 0
    for i in rows:
        for j in range(columns.shape[0]):
            if j > 0:
                out[pos] = 44
                pos += 1
            x = values[i, columns[j]]
            kind = kinds[j]
            if kind == 0:
                if x < 0:
                    out[pos] = 45
                    pos += 1
                pos = _put_int(out, pos, np.int64(abs(x)))
            elif kind == 1:
                pos = _put_decimal3(out, pos, x)
            elif kind == 2:
                pos = _put_significant15(out, pos, x)
            else:
                code = np.int64(x)
                for k in range(label_lengths[code]):
                    out[pos + k] = labels[code, k]
                pos += label_lengths[code]
        out[pos] = 10
        pos += 1
    return pos


def format_rows(values, kinds, labels, label_lengths, rows=None, columns=None, buffer=None):
    """CSV bytes (a memoryview) of ``values[rows][:, columns]`` formatted per column ``kinds``.

    ``values`` is float64 (n x c); ``rows`` and ``columns`` default to all of them.
    ``labels`` (k x width uint8) and ``label_lengths`` hold the CATEGORY strings. A
    ``buffer`` (uint8, at least ``buffer_size``) is reused when given.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    rows = np.arange(len(values)) if rows is None else np.asarray(rows, dtype=np.int64)
    columns = np.arange(values.shape[1]) if columns is None else np.asarray(columns, np.int64)
    size = buffer_size((len(rows), len(columns)))
    if buffer is None or len(buffer) < size:
        buffer = np.empty(size, dtype=np.uint8)
    kinds = np.asarray(kinds, dtype=np.int64)
    length = _format_rows(values, rows, columns, kinds, labels, label_lengths, buffer)
    return memoryview(buffer)[:length]


def buffer_size(shape) -> int:
    """Bytes that always suffice for rows of the given (n, c) shape."""
    return shape[0] * shape[1] * _MAX_FIELD


def format_value(x: float, kind: int, labels=()) -> str:
    """Pure-Python twin of one field of :func:`format_rows`."""
    if kind == INTEGER:
        return str(int(x))
    if kind == CATEGORY:
        return labels[int(x)]
    if kind == DECIMAL3:
        text = f"{x:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    mantissa, power = f"{x:.14e}".split("e")
    sign, digits = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
    digits = digits.replace(".", "")
    exponent = int(power)
    if exponent >= 0:
        whole, frac = digits[: exponent + 1], digits[exponent + 1 :]
    else:
        whole, frac = "0", "0" * (-exponent - 1) + digits
    frac = frac.rstrip("0") or "0"
    return f"{sign}{whole}.{frac}"
