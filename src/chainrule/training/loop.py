"""The task-agnostic training loop and run folder behind ``chainrule train``. Tasks: mnist.py."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import nn, optim
from ..checkpoint import FORMAT, load_run_state, save_run_state
from ..data import DataLoader
from ..serialization import load_with_metadata, save
from .ranks import Ranks
from .registry import task_for
from .task import Metric, Task


@dataclass
class TrainConfig:
    """Everything a run depends on; None takes the model's measured recipe (``RECIPES``)."""

    model: str = "mlp"
    epochs: int | None = None  # None: the recipe's
    batch_size: int = 128
    lr: float | None = None  # None: the recipe's, or DEFAULT_LR of another optimiser
    optimizer: str | None = None  # None: the recipe's
    seed: int = 0
    data: str | None = None
    out: str | None = None
    limit: int | None = None
    distributed: bool = False  # data-parallel over the MPI job's ranks; batch_size is global


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message names the step and the last checkpoint."""


CHECKPOINT = "checkpoint.safetensors"  # the run state after the last finished epoch
MODEL = "model.safetensors"  # the weights after the last epoch, with the model's name


DEFAULT_LR = {"adam": 2e-3, "sgd": 0.1}


def resolve(config: TrainConfig) -> TrainConfig:
    """``config`` with every None filled in from the model's recipe."""
    recipe = task_for(config.model).recipes[config.model]
    optimizer = config.optimizer or recipe.optimizer
    lr = config.lr
    if lr is None:
        lr = recipe.lr if optimizer == recipe.optimizer else DEFAULT_LR.get(optimizer)
    return replace(config, epochs=config.epochs or recipe.epochs, optimizer=optimizer, lr=lr)


def build_optimizer(config: TrainConfig, model: nn.Module) -> optim.Optimizer:
    """SGD with Nesterov momentum 0.9, or Adam, at the learning rate ``resolve`` gives."""
    config = resolve(config)
    lr = config.lr
    if config.optimizer == "adam":
        assert lr is not None  # resolve fills it for every known optimiser
        return optim.Adam(model.parameters(), lr=lr)
    if config.optimizer == "sgd":
        assert lr is not None
        return optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; choose from: adam, sgd")


def train(
    config: TrainConfig, log: Callable[[str], None] = print, resume: str | Path | None = None
) -> dict[str, Any]:
    """Train, evaluate after every epoch, and write the run folder; returns the metrics.

    After each epoch the whole run state goes to ``checkpoint.safetensors`` in the run
    folder, so ``resume=RUN_DIR`` continues an interrupted run (with the configuration it
    was started with) and ends with exactly the weights an uninterrupted run would have.
    """
    state = load_run_state(Path(resume) / CHECKPOINT) if resume is not None else None
    if state is not None:  # how it runs (--distributed) is the caller's, the rest the run's
        config = TrainConfig(
            **{**state.config, "out": str(resume), "distributed": config.distributed}
        )
    config = resolve(config)
    ranks = Ranks.start(config)
    if not ranks.lead:
        log = _silent
    assert config.epochs is not None  # resolve fills it from the recipe
    task = task_for(config.model)
    per_step = task.recipes[config.model].per_step_schedule
    out = Path(config.out or f"runs/{config.model}-{time.strftime('%Y%m%d-%H%M%S')}")
    _check_dependencies()
    started = time.perf_counter()
    train_set, test_data = task.load_data(config)
    if ranks.lead:  # only now: bad data leaves no empty folder behind
        out.mkdir(parents=True, exist_ok=True)

    model_args = task.model_args(test_data) if task.model_args is not None else {}
    nn.init.manual_seed(config.seed)
    model = task.build_model(config.model, **model_args)
    optimizer = build_optimizer(config, model)
    loader = ranks.loader(train_set, config)
    steps = config.epochs * (len(loader) if per_step else 1)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    history: list[dict[str, Any]] = []
    if state is not None:
        model.load_state_dict(state.model)
        optimizer.load_state_dict(state.optimizer)
        schedule.load_state_dict(state.scheduler)
        loader.set_rng_state(state.loader_rng)
        nn.init.set_rng_state(state.init_rng)
        history = state.history
        log(f"resuming {out} after epoch {state.epoch}/{config.epochs}")
    net = ranks.wrap(model)

    metric = task.metric
    for epoch in range(len(history) + 1, config.epochs + 1):
        epoch_start = time.perf_counter()
        ranks.set_epoch(loader, epoch)
        train_loss = _train_epoch(
            task,
            net,
            optimizer,
            loader,
            epoch,
            config,
            out,
            ranks,
            schedule if per_step else None,
        )
        if not per_step:
            schedule.step()
        score = ranks.from_lead(lambda: task.evaluate(model, test_data))
        seconds = time.perf_counter() - epoch_start
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                metric.key: score,
                "seconds": round(seconds, 3),
            }
        )
        if ranks.lead:
            save_run_state(
                out / CHECKPOINT,
                epoch=epoch,
                history=history,
                config=asdict(config),
                model=model,
                optimizer=optimizer,
                scheduler=schedule,
                loader=loader,
            )
        log(
            f"epoch {epoch}/{config.epochs}  loss {train_loss:.4f}  "
            f"{metric.short} {score:{metric.spec}}  {seconds:.1f}s"
        )

    metrics = {
        "model": config.model,
        "epochs": config.epochs,
        metric.key: history[-1][metric.key],
        "train_seconds": round(time.perf_counter() - started, 3),
        "history": history,
        "config": asdict(config),
    }
    if not ranks.lead:
        return metrics
    metadata = {"model": config.model}
    if model_args:
        metadata["model_args"] = json.dumps(model_args)
    save(model.state_dict(), out / MODEL, metadata=metadata)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plot_curves(history, out / "curves.png", metric)
    log(f"{metric.label}: {metrics[metric.key]:.4f}")
    log(f"run folder: {out}")
    return metrics


