"""AdamW, RMSprop, Adagrad, Adadelta, parameter groups, schedulers and nn.utils against torch."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim as optim
from chainrule.data import DataLoader, TensorDataset
from chainrule.nn import utils
from chainrule.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 6
SHAPES = [(3, 4), (5,), (), (0, 3)]  # a matrix, a vector, a scalar and an empty parameter
LARGE = [(70, 130)]  # 71 KB of float64: past SGD's kept-work-array threshold
TOLERANCE = {np.float64: {"rtol": 1e-12, "atol": 1e-14}, np.float32: {"rtol": 2e-6, "atol": 1e-6}}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def _initial_and_grads(shapes, dtype, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    grads = [[rng.standard_normal(shape).astype(dtype) for shape in shapes] for _ in range(steps)]
    return initial, grads


def _ours(make, initial, grads, groups=None):
    params = [cr.tensor(p.copy(), requires_grad=True) for p in initial]
    opt = make(params if groups is None else groups(params))
    trajectory = []
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = cr.tensor(g.copy())
        opt.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory


def _theirs(make, initial, grads, groups=None):
    params = [torch.nn.Parameter(torch.tensor(p.copy())) for p in initial]
    opt = make(params if groups is None else groups(params))
    trajectory = []
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = torch.tensor(g.copy())
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def _assert_same(ours, theirs, dtype):
    for step, (mine, ref) in enumerate(zip(ours, theirs, strict=True)):
        for i, (a, b) in enumerate(zip(mine, ref, strict=True)):
            assert a.dtype == b.dtype == dtype and a.shape == b.shape
            np.testing.assert_allclose(a, b, **TOLERANCE[dtype], err_msg=f"step {step} p{i}")


CASES = [
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.2, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.7, "eps": 1e-4}),
    ("Adadelta", {"rho": 0.95, "weight_decay": 0.1}),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("name", "hyper"), CASES, ids=IDS)
def test_trajectory_matches_torch(name, hyper, dtype):
    initial, grads = _initial_and_grads(SHAPES, dtype)
    ours = _ours(lambda ps: getattr(optim, name)(ps, **hyper), initial, grads)
    theirs = _theirs(lambda ps: getattr(torch.optim, name)(ps, **hyper), initial, grads)
    _assert_same(ours, theirs, dtype)


@pytest.mark.parametrize(("name", "hyper"), CASES[1::3], ids=IDS[1::3])
def test_large_parameter_trajectory_matches_torch(name, hyper):
    initial, grads = _initial_and_grads(LARGE + SHAPES[:1], np.float64, steps=3)
    ours = _ours(lambda ps: getattr(optim, name)(ps, **hyper), initial, grads)
    theirs = _theirs(lambda ps: getattr(torch.optim, name)(ps, **hyper), initial, grads)
    _assert_same(ours, theirs, np.float64)


def test_defaults_are_torchs():
    import inspect

    for name in ("AdamW", "RMSprop", "Adagrad", "Adadelta", "Adam", "SGD"):
        ours = inspect.signature(getattr(optim, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        for key, parameter in ours.items():
            if key != "params":
                assert parameter.default == theirs[key].default, (name, key)


@pytest.mark.parametrize(("name", "hyper"), CASES, ids=IDS)
def test_array_api_path_matches_numpy_path(name, hyper):
    xp = pytest.importorskip("array_api_strict")
    initial, grads = _initial_and_grads(SHAPES[:2], np.float64, steps=4)
    expected = _ours(lambda ps: getattr(optim, name)(ps, **hyper), initial, grads)[-1]
    params = [cr.tensor(p.copy()).to(xp).requires_grad_() for p in initial]
    opt = getattr(optim, name)(params, **hyper)
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = cr.tensor(g.copy()).to(xp)
        opt.step()
    for p, want in zip(params, expected, strict=True):
        assert type(p.data) is not np.ndarray
        np.testing.assert_allclose(p.numpy(), want, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------- state round trip
ALL_CASES = [*CASES, ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}), ("Adam", {})]


@pytest.mark.parametrize(("name", "hyper"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_resume_through_json_is_bitwise(name, hyper):
    """The checkpoint's route: arrays kept, groups and scalars through JSON."""
    initial, grads = _initial_and_grads(SHAPES, np.float32)
    make = getattr(optim, name)
    straight = _ours(lambda ps: make(ps, **hyper), initial, grads)[-1]
    params = [cr.tensor(p.copy(), requires_grad=True) for p in initial]
    first = make(params, **hyper)
    for step_grads in grads[:3]:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = cr.tensor(g.copy())
        first.step()
    saved = first.state_dict()
    saved = {
        "param_groups": json.loads(json.dumps(saved["param_groups"])),
        "state": {str(i): s for i, s in saved["state"].items()},
    }
    resumed = [cr.tensor(p.data.copy(), requires_grad=True) for p in params]
    second = make(resumed, **hyper)
    second.load_state_dict(saved)
    for step_grads in grads[3:]:
        for p, g in zip(resumed, step_grads, strict=True):
            p.grad = cr.tensor(g.copy())
        second.step()
    for a, b in zip(resumed, straight, strict=True):
        np.testing.assert_array_equal(a.data, b)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("RMSprop", {"step", "square_avg", "momentum_buffer", "grad_avg"}),
        ("Adagrad", {"step", "sum"}),
        ("Adadelta", {"step", "square_avg", "acc_delta"}),
        ("AdamW", {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    ],
)
def test_state_holds_torchs_buffers(name, keys):
    hyper = {"RMSprop": {"momentum": 0.9, "centered": True}, "AdamW": {"amsgrad": True}}
    initial, grads = _initial_and_grads([(2, 3)], np.float64, steps=2)
    ours = [cr.tensor(initial[0].copy(), requires_grad=True)]
    theirs = [torch.nn.Parameter(torch.tensor(initial[0].copy()))]
    opt = getattr(optim, name)(ours, **hyper.get(name, {}))
    ref = getattr(torch.optim, name)(theirs, **hyper.get(name, {}))
    for step_grads in grads:
        ours[0].grad, theirs[0].grad = cr.tensor(step_grads[0]), torch.tensor(step_grads[0])
        opt.step()
        ref.step()
    state, ref_state = opt.state_dict()["state"][0], ref.state_dict()["state"][0]
    assert set(state) == set(ref_state) == keys
    assert state["step"] == ref_state["step"].item() == 2
    for key in keys - {"step"}:
        np.testing.assert_allclose(state[key], ref_state[key].numpy(), rtol=1e-13)


