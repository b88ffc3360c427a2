"""gradcheck's failures: the message names one Jacobian entry d out[j] / d in[i], unweighted."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr


class SquareWrongAt(cr.Function):
    """x * x whose backward gives 3x instead of 2x at flat index ``at`` (everywhere if None)."""

    def __init__(self, at=None):
        self.at = at

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        factor = np.full(self.x.shape, 3.0 if self.at is None else 2.0)
        if self.at is not None:
            factor.reshape(-1)[self.at] = 3.0
        return factor * self.x * grad


def _message(f, *inputs):
    with pytest.raises(cr.GradcheckError) as error:
        cr.gradcheck(f, inputs)
    return str(error.value)


def test_gradcheck_scalar_output_names_true_values():
    message = _message(lambda t: SquareWrongAt()(t), np.array(2.0))
    assert message.startswith("gradcheck: input 0, d out / d in: analytic 6 vs numeric 4 ")


def test_gradcheck_sum_output_names_true_values():
    message = _message(lambda t: SquareWrongAt(at=1)(t).sum(), np.array([1.0, 2.0, 3.0]))
    assert "input 0, d out / d in[1]: analytic 6 vs numeric 4 " in message


def test_gradcheck_non_scalar_output_names_true_entry():
    message = _message(lambda t: SquareWrongAt(at=1)(t), np.array([1.0, 2.0, 3.0]))
    assert "input 0, d out[1] / d in[1]: analytic 6 vs numeric 4 " in message


def test_gradcheck_names_output_element_apart_from_input_element():
    # out[j] = x[2 - j] ** 2, so the wrong entry of x[0] is d out[2] / d in[0]
    message = _message(lambda t: SquareWrongAt(at=0)(t)[::-1], np.array([2.0, 1.0, 3.0]))
    assert "d out[2] / d in[0]: analytic 6 vs numeric 4 " in message


def test_gradcheck_2d_names_true_entry():
    message = _message(lambda t: SquareWrongAt(at=4)(t).T, np.full((2, 3), 2.0))
    assert "d out[1, 1] / d in[1, 1]: analytic 6 vs numeric 4 " in message


def test_gradcheck_second_input_names_its_index():
    message = _message(lambda a, b: a * SquareWrongAt(at=2)(b), np.ones(3), np.full(3, 2.0))
    assert message.startswith("gradcheck: input 1, d out[2] / d in[2]: analytic 6 vs numeric 4 ")


def _entry(message):
    """(output element, input element, analytic, numeric) from a gradcheck message."""
    found = re.search(r"d (out\S*) / d (in\S*): analytic (\S+) vs numeric (\S+) ", message)
    assert found, message
    return found[1], found[2], float(found[3]), float(found[4])


@pytest.mark.parametrize("reduce", [False, True])
def test_gradcheck_large_input_names_true_entry(reduce):
    # 1500 elements: checked along random directions, the entry then found by halving
    def f(t):
        out = SquareWrongAt(at=700)(t)
        return out.sum() if reduce else out

    out, inp, analytic, numeric = _entry(_message(f, np.full(1500, 2.0)))
    assert (out, inp) == ("out" if reduce else "out[700]", "in[700]")
    np.testing.assert_allclose([analytic, numeric], [6.0, 4.0], rtol=1e-6)


def test_gradcheck_large_input_wrong_everywhere_names_true_entry():
    x = np.linspace(1.0, 2.0, 1200)
    out, inp, analytic, numeric = _entry(_message(lambda t: SquareWrongAt()(t), x))
    i = int(inp[3:-1])
    assert out == f"out[{i}]"
    np.testing.assert_allclose([analytic, numeric], [3 * x[i], 2 * x[i]], rtol=1e-6)


class NanGrad(cr.Function):
    """x * x whose backward returns NaN: a mismatch, though NaN compares False with anything."""

    def forward(self, x):
        return x * x

    def backward(self, grad):
        return np.full(grad.shape, np.nan)


def test_gradcheck_nan_backward_fails():
    message = _message(lambda t: NanGrad()(t).sum(), np.array([1.0, 2.0]))
    assert "analytic nan vs numeric 2 " in message
