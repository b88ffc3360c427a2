"""The training job's safety: resuming gives the uninterrupted result, divergence stops early."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import chainrule as cr
from chainrule.training import (
    CHECKPOINT,
    TrainConfig,
    TrainingDiverged,
    loop,
    mnist,
    names,
    train,
)
from helpers import run_cli


def quiet(_: str) -> None:
    pass


def small_config(out, optimizer: str = "sgd") -> TrainConfig:
    return TrainConfig(
        epochs=3, limit=600, batch_size=64, out=str(out), optimizer=optimizer, seed=7
    )


def _whole_and_resumed(tmp_path, monkeypatch, task, config_for):
    """Train ``config_for(folder)`` whole, then again with a KeyboardInterrupt after epoch 2's
    training (its checkpoint not yet written), then resume that run: (whole weights,
    resumed weights, the resume's metrics)."""
    train(config_for(tmp_path / "whole"), log=quiet)
    real_evaluate = task.evaluate
    calls = []

    def interrupted_evaluate(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # epoch 2's training is done, its checkpoint not yet written
            raise KeyboardInterrupt
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(task, "evaluate", interrupted_evaluate)
    with pytest.raises(KeyboardInterrupt):
        train(config_for(tmp_path / "cut"), log=quiet)
    monkeypatch.setattr(task, "evaluate", real_evaluate)
    assert not (tmp_path / "cut" / "model.safetensors").exists()

    metrics = train(TrainConfig(), log=quiet, resume=tmp_path / "cut")
    whole = cr.load(tmp_path / "whole" / "model.safetensors")
    return whole, cr.load(tmp_path / "cut" / "model.safetensors"), metrics


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_resume_after_interruption_ends_with_identical_weights(tmp_path, monkeypatch, optimizer):
    whole, resumed, metrics = _whole_and_resumed(
        tmp_path, monkeypatch, mnist, lambda out: small_config(out, optimizer)
    )
    assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3]
    for key in whole:
        np.testing.assert_array_equal(resumed[key], whole[key], err_msg=key)


def test_gpt_resume_after_interruption_ends_with_identical_weights(tmp_path, monkeypatch):
    config = TrainConfig(model="gpt", epochs=2, limit=300, batch_size=64, seed=3)
    whole, resumed, metrics = _whole_and_resumed(
        tmp_path, monkeypatch, names, lambda out: replace(config, out=str(out))
    )
    assert [h["epoch"] for h in metrics["history"]] == [1, 2] and metrics["model"] == "gpt"
    assert metrics["test_loss"] == json.loads((tmp_path / "whole" / "metrics.json").read_text())[
        "test_loss"
    ]
    assert len(whole) == len(resumed) > 10
    for key in whole:
        np.testing.assert_array_equal(resumed[key], whole[key], err_msg=key)


def test_divergence_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    real_save = loop.save_run_state
    saved = {}

    def save_then_poison(path, **state):
        real_save(path, **state)
        saved.update({k: v.copy() for k, v in state["model"].state_dict().items()})
        for parameter in state["model"].parameters():
            parameter.data[...] = np.nan  # the next step's loss is NaN

    monkeypatch.setattr(loop, "save_run_state", save_then_poison)
    # At the recipe's lr 0.1 itself, the hint is ten times lower.
    with pytest.raises(TrainingDiverged, match=r"epoch 2, step 1; try a lower .* \(--lr 0\.01\)"):
        train(small_config(tmp_path), log=quiet)
    kept = cr.load(tmp_path / CHECKPOINT)
    for key, value in saved.items():
        np.testing.assert_array_equal(kept[f"model/{key}"], value)


def test_cli_divergence_is_one_line_suggesting_a_lower_lr(tmp_path):
    command = ["train", "--lr", "1000", "--limit", "2000", "--epochs", "1", "--out", str(tmp_path)]
    done = run_cli(*command)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "try a lower learning rate (--lr 0.1)" in done.stderr  # the recipe's, not 1000 / 10
    assert "no epoch finished, so there is no checkpoint" in done.stderr


@pytest.mark.parametrize(
    ("model", "optimizer", "lr", "expected"),
    [
        ("mlp", "sgd", 1000.0, 0.1),  # far above the recipe: the recipe's lr
        ("mlp", "sgd", 0.5, 0.05),  # near it: ten times lower
        ("mlp", "adam", 1.0, 2e-3),  # another optimiser: its default lr
        ("cnn", "adam", 0.01, 1e-3),
    ],
)
def test_divergence_hint_is_min_of_lr_over_10_and_the_default(model, optimizer, lr, expected):
    config = TrainConfig(model=model, optimizer=optimizer, lr=lr)
    assert loop._lower_lr(config) == pytest.approx(expected)


def test_resume_from_a_folder_without_checkpoint_is_a_clear_error(tmp_path):
    done = run_cli("train", "--resume", str(tmp_path))
    assert done.returncode == 2
    assert CHECKPOINT in done.stderr and "Traceback" not in done.stderr


def test_resume_from_a_weights_only_file_names_it(tmp_path):
    cr.save({"w": np.zeros(3)}, tmp_path / CHECKPOINT)
    with pytest.raises(ValueError, match="is not a chainrule training checkpoint"):
        train(TrainConfig(), log=quiet, resume=tmp_path)