def test_state_dict_layout_is_torchs():
    a, b, c = (cr.tensor(np.ones(n), requires_grad=True) for n in (1, 2, 3))
    ta, tb, tc = (torch.nn.Parameter(torch.ones(n)) for n in (1, 2, 3))
    ours = optim.Adam([{"params": [a]}, {"params": [b, c], "lr": 0.1}], weight_decay=0.01)
    theirs = torch.optim.Adam(
        [{"params": [ta]}, {"params": [tb, tc], "lr": 0.1}], weight_decay=0.01
    )
    saved, ref = ours.state_dict(), theirs.state_dict()
    assert set(saved) == set(ref) == {"state", "param_groups"}
    for group, ref_group in zip(saved["param_groups"], ref["param_groups"], strict=True):
        assert set(group) <= set(ref_group)
        assert {k: group[k] for k in group} == {k: ref_group[k] for k in group}
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1, 2]]


def _run_with_checkpoint(path, cut):
    """Train a Linear with two groups (AdamW, warm-up then cosine) for 6 steps, saving the
    run state after step ``cut`` and continuing from the file; returns the final weights."""
    from chainrule import nn
    from chainrule.checkpoint import load_run_state, save_run_state

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 3)).astype(np.float32), rng.standard_normal((6, 2))

    def build():
        cr.manual_seed(0)
        model = nn.Linear(3, 2)
        opt = optim.AdamW(
            [{"params": [model.weight]}, {"params": [model.bias], "lr": 0.05, "weight_decay": 0}],
            lr=0.01,
            amsgrad=True,
        )
        warm = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=2)
        sched = lr_scheduler.SequentialLR(
            opt, [warm, lr_scheduler.CosineAnnealingLR(opt, T_max=4)], milestones=[2]
        )
        loader = DataLoader(TensorDataset(np.arange(6)), batch_size=2, seed=0)
        return model, opt, sched, loader

    def train_step(model, opt, sched, step):
        opt.zero_grad()
        out = model(cr.tensor(x[step : step + 1]))
        ((out - cr.tensor(y[step : step + 1].astype(np.float32))) ** 2).sum().backward()
        opt.step()
        sched.step()

    model, opt, sched, loader = build()
    for step in range(cut):
        train_step(model, opt, sched, step)
    if cut < 6:
        save_run_state(
            path,
            epoch=1,
            history=[],
            config={},
            model=model,
            optimizer=opt,
            scheduler=sched,
            loader=loader,
        )
        state = load_run_state(path)
        model, opt, sched, loader = build()
        model.load_state_dict(state.model)
        opt.load_state_dict(state.optimizer)
        sched.load_state_dict(state.scheduler)
    for step in range(cut, 6):
        train_step(model, opt, sched, step)
    return [p.data.copy() for p in model.parameters()], [g["lr"] for g in opt.param_groups]


