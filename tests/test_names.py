"""The names corpus, ``chainrule train --model gpt`` and ``chainrule sample``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.data import load_names
from chainrule.training import TrainConfig, load_model, names
from helpers import run_cli


@pytest.mark.parametrize(
    "kind, count, first",
    [
        ("last", 88_799, ["smith", "johnson", "williams", "jones", "brown"]),
        ("first", 5_494, ["mary", "patricia", "linda", "barbara", "elizabeth"]),
        ("all", 94_293, ["smith", "johnson", "williams", "jones", "brown"]),
    ],
)
def test_load_names_counts_and_first_items(kind, count, first):
    items = load_names(kind)
    assert len(items) == count
    assert items[: len(first)] == first
    assert all(item.isalpha() and item.islower() for item in items)


def test_load_names_first_is_female_then_male_names():
    first = load_names("first")
    assert first[4_275 - 1] == "allyn"  # the last female name (rank 4275)
    assert first[4_275] == "james"  # then the male names, from the top: 331 are in both
    assert first.count("james") == 2 and len(set(first)) == 5_494 - 331
    assert len(set(load_names("last"))) == 88_799  # each file's names are distinct
    assert load_names("all") == load_names("last") + first


def test_load_names_unknown_kind():
    with pytest.raises(ValueError, match="load_names: kind must be one of last, first, all"):
        load_names("middle")


def test_encoding_starts_and_ends_with_token_0():
    encoded = names.encode(["ab", "c"], "abc", 4)
    np.testing.assert_array_equal(encoded.inputs, [[0, 1, 2, 0], [0, 3, 0, 0]])
    np.testing.assert_array_equal(encoded.targets, [[1, 2, 0, -100], [3, 0, -100, -100]])


def test_split_is_seeded_and_holds_out_ten_percent():
    train_a, test_a = names.load_data(TrainConfig(model="gpt", seed=3))
    train_b, test_b = names.load_data(TrainConfig(model="gpt", seed=3))
    _, test_c = names.load_data(TrainConfig(model="gpt", seed=4))
    assert len(test_a.inputs) == 8_880 and len(train_a) == 88_799 - 8_880
    np.testing.assert_array_equal(test_a.inputs, test_b.inputs)
    assert not np.array_equal(test_a.inputs, test_c.inputs)
    assert test_a.chars == "abcdefghijklmnopqrstuvwxyz" and test_a.block_size == 14
    # the bigram-count baseline the GPT should beat (add-one smoothing)
    assert names.bigram_loss(train_a, test_a) == pytest.approx(2.568, abs=0.01)


@pytest.fixture(scope="module")
def gpt_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpt")
    done = run_cli("train", "--model", "gpt", "--limit", "500", "--epochs", "1", "--out", str(out))
    return out, done


def test_gpt_run_writes_the_run_folder(gpt_run):
    out, done = gpt_run
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("epoch 1/1  loss ") and " test_loss " in lines[0]
    assert lines[-2].startswith("test loss: ") and len(lines[-2].split(": ")[1]) == 6
    written = {p.name for p in out.iterdir()}
    assert written >= {"model.safetensors", "checkpoint.safetensors", "metrics.json", "curves.png"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "gpt" and "test_accuracy" not in metrics
    loss = metrics["test_loss"]
    assert f"{loss:.4f}" == lines[-2].split(": ")[1]
    assert 2.0 < loss < np.log(27)  # learnt something in 4 steps, not a uniform guess yet


def test_gpt_run_reloads_with_the_same_test_loss(gpt_run):
    out, _ = gpt_run
    model = load_model(out)
    _, test = names.load_data(TrainConfig(model="gpt"))
    expected = json.loads((out / "metrics.json").read_text())["test_loss"]
    assert names.evaluate(model, test) == pytest.approx(expected, rel=1e-6)
    # from the checkpoint alone, the characters come from the run's own data
    assert names.evaluate(load_model(out / "checkpoint.safetensors"), test) == pytest.approx(
        expected, rel=1e-6
    )


def test_sample_is_reproducible_for_a_seed(gpt_run):
    out, _ = gpt_run
    first = run_cli("sample", str(out), "-n", "7", "--seed", "5")
    again = run_cli("sample", str(out), "-n", "7", "--seed", "5")
    other = run_cli("sample", str(out), "-n", "7", "--seed", "6")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 7 and all(line and line.isalpha() for line in lines)
    assert all(len(line) <= 13 for line in lines)
    assert again.stdout == first.stdout and other.stdout != first.stdout


def test_sample_default_count_and_temperature(gpt_run):
    out, _ = gpt_run
    done = run_cli("sample", str(out), "--temperature", "0.5", "--seed", "0")
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 20


@pytest.mark.parametrize("args, fragment", [(["nowhere"], "is not a run folder"), ([], "")])
def test_sample_errors_are_one_line_and_exit_2(tmp_path, args, fragment):
    done = run_cli("sample", *(args and [str(tmp_path / args[0])] or [str(tmp_path)]))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("chainrule sample: error: ") and fragment in done.stderr


def test_sample_of_an_mlp_run_is_a_clear_error(tmp_path):
    trained = run_cli("train", "--limit", "200", "--epochs", "1", "--out", str(tmp_path))
    assert trained.returncode == 0, trained.stderr
    done = run_cli("sample", str(tmp_path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "holds no gpt model" in done.stderr


def test_train_on_a_text_file(tmp_path):
    data = tmp_path / "words.txt"
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    data.write_text("\n".join(words * 3) + "\n\n")
    out = tmp_path / "run"
    done = run_cli(
        "train", "--model", "gpt", "--data", str(data), "--epochs", "2", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2].startswith("test loss: ")
    model = load_model(out)
    assert model.chars == "abdeghiklmnopstz" and model.block_size == 8
    sampled = run_cli("sample", str(out), "-n", "5", "--seed", "1").stdout.splitlines()
    assert len(sampled) == 5 and all(set(s) <= set(model.chars) for s in sampled)


def test_train_on_a_missing_text_file_is_one_line(tmp_path):
    done = run_cli("train", "--model", "gpt", "--data", str(tmp_path / "no.txt"))
    assert done.returncode == 2 and "is not a text file" in done.stderr


def test_evaluate_of_a_gpt_run_points_to_sample(gpt_run):
    out, _ = gpt_run
    done = run_cli("evaluate", str(out))
    assert done.returncode == 2 and "holds a gpt model; try chainrule sample" in done.stderr
