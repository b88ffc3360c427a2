"""Optimisers and schedulers: trajectories against torch.optim, state round trips, checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim as optim
from chainrule.optim import lr_scheduler

SHAPES = [(3, 4), (4,)]
STEPS = 5


def _initial_and_grads(shapes=SHAPES):
    rng = np.random.default_rng(0)
    initial = [rng.standard_normal(shape) for shape in shapes]
    grads = [[rng.standard_normal(shape) for shape in shapes] for _ in range(STEPS)]
    return initial, grads


def _chainrule_trajectory(make_opt, initial, grads):
    params = [cr.tensor(p.copy(), requires_grad=True) for p in initial]
    opt = make_opt(params)
    trajectory = []
    for step_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, step_grads, strict=True):
            p.grad = cr.tensor(g.copy())
        opt.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory


def _torch_trajectory(make_opt, initial, grads):
    torch = pytest.importorskip("torch")
    params = [torch.nn.Parameter(torch.tensor(p, dtype=torch.float64)) for p in initial]
    opt = make_opt(params)
    trajectory = []
    for step_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, step_grads, strict=True):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def _check_against_torch(chainrule_opt, torch_opt_name, shapes=SHAPES, **hyper):
    torch = pytest.importorskip("torch")
    initial, grads = _initial_and_grads(shapes)
    ours = _chainrule_trajectory(lambda ps: chainrule_opt(ps, **hyper), initial, grads)
    theirs = _torch_trajectory(
        lambda ps: getattr(torch.optim, torch_opt_name)(ps, **hyper), initial, grads
    )
    for step, (mine, ref) in enumerate(zip(ours, theirs, strict=True)):
        for i, (a, b) in enumerate(zip(mine, ref, strict=True)):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15, err_msg=f"step {step} p{i}")


# ---------------------------------------------------------------------- against torch
def test_sgd_plain_matches_torch():
    _check_against_torch(optim.SGD, "SGD", lr=0.1)


def test_sgd_momentum_matches_torch():
    _check_against_torch(optim.SGD, "SGD", lr=0.1, momentum=0.9)


def test_sgd_nesterov_matches_torch():
    _check_against_torch(optim.SGD, "SGD", lr=0.1, momentum=0.9, nesterov=True)


def test_sgd_weight_decay_matches_torch():
    _check_against_torch(optim.SGD, "SGD", lr=0.1, weight_decay=0.01)


def test_sgd_momentum_weight_decay_matches_torch():
    _check_against_torch(optim.SGD, "SGD", lr=0.05, momentum=0.8, weight_decay=0.1)


@pytest.mark.parametrize(
    "hyper",
    [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1},
    ],
    ids=["plain", "momentum", "nesterov", "momentum_weight_decay"],
)
def test_sgd_large_parameter_matches_torch(hyper):
    # 66 KB of float64: updated through kept work arrays, where small ones use temporaries
    _check_against_torch(optim.SGD, "SGD", shapes=[(64, 129), (4,)], **hyper)


def test_adam_matches_torch():
    _check_against_torch(optim.Adam, "Adam", lr=0.01)


def test_adam_custom_betas_matches_torch():
    _check_against_torch(optim.Adam, "Adam", lr=0.1, betas=(0.5, 0.9), eps=1e-6)


def test_adam_weight_decay_matches_torch():
    _check_against_torch(optim.Adam, "Adam", lr=0.01, weight_decay=0.1)


# ---------------------------------------------------------------------- hand-computed steps
def test_sgd_single_step_value():
    w = cr.tensor(np.array([1.0, -2.0]), requires_grad=True)
    w.grad = cr.tensor(np.array([0.5, 0.5]))
    optim.SGD([w], lr=0.1).step()
    np.testing.assert_allclose(w.data, [0.95, -2.05])


def test_adam_first_step_is_lr_times_sign():
    w = cr.tensor(np.array([1.0, -2.0]), requires_grad=True)
    w.grad = cr.tensor(np.array([3.0, -0.001]))
    optim.Adam([w], lr=0.1).step()  # m_hat / sqrt(v_hat) = sign(g) on step 1
    np.testing.assert_allclose(w.data, [0.9, -1.9], rtol=1e-6)


def test_optimizer_skips_params_without_grad():
    a = cr.tensor(np.array([1.0]), requires_grad=True)
    b = cr.tensor(np.array([2.0]), requires_grad=True)
    a.grad = cr.tensor(np.array([1.0]))
    optim.SGD([a, b], lr=0.5, momentum=0.9).step()
    assert (a.item(), b.item()) == (0.5, 2.0)


def test_optimizer_zero_grad_sets_none():
    w = cr.tensor(np.array([1.0]), requires_grad=True)
    (w * w).sum().backward()
    opt = optim.SGD([w], lr=0.1)
    opt.zero_grad()
    assert w.grad is None


def test_optimizer_step_keeps_param_array():
    w = cr.tensor(np.array([1.0]), requires_grad=True)
    data = w.data
    w.grad = cr.tensor(np.array([1.0]))
    optim.Adam([w]).step()
    assert w.data is data  # updated in place


# ---------------------------------------------------------------------- state round trip
def _resumed_matches_uninterrupted(make_opt):
    initial, grads = _initial_and_grads()
    straight = _chainrule_trajectory(make_opt, initial, grads)[-1]

    params = [cr.tensor(p.copy(), requires_grad=True) for p in initial]
    first = make_opt(params)
    for step_grads in grads[:3]:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = cr.tensor(g.copy())
        first.step()
    saved = first.state_dict()
    del first

    resumed_params = [cr.tensor(p.data.copy(), requires_grad=True) for p in params]
    second = make_opt(resumed_params)
    second.load_state_dict(saved)
    for step_grads in grads[3:]:
        for p, g in zip(resumed_params, step_grads, strict=True):
            p.grad = cr.tensor(g.copy())
        second.step()
    for a, b in zip(resumed_params, straight, strict=True):
        np.testing.assert_array_equal(a.data, b)


def test_sgd_momentum_state_dict_round_trip():
    _resumed_matches_uninterrupted(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True))


def test_adam_state_dict_round_trip():
    _resumed_matches_uninterrupted(lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.01))


def test_adam_state_dict_contents():
    w = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.Adam([w], lr=0.01)
    w.grad = cr.tensor(np.array([0.5, -0.5]))
    opt.step()
    opt.step()
    state = opt.state_dict()["state"][0]
    assert state["step"] == 2
    g = np.array([0.5, -0.5])
    np.testing.assert_allclose(state["exp_avg"], 0.1 * 0.9 * g + 0.1 * g)  # m after two steps


def test_optimizer_state_dict_is_a_copy():
    w = cr.tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = cr.tensor(np.array([1.0]))
    opt.step()
    saved = opt.state_dict()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], [1.0])


def test_optimizer_load_state_dict_shape_mismatch_raises():
    w = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    bad = {"lr": 0.1, "state": {0: {"momentum_buffer": np.zeros(3)}}}
    with pytest.raises(ValueError, match="momentum_buffer"):
        opt.load_state_dict(bad)


def test_optimizer_load_state_dict_restores_lr():
    w = cr.tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    opt.load_state_dict({"lr": 0.025, "state": {}})
    assert opt.lr == 0.025


# ---------------------------------------------------------------------- schedulers
def _scheduler_lrs(make_sched, epochs, lr=0.1):
    w = cr.tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    sched = make_sched(opt)
    lrs = [opt.lr]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(opt.lr)
    return lrs


def _torch_scheduler_lrs(make_sched, epochs, lr=0.1):
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make_sched(torch.optim.lr_scheduler, opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def test_step_lr_matches_torch():
    ours = _scheduler_lrs(lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 10)
    theirs = _torch_scheduler_lrs(lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), 10)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_step_lr_values():
    ours = _scheduler_lrs(lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.1), 5, lr=1.0)
    np.testing.assert_allclose(ours, [1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_cosine_annealing_lr_matches_torch():
    ours = _scheduler_lrs(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=8), 8)
    theirs = _torch_scheduler_lrs(lambda m, o: m.CosineAnnealingLR(o, T_max=8), 8)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_cosine_annealing_lr_eta_min_matches_torch():
    ours = _scheduler_lrs(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.01), 5)
    theirs = _torch_scheduler_lrs(lambda m, o: m.CosineAnnealingLR(o, T_max=5, eta_min=0.01), 5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_cosine_annealing_lr_values():
    ours = _scheduler_lrs(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4), 4, lr=1.0)
    expected = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(ours, expected, atol=1e-15)


def test_scheduler_changes_the_step_size():
    w = cr.tensor(np.array([0.0]), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        w.grad = cr.tensor(np.array([1.0]))
        opt.step()
        sched.step()
    assert w.item() == -(1.0 + 0.5 + 0.25)


def test_scheduler_state_dict_round_trip():
    w = cr.tensor(np.array([0.0]), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        sched.step()
    fresh_opt = optim.SGD([w], lr=1.0)
    fresh = lr_scheduler.StepLR(fresh_opt, step_size=2, gamma=0.5)
    fresh.load_state_dict(sched.state_dict())
    assert fresh.last_epoch == 5 and fresh_opt.lr == opt.lr == 0.25


# ---------------------------------------------------------------------- invalid hyper-parameters
def _param():
    return [cr.tensor(np.array([1.0]), requires_grad=True)]


def test_sgd_negative_lr_raises():
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD(_param(), lr=-0.1)


def test_sgd_negative_momentum_raises():
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(_param(), lr=0.1, momentum=-0.5)


def test_sgd_negative_weight_decay_raises():
    with pytest.raises(ValueError, match="weight_decay"):
        optim.SGD(_param(), lr=0.1, weight_decay=-1e-4)


def test_sgd_nesterov_without_momentum_raises():
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD(_param(), lr=0.1, nesterov=True)


def test_adam_negative_lr_raises():
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam(_param(), lr=-1e-3)


@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, 1.0), (0.9, 1.5), (-0.1, 0.999)])
def test_adam_bad_beta_raises(betas):
    with pytest.raises(ValueError, match="beta"):
        optim.Adam(_param(), betas=betas)


def test_adam_negative_eps_raises():
    with pytest.raises(ValueError, match="epsilon"):
        optim.Adam(_param(), eps=-1e-8)


def test_optimizer_empty_params_raises():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)


def test_optimizer_non_tensor_params_raise():
    with pytest.raises(TypeError, match="Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)


def test_step_lr_bad_step_size_raises():
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(optim.SGD(_param(), lr=0.1), step_size=0)


def test_cosine_annealing_bad_t_max_raises():
    with pytest.raises(ValueError, match="T_max"):
        lr_scheduler.CosineAnnealingLR(optim.SGD(_param(), lr=0.1), T_max=0)
