"""Convolution, pooling and batch norm against PyTorch: values and gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from helpers import check_vs_torch, upstream_grad
from test_conv import CONV_CASES, POOL_CASES

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV_CASES)
def test_conv2d_vs_torch(rng, x_shape, w_shape, stride, padding):
    x, w, b = (rng.standard_normal(s) for s in (x_shape, w_shape, w_shape[:1]))
    check_vs_torch(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding),
        lambda x, w, b: TF.conv2d(x, w, b, stride, padding),
        x,
        w,
        b,
    )


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "padding"),
    [((128, 1, 28, 28), (16, 1, 5, 5), 1, 0), ((16, 16, 12, 12), (32, 16, 5, 5), 1, 2)],
)
def test_conv2d_vs_torch_at_network_sizes(rng, x_shape, w_shape, stride, padding):
    # Large enough that the unfold runs in several chunks of the batch.
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    check_vs_torch(
        lambda x, w: F.conv2d(x, w, stride=stride, padding=padding),
        lambda x, w: TF.conv2d(x, w, stride=stride, padding=padding),
        x,
        w,
    )


@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), POOL_CASES)
def test_max_pool2d_vs_torch(rng, x_shape, kernel, stride, padding):
    check_vs_torch(
        lambda x: F.max_pool2d(x, kernel, stride, padding),
        lambda x: TF.max_pool2d(x, kernel, stride, padding),
        rng.standard_normal(x_shape),
    )


@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), POOL_CASES)
def test_max_pool2d_vs_torch_with_ties(rng, x_shape, kernel, stride, padding):
    x = np.maximum(rng.standard_normal(x_shape), 0).round(0)  # mostly zeros and ones
    check_vs_torch(
        lambda x: F.max_pool2d(x, kernel, stride, padding),
        lambda x: TF.max_pool2d(x, kernel, stride, padding),
        x,
    )


@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), POOL_CASES)
def test_avg_pool2d_vs_torch(rng, x_shape, kernel, stride, padding):
    check_vs_torch(
        lambda x: F.avg_pool2d(x, kernel, stride, padding),
        lambda x: TF.avg_pool2d(x, kernel, stride, padding),
        rng.standard_normal(x_shape),
    )


@pytest.mark.parametrize("shape", [(5, 3), (1, 3, 4), (4, 3, 5), (2, 3, 4, 5), (1, 3, 3, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_vs_torch(rng, shape, training):
    x, w, b = rng.standard_normal(shape), rng.standard_normal(3), rng.standard_normal(3)
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    ours_mean, ours_var = mean.copy(), var.copy()
    theirs_mean, theirs_var = torch.tensor(mean), torch.tensor(var)
    check_vs_torch(
        lambda x, w, b: F.batch_norm(x, ours_mean, ours_var, w, b, training, 0.2, 1e-3),
        lambda x, w, b: TF.batch_norm(x, theirs_mean, theirs_var, w, b, training, 0.2, 1e-3),
        x,
        w,
        b,
    )
    np.testing.assert_allclose(ours_mean, theirs_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours_var, theirs_var.numpy(), rtol=1e-6)


def _to_float64(module: nn.Module) -> None:
    for parameter in module.parameters():
        parameter.data = parameter.data.astype(np.float64)
    for name in ("running_mean", "running_var"):
        setattr(module, name, getattr(module, name).astype(np.float64))


@pytest.mark.parametrize(
    ("ours", "theirs", "shape"),
    [
        (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 4)),
        (nn.BatchNorm1d, torch.nn.BatchNorm1d, (3, 4, 5)),
        (nn.BatchNorm2d, torch.nn.BatchNorm2d, (3, 4, 5, 5)),
        (nn.BatchNorm2d, torch.nn.BatchNorm2d, (1, 4, 3, 2)),
    ],
)
def test_batchnorm_modules_vs_torch_over_steps_then_eval(rng, ours, theirs, shape):
    mine, reference = ours(4, momentum=0.3), theirs(4, momentum=0.3).double()
    _to_float64(mine)
    weight, bias = rng.standard_normal(4), rng.standard_normal(4)
    mine.weight.data[...], mine.bias.data[...] = weight, bias
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(weight))
        reference.bias.copy_(torch.tensor(bias))
    for mode in ["train", "train", "train", "eval"]:
        mine.train(mode == "train")
        reference.train(mode == "train")
        x = rng.normal(1.0, 2.0, shape)
        ours_x, torch_x = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = mine(ours_x), reference(torch_x)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-10)
        seed = upstream_grad(shape)
        mine.zero_grad()
        out.backward(seed)
        expected.backward(torch.tensor(seed))
        np.testing.assert_allclose(ours_x.grad.data, torch_x.grad.numpy(), rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(
            mine.weight.grad.data, reference.weight.grad.numpy(), rtol=1e-6, atol=1e-10
        )
        reference.zero_grad()
        np.testing.assert_allclose(mine.running_mean, reference.running_mean.numpy(), rtol=1e-6)
        np.testing.assert_allclose(mine.running_var, reference.running_var.numpy(), rtol=1e-6)


def test_conv2d_module_vs_torch_with_copied_weights(rng):
    mine, reference = nn.Conv2d(3, 5, 3, stride=2, padding=1), torch.nn.Conv2d(3, 5, 3, 2, 1)
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(mine.weight.data))
        reference.bias.copy_(torch.from_numpy(mine.bias.data))
    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)
    np.testing.assert_allclose(
        mine(cr.tensor(x)).data,
        reference(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )


def test_conv2d_init_matches_torch_distribution():
    nn.init.manual_seed(0)
    torch.manual_seed(0)
    ours = np.concatenate([nn.Conv2d(16, 32, 5).weight.data.ravel() for _ in range(4)])
    theirs = np.concatenate(
        [torch.nn.Conv2d(16, 32, 5).weight.detach().numpy().ravel() for _ in range(4)]
    )
    bound = 1 / np.sqrt(16 * 5 * 5)  # kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))
    assert np.abs(ours).max() <= bound and np.abs(theirs).max() <= bound
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.02)
    np.testing.assert_allclose(ours.std(), bound / np.sqrt(3), rtol=0.02)
    bias = nn.Conv2d(16, 32, 5).bias.data
    assert np.abs(bias).max() <= bound


def test_dropout_eval_matches_torch_identity(rng):
    x = rng.standard_normal((3, 4))
    reference = torch.nn.Dropout(0.5).eval()(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(nn.Dropout(0.5).eval()(cr.tensor(x)).data, reference)
