"""Bad input gets an early, clear error; non-finite values are traced to their op."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F


def test_detect_anomaly_names_the_forward_op():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    with (
        cr.detect_anomaly(),
        pytest.raises(FloatingPointError, match=r"^Log: forward .*\(1 NaN/Inf of 2\)"),
    ):
        with np.errstate(divide="ignore"):
            x.log()


def test_detect_anomaly_names_the_backward_op():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with cr.detect_anomaly():
        y = x.sqrt().sum()  # forward is finite: sqrt(0) = 0
        with (
            np.errstate(divide="ignore"),
            pytest.raises(FloatingPointError, match="^Sqrt: backward"),
        ):
            y.backward()


def test_detect_anomaly_is_off_outside_the_block():
    x = cr.tensor([0.0], requires_grad=True)
    with cr.detect_anomaly():
        pass
    with np.errstate(divide="ignore"):
        assert np.isneginf(x.log().data).all()


def test_detect_anomaly_passes_finite_graphs_unchanged():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.detect_anomaly():
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


@pytest.mark.parametrize(
    ("make", "error", "fragment"),
    [
        (
            lambda: cr.ones((128, 784)) @ cr.ones((100, 10)),
            ValueError,
            r"matmul: shapes \(128, 784\) and \(100, 10\) are not aligned",
        ),
        (
            lambda: cr.ones((2, 3)) + cr.ones((4, 3)),
            ValueError,
            r"add: shapes \(2, 3\) and \(4, 3\) do not broadcast",
        ),
        (
            lambda: nn.Linear(784, 10)(cr.ones((5, 100))),
            ValueError,
            r"linear: input of shape \(5, 100\) does not match weight of shape \(10, 784\)",
        ),
        (
            lambda: F.mse_loss(cr.ones(3), cr.ones(4)),
            ValueError,
            r"mse_loss: input of shape \(3,\) and target of shape \(4,\) differ",
        ),
        (
            lambda: F.cross_entropy(cr.ones((4, 10)), np.array([0, 1, 2, 10])),
            ValueError,
            r"cross_entropy: target class indices must lie in \[0, 10\)",
        ),
        (
            lambda: F.cross_entropy(cr.ones((4, 10)), np.array([0, 1, 2])),
            ValueError,
            r"cross_entropy: target must be int class indices of shape \(4,\)",
        ),
        (
            lambda: F.cross_entropy(cr.ones((4, 10)), np.zeros(4, dtype=np.float32)),
            ValueError,
            r"got float32 \(4,\)",
        ),
        (
            lambda: F.cross_entropy(cr.ones(10), np.array([1])),
            ValueError,
            r"cross_entropy: target must be int class indices of shape \(\) or probabilities "
            r"of shape \(10,\), got int64 \(1,\)",
        ),
        (
            lambda: cr.optim.SGD(nn.Linear(2, 2).parameters(), lr=-0.1),
            ValueError,
            "SGD: invalid learning rate: -0.1",
        ),
        (
            lambda: cr.tensor([1, 2], requires_grad=True),
            ValueError,
            "only floating-point tensors can require grad, got int64",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(make, error, fragment):
    with pytest.raises(error, match=fragment):
        make()


def test_backward_twice_without_retain_graph_names_the_fix():
    x = cr.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_memory_stays_flat_over_many_training_steps():
    import tracemalloc

    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))
    opt = cr.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = cr.randn(16, 20, seed=0), np.arange(16) % 3

    def steps(count: int) -> None:
        for _ in range(count):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

    steps(50)
    tracemalloc.start()
    steps(200)
    after_200 = tracemalloc.get_traced_memory()[0]
    steps(2000)
    after_2200 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after_2200 - after_200 < 64 * 1024  # no graph, array or state kept per step
