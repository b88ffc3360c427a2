"""Modules: parameter discovery, state dicts, train/eval, Linear, Sequential and nn.init."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import init


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)

    def forward(self, x):
        return self.out(self.hidden(x).tanh())


class Scaled(nn.Module):
    """A module with a bare Parameter, a list of modules and a nested module."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.blocks = [nn.Linear(4, 4), nn.Linear(4, 2, bias=False)]
        self.head = TwoLayer()
        self.not_a_param = cr.tensor([1.0], requires_grad=True)
        self.note = "plain attribute"

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x) * self.scale


def _names(module):
    return [name for name, _ in module.named_parameters()]


# ---------------------------------------------------------------------- discovery
def test_module_parameters_from_attributes():
    assert _names(TwoLayer()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def test_module_parameters_lists_and_nesting():
    assert _names(Scaled()) == [
        "scale",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "head.hidden.weight",
        "head.hidden.bias",
        "head.out.weight",
        "head.out.bias",
    ]


def test_module_parameters_are_parameter_objects():
    model = Scaled()
    params = list(model.parameters())
    assert len(params) == 8 and all(isinstance(p, nn.Parameter) for p in params)
    assert model.blocks[1].weight is params[3]


def test_module_shared_parameter_listed_once():
    model = TwoLayer()
    model.tied = model.hidden
    assert _names(model) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def test_module_plain_tensor_is_not_a_parameter():
    assert "not_a_param" not in _names(Scaled())


def test_parameter_requires_grad():
    p = nn.Parameter(np.zeros(3, dtype=np.float32))
    assert p.requires_grad and p.is_leaf


def test_module_forward_backward_reaches_parameters():
    model = TwoLayer()
    model(cr.ones((5, 2))).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


def test_module_zero_grad():
    model = TwoLayer()
    model(cr.ones((5, 2))).sum().backward()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_module_setattr_before_init_raises():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Broken()


# ---------------------------------------------------------------------- state dicts
def test_state_dict_keys_and_shapes():
    state = TwoLayer().state_dict()
    assert {k: v.shape for k, v in state.items()} == {
        "hidden.weight": (3, 2),
        "hidden.bias": (3,),
        "out.weight": (1, 3),
        "out.bias": (1,),
    }


def test_load_state_dict_round_trip():
    source, target = TwoLayer(), TwoLayer()
    target.load_state_dict({k: v.copy() for k, v in source.state_dict().items()})
    x = cr.tensor(np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32))
    np.testing.assert_array_equal(source(x).data, target(x).data)


def test_load_state_dict_copies_in_place():
    model = TwoLayer()
    weight = model.hidden.weight
    model.load_state_dict({k: np.zeros_like(v) for k, v in model.state_dict().items()})
    assert model.hidden.weight is weight and not weight.data.any()


def test_load_state_dict_missing_key_named():
    model = TwoLayer()
    state = model.state_dict()
    del state["out.bias"]
    with pytest.raises(ValueError, match="missing keys \\['out.bias'\\]"):
        model.load_state_dict(state)


def test_load_state_dict_unexpected_key_named():
    model = TwoLayer()
    state = dict(model.state_dict(), extra=np.zeros(1))
    with pytest.raises(ValueError, match="unexpected keys \\['extra'\\]"):
        model.load_state_dict(state)


def test_load_state_dict_shape_mismatch_named():
    model = TwoLayer()
    state = dict(model.state_dict(), **{"hidden.weight": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="hidden.weight: expected \\(3, 2\\), got \\(2, 3\\)"):
        model.load_state_dict(state)


def test_load_state_dict_non_strict_loads_partial():
    model = TwoLayer()
    old_out = model.out.weight.data.copy()
    model.load_state_dict({"hidden.bias": np.full(3, 7.0), "unknown": np.zeros(2)}, strict=False)
    np.testing.assert_array_equal(model.hidden.bias.data, [7.0, 7.0, 7.0])
    np.testing.assert_array_equal(model.out.weight.data, old_out)


def test_load_state_dict_non_strict_still_checks_shapes():
    model = TwoLayer()
    with pytest.raises(ValueError, match="out.bias"):
        model.load_state_dict({"out.bias": np.zeros(2)}, strict=False)


# ---------------------------------------------------------------------- train / eval
def test_module_train_eval_propagates():
    model = Scaled()
    model.eval()
    assert [m.training for m in model.modules()] == [False] * 6
    model.train()
    assert all(m.training for m in model.modules())


def test_module_eval_returns_self():
    model = TwoLayer()
    assert model.eval() is model and model.training is False


# ---------------------------------------------------------------------- Linear
def test_linear_shapes():
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    assert layer(cr.ones((5, 4))).shape == (5, 3)


def test_linear_leading_dims_kept():
    assert nn.Linear(4, 3)(cr.ones((2, 5, 4))).shape == (2, 5, 3)


def test_linear_matches_numpy():
    layer = nn.Linear(4, 3)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(cr.tensor(x)).data, expected, rtol=1e-6)


