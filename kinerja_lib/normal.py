"""The standard normal distribution function, for the probabilities the analyses state about a score.

scipy.special.ndtr computes it; importing scipy.special costs about a tenth of a second of every command
that needs nothing else from it (``kinerja score``, ``kinerja pelatihan``). This is the same formula
(Cephes' ndtr, which scipy uses) over the C library's erf and erfc: tests/test_normal.py holds it to
scipy's values.
"""

from __future__ import annotations

import math

import numpy as np

_ERF = np.frompyfunc(math.erf, 1, 1)
_ERFC = np.frompyfunc(math.erfc, 1, 1)
_SQRT1_2 = math.sqrt(0.5)


def cdf(x) -> np.ndarray:
    """Return P(Z <= x) for a standard normal Z, elementwise (NaN stays NaN).

    Near zero it is 0.5 + 0.5 erf(x / sqrt 2); further out it comes from erfc, so both tails keep their
    relative accuracy (1 - cdf(8) is not lost to rounding).

    >>> [round(float(p), 6) for p in cdf([-1.959963984540054, 0.0, 1.0, 8.0])]
    [0.025, 0.5, 0.841345, 1.0]
    >>> f"{float(cdf(-8.0)):.12e}"
    '6.220960574272e-16'
    """
    t = np.asarray(x, dtype=float) * _SQRT1_2
    z = np.abs(t)
    near = z < _SQRT1_2
    out = np.empty_like(t)
    out[near] = 0.5 + 0.5 * _ERF(t[near]).astype(float)
    far = ~near
    tail = 0.5 * _ERFC(z[far]).astype(float)
    out[far] = np.where(t[far] > 0, 1.0 - tail, tail)
    return out
