"""ONNX export: ``export(model, example_input, path)`` writes a model ONNX Runtime can run.

``onnx`` is imported only when ``export`` runs; without it the call fails with one line
naming ``pip install "chainrule[onnx]"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["export"]


def export(model: Any, example_input: Any, path: str | Path, opset: int = 17) -> None:
    """Write ``model``'s forward on inputs like ``example_input`` as an ONNX file.

    Tracing: the forward runs twice in eval mode, under the engine's ordinary recording
    (every float parameter and input requires grad meanwhile, as for a backward), on the
    example (batch N) and on it with one more row (N + 1). Each recorded primitive becomes
    ONNX nodes (``primitives.py``); RNN/GRU/LSTM, Conv2d, Embedding and the activations that
    branch on the data are recognised by forward hooks and become one ONNX op each
    (``modules.py``). Dims that differ between the two runs are the batch: the inputs get a
    dynamic "batch" dim, and reshapes write it as -1 (or compute it from the input's shape),
    so the file serves every batch size. Parameters are initializers named from the module
    tree ("0.weight", "fc1.bias"), node names start with their module's name, and the
    graph passes ``onnx.checker.check_model``.

    Args:
        model: an ``nn.Module``; left in the train/eval mode it was in.
        example_input: an array or Tensor (or a tuple of them), axis 0 the batch.
        path: where to write the ``.onnx`` file.
        opset: the ONNX opset, 17 or newer.

    Raises:
        NotImplementedError: an op with no ONNX mapping, named with its module.
        ValueError: a graph that changes with the batch size or reads data computed from
            the input outside the graph.
        ImportError: onnx is not installed.

    Example:
        >>> import chainrule as cr, chainrule.nn as nn, numpy as np
        >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        >>> cr.onnx.export(model, np.zeros((2, 4), np.float32), "model.onnx")  # doctest: +SKIP
    """
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ImportError(
            'onnx export needs the onnx package: pip install "chainrule[onnx]"'
        ) from None
    from .convert import export_model

    export_model(model, example_input, path, opset)
