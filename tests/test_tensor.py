"""Engine tests: tensor creation, the graph walk, freeing, no_grad, double backward, Functions."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.backends import unbroadcast


def _f64(values, requires_grad=True):
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


class Square(cr.Function):
    """The README's user-defined Function, verbatim in shape: save on self, return one grad."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return 2 * self.x * gy


class MulPair(cr.Function):
    """A two-input node like a hand-written multiply layer: backward returns a tuple."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return gy * self.b, gy * self.a


class BroadcastMul(cr.Function):
    """A two-input node that undoes broadcasting itself, as the primitives do."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return unbroadcast(gy * self.b, self.a.shape), unbroadcast(gy * self.a, self.b.shape)


# ---------------------------------------------------------------------- creation
def test_tensor_python_floats_are_float32():
    assert cr.tensor([1.0, 2.0]).dtype == np.float32


def test_tensor_python_float_scalar_is_float32():
    assert cr.tensor(0.5).dtype == np.float32


def test_tensor_float64_ndarray_keeps_dtype():
    assert cr.tensor(np.array([1.0, 2.0])).dtype == np.float64


def test_tensor_python_ints_are_int64():
    assert cr.tensor([[1, 2], [3, 4]]).dtype == np.int64


def test_tensor_explicit_dtype_wins():
    assert cr.tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_tensor_int_requires_grad_raises():
    with pytest.raises(ValueError, match="floating-point"):
        cr.tensor([1, 2, 3], requires_grad=True)


def test_tensor_properties():
    t = cr.tensor(np.zeros((2, 3)))
    assert (t.shape, t.ndim, t.size, t.requires_grad, t.grad) == ((2, 3), 2, 6, False, None)


def test_tensor_zeros_ones_randn():
    assert cr.zeros((2, 3)).data.sum() == 0 and cr.ones(4).data.sum() == 4
    np.testing.assert_array_equal(cr.randn(3, 2, seed=1).data, cr.randn(3, 2, seed=1).data)


# ---------------------------------------------------------------------- graph walk
def test_backward_diamond_accumulates():
    x = _f64(3.0)
    (x * x + x).backward()
    assert x.grad.item() == 7.0  # d(x^2 + x)/dx = 2x + 1


def test_backward_diamond_through_shared_intermediate():
    x = _f64([1.0, 2.0])
    h = x * 3.0
    (h * h + h).sum().backward()  # d/dx = (2h + 1) * 3
    np.testing.assert_allclose(x.grad.data, [21.0, 39.0])


# The plain backward counts a node's consumers as the forward records them; these graphs have
# consumers off the walk, so the engine must recount rather than wait for them forever.
def test_backward_with_a_recorded_metric_off_the_walk():
    x = _f64([1.0, 2.0])
    h = x * 3.0
    metric = h.sum()  # recorded on the graph, never backpropagated
    (h * h).sum().backward()  # d/dx = 2h * 3
    np.testing.assert_allclose(x.grad.data, [18.0, 36.0])
    assert metric.requires_grad


def test_backward_through_nodes_each_waiting_for_an_off_walk_consumer():
    x = _f64([0.5, -1.0])
    a = x * 2.0
    b = a.tanh()
    _ = a + 1.0, b + 1.0  # a and b each get a consumer off the walk
    (b.exp().sum() + b.sum()).backward()  # d/dx = (e^b + 1) (1 - b^2) * 2
    b0 = np.tanh(2.0 * np.array([0.5, -1.0]))
    np.testing.assert_allclose(x.grad.data, (np.exp(b0) + 1) * (1 - b0**2) * 2)


def test_backward_of_two_losses_sharing_a_trunk_one_after_the_other():
    x = _f64([0.3, 0.7])
    h = x.tanh()
    first, second = h.sum(), (h * h).sum()
    first.backward(retain_graph=True)  # h's second consumer is on the other loss's walk
    second.backward()
    t = np.tanh([0.3, 0.7])
    np.testing.assert_allclose(x.grad.data, (1 - t**2) * (1 + 2 * t))