def test_linear_no_bias():
    layer = nn.Linear(4, 3, bias=False)
    assert layer.bias is None and _names(layer) == ["weight"]
    x = np.arange(8.0, dtype=np.float32).reshape(2, 4)
    out = layer(cr.tensor(x))
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, np.tile(x.sum(0), (3, 1)), rtol=1e-6)


def test_linear_init_bounds():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound  # fills the range, not a tiny slice


def test_linear_float32_parameters():
    layer = nn.Linear(2, 2)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32


def test_linear_repr():
    assert repr(nn.Linear(4, 3)) == "Linear(in_features=4, out_features=3, bias=True)"


def test_linear_wrong_input_raises():
    with pytest.raises(ValueError, match=r"linear: input of shape \(5, 3\)"):
        nn.Linear(4, 3)(cr.ones((5, 3)))


def test_linear_bad_features_raises():
    with pytest.raises(ValueError, match="in_features=0"):
        nn.Linear(0, 3)


# ---------------------------------------------------------------------- Sequential
def _sequential():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def test_sequential_indexing():
    model = _sequential()
    assert isinstance(model[0], nn.Linear) and isinstance(model[1], nn.ReLU)
    assert model[-1].out_features == 2 and len(model) == 3


def test_sequential_forward_in_order():
    model = _sequential()
    x = cr.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    np.testing.assert_array_equal(model(x).data, model[2](model[1](model[0](x))).data)


def test_sequential_parameter_names():
    assert _names(_sequential()) == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.weight",
        "layers.2.bias",
    ]


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="expected Modules"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


def test_activation_modules():
    x = cr.tensor(np.array([-1.0, 0.5]))
    np.testing.assert_allclose(nn.ReLU()(x).data, [0.0, 0.5])
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh([-1.0, 0.5]))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp([1.0, -0.5])))


def test_flatten_module():
    assert nn.Flatten()(cr.zeros((2, 3, 4))).shape == (2, 12)


# ---------------------------------------------------------------------- what the loaders give
LAYERS = {
    "Linear": (lambda: nn.Linear(6, 3), (4, 6)),
    "ReLU": (nn.ReLU, (4, 6)),
    "Sigmoid": (nn.Sigmoid, (4, 6)),
    "Tanh": (nn.Tanh, (4, 6)),
    "Flatten": (nn.Flatten, (2, 3, 4, 4)),
    "Dropout": (nn.Dropout, (4, 6)),
    "Sequential": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(48, 2), nn.ReLU()), (2, 3, 4, 4)),
    "Conv2d": (lambda: nn.Conv2d(3, 2, 3, padding=1), (2, 3, 4, 4)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 3, 4, 4)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 3, 4, 4)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(6), (4, 6)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    # activations (the loss modules take a target too: tests/test_activations_losses.py)
    **{
        name: (getattr(nn, name), (4, 6))
        for name in (
            "GELU SiLU ELU CELU SELU LeakyReLU ReLU6 Hardtanh Hardsigmoid Hardswish Mish Softsign "
            "LogSigmoid Softmin Softplus Softmax LogSoftmax"
        ).split()
    },
    "Conv1d": (lambda: nn.Conv1d(3, 2, 3, groups=1, padding="same"), (2, 3, 5)),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(3, 2, 3, stride=2), (2, 3, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2), (2, 3, 4, 4)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2, ceil_mode=True), (2, 3, 5)),
    "AvgPool1d": (lambda: nn.AvgPool1d(2), (2, 3, 5)),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(2), (2, 3, 5)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(3), (2, 3, 4, 4)),
    "AdaptiveMaxPool1d": (lambda: nn.AdaptiveMaxPool1d(2), (2, 3, 5)),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d(3), (2, 3, 4, 4)),
    "Unfold": (lambda: nn.Unfold(2), (2, 3, 4, 4)),
    "Fold": (lambda: nn.Fold((3, 3), 2), (2, 12, 4)),
    "Dropout1d": (nn.Dropout1d, (2, 3, 5)),
    "Dropout2d": (nn.Dropout2d, (2, 3, 4, 4)),
    "Dropout3d": (nn.Dropout3d, (2, 3, 2, 2, 2)),
    "AlphaDropout": (nn.AlphaDropout, (4, 6)),
    "FeatureAlphaDropout": (nn.FeatureAlphaDropout, (2, 3, 4, 4)),
    "LayerNorm": (lambda: nn.LayerNorm(6), (4, 6)),
    "GroupNorm": (lambda: nn.GroupNorm(3, 3), (2, 3, 4, 4)),
    "Identity": (nn.Identity, (4, 6)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (4, 6)),
    "Upsample": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4, 4)),
    "UpsamplingNearest2d": (lambda: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 4, 4)),
    "UpsamplingBilinear2d": (lambda: nn.UpsamplingBilinear2d((5, 5)), (2, 3, 4, 4)),
}
# Containers have no forward; these layers take int indices (tests/test_layers_more.py).
NOT_ON_FLOAT_ARRAYS = {"Module", "ModuleList", "ModuleDict", "Embedding", "MaxUnpool1d"}
NOT_ON_FLOAT_ARRAYS |= {"MaxUnpool2d"}
# Recurrent layers return (output, state) tuples: tests/test_recurrent.py feeds them arrays.
NOT_ON_FLOAT_ARRAYS |= {"RNNBase", "RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"}
NOT_ON_FLOAT_ARRAYS |= {"MultiheadAttention"}  # (q, k, v) -> (out, weights): test_attention.py
LOSSES = set(  # they take a target too: tests/test_activations_losses.py
    "BCELoss BCEWithLogitsLoss CrossEntropyLoss HuberLoss KLDivLoss L1Loss MSELoss NLLLoss "
    "SmoothL1Loss".split()
)


