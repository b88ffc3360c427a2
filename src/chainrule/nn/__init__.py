"""Neural-network building blocks: modules, layers, initialisers and functional ops."""

from __future__ import annotations

from . import functional, init
from .conv_layers import AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, MaxPool2d
from .layers import Flatten, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import Module, Parameter

__all__ = [
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "Linear",
    "MaxPool2d",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "functional",
    "init",
]

# -- tensor spelling (views, casts, comparisons)

# -- creation and top-level functions

# -- elementwise math

# -- reductions and scans

# -- indexing

# -- activations and losses
from .activations import (  # noqa: E402
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU6,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
)
from .losses import (  # noqa: E402
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)

__all__ += [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CELU",
    "CrossEntropyLoss",
    "ELU",
    "GELU",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "Mish",
    "NLLLoss",
    "ReLU6",
    "SELU",
    "SiLU",
    "SmoothL1Loss",
    "Softmax",
    "Softmin",
    "Softplus",
    "Softsign",
]

# -- layers: embedding, normalisation, convolution, pooling, resizing

from . import utils  # noqa: E402

__all__ += ["utils"]