def test_backward_after_a_consumer_was_dropped():
    x = _f64([1.0, 2.0])
    y = x.exp()
    dropped = y * 3.0
    del dropped
    (y * y).sum().backward()  # d/dx = 2 e^(2x)
    np.testing.assert_allclose(x.grad.data, 2 * np.exp(2 * np.array([1.0, 2.0])))


def test_backward_long_chain_no_recursion_error():
    x = _f64(1.0)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001**20_000, rtol=1e-10)


def test_backward_each_node_called_once():
    calls = []

    class Counted(cr.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, gy):
            calls.append(type(self).__name__)
            return 2 * self.x * gy

    x = _f64(2.0)
    h = Counted()(x)
    (h * 3.0 + h * 5.0).backward()  # h feeds two consumers: still one backward call
    assert calls == ["Counted"]
    assert x.grad.item() == 32.0  # 8 * 2x


def test_backward_one_grad_array_for_several_inputs():
    class Sum3(cr.Function):
        def forward(self, a, b, c):
            return a + b + c

        def backward(self, gy):
            g = gy * 1.0  # one fresh array handed to all three inputs
            return g, g, g

    x = _f64([1.0])
    Sum3()(x, x * 5.0, x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0 + 5.0 + 3.0])


def test_backward_grad_accumulates_across_calls():
    x = _f64([1.0, -2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0 + 3.0, -4.0 + 3.0])


def test_backward_twice_without_retain_graph_raises():
    x = _f64(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_retain_graph_doubles_grad():
    x = _f64(2.0)
    y = x * x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 24.0  # 2 * 3x^2


def test_backward_releases_saved_arrays_and_keeps_structure():
    x = _f64([1.0, 2.0])
    y = x * x
    ctx = y._ctx
    assert ctx.saved and not ctx.released
    y.sum().backward()
    assert ctx.released and ctx.saved is None
    assert ctx.inputs[0] is x and ctx.inputs[1] is x  # kept, so the graph can be drawn


def test_backward_frees_user_function_state():
    x = _f64(3.0)
    y = Square()(x)
    ctx = y._ctx
    y.backward()
    assert not hasattr(ctx, "x") and ctx.released


def test_backward_releases_big_saved_buffer():
    rng = np.random.default_rng(0)
    logits = cr.tensor(rng.standard_normal((1000, 1000)), requires_grad=True)
    loss = F.cross_entropy(logits, np.zeros(1000, dtype=np.int64))
    ref = weakref.ref(loss._ctx.saved[0])  # the log-probabilities: saved, not a value
    loss.backward()
    gc.collect()
    assert ref() is None


def test_graph_values_are_freed_with_the_result():
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal(1_000_000), requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h.data)
    loss = (h * h).sum()
    del h
    loss.backward()
    gc.collect()
    assert ref() is not None  # the graph's values outlive backward, for drawing
    del loss
    gc.collect()
    assert ref() is None


def test_backward_leaf_seed_is_one():
    x = _f64(5.0)
    x.backward()
    assert x.grad.item() == 1.0


# ---------------------------------------------------------------------- no_grad, needs_grad
def test_no_grad_builds_no_graph():
    x = _f64([1.0, 2.0])
    with cr.no_grad():
        y = x * 2 + 1
    assert y._ctx is None and y.requires_grad is False


def test_no_grad_restores_mode():
    with cr.no_grad():
        assert not cr.grad_enabled()
    assert cr.grad_enabled()


def test_enable_grad_inside_no_grad_records():
    x = _f64(1.0)
    with cr.no_grad(), cr.enable_grad():
        y = x * 2
    assert y._ctx is not None


def test_no_input_requiring_grad_records_nothing():
    y = Square()(cr.tensor(np.array([1.0, 2.0])))
    assert y._ctx is None and y.requires_grad is False