def test_checkpoint_resumes_param_groups_and_schedules_bitwise(tmp_path):
    straight = _run_with_checkpoint(tmp_path / "unused", cut=6)
    for cut in (1, 3):
        resumed = _run_with_checkpoint(tmp_path / f"cut{cut}.safetensors", cut=cut)
        assert resumed[1] == straight[1]
        for a, b in zip(resumed[0], straight[0], strict=True):
            np.testing.assert_array_equal(a, b)


def test_checkpoint_of_the_format_before_groups_still_loads(tmp_path):
    from chainrule.checkpoint import FORMAT, load_run_state
    from chainrule.serialization import save

    defaults = {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.0}
    metadata = {
        "format": FORMAT,
        "epoch": "2",
        "history": "[]",
        "config": "{}",
        "optimizer": json.dumps({"lr": 0.05, "defaults": defaults, "scalars": {}}),
        "scheduler": json.dumps({"base_lr": 0.1, "last_epoch": 2}),
        "loader_rng": "{}",
        "init_rng": "{}",
    }
    buffer = np.array([0.5, -0.5], dtype=np.float32)
    save(
        {"model/w": np.ones(2, np.float32), "optimizer/0/momentum_buffer": buffer},
        tmp_path / "old.safetensors",
        metadata=metadata,
    )
    state = load_run_state(tmp_path / "old.safetensors")
    w = cr.tensor(np.ones(2, np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    opt.load_state_dict(state.optimizer)
    sched.load_state_dict(state.scheduler)
    assert sched.get_last_lr() == [0.05] == [opt.param_groups[0]["lr"]]
    np.testing.assert_array_equal(opt.state[id(w)]["momentum_buffer"], buffer)
    sched.step()  # epoch 3 of 4 continues the cosine from the restored lr
    assert opt.param_groups[0]["lr"] == pytest.approx(
        0.05 * (1 + math.cos(math.pi * 3 / 4)) / (1 + math.cos(math.pi * 2 / 4))
    )


# ---------------------------------------------------------------------- parameter groups
GROUP_CASES = [
    ("SGD", {"lr": 0.1}, {"lr": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, {"lr": 0.01, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, {"momentum": 0.0}),  # plain group beside momentum
    ("Adam", {"lr": 0.01}, {"lr": 0.1, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}, {"weight_decay": 0.0, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}, {"momentum": 0.9, "centered": True}),
    ("Adagrad", {"lr": 0.1}, {"lr_decay": 0.1, "eps": 1e-3, "weight_decay": 0.1}),
    ("Adadelta", {}, {"rho": 0.5, "lr": 0.1}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("name", "hyper", "second"), GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_param_groups_match_torch(name, hyper, second, dtype):
    initial, grads = _initial_and_grads(SHAPES[:3], dtype)

    def groups(ps):
        return [{"params": ps[:1]}, {"params": ps[1:], **second}]

    ours = _ours(lambda g: getattr(optim, name)(g, **hyper), initial, grads, groups)
    theirs = _theirs(lambda g: getattr(torch.optim, name)(g, **hyper), initial, grads, groups)
    _assert_same(ours, theirs, dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_add_param_group_mid_training_matches_torch(name):
    initial, grads = _initial_and_grads(SHAPES[:2], np.float64)

    def run(module, leaf, tensor):
        params = [leaf(p.copy()) for p in initial]
        opt = getattr(module, name)(params[:1], lr=0.1)
        trajectory = []
        for step, step_grads in enumerate(grads):
            if step == 2:
                opt.add_param_group({"params": params[1], "lr": 0.01})
            for p, g in zip(params, step_grads, strict=True):
                p.grad = tensor(g.copy())
            opt.step()
            trajectory.append([np.array(p.tolist()) for p in params])
        return trajectory, opt

    ours, opt = run(optim, lambda a: cr.tensor(a, requires_grad=True), cr.tensor)
    theirs, ref = run(torch.optim, lambda a: torch.nn.Parameter(torch.tensor(a)), torch.tensor)
    _assert_same(ours, theirs, np.float64)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref.param_groups]
    assert opt.params == [p for g in opt.param_groups for p in g["params"]]


def test_adagrad_takes_each_groups_initial_accumulator_value():
    # NOTE: torch fills every sum with the constructor's value, whatever the group says
    a, b = (cr.tensor([1.0], requires_grad=True) for _ in range(2))
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 7.0}])
    a.grad, b.grad = cr.tensor([3.0]), cr.tensor([3.0])
    opt.step()
    assert [opt.state[id(p)]["sum"].item() for p in (a, b)] == [9.0, 16.0]
    assert b.item() == pytest.approx(1.0 - 0.01 * 3.0 / 4.0, rel=1e-6)


def test_param_groups_fill_in_defaults():
    a, b = (cr.tensor([1.0], requires_grad=True) for _ in range(2))
    opt = optim.SGD(
        [{"params": a}, {"params": [b], "lr": 0.5, "tag": "head"}], lr=0.1, momentum=0.9
    )
    first, second = opt.param_groups
    assert first == {
        "params": [a],
        "lr": 0.1,
        "momentum": 0.9,
        "nesterov": False,
        "weight_decay": 0.0,
    }
    assert second["lr"] == 0.5 and second["momentum"] == 0.9 and second["tag"] == "head"
    assert opt.lr == 0.1
    opt.lr = 0.01  # the one-group spelling sets every group
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.01]


def test_param_group_errors():
    a, b = (cr.tensor([1.0], requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
    opt = optim.Adam([a])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="ordered collection"):
        opt.add_param_group({"params": {b}})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([b])
    with pytest.raises(ValueError, match="no 'params'"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(TypeError, match="got a Tensor"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="Adam: invalid learning rate: -1"):
        opt.add_param_group({"params": [b], "lr": -1})
    assert len(opt.param_groups) == 1  # nothing was added by the failed calls
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.RMSprop([{"params": []}])


def test_load_state_dict_checks_the_groups():
    a, b = (cr.tensor([1.0], requires_grad=True) for _ in range(2))
    saved = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer 1"):
        optim.SGD([a, b], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 has 1 parameters in the state, 2"):
        optim.SGD([{"params": [a, b]}, {"params": [cr.tensor([0.0])]}], lr=0.1).load_state_dict(
            saved
        )


def test_load_state_dict_restores_group_hyper_parameters():
    a, b = (cr.tensor([1.0], requires_grad=True) for _ in range(2))
    first = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    second = optim.SGD([{"params": [a]}, {"params": [b]}], lr=1.0)
    group = second.param_groups[1]
    second.load_state_dict(first.state_dict())
    assert [g["lr"] for g in second.param_groups] == [0.1, 0.5]
    assert second.param_groups[0]["momentum"] == 0.9
    assert second.param_groups[1] is group and group["params"] == [b]


def test_load_state_dict_of_the_format_before_groups():
    w = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    opt.load_state_dict(
        {"lr": 0.02, "defaults": {"momentum": 0.5}, "state": {"0": {"momentum_buffer": np.ones(2)}}}
    )
    assert opt.param_groups[0]["lr"] == 0.02 and opt.param_groups[0]["momentum"] == 0.5
    w.grad = cr.tensor(np.array([1.0, 1.0]))
    opt.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.02 * 1.5, 2.0 - 0.02 * 1.5])


def test_zero_grad_set_to_none_and_in_place():
    w = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0]
    (w * w).sum().backward()  # accumulates into the zeroed grad
    assert w.grad is grad and w.grad.tolist() == [2.0, 4.0]
    opt.zero_grad()
    assert w.grad is None


def test_zero_grad_in_place_on_another_array_namespace():
    xp = pytest.importorskip("array_api_strict")
    w = cr.tensor(np.ones(3)).to(xp).requires_grad_()
    w.grad = cr.tensor(np.full(3, 2.0)).to(xp)
    grad = w.grad.data
    optim.Adam([w]).zero_grad(set_to_none=False)
    assert w.grad.data is grad and w.grad.numpy().tolist() == [0.0, 0.0, 0.0]


def test_zero_grad_in_place_detaches_a_graph_grad():
    w = cr.tensor(np.array([3.0]), requires_grad=True)
    (w * w * w).sum().backward(create_graph=True)
    assert w.grad._ctx is not None
    optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert w.grad._ctx is None and w.grad.tolist() == [0.0]


def test_step_with_closure_matches_torch():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    w0 = np.array([0.5, -0.5])
    w = cr.tensor(w0.copy(), requires_grad=True)
    tw = torch.nn.Parameter(torch.tensor(w0.copy()))
    opt, ref = optim.RMSprop([w], lr=0.1), torch.optim.RMSprop([tw], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = ((cr.tensor(x) @ w) ** 2).sum()
        loss.backward()
        return loss

    def ref_closure():
        ref.zero_grad()
        loss = ((torch.tensor(x) @ tw) ** 2).sum()
        loss.backward()
        return loss

    with cr.no_grad():  # step turns the graph back on for the closure, as torch does
        for _ in range(3):
            loss, ref_loss = opt.step(closure), ref.step(ref_closure)
            assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-13)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-13)
    assert opt.step() is None


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: optim.AdamW(p, lr=-1.0), "AdamW: invalid learning rate"),
        (lambda p: optim.AdamW(p, betas=(0.9, 1.0)), "AdamW: invalid beta parameter at index 1"),
        (lambda p: optim.AdamW(p, weight_decay=-0.1), "AdamW: invalid weight_decay"),
        (lambda p: optim.RMSprop(p, alpha=-0.1), "RMSprop: invalid alpha value"),
        (lambda p: optim.RMSprop(p, momentum=-0.1), "RMSprop: invalid momentum value"),
        (lambda p: optim.RMSprop(p, eps=-1.0), "RMSprop: invalid epsilon value"),
        (lambda p: optim.Adagrad(p, lr_decay=-0.1), "Adagrad: invalid lr_decay value"),
        (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
        (lambda p: optim.Adadelta(p, rho=1.5), "Adadelta: invalid rho value: 1.5"),
        (lambda p: optim.Adadelta(p, weight_decay=-1.0), "Adadelta: invalid weight_decay"),
        (lambda p: optim.SGD([{"params": p, "nesterov": True}], lr=0.1), "nesterov"),
    ],
)
def test_invalid_hyper_parameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make([cr.tensor([1.0], requires_grad=True)])