def test_layer_table_covers_every_layer():
    classes = {name: getattr(nn, name) for name in nn.__all__}
    layers = {n for n, c in classes.items() if isinstance(c, type) and issubclass(c, nn.Module)}
    assert layers - NOT_ON_FLOAT_ARRAYS - LOSSES == set(LAYERS)


@pytest.mark.parametrize("kind", ["ndarray", "list"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_takes_arrays_as_tensors(name, kind, rng):
    make, shape = LAYERS[name]
    layer = make()
    x = rng.standard_normal(shape).astype(np.float32)
    init.manual_seed(0)  # Dropout: the same mask for both calls
    expected = layer(cr.Tensor(x))
    init.manual_seed(0)
    out = layer(x if kind == "ndarray" else x.tolist())
    assert isinstance(out, cr.Tensor) and out.dtype == np.float32 and out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected.data)


def test_pytorch_quickstart_model_on_a_raw_mnist_batch():
    from chainrule.data import DataLoader, TensorDataset, load_mnist

    images, labels = load_mnist(train=False)
    loader = DataLoader(TensorDataset(images[:64], labels[:64]), batch_size=32)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 512),
        nn.ReLU(),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Linear(512, 10),
    )
    x, y = next(iter(loader))
    assert type(x) is np.ndarray and x.shape == (32, 1, 28, 28)
    logits = model(x)
    assert logits.shape == (32, 10)
    np.testing.assert_array_equal(logits.data, model(cr.Tensor(x)).data)
    loss = nn.functional.cross_entropy(logits, y)
    assert abs(loss.item() - math.log(10)) < 0.2  # an untrained model guesses uniformly
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


# ---------------------------------------------------------------------- init
def _big(shape=(500, 800)):
    return cr.tensor(np.zeros(shape, dtype=np.float64))


def test_init_fans_linear():
    assert init._fans(_big((30, 20))) == (20, 30)


def test_init_fans_conv_weight():
    assert init._fans(_big((16, 8, 3, 3))) == (8 * 9, 16 * 9)


def test_init_fans_1d_raises():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(_big((5,)))


def test_init_xavier_uniform_std_and_bound():
    t = init.xavier_uniform_(_big(), rng=np.random.default_rng(0))
    bound = math.sqrt(6 / (800 + 500))
    assert np.abs(t.data).max() <= bound
    assert t.data.std() == pytest.approx(math.sqrt(2 / (800 + 500)), rel=0.02)


def test_init_xavier_normal_std():
    t = init.xavier_normal_(_big(), gain=2.0, rng=np.random.default_rng(0))
    assert t.data.std() == pytest.approx(2.0 * math.sqrt(2 / 1300), rel=0.02)