def test_backward_needs_grad_seen_by_user_function():
    seen = []

    class Recording(MulPair):
        def backward(self, gy):
            seen.append(self.needs_grad)
            return super().backward(gy)

    a = _f64([1.0, 2.0])
    b = _f64([3.0, 4.0], requires_grad=False)
    Recording()(a, b).sum().backward()
    assert seen == [(True, False)]
    assert b.grad is None
    np.testing.assert_allclose(a.grad.data, [3.0, 4.0])


def test_backward_skips_branch_without_grad():
    calls = []

    class Counted(cr.Function):
        def forward(self, x):
            return x + 1

        def backward(self, gy):
            calls.append(1)
            return gy

    x = _f64(2.0)
    const = Counted()(cr.tensor(np.array(5.0)))  # no input needs grad: never on the graph
    (x * const).backward()
    assert calls == [] and x.grad.item() == 6.0


def test_backward_goes_on_past_a_node_whose_consumers_gave_no_grad():
    class NoGrad(cr.Function):  # like argmax: differentiable inputs, no gradient sent
        def forward(self, x):
            return x * 0

        def backward(self, gy):
            return None

    x = _f64(3.0)
    hidden = x * 2  # a node that needs grad, reached only through NoGrad and Square
    (NoGrad()(hidden) + Square()(hidden)).backward()
    assert x.grad.item() == 24.0  # d(hidden^2)/dx = 2 * hidden * 2
    y = _f64(3.0)
    NoGrad()(y * 2).backward()  # no gradient reaches y at all
    assert y.grad is None


def test_backward_with_a_grad_count_unlike_the_inputs_names_the_function():
    class OneForTwo(cr.Function):
        def forward(self, a, b):
            return a * b

        def backward(self, gy):
            return (gy,)

    with pytest.raises(RuntimeError, match="OneForTwo.backward returned 1 gradients for 2"):
        OneForTwo()(_f64(1.0), _f64(2.0)).backward()


def test_zero_dimensional_results_hold_arrays_not_numpy_scalars():
    a, b = cr.tensor(np.float64(0.3)), cr.tensor(np.float64(0.5))
    for out in (a * b, a.sum() / 2, -a, a.exp()):
        assert type(out.data) is np.ndarray and out.dtype == np.float64 and out.shape == ()


def test_scalar_constants_keep_their_type_and_the_sign_of_zero():
    x = cr.tensor([1.0, -2.0])
    assert np.signbit((x * -0.0).data).tolist() == [True, False]
    assert np.signbit((x * 0.0).data).tolist() == [False, True]
    assert (cr.tensor([3]) * True).data.tolist() == [3] and (x * True).dtype == np.float32


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor([1.0]).sum().backward()


# ---------------------------------------------------------------------- double backward
def _second_derivative(fn, values):
    x = _f64(values)
    fn(x).sum().backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    return x.data, x.grad.data


def test_double_backward_cube():
    x, second = _second_derivative(lambda t: t**3, [0.5, -1.5, 2.0])
    np.testing.assert_allclose(second, 6 * x, rtol=1e-12)


def test_double_backward_sigmoid():
    x, second = _second_derivative(lambda t: t.sigmoid(), [0.3, -1.2, 2.5])
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(second, s * (1 - s) * (1 - 2 * s), rtol=1e-10)


def test_double_backward_tanh():
    x, second = _second_derivative(lambda t: t.tanh(), [0.3, -1.2, 2.5])
    np.testing.assert_allclose(second, -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-10)


def test_double_backward_exp():
    x, second = _second_derivative(lambda t: t.exp(), [0.3, -1.2, 2.5])
    np.testing.assert_allclose(second, np.exp(x), rtol=1e-12)


def test_double_backward_log():
    x, second = _second_derivative(lambda t: t.log(), [0.3, 1.2, 2.5])
    np.testing.assert_allclose(second, -1 / x**2, rtol=1e-12)


def test_double_backward_first_grad_value():
    x = _f64([0.5, -1.5])
    (x**3).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, 3 * x.data**2)
    assert x.grad.requires_grad


