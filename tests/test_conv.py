"""Convolution, pooling, batch norm and dropout: gradients, modes, seeding and errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.backends import cpu_conv
from helpers import check_grad

# (x shape, weight shape, stride, padding): odd sizes, batch 1, stride > 1, padding > 0,
# non-square kernels, 1x1, and both unfold layouts (fewer than 4 channels, and 4 or more).
CONV_CASES = [
    ((2, 1, 5, 5), (3, 1, 3, 3), 1, 0),
    ((1, 2, 5, 7), (2, 2, 3, 3), 1, 1),
    ((2, 3, 7, 6), (2, 3, 3, 2), 2, 0),
    ((1, 4, 6, 5), (3, 4, 3, 3), 2, 1),
    ((2, 5, 5, 5), (2, 5, 1, 1), 1, 0),
    ((1, 4, 7, 7), (2, 4, 5, 5), 3, 2),
    ((2, 6, 4, 5), (3, 6, 2, 3), (1, 2), (1, 0)),
]
# (x shape, kernel_size, stride, padding): non-overlapping, overlapping, ragged, padded.
POOL_CASES = [
    ((2, 2, 4, 4), 2, None, 0),
    ((1, 3, 5, 5), 2, None, 0),
    ((2, 1, 7, 6), 3, 2, 0),
    ((1, 2, 5, 5), 3, 1, 1),
    ((2, 2, 6, 5), (2, 3), (1, 2), 0),
    ((1, 1, 6, 6), 2, 2, 1),
]


def _conv_inputs(rng, x_shape, w_shape):
    return rng.standard_normal(x_shape), rng.standard_normal(w_shape)


# ---------------------------------------------------------------------- conv2d
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV_CASES)
def test_conv2d_backward_with_bias(rng, x_shape, w_shape, stride, padding):
    x, w = _conv_inputs(rng, x_shape, w_shape)
    b = rng.standard_normal(w_shape[0])
    check_grad(lambda x, w, b: F.conv2d(x, w, b, stride, padding), x, w, b)


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV_CASES)
def test_conv2d_backward_without_bias(rng, x_shape, w_shape, stride, padding):
    x, w = _conv_inputs(rng, x_shape, w_shape)
    check_grad(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding), x, w)


def test_conv2d_forward_matches_a_direct_loop(rng):
    x, w = _conv_inputs(rng, (2, 5, 6, 7), (3, 5, 3, 2))
    b = rng.standard_normal(3)
    out = F.conv2d(cr.tensor(x), cr.tensor(w), cr.tensor(b), stride=(2, 1), padding=1).data
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((2, 3, 3, 8))
    for i in range(3):
        for j in range(8):
            window = xp[:, :, 2 * i : 2 * i + 3, j : j + 2]
            expected[:, :, i, j] = np.einsum("nchw,ochw->no", window, w) + b
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_only_weight_needs_grad(rng):
    x, w = _conv_inputs(rng, (2, 4, 5, 5), (3, 4, 3, 3))
    weight = cr.tensor(w, requires_grad=True)
    image = cr.tensor(x)
    F.conv2d(image, weight, padding=1).sum().backward()
    assert image.grad is None and weight.grad.shape == (3, 4, 3, 3)


@pytest.mark.parametrize("x_shape", [(5, 1, 7, 7), (5, 4, 7, 7)])  # channel-major, channels-last
def test_conv2d_unfolds_again_when_columns_are_too_big_to_keep(rng, monkeypatch, x_shape):
    x, w = _conv_inputs(rng, x_shape, (3, x_shape[1], 3, 3))

    def weight_grad():
        weight = cr.tensor(w, requires_grad=True)
        out = F.conv2d(cr.tensor(x), weight, stride=2, padding=1)
        (out * np.arange(out.size).reshape(out.shape)).sum().backward()
        return weight.grad.data

    kept = weight_grad()
    monkeypatch.setattr(cpu_conv, "_KEPT_COLUMNS_MAX_BYTES", 0)
    monkeypatch.setattr(cpu_conv, "_CHUNK_BYTES", 1)  # one sample per chunk
    np.testing.assert_allclose(weight_grad(), kept, rtol=1e-12)


@pytest.mark.parametrize("to", ["channels_last", "channel_major", "sample_major"])
@pytest.mark.parametrize("source", ["channels_last", "channel_major", "sample_major"])
@pytest.mark.parametrize("sample_bytes", [0, 1 << 30])  # through sample-major memory, or not
def test_reorder_copies_between_every_pair_of_memory_orders(
    rng, monkeypatch, source, to, sample_bytes
):
    monkeypatch.setattr(cpu_conv, "_REORDER_SAMPLE_MIN_BYTES", sample_bytes)
    orders = {
        "channels_last": (0, 2, 3, 1),
        "channel_major": (1, 0, 2, 3),
        "sample_major": (0, 1, 2, 3),
    }

    def laid_out(array, order):  # an (N, C, H, W) view of memory in the given order
        return np.ascontiguousarray(array.transpose(order)).transpose(np.argsort(order))

    x = laid_out(rng.standard_normal((3, 5, 4, 2)), orders[source])
    into = laid_out(np.zeros(x.shape), orders[to])
    cpu_conv._reorder(x, into)
    np.testing.assert_array_equal(into, x)


def test_conv2d_input_gradient_of_large_samples_matches_small_ones(rng, monkeypatch):
    x, w = _conv_inputs(rng, (2, 8, 9, 9), (4, 8, 3, 3))

    def input_grad():
        image = cr.tensor(x, requires_grad=True)
        out = F.conv2d(image, cr.tensor(w), padding=1)
        (out * np.arange(out.size).reshape(out.shape)).sum().backward()
        return image.grad.data

    direct = input_grad()
    monkeypatch.setattr(cpu_conv, "_REORDER_SAMPLE_MIN_BYTES", 0)  # through sample-major memory
    np.testing.assert_array_equal(input_grad(), direct)


def test_conv2d_keeps_float32(rng):
    x = cr.tensor(rng.standard_normal((2, 4, 6, 6)).astype(np.float32), requires_grad=True)
    w = cr.tensor(rng.standard_normal((3, 4, 3, 3)).astype(np.float32), requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == np.float32


def test_conv2d_accepts_any_input_layout(rng):
    x, w = _conv_inputs(rng, (3, 5, 6, 6), (2, 5, 3, 3))
    strided = np.asfortranarray(x)
    np.testing.assert_allclose(
        F.conv2d(cr.tensor(strided), cr.tensor(w)).data,
        F.conv2d(cr.tensor(x), cr.tensor(w)).data,
        rtol=1e-12,
    )


def test_conv2d_wrong_channel_count_names_conv2d_and_shapes():
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels but weight expects 2.*"):
        F.conv2d(cr.zeros((1, 3, 5, 5)), cr.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"\(1, 3, 5, 5\).*\(4, 2, 3, 3\)"):
        F.conv2d(cr.zeros((1, 3, 5, 5)), cr.zeros((4, 2, 3, 3)))


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "fragment"),
    [
        ((5, 5), (2, 3, 3, 3), {}, r"conv2d: input must be 4-D \(N, C, ...\) or 3-D .*got shape"),
        ((1, 3, 5, 5), (2, 3, 3), {}, "conv2d: weight must be 4-D"),
        ((1, 3, 2, 2), (2, 3, 3, 3), {}, r"conv2d: kernel \(3, 3\) is larger than the padded"),
        ((1, 3, 5, 5), (2, 3, 3, 3), {"stride": 0}, "conv2d: stride must be an int >= 1"),
        ((1, 3, 5, 5), (2, 3, 3, 3), {"padding": -1}, "conv2d: padding must be an int >= 0"),
    ],
)
def test_conv2d_bad_arguments_raise(x_shape, w_shape, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        F.conv2d(cr.zeros(x_shape), cr.zeros(w_shape), **kwargs)


def test_conv2d_bias_of_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"conv2d: bias of shape \(3,\), expected \(2,\)"):
        F.conv2d(cr.zeros((1, 1, 4, 4)), cr.zeros((2, 1, 3, 3)), cr.zeros(3))


# ---------------------------------------------------------------------- pooling
@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), POOL_CASES)
def test_max_pool2d_backward(rng, x_shape, kernel, stride, padding):
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape) / 7.0  # distinct: no ties
    check_grad(lambda x: F.max_pool2d(x, kernel, stride, padding), x)


@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), POOL_CASES)
def test_avg_pool2d_backward(rng, x_shape, kernel, stride, padding):
    x = rng.standard_normal(x_shape)
    check_grad(lambda x: F.avg_pool2d(x, kernel, stride, padding), x)


def test_max_pool2d_forward_values():
    x = cr.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(F.max_pool2d(x, 2).data, [[[[5.0, 7.0], [13.0, 15.0]]]])
    np.testing.assert_array_equal(F.max_pool2d(x, 3, 1).data, [[[[10.0, 11.0], [14.0, 15.0]]]])


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 1)])
def test_max_pool2d_without_grad_gives_the_same_result(rng, kernel, stride):
    # with grad, disjoint windows are copied for backward; without, they stay strided views.
    # x is stored channel-major, as a convolution returns it.
    x = cr.tensor(rng.standard_normal((3, 2, 6, 6)).transpose(1, 0, 2, 3))
    recorded = F.max_pool2d(x, kernel, stride)
    with cr.no_grad():
        unrecorded = F.max_pool2d(x, kernel, stride)
    np.testing.assert_array_equal(unrecorded.data, recorded.data)
    assert unrecorded.data.strides == recorded.data.strides


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum():
    x = cr.tensor(np.zeros((1, 1, 2, 4)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_max_pool2d_overlapping_ties_accumulate_per_window():
    x = cr.tensor(np.zeros((1, 1, 3, 3)), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()  # four windows, each picks its top-left
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool2d_and_relu_commute_in_values_and_gradients(rng):
    """The CNN recipe pools before its ReLU: the same values and gradients as after, ties too."""
    values = rng.integers(-2, 3, size=(3, 2, 6, 6)).astype(np.float64)  # many ties and zeros
    upstream = cr.tensor(rng.standard_normal((3, 2, 3, 3)))

    def pool(t):
        return F.max_pool2d(t, 2)

    results = []
    for first, then in [(F.relu, pool), (pool, F.relu)]:
        x = cr.tensor(values, requires_grad=True)
        y = then(first(x))
        (y * upstream).sum().backward()
        results.append((y.data, x.grad.data))
    (relu_first, relu_first_grad), (pool_first, pool_first_grad) = results
    np.testing.assert_array_equal(pool_first, relu_first)
    np.testing.assert_array_equal(pool_first_grad, relu_first_grad)
    assert (relu_first_grad != 0).any() and (relu_first_grad == 0).any()


def test_max_pool2d_padding_is_never_the_maximum():
    x = cr.tensor(-np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(F.max_pool2d(x, 2, 2, padding=1).data, -np.ones((1, 1, 2, 2)))


def test_avg_pool2d_forward_values():
    x = cr.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(F.avg_pool2d(x, 2).data, [[[[2.5, 4.5], [10.5, 12.5]]]])


def test_pool_odd_size_drops_the_ragged_edge():
    x = cr.tensor(np.ones((1, 1, 5, 5)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert F.max_pool2d(x, 2).shape == (1, 1, 2, 2)
    assert x.grad.data[0, 0, 4].sum() == 0 and x.grad.data[0, 0, :, 4].sum() == 0


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pool_errors_name_the_op(pool):
    name = pool.__name__
    with pytest.raises(ValueError, match=rf"{name}: input must be 4-D"):
        pool(cr.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match=rf"{name}: kernel_size must be an int >= 1"):
        pool(cr.zeros((1, 1, 4, 4)), 0)
    with pytest.raises(ValueError, match=rf"{name}: padding \(2, 2\) must be at most half"):
        pool(cr.zeros((1, 1, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match=rf"{name}: kernel \(5, 5\) is larger"):
        pool(cr.zeros((1, 1, 4, 4)), 5)


# ---------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 5), (1, 2, 3, 3)])
def test_batch_norm_training_backward(rng, shape):
    x = rng.standard_normal(shape)
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    check_grad(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, weight, bias)


@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 4, 5)])
def test_batch_norm_eval_backward(rng, shape):
    x = rng.standard_normal(shape)
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    mean, var = rng.standard_normal(shape[1]), rng.uniform(0.5, 2, shape[1])
    check_grad(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False), x, weight, bias)


def test_batch_norm_training_normalises_each_channel(rng):
    x = cr.tensor(rng.normal(3.0, 2.0, (16, 4, 5, 5)))
    out = F.batch_norm(x, None, None, training=True).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-4)


def test_batch_norm_updates_running_stats_with_unbiased_variance(rng):
    x = rng.standard_normal((8, 3))
    mean, var = np.zeros(3), np.ones(3)
    F.batch_norm(cr.tensor(x), mean, var, training=True, momentum=0.25)
    np.testing.assert_allclose(mean, 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(var, 0.75 + 0.25 * x.var(axis=0, ddof=1))


def test_batch_norm_eval_uses_running_stats_and_leaves_them(rng):
    x = rng.standard_normal((5, 2))
    mean, var = np.array([1.0, -1.0]), np.array([4.0, 0.25])
    out = F.batch_norm(cr.tensor(x), mean, var, training=False, eps=0.0).data
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var))
    np.testing.assert_array_equal(mean, [1.0, -1.0])


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="batch_norm: expected more than 1 value per channel"):
        F.batch_norm(cr.zeros((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: weight of shape \(2,\) does not match"):
        F.batch_norm(cr.zeros((4, 3)), None, None, cr.ones(2), training=True)
    with pytest.raises(ValueError, match="batch_norm: evaluation .* needs running_mean"):
        F.batch_norm(cr.zeros((4, 3)), None, None, training=False)


def test_batchnorm2d_module_train_then_eval(rng):
    layer = nn.BatchNorm2d(3)
    x = rng.normal(2.0, 3.0, (4, 3, 5, 5)).astype(np.float32)
    for _ in range(3):
        layer(cr.tensor(x))
    expected_mean = (1 - 0.9**3) * x.mean(axis=(0, 2, 3))
    np.testing.assert_allclose(layer.running_mean, expected_mean, rtol=1e-5)
    layer.eval()
    out = layer(cr.tensor(x)).data
    expected = (x - layer.running_mean[:, None, None]) / np.sqrt(
        layer.running_var[:, None, None] + 1e-5
    )
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_batchnorm_buffers_are_in_the_state_dict_and_round_trip():
    layer = nn.BatchNorm1d(4)
    layer(cr.randn(8, 4, seed=0))
    state = {k: v.copy() for k, v in layer.state_dict().items()}
    assert set(state) == {"weight", "bias", "running_mean", "running_var"}
    fresh = nn.BatchNorm1d(4)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.running_var, state["running_var"])


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (nn.BatchNorm2d(3), (2, 3, 4)),
        (nn.BatchNorm2d(3), (2, 4, 2, 2)),
        (nn.BatchNorm1d(3), (2, 4)),
    ],
)
def test_batchnorm_module_checks_its_input(layer, shape):
    with pytest.raises(ValueError, match=f"{type(layer).__name__}: expected input"):
        layer(cr.zeros(shape))


# ---------------------------------------------------------------------- dropout
def test_dropout_keeps_or_scales_each_element(rng):
    x = cr.tensor(rng.uniform(1, 2, (200, 50)))
    out = F.dropout(x, 0.3, rng=np.random.default_rng(0)).data
    kept = out != 0
    np.testing.assert_allclose(out[kept], x.data[kept] / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02


def test_dropout_backward_is_the_same_mask(rng):
    x = cr.tensor(rng.uniform(1, 2, (10, 10)), requires_grad=True)
    out = F.dropout(x, 0.5, rng=np.random.default_rng(1))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, (out.data != 0) * 2.0)


def test_dropout_same_seed_same_mask():
    x = cr.ones((4, 8))
    a = F.dropout(x, 0.5, rng=np.random.default_rng(3)).data
    b = F.dropout(x, 0.5, rng=np.random.default_rng(3)).data
    np.testing.assert_array_equal(a, b)


def test_dropout_default_generator_follows_manual_seed():
    x = cr.ones((4, 8))
    nn.init.manual_seed(5)
    a = F.dropout(x).data
    nn.init.manual_seed(5)
    np.testing.assert_array_equal(F.dropout(x).data, a)


def test_dropout_module_seed_and_eval_identity():
    x = cr.ones((3, 6))
    a, b = nn.Dropout(0.5, seed=7), nn.Dropout(0.5, seed=7)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert a.eval()(x) is x


@pytest.mark.parametrize(("p", "training", "expected"), [(0.0, True, 1.0), (1.0, True, 0.0)])
def test_dropout_edge_probabilities(p, training, expected):
    np.testing.assert_array_equal(F.dropout(cr.ones((2, 3)), p, training).data, expected)


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match=r"dropout: p must lie in \[0, 1\], got 1.5"):
        F.dropout(cr.ones(3), 1.5)
    with pytest.raises(ValueError, match="Dropout: p must lie"):
        nn.Dropout(-0.1)


# ---------------------------------------------------------------------- modules
def test_conv2d_module_shapes_and_repr():
    layer = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    assert layer.weight.shape == (8, 3, 3, 3) and layer.bias.shape == (8,)
    assert layer(cr.zeros((2, 3, 9, 9))).shape == (2, 8, 5, 5)
    assert "kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)" in repr(layer)


def test_conv2d_module_without_bias():
    layer = nn.Conv2d(1, 2, (2, 3), bias=False)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer(cr.zeros((1, 1, 4, 4))).shape == (1, 2, 3, 2)


def test_conv2d_module_init_is_seeded_and_bounded():
    nn.init.manual_seed(0)
    a = nn.Conv2d(4, 6, 3)
    nn.init.manual_seed(0)
    b = nn.Conv2d(4, 6, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    bound = 1 / np.sqrt(4 * 3 * 3)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.bias.data).max() <= bound


def test_pool_modules():
    x = cr.zeros((1, 2, 7, 7))
    assert nn.MaxPool2d(2)(x).shape == (1, 2, 3, 3)
    assert nn.MaxPool2d(3, stride=2, padding=1)(x).shape == (1, 2, 4, 4)
    assert nn.AvgPool2d(2, stride=1)(x).shape == (1, 2, 6, 6)


def test_sequential_eval_switches_batchnorm_and_dropout(rng):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Dropout(0.5))
    x = cr.tensor(rng.standard_normal((4, 1, 5, 5)).astype(np.float32))
    model.eval()
    assert not any(m.training for m in model.modules())
    np.testing.assert_array_equal(model(x).data, model(x).data)  # deterministic in eval
    assert model[1].running_mean.tolist() == [0.0, 0.0]  # eval does not update the stats