# ---------------------------------------------------------------------- schedulers
def _lrs(module, make, epochs, opt_name="SGD", lrs=(0.1, 0.05), **opt_hyper):
    """The lr of every group after construction and after each step, and the momenta."""
    if module is optim:
        params = [cr.tensor([1.0], requires_grad=True) for _ in lrs]
    else:
        params = [torch.nn.Parameter(torch.ones(1)) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)]
    opt = getattr(module, opt_name)(groups, **opt_hyper)
    sched = make(module.lr_scheduler, opt)
    seen = [sched.get_last_lr()]
    momenta = []
    for epoch in range(epochs):
        opt.step()
        if isinstance(sched, module.lr_scheduler.ReduceLROnPlateau):
            sched.step([5.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0][epoch % 11])
        else:
            sched.step()
        seen.append(sched.get_last_lr())
        assert seen[-1] == [g["lr"] for g in opt.param_groups]
        momenta.append([g.get("momentum", g.get("betas")) for g in opt.param_groups])
    return seen, momenta


SCHEDULES = {
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 0.9**e + 0.01 * e),
    "lambda_per_group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.5**e]),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "step": lambda m, o: m.StepLR(o, step_size=3, gamma=0.3),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.7),
    "constant": lambda m, o: m.ConstantLR(o, factor=0.3, total_iters=4),
    "linear": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=7),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=8, power=1.7),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
    "plateau": lambda m, o: m.ReduceLROnPlateau(o, patience=1, factor=0.5, cooldown=1),
    "plateau_max_abs": lambda m, o: m.ReduceLROnPlateau(
        o, mode="max", threshold_mode="abs", threshold=0.5, patience=0, min_lr=[0.01, 0.02]
    ),
    "one_cycle": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=25),
    "one_cycle_linear_3": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, epochs=5, steps_per_epoch=5, anneal_strategy="linear", three_phase=True
    ),
    "warmup_cosine": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.01, total_iters=5), m.CosineAnnealingLR(o, T_max=15)],
        milestones=[5],
    ),
    "three_phases": lambda m, o: m.SequentialLR(
        o,
        [
            m.ConstantLR(o, factor=0.1, total_iters=3),
            m.ExponentialLR(o, gamma=0.8),
            m.StepLR(o, step_size=2),
        ],
        milestones=[4, 10],
    ),
    "chained": lambda m, o: m.ChainedScheduler(
        [m.ExponentialLR(o, gamma=0.9), m.MultiStepLR(o, milestones=[3, 6], gamma=0.5)]
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_scheduler_lrs_equal_torchs(name):
    ours, _ = _lrs(optim, SCHEDULES[name], 25 if "one_cycle" in name else 22)
    theirs, _ = _lrs(torch.optim, SCHEDULES[name], 25 if "one_cycle" in name else 22)
    assert ours == theirs  # exactly: the same arithmetic in the same order


@pytest.mark.parametrize(("opt_name", "hyper"), [("SGD", {"momentum": 0.9}), ("Adam", {})])
def test_one_cycle_cycles_momentum_as_torch(opt_name, hyper):
    make = SCHEDULES["one_cycle"]
    ours, our_momenta = _lrs(optim, make, 25, opt_name, **hyper)
    theirs, their_momenta = _lrs(torch.optim, make, 25, opt_name, **hyper)
    assert ours == theirs
    assert [[tuple(m) if isinstance(m, tuple) else m for m in step] for step in our_momenta] == [
        [tuple(m) if isinstance(m, tuple) else m for m in step] for step in their_momenta
    ]


def test_one_cycle_past_total_steps_raises():
    opt = optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=2)
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="tried to step 3 times"):
        sched.step()