def _mlp_loss(w1, w2, inputs, target):
    hidden = (cr.tensor(inputs) @ w1).tanh()
    return ((hidden @ w2 - cr.tensor(target)) ** 2).mean()


def _mlp_grads(w1_data, w2_data, inputs, target):
    w1 = cr.tensor(w1_data, requires_grad=True)
    w2 = cr.tensor(w2_data, requires_grad=True)
    _mlp_loss(w1, w2, inputs, target).backward()
    return w1.grad.data, w2.grad.data


def test_double_backward_hessian_vector_product():
    rng = np.random.default_rng(0)
    inputs, target = rng.standard_normal((5, 3)), rng.standard_normal(5)
    w1 = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w2 = cr.tensor(rng.standard_normal(4), requires_grad=True)
    v1, v2 = rng.standard_normal((3, 4)), rng.standard_normal(4)

    _mlp_loss(w1, w2, inputs, target).backward(create_graph=True)
    g1, g2 = w1.grad, w2.grad
    w1.grad = w2.grad = None
    ((g1 * v1).sum() + (g2 * v2).sum()).backward()

    eps = 1e-6
    plus = _mlp_grads(w1.data + eps * v1, w2.data + eps * v2, inputs, target)
    minus = _mlp_grads(w1.data - eps * v1, w2.data - eps * v2, inputs, target)
    np.testing.assert_allclose(w1.grad.data, (plus[0] - minus[0]) / (2 * eps), atol=1e-7)
    np.testing.assert_allclose(w2.grad.data, (plus[1] - minus[1]) / (2 * eps), atol=1e-7)


def test_double_backward_user_function_written_with_operators():
    x = _f64(3.0)
    Square()(x).backward(create_graph=True)  # its forward and backward run again on Tensors
    (grad,) = (x.grad,)
    x.grad = None
    grad.backward()
    assert x.grad.item() == 2.0  # d/dx (2x)


class NumpyExp(cr.Function):
    """exp written with np.exp: fine on arrays, not on Tensors."""

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


def test_double_backward_user_function_with_numpy_calls_raises():
    x = _f64(2.0)
    with pytest.raises(NotImplementedError, match="create_graph=True .* runs its forward"):
        NumpyExp()(x).backward(create_graph=True)


# ---------------------------------------------------------------------- user Functions
def test_function_square_forward_backward():
    t = _f64([1.0, -2.0, 3.0])
    y = Square()(t)
    y.sum().backward()
    np.testing.assert_allclose(y.data, [1.0, 4.0, 9.0])
    np.testing.assert_allclose(t.grad.data, [2.0, -4.0, 6.0])


def test_function_square_scalar_float32():
    t = cr.tensor(3.0, requires_grad=True)
    Square()(t).backward()
    assert t.grad.item() == 6.0 and t.grad.dtype == np.float32


def test_function_two_inputs_tuple_grads():
    a, b = _f64([2.0, 3.0]), _f64([5.0, 7.0])
    MulPair()(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [5.0, 7.0])
    np.testing.assert_allclose(b.grad.data, [2.0, 3.0])


def test_function_records_grad_fn():
    y = Square()(_f64(1.0))
    assert isinstance(y._ctx, Square) and "grad_fn=Square" in repr(y)


def test_function_output_broadcast_downstream():
    a = _f64(np.arange(12.0).reshape(3, 4))
    b = _f64([1.0, 2.0, 3.0, 4.0])
    (Square()(b) * a).sum().backward()  # b's square is broadcast over a's 3 rows
    np.testing.assert_allclose(b.grad.data, 2 * b.data * a.data.sum(axis=0))


def test_function_broadcast_inputs_with_unbroadcast():
    a = _f64(np.arange(12.0).reshape(3, 4))
    b = _f64([[1.0], [2.0], [3.0]])
    BroadcastMul()(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, np.broadcast_to(b.data, (3, 4)))
    np.testing.assert_allclose(b.grad.data, a.data.sum(axis=1, keepdims=True))


