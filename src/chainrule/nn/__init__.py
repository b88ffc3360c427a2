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
from .containers import Identity, ModuleDict, ModuleList, Unflatten  # noqa: E402
from .conv_layers import (  # noqa: E402
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AlphaDropout,
    AvgPool1d,
    Conv1d,
    ConvTranspose1d,
    ConvTranspose2d,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
    Fold,
    MaxPool1d,
    MaxUnpool1d,
    MaxUnpool2d,
    Unfold,
)
from .embedding import Embedding  # noqa: E402
from .normalization import GroupNorm, LayerNorm  # noqa: E402
from .resize import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402

__all__ += [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AlphaDropout",
    "AvgPool1d",
    "Conv1d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "Embedding",
    "FeatureAlphaDropout",
    "Fold",
    "GroupNorm",
    "Identity",
    "LayerNorm",
    "MaxPool1d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "ModuleDict",
    "ModuleList",
    "Unflatten",
    "Unfold",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]

from . import utils  # noqa: E402

__all__ += ["utils"]

# -- sequence models: recurrent layers
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell  # noqa: E402

__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell"]

# -- sequence models: attention
from .attention import MultiheadAttention  # noqa: E402

__all__ += ["MultiheadAttention"]
