"""Phi, the standard normal CDF, by FreeBSD's rational approximations of erf and erfc: one
version selecting among the four ranges' formulas with ``where`` (any namespace), and a
NumPy one running each formula only on the elements in its range."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_SQRT1_2 = math.sqrt(0.5)

# The rational approximations of FreeBSD msun's s_erf.c (highest power first), whose notice
# reads: "Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at
# SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and distribute
# this software is freely granted, provided that this notice is preserved."
# erf(u) = u + u P/Q(u^2) on [0, 0.84375); erf(u) = erx + P/Q(u - 1) on [0.84375, 1.25);
# erfc(u) = exp(-u^2 - 0.5625 + R/S(1/u^2)) / u on [1.25, 1/0.35) (ra, sa) and beyond (rb, sb).
_ERX = 8.45062911510467529297e-01
_PP = (
    -2.37630166566501626084e-05, -5.77027029648944159157e-03, -2.84817495755985104766e-02,
    -3.25042107247001499370e-01, 1.28379167095512558561e-01,
)  # fmt: skip
_QQ = (
    -3.96022827877536812320e-06, 1.32494738004321644526e-04, 5.08130628187576562776e-03,
    6.50222499887672944485e-02, 3.97917223959155352819e-01, 1.0,
)  # fmt: skip
_PA = (
    -2.16637559486879084300e-03, 3.54783043256182359371e-02, -1.10894694282396677476e-01,
    3.18346619901161753674e-01, -3.72207876035701323847e-01, 4.14856118683748331666e-01,
    -2.36211856075265944077e-03,
)  # fmt: skip
_QA = (
    1.19844998467991074170e-02, 1.36370839120290507362e-02, 1.26171219808761642112e-01,
    7.18286544141962662868e-02, 5.40397917702171048937e-01, 1.06420880400844228286e-01, 1.0,
)  # fmt: skip
_RA = (
    -9.81432934416914548592e00, -8.12874355063065934246e01, -1.84605092906711035994e02,
    -1.62396669462573470355e02, -6.23753324503260060396e01, -1.05586262253232909814e01,
    -6.93858572707181764372e-01, -9.86494403484714822705e-03,
)  # fmt: skip
_SA = (
    -6.04244152148580987438e-02, 6.57024977031928170135e00, 1.08635005541779435134e02,
    4.29008140027567833386e02, 6.45387271733267880336e02, 4.34565877475229228821e02,
    1.37657754143519042600e02, 1.96512716674392571292e01, 1.0,
)  # fmt: skip
_RB = (
    -4.83519191608651397019e02, -1.02509513161107724954e03, -6.37566443368389627722e02,
    -1.60636384855821916062e02, -1.77579549177547519889e01, -7.99283237680523006574e-01,
    -9.86494292470009928597e-03,
)  # fmt: skip
_SB = (
    -2.24409524465858183362e01, 4.74528541206955367215e02, 2.55305040643316442583e03,
    3.19985821950859553908e03, 1.53672958608443695994e03, 3.25792512996573918826e02,
    3.03380607434824582924e01, 1.0,
)  # fmt: skip


def _polynomial(x: Any, coefficients: tuple[float, ...]) -> Any:
    """Horner's rule, highest power first."""
    out = x * coefficients[0] + coefficients[1]
    for c in coefficients[2:]:
        out = out * x + c
    return out


def normal_cdf_masked(a: np.ndarray) -> np.ndarray:
    """``normal_cdf_where`` on NumPy, each range's formula run only on the elements in it.

    NOTE: four times less arithmetic than selecting among all four formulas with where()
    (most of a transformer's activations fall in the first range); the tests check both
    give the same values.
    """
    u = np.abs(a) * _SQRT1_2
    tail = np.full_like(u, np.nan)  # NaN stays NaN: it falls in no range
    ranges = (u < 0.84375, (u >= 0.84375) & (u < 1.25), (u >= 1.25) & (u < 1 / 0.35))
    z = u[ranges[0]] ** 2
    tail[ranges[0]] = 0.5 - 0.5 * (u[ranges[0]] * (1 + _polynomial(z, _PP) / _polynomial(z, _QQ)))
    s = u[ranges[1]] - 1
    tail[ranges[1]] = 0.5 - 0.5 * (_ERX + _polynomial(s, _PA) / _polynomial(s, _QA))
    for keep, r, q in ((ranges[2], _RA, _SA), (u >= 1 / 0.35, _RB, _SB)):
        far = np.minimum(u[keep], 40.0)  # erfc(40) underflows to 0
        w = 1 / (far * far)
        ratio = _polynomial(w, r) / _polynomial(w, q)
        tail[keep] = 0.5 * np.exp(ratio - far * far - 0.5625) / far
    return np.where(a < 0, tail, 1 - tail)


def normal_cdf_where(xp: Any, a: Any) -> Any:
    """Phi(a) = erfc(-a / sqrt 2) / 2, from the tail Phi(-|a|) so neither tail cancels."""
    u = xp.abs(a) * _SQRT1_2
    where = xp.where
    # Each range's formula sees inputs inside its range (nan passes through), so no branch
    # overflows or divides by zero before ``where`` discards it.
    near = where(u < 1.25, u, 1.25)
    z, s = near * near, near - 1
    erf_near = where(
        near < 0.84375,
        near + near * (_polynomial(z, _PP) / _polynomial(z, _QQ)),
        _ERX + _polynomial(s, _PA) / _polynomial(s, _QA),
    )
    far = where(u < 1.25, 1.25, where(u > 40, 40.0, u))  # erfc(40) underflows to 0
    w = 1 / (far * far)
    ratio = where(
        far < 1 / 0.35,
        _polynomial(w, _RA) / _polynomial(w, _SA),
        _polynomial(w, _RB) / _polynomial(w, _SB),
    )
    erfc_far = xp.exp(ratio - far * far - 0.5625) / far
    tail = where(u < 1.25, 0.5 - 0.5 * erf_near, 0.5 * erfc_far)
    return where(a < 0, tail, 1 - tail)
