"""``chainrule train --model cnn``: a short real-MNIST run end to end, and evaluate."""

from __future__ import annotations

import json

import pytest

from chainrule.training import RECIPES, TrainConfig, build_model, resolve
from helpers import run_cli


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cnn")
    done = run_cli("train", "--model", "cnn", "--limit", "1000", "--epochs", "1", "--out", str(out))
    return out, done


def test_train_cnn_runs_and_beats_chance(cnn_run):
    out, done = cnn_run
    assert done.returncode == 0, done.stderr
    final = done.stdout.strip().splitlines()[-2]
    assert final.startswith("test accuracy: ")
    # Chance is 0.1. After only 8 steps the BatchNorm running statistics (momentum 0.1) hold
    # 1 - 0.9^8 = 57% of the batch values, so evaluation mode lags behind: ~0.39 here.
    assert float(final.split(": ")[1]) > 0.25
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "cnn" and metrics["epochs"] == 1
    assert metrics["config"]["optimizer"] == RECIPES["cnn"].optimizer


def test_evaluate_cnn_checkpoint_reproduces_the_accuracy(cnn_run):
    out, done = cnn_run
    evaluated = run_cli("evaluate", str(out / "model.safetensors"))  # the file names "cnn"
    assert evaluated.returncode == 0, evaluated.stderr
    assert evaluated.stdout.strip() == done.stdout.strip().splitlines()[-2]


def test_cnn_checkpoint_holds_batchnorm_running_stats():
    keys = build_model("cnn").state_dict()
    assert {"layers.1.running_mean", "layers.1.running_var", "layers.5.running_var"} <= set(keys)


def test_recipe_defaults_per_model_and_explicit_flags_win():
    mlp = resolve(TrainConfig(model="mlp"))
    assert (mlp.epochs, mlp.optimizer, mlp.lr) == (4, "sgd", 0.1)
    cnn = resolve(TrainConfig(model="cnn"))
    recipe = RECIPES["cnn"]
    assert (cnn.epochs, cnn.optimizer, cnn.lr) == (recipe.epochs, recipe.optimizer, recipe.lr)
    assert resolve(TrainConfig(model="cnn", epochs=1, lr=0.5)).epochs == 1
    assert resolve(TrainConfig(model="cnn", optimizer="sgd")).lr == 0.1  # sgd's own default


def test_unknown_model_is_a_one_line_error():
    done = run_cli("train", "--model", "resnet")
    assert done.returncode == 2 and "invalid choice: 'resnet'" in done.stderr