def test_warm_restarts_fractional_epochs_match_torch():
    def run(module, param):
        opt = module.SGD([param], lr=0.2)
        sched = module.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
        lrs = []
        for epoch in range(10):
            for batch in range(4):
                sched.step(epoch + batch / 4)
                lrs.append(sched.get_last_lr())
        return lrs

    assert run(optim, cr.tensor([1.0], requires_grad=True)) == run(
        torch.optim, torch.nn.Parameter(torch.ones(1))
    )


@pytest.mark.parametrize("name", [n for n in SCHEDULES if "one_cycle" not in n])
def test_scheduler_state_through_json_resumes_exactly(name):
    make = SCHEDULES[name]
    straight, _ = _lrs(optim, make, 20)

    params = [cr.tensor([1.0], requires_grad=True) for _ in range(2)]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, (0.1, 0.05), strict=True)]
    opt = optim.SGD(groups)
    sched = make(lr_scheduler, opt)
    plateau = isinstance(sched, lr_scheduler.ReduceLROnPlateau)
    metrics = [5.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0] * 2
    for epoch in range(8):
        sched.step(metrics[epoch]) if plateau else sched.step()
    saved_opt = json.loads(json.dumps(opt.state_dict()["param_groups"]))
    saved = json.loads(json.dumps(sched.state_dict()))

    new_params = [cr.tensor([1.0], requires_grad=True) for _ in range(2)]
    new_groups = [{"params": [p], "lr": 1.0} for p in new_params]
    new_opt = optim.SGD(new_groups)
    new_sched = make(lr_scheduler, new_opt)
    new_opt.load_state_dict({"param_groups": saved_opt, "state": {}})
    new_sched.load_state_dict(saved)
    resumed = [new_sched.get_last_lr()]
    for epoch in range(8, 20):
        new_sched.step(metrics[epoch]) if plateau else new_sched.step()
        resumed.append(new_sched.get_last_lr())
    assert resumed == straight[8:]