def _train_epoch(
    task: Task,
    model: nn.Module,
    optimizer: optim.Optimizer,
    loader: DataLoader,
    epoch: int,
    config: TrainConfig,
    out: Path,
    ranks: Ranks,
    step_schedule: optim.lr_scheduler.LRScheduler | None = None,
) -> float:
    """One pass over the training set; returns the mean loss. Stops at a non-finite loss.

    ``step_schedule``, if given, is stepped after every batch rather than once per epoch.
    The mean is over every rank's samples.
    """
    total_loss, seen = 0.0, 0
    # NOTE: overflow warnings would bury the one-line divergence report.
    with np.errstate(over="ignore", invalid="ignore"):
        # NOTE: mpiexec gives each rank a terminal of its own, even when its output is a log.
        shown = not ranks.distributed
        batches = _progress(loader, f"epoch {epoch}/{config.epochs}") if shown else loader
        for step, batch in enumerate(batches, start=1):
            optimizer.zero_grad()
            loss = task.loss(model, batch)
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                raise TrainingDiverged(_diverged_message(loss_value, epoch, step, config, out))
            loss.backward()
            optimizer.step()
            if step_schedule is not None:
                step_schedule.step()
            total_loss += loss_value * len(batch[0])
            seen += len(batch[0])
    return ranks.mean(total_loss, seen)


def _silent(line: str) -> None:
    """The log of every rank but the lead: one voice per job."""


def _check_dependencies() -> None:
    """Fail before training, in one line, when a package the run needs at its end is missing."""
    for module in ("safetensors", "matplotlib", "tqdm"):
        if importlib.util.find_spec(module) is None:
            raise ImportError(
                f"train: the {module!r} package is missing (pip install {module}, or reinstall "
                "chainrule); nothing was trained"
            )


def _lower_lr(config: TrainConfig) -> float:
    """The learning rate a diverged run should try: min(lr / 10, the recipe's default lr).

    The default is what ``resolve`` gives without ``--lr`` for the model and optimiser (for
    the MLP with SGD 0.1), so a far-too-large lr (1000) gets the recipe's value, not 100,
    and a run that diverged at or below the default gets ten times less.
    """
    lr = config.lr
    assert lr is not None, "train() passes a resolved config"
    default = resolve(replace(config, lr=None)).lr
    return lr / 10 if default is None else min(lr / 10, default)


def _diverged_message(loss: float, epoch: int, step: int, config: TrainConfig, out: Path) -> str:
    kept = (
        f"the last good checkpoint is {out / CHECKPOINT}"
        if (out / CHECKPOINT).exists()
        else "no epoch finished, so there is no checkpoint"
    )
    return (
        f"loss became {loss} at epoch {epoch}, step {step}; try a lower learning rate "
        f"(--lr {_lower_lr(config):g}); {kept}"
    )


def _progress(loader: DataLoader, description: str) -> Any:
    """A tqdm bar on a terminal; the plain loader otherwise (logs stay clean)."""
    if not sys.stdout.isatty():
        return loader
    from tqdm import tqdm

    return tqdm(loader, desc=description, leave=False, unit="batch")


def plot_curves(history: list[dict[str, Any]], path: Path, metric: Metric) -> None:
    """Loss and the task's metric per epoch, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, [h["train_loss"] for h in history], marker="o")
    left.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    scores = [metric.plot_scale * h[metric.key] for h in history]
    right.plot(epochs, scores, marker="o", color="tab:green")
    right.set(title=metric.label, xlabel="epoch", ylabel=metric.plot_unit)
    for axes in (left, right):
        axes.grid(alpha=0.3)
        axes.set_xticks(epochs)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def load_model(path: str | Path, model_name: str | None = None) -> nn.Module:
    """A model with the weights ``chainrule train`` wrote, from a file or a run folder.

    Args:
        path: a ``model.safetensors``; a run-state ``checkpoint.safetensors`` (its model
            weights); or a run folder (its ``model.safetensors``, else its checkpoint's).
        model_name: the architecture; by default the one the file's metadata or the
            checkpoint's run configuration names.

    Raises:
        FileNotFoundError: no such file, or a folder without either file.
        ValueError: not a safetensors file, or weights that do not fit the architecture.
    """
    path = Path(path)
    if path.is_dir():
        found = [path / name for name in (MODEL, CHECKPOINT) if (path / name).is_file()]
        if not found:
            raise FileNotFoundError(f"load_model: {path} holds no {MODEL}, no {CHECKPOINT}")
        path = found[0]
    weights, metadata = load_with_metadata(path)
    name = metadata.get("model")
    args = json.loads(metadata.get("model_args", "{}"))
    if metadata.get("format") == FORMAT:  # the run state: model/<key> arrays, config as JSON
        state = load_run_state(path)
        weights, name = state.model, state.config.get("model")
        task = task_for(model_name or name or TrainConfig.model)
        if task.model_args is not None:  # not saved in the run state: from the run's data
            args = task.model_args(task.load_data(TrainConfig(**state.config))[1])
    name = model_name or name or TrainConfig.model
    model = task_for(name).build_model(name, **args)
    try:
        model.load_state_dict(weights)
    except ValueError as error:
        raise ValueError(f"load_model: {path} does not hold {name} weights ({error})") from None
    return model
