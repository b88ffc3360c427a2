"""The command line: a short real-MNIST run, evaluate, and one-line errors."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.training import build_model
from helpers import run_cli


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    done = run_cli("train", "--limit", "2000", "--epochs", "1", "--out", str(out))
    return out, done


def test_train_smoke_writes_all_three_files(short_run):
    out, done = short_run
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} >= {"model.safetensors", "metrics.json", "curves.png"}


def test_train_smoke_reports_accuracy_well_above_chance(short_run):
    out, done = short_run
    final = done.stdout.strip().splitlines()[-2]
    assert final.startswith("test accuracy: ")
    assert float(final.split(": ")[1]) > 0.5  # chance is 0.1; 16 steps of SGD reach ~0.58


def test_train_metrics_json_has_the_documented_keys(short_run):
    out, _ = short_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "mlp" and metrics["epochs"] == 1
    assert metrics["train_seconds"] > 0
    (epoch,) = metrics["history"]
    assert set(epoch) == {"epoch", "train_loss", "test_accuracy", "seconds"}
    assert epoch["test_accuracy"] == metrics["test_accuracy"]


def test_train_curves_png_is_an_image(short_run):
    out, _ = short_run
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_reproduces_the_trained_accuracy(short_run):
    out, done = short_run
    evaluated = run_cli("evaluate", str(out / "model.safetensors"))
    assert evaluated.returncode == 0, evaluated.stderr
    trained_line = done.stdout.strip().splitlines()[-2]
    assert evaluated.stdout.strip() == trained_line


@pytest.mark.parametrize("name", ["", "checkpoint.safetensors"])
def test_evaluate_a_run_folder_or_its_checkpoint(short_run, capsys, name):
    out, done = short_run
    assert main(["evaluate", str(out / name)]) == 0
    assert capsys.readouterr().out.strip() == done.stdout.strip().splitlines()[-2]


def test_evaluate_a_folder_with_only_its_checkpoint(short_run, tmp_path, capsys):
    out, done = short_run
    shutil.copy(out / "checkpoint.safetensors", tmp_path)  # training stopped before the end
    assert main(["evaluate", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == done.stdout.strip().splitlines()[-2]


def test_evaluate_foreign_weights_is_a_short_sorted_message(tmp_path, capsys):
    cr.save({f"k{i:02d}": np.zeros(1) for i in reversed(range(40))}, tmp_path / "w.safetensors")
    assert main(["evaluate", str(tmp_path / "w.safetensors")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert len(err.replace(str(tmp_path), "")) < 250, err  # not 40 keys
    assert "does not hold mlp weights" in err
    assert "unexpected keys ['k00', 'k01', 'k02', ... (37 more)]" in err


def test_train_on_missing_data_leaves_no_run_folder(tmp_path):
    done = run_cli("train", "--data", "/nonexistent/mnist", cwd=tmp_path)  # default --out
    assert done.returncode == 2 and "/nonexistent/mnist" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_train_without_a_package_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)  # as if not installed
    assert main(["train", "--limit", "10", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "pip install safetensors" in err
    assert not (tmp_path / "run").exists()  # stopped before training, not after an epoch


def test_train_same_seed_same_metrics(tmp_path):
    args = ["train", "--limit", "500", "--epochs", "1", "--seed", "3"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert a["history"][0]["train_loss"] == b["history"][0]["train_loss"]
    weights_a = cr.load(tmp_path / "a" / "model.safetensors")
    weights_b = cr.load(tmp_path / "b" / "model.safetensors")
    for key in weights_a:
        np.testing.assert_array_equal(weights_a[key], weights_b[key])


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path):
    cr.nn.init.manual_seed(0)
    model = build_model("mlp")
    cr.save(model.state_dict(), tmp_path / "model.safetensors")
    cr.nn.init.manual_seed(1)
    restored = build_model("mlp")
    restored.load_state_dict(cr.load(tmp_path / "model.safetensors"))
    x = cr.randn(8, 1, 28, 28, seed=0)
    np.testing.assert_array_equal(model(x).data, restored(x).data)


def test_checkpoint_into_other_shapes_fails_naming_the_key(tmp_path):
    model = cr.nn.Sequential(cr.nn.Linear(784, 32), cr.nn.ReLU(), cr.nn.Linear(32, 10))
    cr.save(model.state_dict(), tmp_path / "small.safetensors")
    with pytest.raises(ValueError, match=r"layers\.0\.weight: expected \(256, 784\)"):
        cr.nn.Sequential(
            cr.nn.Linear(784, 256), cr.nn.ReLU(), cr.nn.Linear(256, 10)
        ).load_state_dict(cr.load(tmp_path / "small.safetensors"))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--epochs", "0"], "--epochs: must be a positive integer"),
        (["train", "--lr", "-1"], "--lr: must be a positive number"),
        (["train", "--model", "resnet"], "invalid choice: 'resnet'"),
        (["train", "--data", "/nonexistent/mnist", "--limit", "10"], "/nonexistent/mnist"),
        (["evaluate", "/nonexistent/model.safetensors"], "/nonexistent/model.safetensors"),
        (["evaluate", "/"], "/ holds no model.safetensors, no checkpoint.safetensors"),
        (["fly"], "invalid choice: 'fly'"),
        (["train", "--limit", "10", "--out", "/dev/null/run"], "/dev/null/run"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, args, fragment):
    if args[0] == "train" and "--out" not in args:
        args = [*args, "--out", str(tmp_path)]
    done = run_cli(*args)
    assert done.returncode == 2
    assert fragment in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
