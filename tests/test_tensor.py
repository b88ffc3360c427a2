"""Engine tests: tensor creation, the graph walk, freeing, no_grad, double backward, Functions."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import unbroadcast


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


def test_backward_frees_saved_arrays():
    x = _f64([1.0, 2.0])
    y = x * x
    ctx = y._ctx
    assert ctx.saved and ctx.inputs is not None
    y.sum().backward()
    assert ctx.saved == () and ctx.inputs is None


def test_backward_frees_user_function_state():
    x = _f64(3.0)
    y = Square()(x)
    ctx = y._ctx
    y.backward()
    assert not hasattr(ctx, "x") and ctx.inputs is None


def test_backward_releases_big_intermediate():
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal(1_000_000), requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h.data)
    loss = (h * h).sum()
    del h
    gc.collect()
    assert ref() is not None  # only the graph holds it now
    loss.backward()
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


def test_double_backward_user_function_without_rule_raises():
    x = _f64(2.0)
    with pytest.raises(NotImplementedError, match="create_graph"):
        Square()(x).backward(create_graph=True)


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