def test_scheduler_load_sets_the_lrs_it_recorded():
    opt = optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=1.0)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        sched.step()
    fresh = optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=1.0)
    lr_scheduler.ExponentialLR(fresh, gamma=0.5).load_state_dict(sched.state_dict())
    assert fresh.param_groups[0]["lr"] == 0.125


def test_scheduler_state_of_the_format_before_groups():
    opt = optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=0.25)  # restored lr
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    sched.load_state_dict({"base_lr": 1.0, "last_epoch": 4})
    assert (sched.base_lrs, sched.last_epoch, sched.get_last_lr()) == ([1.0], 4, [0.25])
    sched.step()
    sched.step()
    assert sched.get_last_lr() == [0.125]


def test_scheduler_sets_initial_lr_and_resumes_with_last_epoch():
    opt = optim.Adam([cr.tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]

    def resumed(module, param):
        opt = module.Adam([param], lr=0.1)
        module.lr_scheduler.StepLR(opt, step_size=2)  # records initial_lr
        opt.param_groups[0]["lr"] = 0.05
        sched = module.lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=3)
        lrs = [sched.get_last_lr()]
        for _ in range(4):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        return opt.param_groups[0]["initial_lr"], sched.base_lrs, lrs

    ours = resumed(optim, cr.tensor([1.0], requires_grad=True))
    assert ours[:2] == (0.1, [0.1]) and ours[2][0] == [0.05]
    assert ours == resumed(torch.optim, torch.nn.Parameter(torch.ones(1)))