def test_function_wrong_grad_shape_names_function():
    a, b = _f64(np.ones((3, 4))), _f64(np.ones(4))
    with pytest.raises(AssertionError, match="MulPair"):
        MulPair()(a, b).sum().backward()  # returns a (3, 4) grad for the (4,) input


def test_function_gradcheck():
    assert cr.gradcheck(lambda a, b: MulPair()(a, Square()(b)), [[1.0, -2.0], [0.5, 3.0]])


# ---------------------------------------------------------------------- small API
def test_detach_shares_data_without_graph():
    x = _f64([1.0, 2.0])
    d = (x * 2).detach()
    assert d._ctx is None and d.requires_grad is False
    np.testing.assert_array_equal(d.data, [2.0, 4.0])


def test_item_returns_python_number():
    value = cr.tensor(np.array([2.5])).item()
    assert value == 2.5 and type(value) is float


def test_item_many_elements_raises():
    with pytest.raises(ValueError, match="one-element"):
        cr.tensor([1.0, 2.0]).item()


def test_numpy_is_the_data():
    t = cr.tensor(np.array([1.0, 2.0]))
    assert t.numpy() is t.data


def test_backward_explicit_grad():
    x = _f64([1.0, 2.0, 3.0])
    (x * x).backward(grad=np.array([1.0, 0.5, -1.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, -6.0])


def test_backward_grad_shape_mismatch_raises():
    x = _f64([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\(2,\)"):
        (x * x).backward(grad=np.ones(2))


def test_backward_implicit_grad_non_scalar_raises():
    x = _f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * x).backward()


def test_repr_float32():
    assert repr(cr.tensor([1.0, 2.0])) == "tensor([1., 2.])"


def test_repr_float64_shows_dtype():
    assert repr(cr.tensor(np.array([0.5]))) == "tensor([0.5], dtype=float64)"


def test_repr_requires_grad():
    assert repr(cr.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"


def test_repr_grad_fn():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=Mul)"


def test_repr_int():
    assert repr(cr.tensor([1, 2])) == "tensor([1, 2])"


# ---------------------------------------------------------------------- in place
def test_isub_under_no_grad_trains_like_torch_sgd_by_hand():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, target = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    w0, b0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    w, b = _f64(w0), _f64(b0)
    tw, tb = (torch.tensor(v, requires_grad=True) for v in (w0, b0))
    params, before = [w, b], [id(w), id(b)]
    for _ in range(3):
        ((cr.tensor(x) @ w + b - cr.tensor(target)) ** 2).mean().backward()
        ((torch.tensor(x) @ tw + tb - torch.tensor(target)) ** 2).mean().backward()
        with cr.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
        with torch.no_grad():
            for p in (tw, tb):
                p -= 0.1 * p.grad
                p.grad = None
    assert [id(w), id(b)] == before and params[0] is w and w.requires_grad
    assert not np.allclose(w.data, w0)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-12)


INPLACE = {
    "+=": (lambda t: t.__iadd__(2.0), lambda a: a + 2.0),
    "-=": (lambda t: t.__isub__(cr.tensor([1.0, 2.0, 3.0])), lambda a: a - [1.0, 2.0, 3.0]),
    "*=": (lambda t: t.__imul__(np.array([[2.0], [3.0]])), lambda a: a * [[2.0], [3.0]]),
    "/=": (lambda t: t.__itruediv__(4.0), lambda a: a / 4.0),
    "add_": (lambda t: t.add_(cr.tensor([1.0, 2.0, 3.0]), alpha=-2), lambda a: a - [2, 4, 6]),
    "sub_": (lambda t: t.sub_([1.0, 1.0, 1.0], alpha=0.5), lambda a: a - 0.5),
    "mul_": (lambda t: t.mul_(-1.0), lambda a: -a),
    "div_": (lambda t: t.div_(cr.tensor(2.0)), lambda a: a / 2),
    "clamp_": (lambda t: t.clamp_(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    "clamp_min": (lambda t: t.clamp_(min=0.0), lambda a: np.maximum(a, 0.0)),
    "clamp_max": (lambda t: t.clamp_(max=0.0), lambda a: np.minimum(a, 0.0)),
    "zero_": (lambda t: t.zero_(), np.zeros_like),
    "fill_": (lambda t: t.fill_(7.0), lambda a: np.full_like(a, 7.0)),
    "copy_": (lambda t: t.copy_(cr.tensor([1.0, 2.0, 3.0])), lambda a: a * 0 + [1, 2, 3]),
}


@pytest.mark.parametrize("op", list(INPLACE))
def test_inplace_op_updates_own_array(op):
    apply, expected = INPLACE[op]
    values = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    t = cr.tensor(values)
    array, view = t.data, t.data[1]
    assert apply(t) is t
    assert t.data is array and t.dtype == np.float32 and t.shape == (2, 3)
    np.testing.assert_allclose(t.data, expected(values.astype(np.float64)), rtol=1e-6)
    np.testing.assert_array_equal(view, t.data[1])  # views of the array see the change


def test_inplace_on_a_tensor_view_reaches_its_base():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    row = x[0]
    row += 10
    np.testing.assert_array_equal(x.data, [[11.0, 12.0], [3.0, 4.0]])


def test_inplace_seen_by_the_optimiser():
    import chainrule.optim as optim

    p = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    with cr.no_grad():
        p *= 3
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.data, [3.0 - 3.0, 6.0 - 6.0])


def test_inplace_leaf_requiring_grad_raises_under_grad_mode():
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"-=: a leaf tensor .*`with cr.no_grad\(\):`"):
        p -= 1
    with pytest.raises(RuntimeError, match="zero_: a leaf tensor"):
        p.zero_()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])


