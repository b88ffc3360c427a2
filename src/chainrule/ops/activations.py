"""Activation primitives: the standard normal CDF, which no composite of existing ops can be,
and GELU's tanh form, fused for speed.

Exact GELU is x * Phi(x); Phi needs the error function, which NumPy lacks, so its forward
runs the namespace's ``normal_cdf`` kernel (rational approximations of erf/erfc, in
backends/normal_cdf.py) and its backward is the normal density, a composite that
differentiates again for ``create_graph=True``.
"""

from __future__ import annotations

import math

from ..autograd import Function
from ._shared import Array, Grads

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class NormalCdf(Function, fresh_grads=True):
    """Phi(a), the standard normal CDF, to 1e-14 relative error in both tails (float64)"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        self.saved = (a,)
        return self.xp.normal_cdf(a)

    def backward(self, grad: Array) -> Grads:
        (a,) = self.saved  # dL/da = dL/dy * exp(-a^2 / 2) / sqrt(2 pi)
        return (grad * (self.xp.exp(a * a * -0.5) * _INV_SQRT_2PI),)


class GeluTanh(Function, fresh_grads=True):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), one node instead of eight.

    NOTE: fused because a transformer's MLP runs it on its widest activations, where the
    composite's eight nodes cost more than the matrix products around them.
    """

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        out, t = self.xp.gelu_tanh(a)
        self.saved = (a, t)
        return out

    def backward(self, grad: Array) -> Grads:
        a, t = self.saved
        return (self.xp.gelu_tanh_backward(a, t, grad),)