def test_scheduler_drives_every_new_optimizer_like_torch():
    initial, grads = _initial_and_grads(SHAPES[:2], np.float64, steps=8)
    for name in ("AdamW", "RMSprop", "Adagrad", "Adadelta"):
        trajectories = []
        for module, wrap in ((optim, cr.tensor), (torch.optim, torch.tensor)):
            params = [wrap(p.copy(), requires_grad=True) for p in initial]
            opt = getattr(module, name)(params, lr=0.3)
            sched = module.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
            for step_grads in grads:
                for p, g in zip(params, step_grads, strict=True):
                    p.grad = wrap(g.copy())
                opt.step()
                sched.step()
            trajectories.append([np.array(p.tolist()) for p in params])
        for a, b in zip(*trajectories, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: lr_scheduler.StepLR(object(), 1), TypeError, "object is not an Optimizer"),
        (lambda o: lr_scheduler.LambdaLR(o, [abs, abs]), ValueError, "expected 1 values"),
        (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "should be a function"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, "start_factor"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=2), ValueError, "end_factor"),
        (lambda o: lr_scheduler.ConstantLR(o, factor=2), ValueError, "factor"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode"),
        (lambda o: lr_scheduler.OneCycleLR(o, 1.0), ValueError, "total_steps"),
        (lambda o: lr_scheduler.OneCycleLR(o, 1.0, 10, pct_start=1), ValueError, "pct_start"),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 1)], [3]),
            ValueError,
            "expected 0 milestones",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], []),
            ValueError,
            "needs a metric",
        ),
        (lambda o: lr_scheduler.ChainedScheduler([]), ValueError, "at least one scheduler"),
    ],
)
def test_scheduler_errors(make, error, match):
    opt = optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(error, match=match):
        make(opt)


def test_schedulers_of_another_optimizer_cannot_be_sequenced():
    a = optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=0.1)
    b = optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        lr_scheduler.SequentialLR(a, [lr_scheduler.StepLR(a, 1), lr_scheduler.StepLR(b, 1)], [2])


def test_one_cycle_without_momentum_raises():
    opt = optim.Adagrad([cr.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="Adagrad has neither"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5)


# ---------------------------------------------------------------------- nn.utils
def _grads_pair(shapes, dtype, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    grads = [(rng.standard_normal(shape) * scale).astype(dtype) for shape in shapes]
    ours = [cr.tensor(np.zeros(shape, dtype=dtype), requires_grad=True) for shape in shapes]
    theirs = [torch.nn.Parameter(torch.zeros(shape, dtype=TORCH_DTYPE[dtype])) for shape in shapes]
    for p, t, g in zip(ours, theirs, grads, strict=True):
        p.grad, t.grad = cr.tensor(g.copy()), torch.tensor(g.copy())
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.7, 1e3])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    shapes = [(3, 4), (7,), ()] + ([] if float(norm_type) == math.inf else [(0, 2)])
    ours, theirs = _grads_pair(shapes, dtype)  # (torch takes no inf norm of an empty grad)
    ours.append(cr.tensor([1.0], requires_grad=True))  # no grad: left out, as in torch
    total = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, cr.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), ref.item(), **TOLERANCE[dtype])
    for p, t in zip(ours, theirs, strict=False):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), **TOLERANCE[dtype])
    assert ours[-1].grad is None


