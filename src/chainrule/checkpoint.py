"""Resumable training state: model, optimiser, schedule, RNGs and progress in one file.

Arrays go into a safetensors file (``model/<name>``, ``optimizer/<index>/<name>``); the rest
(epoch, history, configuration, generator states, the optimiser's parameter groups and
scalar state) goes into its string metadata as JSON. Writing is atomic and nothing is ever
unpickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import nn, optim
from .data import DataLoader
from .serialization import load_with_metadata, save

FORMAT = "chainrule-run-1"


@dataclass
class RunState:
    """What a run needs to continue exactly where its last finished epoch left it."""

    epoch: int
    history: list[dict[str, Any]]
    config: dict[str, Any]
    model: dict[str, np.ndarray]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    loader_rng: dict[str, Any]
    init_rng: dict[str, Any]


def save_run_state(
    path: Path,
    *,
    epoch: int,
    history: list[dict[str, Any]],
    config: dict[str, Any],
    model: nn.Module,
    optimizer: optim.Optimizer,
    scheduler: optim.lr_scheduler.LRScheduler,
    loader: DataLoader,
) -> None:
    """Write the state after ``epoch`` atomically to ``path``."""
    arrays = {f"model/{k}": v for k, v in model.state_dict().items()}
    optimizer_state = optimizer.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for index, entries in optimizer_state["state"].items():
        for key, value in entries.items():
            if isinstance(value, np.ndarray):
                arrays[f"optimizer/{index}/{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    metadata = {
        "format": FORMAT,
        "epoch": str(epoch),
        "history": json.dumps(history),
        "config": json.dumps(config),
        "optimizer": json.dumps(
            {"param_groups": optimizer_state["param_groups"], "scalars": scalars}
        ),
        "scheduler": json.dumps(scheduler.state_dict()),
        "loader_rng": json.dumps(loader.rng_state()),
        "init_rng": json.dumps(nn.init.get_rng_state()),
    }
    save(arrays, path, metadata=metadata)


def load_run_state(path: Path) -> RunState:
    """Read a state written by ``save_run_state``; a foreign file is a clear ``ValueError``."""
    arrays, metadata = load_with_metadata(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(f"resume: {path} is not a chainrule training checkpoint")
    try:
        optimizer_meta = json.loads(metadata["optimizer"])
        state: dict[int, dict[str, Any]] = {}
        for index, entries in optimizer_meta["scalars"].items():
            state.setdefault(int(index), {}).update(entries)
        for key, value in arrays.items():
            if key.startswith("optimizer/"):
                _, index, name = key.split("/", 2)
                state.setdefault(int(index), {})[name] = value
        return RunState(
            epoch=int(metadata["epoch"]),
            history=json.loads(metadata["history"]),
            config=json.loads(metadata["config"]),
            model={k[len("model/") :]: v for k, v in arrays.items() if k.startswith("model/")},
            optimizer=_optimizer_state(optimizer_meta, state),
            scheduler=json.loads(metadata["scheduler"]),
            loader_rng=json.loads(metadata["loader_rng"]),
            init_rng=json.loads(metadata["init_rng"]),
        )
    except (KeyError, ValueError, TypeError) as error:
        raise ValueError(f"resume: {path} has incomplete training state ({error})") from None


def _optimizer_state(meta: dict[str, Any], state: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The optimiser's state dict: its groups, or, from a file saved before parameter groups,
    the one lr and defaults every group takes."""
    if "param_groups" in meta:
        return {"param_groups": meta["param_groups"], "state": state}
    return {"lr": meta["lr"], "defaults": meta["defaults"], "state": state}
