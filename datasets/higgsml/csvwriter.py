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
    p, e = _two_product(x, scale)
    r = np.floor(p)
    f = p - r
    if f > 0.5 or (f == 0.5 and (e > 0.0 or (e == 0.0 and r % 2.0 == 1.0))):
        r += 1.0
    return np.int64(r)


@numba.njit(cache=True)
def _put_int(out, pos, value):
    """Write the decimal digits of value >= 0; return the new position."""
    if value == 0:
        out[pos] = 48
        return pos + 1
    digits = 0
    v = value
    while v > 0:
        digits += 1
        v //= 10
    for i in range(digits - 1, -1, -1):
        out[pos + i] = 48 + value % 10
        value //= 10
    return pos + digits


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
    return _put_fraction(out, pos + 1, v % 1000, 3)


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
        digits = _round_scaled(x, 10.0 ** (14 - exponent))
        if digits >= 10**15:
            exponent += 1
        elif digits < 10**14:
            exponent -= 1
        else:
            break
    if exponent >= 0:
        whole = digits // 10 ** (14 - exponent)
        frac = digits % 10 ** (14 - exponent)
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
def format_rows(values, kinds, labels, label_lengths):
    """CSV bytes of the rows of ``values`` (float64, n x c) formatted per column ``kinds``.

    ``labels`` (k x width uint8) and ``label_lengths`` hold the CATEGORY strings.
    """
    n, c = values.shape
    out = np.empty(n * c * _MAX_FIELD, dtype=np.uint8)
    pos = 0
    for i in range(n):
        for j in range(c):
            if j > 0:
                out[pos] = 44
                pos += 1
            x = values[i, j]
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
    return out[:pos]


def format_value(x: float, kind: int, labels=()) -> str:
    """Pure-Python twin of one field of :func:`format_rows`."""
    if kind == INTEGER:
        return str(int(x))
    if kind == CATEGORY:
        return labels[int(x)]
    if kind == DECIMAL3:
        text = f"{x:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    mantissa, exponent = f"{x:.14e}".split("e")
    sign, digits = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
    digits = digits.replace(".", "")
    exponent = int(exponent)
    if exponent >= 0:
        whole, frac = digits[: exponent + 1], digits[exponent + 1 :]
    else:
        whole, frac = "0", "0" * (-exponent - 1) + digits
    frac = frac.rstrip("0") or "0"
    return f"{sign}{whole}.{frac}"