def test_inplace_non_leaf_raises_under_grad_mode():
    y = cr.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\+=: .*computed on the graph \(by Mul\).*y = y \+ x"):
        y += 1
    np.testing.assert_array_equal(y.data, [2.0, 4.0])


def test_inplace_operand_requiring_grad_raises_under_grad_mode():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_: an operand requires grad.*y = y \+ x"):
        cr.zeros(2).add_(x)
    with pytest.raises(RuntimeError, match="copy_: an operand requires grad"):
        cr.zeros(2).copy_(x)


def test_inplace_allowed_under_no_grad_on_leaf_and_with_grad_operand():
    p, x = cr.tensor([1.0, 2.0], requires_grad=True), cr.tensor([1.0, 1.0], requires_grad=True)
    with cr.no_grad():
        p.add_(x, alpha=2).clamp_(max=3.5)
    np.testing.assert_array_equal(p.data, [3.0, 3.5])
    assert p.requires_grad and p.is_leaf


def test_inplace_shape_must_be_kept():
    t = cr.zeros(3)
    with pytest.raises(ValueError, match=r"add_: .*shape \(3,\).*\(2, 3\)"):
        t.add_(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\*=: .*shape \(3,\).*\(2,\)"):
        t *= cr.ones(2)


def test_inplace_dtype_same_kind_casting():
    counts = cr.zeros(3, dtype=np.int64)
    with pytest.raises(TypeError, match=r"\+=: cannot update this int64 tensor in place"):
        counts += 0.5
    with pytest.raises(TypeError, match="div_: cannot update this int64 tensor"):
        counts.div_(2)
    with pytest.raises(TypeError, match="fill_: cannot store float64 values in this int64"):
        counts.fill_(0.5)
    counts += np.int32(2)  # int into int, and float64 into float32, are the same kind
    t = cr.zeros(2)
    t += np.array([0.25, 0.5])
    assert counts.tolist() == [2, 2, 2] and t.dtype == np.float32 and t.tolist() == [0.25, 0.5]


def test_inplace_read_only_array_raises():
    t = cr.Tensor(np.broadcast_to(np.zeros(1), (3,)))
    with pytest.raises(ValueError, match="-=: the tensor's array is read-only"):
        t -= 1
    with pytest.raises(ValueError, match="setitem: the tensor's array is read-only"):
        t[0] = 1


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp_: at least one of min and max"):
        cr.zeros(2).clamp_()


def test_setitem_bigram_counts_match_numpy():
    words = ["emma", "olivia", "ava", "isabella", "sophia"]
    stoi = {ch: i + 1 for i, ch in enumerate("abcdefghijklmnopqrstuvwxyz")} | {".": 0}
    counts = cr.zeros((27, 27), dtype=np.int32)
    expected = np.zeros((27, 27), dtype=np.int32)
    for word in words:
        chars = ["."] + list(word) + ["."]
        for a, b in zip(chars, chars[1:]):
            counts[stoi[a], stoi[b]] += 1
            expected[stoi[a], stoi[b]] += 1
    assert counts.dtype == np.int32 and counts.data.sum() == sum(len(w) + 1 for w in words)
    np.testing.assert_array_equal(counts.data, expected)
    assert counts[stoi["a"], 0].item() == 5  # all five names end in "a"


def test_setitem_tensor_index_and_value():
    t = cr.zeros((3, 2))
    t[cr.tensor([0, 2])] = cr.tensor([1.0, 2.0])
    t[1, :] = 5
    np.testing.assert_array_equal(t.data, [[1.0, 2.0], [5.0, 5.0], [1.0, 2.0]])


def test_setitem_errors_name_the_op():
    t = cr.zeros(3, dtype=np.int32)
    with pytest.raises(TypeError, match="setitem: cannot store float64 values in this int32"):
        t[0] = 0.5
    with pytest.raises(ValueError, match=r"setitem: .*\(2,\).*tensor of shape \(3,\)"):
        t[:] = np.ones(2, dtype=np.int32)
    with pytest.raises(IndexError, match="setitem: index 5"):
        t[5] = 1
    w = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: a leaf tensor that requires grad"):
        w[0] = 1.0
    with pytest.raises(RuntimeError, match=r"\+=: this tensor was computed on the graph"):
        w[0] += 1.0  # w[0] is on the graph; PyTorch refuses this too


# ---------------------------------------------------------------------- Python numbers
def test_float_int_of_one_element_tensors_match_torch():
    torch = pytest.importorskip("torch")
    for value in ([[2.5]], -2.7, [3]):
        assert float(cr.tensor(value)) == float(torch.tensor(value))
        assert int(cr.tensor(value)) == int(torch.tensor(value))
    assert type(float(cr.tensor(2))) is float and type(int(cr.tensor(2.9))) is int


@pytest.mark.parametrize("convert", [float, int])
def test_float_int_many_elements_raise_like_torch(convert):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        convert(torch.ones(2))
    with pytest.raises(ValueError, match=rf"{convert.__name__}: only one-element.*\(2,\)"):
        convert(cr.ones(2))


def test_index_integer_tensor_like_torch():
    torch = pytest.importorskip("torch")
    items = [10, 20, 30]
    assert items[cr.tensor(1)] == items[torch.tensor(1)] == 20
    assert items[cr.tensor([2])] == items[torch.tensor([2])] == 30
    for value in (1.0, [1, 2]):
        with pytest.raises(TypeError):
            items[torch.tensor(value)]
        with pytest.raises(TypeError, match="index: only integer tensors of one element"):
            items[cr.tensor(value)]


def test_format_one_element_tensor_like_torch():
    torch = pytest.importorskip("torch")
    loss = cr.tensor(0.123456)
    assert f"{loss:.4f}" == f"{torch.tensor(0.123456):.4f}" == "0.1235"
    assert f"{cr.tensor([[7]]):>5d}" == "    7"
    assert f"{loss:>7e}" == f"{loss.item():>7e}"


def test_format_without_spec_is_str():
    t = cr.tensor([1.0, 2.0])
    assert f"{t}" == str(t) == "tensor([1., 2.])"


def test_format_spec_on_many_elements_raises():
    with pytest.raises(ValueError, match=r"format: only one-element tensors.*\(2,\)"):
        f"{cr.ones(2):.4f}"