def test_clip_grad_norm_single_tensor_and_no_grads():
    w = cr.tensor(np.zeros(2), requires_grad=True)
    w.grad = cr.tensor(np.array([6.0, 8.0]))
    assert utils.clip_grad_norm_(w, 5.0).item() == 10.0
    np.testing.assert_allclose(w.grad.data, [3.0, 4.0], rtol=1e-6)
    empty = utils.clip_grad_norm_([cr.tensor([1.0], requires_grad=True)], 1.0)
    assert empty.item() == 0.0 == torch.nn.utils.clip_grad_norm_([], 1.0).item()


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_clip_grad_norm_non_finite(bad):
    ours, theirs = _grads_pair([(3,)], np.float64)
    ours[0].grad.data[1] = bad
    theirs[0].grad[1] = bad
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):  # inf * 0: the NaN torch makes as well
        total = utils.clip_grad_norm_(ours, 1.0)
    ref = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    np.testing.assert_array_equal(total.data, ref.numpy())
    np.testing.assert_array_equal(ours[0].grad.data, theirs[0].grad.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_clip_grad_value_matches_torch(dtype):
    ours, theirs = _grads_pair([(4, 5), (3,), (0,)], dtype, scale=2.0)
    grads = [p.grad.data for p in ours]
    assert utils.clip_grad_value_(ours, 1.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, t, g in zip(ours, theirs, grads, strict=True):
        assert p.grad.data is g  # in place
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())


def test_clipping_on_another_array_namespace():
    xp = pytest.importorskip("array_api_strict")
    ours, theirs = _grads_pair([(3, 4), (5,)], np.float32, scale=3.0)
    moved = [cr.tensor(p.data).to(xp).requires_grad_() for p in ours]
    for p, m in zip(ours, moved, strict=True):
        m.grad = p.grad.to(xp)
    total = utils.clip_grad_norm_(moved, 2.0)
    ref = torch.nn.utils.clip_grad_norm_(theirs, 2.0)
    np.testing.assert_allclose(total.numpy(), ref.numpy(), rtol=2e-6)
    utils.clip_grad_value_(moved, 0.1)
    torch.nn.utils.clip_grad_value_(theirs, 0.1)
    for m, t in zip(moved, theirs, strict=True):
        assert type(m.grad.data) is not np.ndarray
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=2e-6, atol=1e-7)


def test_parameters_to_vector_and_back_match_torch():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in [(2, 3), (4,), (), (0, 5)]]
    ours = [cr.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in arrays]
    vec, ref = utils.parameters_to_vector(ours), torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vec.data, ref.detach().numpy())
    weights = rng.standard_normal(vec.shape)
    (vec * cr.tensor(weights)).sum().backward()  # on the graph: grads reach the parameters
    (ref * torch.tensor(weights)).sum().backward()
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
    new = rng.standard_normal(vec.shape)
    data = [p.data for p in ours]
    utils.vector_to_parameters(cr.tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    for p, t, d in zip(ours, theirs, data, strict=True):
        assert p.data is d  # copied into the parameter's own array
        np.testing.assert_array_equal(p.data, t.detach().numpy())


def test_vector_to_parameters_errors():
    w = cr.zeros((2, 2))
    with pytest.raises(TypeError, match="vec must be a Tensor"):
        utils.vector_to_parameters(np.zeros(4), [w])
    with pytest.raises(ValueError, match=r"shape \(5,\) does not match .* 4 elements"):
        utils.vector_to_parameters(cr.zeros(5), [w])
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        utils.vector_to_parameters(cr.zeros((2, 2)), [w])
    with pytest.raises(ValueError, match="no parameters"):
        utils.parameters_to_vector([])


def test_nn_utils_is_exported():
    assert cr.nn.utils is utils and "utils" in cr.nn.__all__
