"""The ``chainrule`` command: ``train`` and ``evaluate`` on MNIST, ``sample`` from a GPT."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .training import RECIPES, TrainConfig


def _recipe_text(field: str) -> str:
    """A flag's default per model, e.g. "mlp 4, cnn 3"."""
    return ", ".join(f"{name} {getattr(recipe, field)}" for name, recipe in RECIPES.items())


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chainrule",
        description="Train and evaluate networks on MNIST; see backprop step by step.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a model on MNIST and write a run folder")
    train.add_argument(
        "--model", choices=list(RECIPES), default="mlp", help="architecture (default mlp)"
    )
    train.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help=f"passes over the training set (default per model: {_recipe_text('epochs')})",
    )
    train.add_argument(
        "--batch-size",
        type=_positive_int,
        default=TrainConfig.batch_size,
        help=f"mini-batch size (default {TrainConfig.batch_size})",
    )
    train.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help=f"learning rate (default per model: {_recipe_text('lr')})",
    )
    train.add_argument(
        "--optimizer",
        choices=["adam", "sgd"],
        default=None,
        help=f"optimiser (default per model: {_recipe_text('optimizer')})",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=TrainConfig.seed,
        help="seed for initialisation and shuffling (default 0)",
    )
    train.add_argument(
        "--data",
        default=None,
        help="folder with the MNIST IDX files (default $CHAINRULE_DATA or bundled); for --model"
        " gpt a text file with one item per line (default the bundled US surnames)",
    )
    train.add_argument("--out", default=None, help="run folder (default runs/<model>-<timestamp>)")
    train.add_argument(
        "--limit",
        type=_positive_int,
        default=None,
        help="train on the first N training images (items) only",
    )
    train.add_argument(
        "--resume",
        metavar="RUN_DIR",
        default=None,
        help="continue an interrupted run from its last finished epoch, with its own settings",
    )
    train.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the ranks of `mpiexec -n N chainrule train --distributed`:"
        " --batch-size is the global batch, split evenly; rank 0 prints and writes the run",
    )

    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved model")
    evaluate.add_argument(
        "checkpoint",
        help="a run folder, or its model.safetensors or checkpoint.safetensors, written by train",
    )
    evaluate.add_argument(
        "--model",
        choices=list(RECIPES),
        default=None,
        help="architecture (default: the one the checkpoint names)",
    )
    evaluate.add_argument("--data", default=None, help="folder with the MNIST IDX files")
    _add_explain(commands)
    _add_sample(commands)
    _add_export(commands)
    return parser


# -- export: `chainrule export RUN_DIR --onnx OUT.onnx`
def _add_export(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="write a trained run's model as an ONNX file")
    export.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by train")
    export.add_argument("--onnx", metavar="OUT.onnx", required=True, help="the file to write")


def _export(run_dir: str, out: str) -> None:
    """``cr.onnx.export`` of a run's model, rebuilt as ``sample`` and ``evaluate`` do."""
    from pathlib import Path

    import numpy as np

    from . import onnx
    from .training import load_model

    if not Path(run_dir).is_dir():
        raise FileNotFoundError(f"{run_dir} is not a run folder")
    model = load_model(run_dir)
    rng = np.random.default_rng(0)  # random, so no value hides a branch taken on the data
    example: np.ndarray
    if hasattr(model, "chars"):  # the names GPT: int64 (batch, block_size) tokens
        example = rng.integers(0, len(model.chars) + 1, (1, model.block_size))
    else:  # the MNIST models: float32 (batch, 1, 28, 28) images
        example = rng.random((1, 1, 28, 28), dtype=np.float32)
    onnx.export(model, example, out)
    print(f"wrote {out}")


def _add_sample(commands: argparse._SubParsersAction) -> None:
    sample = commands.add_parser("sample", help="print new items from a --model gpt run")
    sample.add_argument("run_dir", metavar="RUN_DIR", help="a run folder of train --model gpt")
    sample.add_argument(
        "-n", type=_positive_int, default=20, help="how many items, one a line (default 20)"
    )
    sample.add_argument(
        "--temperature",
        type=_positive_float,
        default=1.0,
        help="below 1 likelier items, above 1 more varied (default 1.0)",
    )
    sample.add_argument(
        "--seed", type=int, default=None, help="the same seed, the same items (default random)"
    )


def _add_explain(commands: argparse._SubParsersAction) -> None:
    explain = commands.add_parser(
        "explain",
        help="work backprop step by step through a 2-3-1 sigmoid network (or --graph yours)",
        description="Print the forward pass, the loss, every backward step (upstream x local ="
        " product) and one SGD step of a small network: inputs x0 = 2, x1 = 9, target 0.92,"
        " 3 hidden sigmoid units, 1 sigmoid output, fixed weights (listed in the report).",
    )
    explain.add_argument(
        "--graph",
        metavar="FILE.py:FUNCTION",
        default=None,
        help="explain your own function instead: no arguments, returns a one-element loss",
    )
    explain.add_argument(
        "--lr", type=_positive_float, default=None, help="learning rate of the SGD step (0.5)"
    )
    explain.add_argument(
        "--out",
        default="explain.svg",
        help="graph drawing: .dot, .svg, .png or .pdf (default explain.svg; .dot without Graphviz)",
    )
    explain.add_argument(  # issue 18: the page that steps through the backward pass
        "--html",
        metavar="OUT.html",
        default=None,
        help="also write an interactive page (one offline file) that steps through it",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for user errors)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            from .training import train

            config = TrainConfig(
                model=args.model,
                epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                optimizer=args.optimizer,
                seed=args.seed,
                data=args.data,
                out=args.out,
                limit=args.limit,
                distributed=args.distributed,
            )
            train(config, resume=args.resume)
        elif args.command == "sample":
            _sample(args.run_dir, args.n, args.temperature, args.seed)
        elif args.command == "export":
            _export(args.run_dir, args.onnx)
        elif args.command == "explain":
            from .explain import run

            return run(args.graph, args.lr, args.out, args.html)
        else:
            from .data import load_mnist
            from .training import evaluate, load_model

            model = load_model(args.checkpoint, args.model)
            if hasattr(model, "chars"):
                raise ValueError(f"{args.checkpoint} holds a gpt model; try chainrule sample")
            images, labels = load_mnist(args.data, train=False)
            print(f"test accuracy: {evaluate(model, images, labels):.4f}")
    except (ImportError, OSError, ValueError) as error:  # ImportError: a missing package
        return _fail(f"chainrule {args.command}: error: {error}", 2)
    except RuntimeError as error:  # a diverged run: not the arguments' fault, still one line
        return _fail(f"chainrule {args.command}: error: {error}", 1)
    return 0


def _fail(message: str, code: int) -> int:
    """Print the one-line error; in an MPI job, name the rank and end every rank with it."""
    if "chainrule.distributed" in sys.modules:  # the other ranks would wait for this one
        sys.modules["chainrule.distributed"].fail(message, code)
    print(message, file=sys.stderr)
    return code


def _sample(run_dir: str, n: int, temperature: float, seed: int | None) -> None:
    """Print ``n`` items a GPT run's model draws: one a line."""
    from pathlib import Path

    from .training import load_model
    from .training.names import sample

    if not Path(run_dir).is_dir():
        raise FileNotFoundError(f"{run_dir} is not a run folder")
    model = load_model(run_dir)
    if not hasattr(model, "chars"):
        raise ValueError(f"{run_dir} holds no gpt model (train one with --model gpt)")
    print("\n".join(sample(model, n, temperature, seed)))