def test_init_kaiming_normal_std():
    t = init.kaiming_normal_(_big(), rng=np.random.default_rng(0))
    assert t.data.std() == pytest.approx(math.sqrt(2 / 800), rel=0.02)
    assert abs(t.data.mean()) < 1e-3


def test_init_kaiming_normal_conv_fan_in():
    t = init.kaiming_normal_(_big((64, 32, 3, 3)), rng=np.random.default_rng(0))
    assert t.data.std() == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.02)


def test_init_kaiming_uniform_bound():
    t = init.kaiming_uniform_(_big(), rng=np.random.default_rng(0))
    bound = math.sqrt(6 / 800)
    assert np.abs(t.data).max() <= bound and np.abs(t.data).max() > 0.99 * bound


def test_init_zeros_in_place():
    t = cr.tensor(np.ones((3, 2)))
    data = t.data
    assert init.zeros_(t) is t and t.data is data and not data.any()


def test_init_seeded_rng_reproducible():
    a = init.kaiming_normal_(_big((4, 4)), rng=np.random.default_rng(0))
    b = init.kaiming_normal_(_big((4, 4)), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.data, b.data)


# ---------------------------------------------------------------------- cr.manual_seed
def _random_draws():
    from chainrule.data import DataLoader, TensorDataset

    layer = nn.Linear(4, 3)
    mask = nn.Dropout(0.5)(cr.ones((2, 8)))
    loader = DataLoader(TensorDataset(np.arange(20)), batch_size=5, shuffle=True)
    orders = [batch[0] for _ in range(2) for batch in loader]
    return [layer.weight.data, layer.bias.data, mask.data, cr.randn(5).data, *orders]


def test_manual_seed_repeats_init_dropout_randn_and_loaders():
    cr.manual_seed(0)
    first = _random_draws()
    cr.manual_seed(0)
    again = _random_draws()
    cr.manual_seed(1)
    other = _random_draws()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not any(np.array_equal(a, c) for a, c in zip(first[:4], other[:4]))
    assert not all(np.array_equal(a, c) for a, c in zip(first[4:], other[4:]))


def test_manual_seed_is_exported_and_returns_the_generator():
    assert "manual_seed" in cr.__all__ and cr.manual_seed is init.manual_seed
    generator = cr.manual_seed(3)
    assert generator is init._rng and isinstance(generator, np.random.Generator)
    assert generator.random() == np.random.default_rng(3).random()


@pytest.mark.parametrize("seed, error", [(0.5, TypeError), (None, TypeError), (-1, ValueError)])
def test_manual_seed_rejects_non_seeds(seed, error):
    with pytest.raises(error, match="manual_seed: seed must be"):
        cr.manual_seed(seed)


# ---------------------------------------------------------------------- forward hooks
def test_forward_pre_hook_replaces_args_and_forward_hook_replaces_output():
    layer = nn.ReLU()
    seen = []
    layer.register_forward_pre_hook(lambda module, args: (args[0] - 1,))
    layer.register_forward_hook(lambda module, args, out: seen.append(out.tolist()))
    layer.register_forward_hook(lambda module, args, out: out * 10)
    out = layer(cr.tensor([0.5, 3.0]))
    assert seen == [[0.0, 2.0]]  # hooks run in registration order, after the pre-hook
    assert out.tolist() == [0.0, 20.0]


def test_forward_hook_with_kwargs_sees_keywords():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    calls = []
    module = Scale()
    module.register_forward_hook(
        lambda m, args, kwargs, out: calls.append((kwargs, out.item())), with_kwargs=True
    )
    module(cr.tensor(2.0), factor=3.0)
    assert calls == [({"factor": 3.0}, 6.0)]


def test_forward_hook_handle_removes_and_leaves_no_cost():
    layer = nn.Linear(2, 1)
    handle = layer.register_forward_hook(lambda module, args, out: out * 0)
    assert layer(cr.ones((1, 2))).item() == 0.0
    handle.remove()
    assert "forward" not in layer.__dict__  # module(x) is the class's forward again
    assert layer(cr.ones((1, 2))).item() != 0.0
    with layer.register_forward_pre_hook(lambda module, args: None):
        assert "forward" in layer.__dict__
    assert "forward" not in layer.__dict__
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_capture_uses_hooks_and_leaves_module_class_alone():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    call = nn.Module.__call__
    with cr.viz.capture(model) as modules:
        assert nn.Module.__call__ is call
        out = model(cr.ones((1, 2)))
    assert modules.owner(out) == "layers.1"
    assert all("forward" not in m.__dict__ for m in model.modules())
