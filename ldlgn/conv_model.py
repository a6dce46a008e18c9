"""``ConvLogicNet``: thermometer encoder → the layers of an architecture spec (logic tree
convolutions, OR pooling, fully connected gate layers) → GroupSum (docs/convolutions.md).

The encoder's bits form an image of ``C·T`` channels (channel ``c·T + j`` is threshold ``j`` of input
channel ``c``) read in place through an index map, so the encoder and its bit order are the same as
``LogicNet``'s. Its ``config`` stores the canonical spec and the image shape, so a checkpoint
rebuilds the same network whatever the presets say later.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from . import arch as archspec
from .compiler.discrete import DiscreteLayer
from .conv import LogicConv2d, OrPool2d
from .encoder import ThermometerEncoder
from .layers import GroupSum, LogicLayer
from .model import GateNet

__all__ = ["ConvLogicNet", "encoded_image_index"]


def encoded_image_index(image: tuple[int, int, int], num_thresholds: int) -> np.ndarray:
    """``(C·T, H, W)``: where bit ``j`` of channel ``c`` at pixel ``(h, w)`` lies among the encoder's
    outputs (feature-major: bit ``((c·H + h)·W + w)·T + j``, docs/encoder.md)."""
    c, h, w = image
    t = num_thresholds
    return np.arange(c * h * w * t, dtype=np.int64).reshape(c, h, w, t).transpose(0, 3, 1, 2).reshape(c * t, h, w)


def _block(p: archspec.LayerPlan, in_index, connections: str, options: dict) -> nn.Module:
    """The module of one planned layer; ``in_index`` locates its input pixels (None: channel-major)."""
    it = p.item
    size = (p.in_shape[-2], p.in_shape[-1]) if len(p.in_shape) == 3 else (1, 1)
    if isinstance(it, archspec.Conv):
        geometry = (p.in_shape[0], it.out_channels, it.kernel_size, it.stride, it.pad, it.depth)
        return LogicConv2d(*geometry, in_size=size, in_index=in_index, group=it.group, **options)
    if isinstance(it, archspec.Pool):
        return OrPool2d(p.in_shape[0], it.kernel_size, it.step, it.padding, in_size=size, in_index=in_index)
    return LogicLayer(math.prod(p.in_shape), p.out_shape[0], connections=connections, **options)


class ConvLogicNet(GateNet):
    """A gate network of any architecture spec (:mod:`ldlgn.arch`) on integer images.

    ``num_features`` must equal ``C·H·W`` of ``image_shape`` (``(H, W)`` or ``(C, H, W)``); the
    features are the flat channel-major pixels, as the data sets store them. The other arguments
    are :class:`~ldlgn.model.LogicNet`'s; ``connections`` applies to the fully connected layers.
    """

    def __init__(
        self,
        num_features: int,
        num_classes: int,
        arch: str,
        image_shape,
        num_thresholds: int = 3,
        input_bits: int = 8,
        tau: float = 10.0,
        parametrization: str = "iwp",
        estimator: str = "sin",
        init: str = "ri",
        connections: str = "random",
        grad_factor: float = 1.0,
        backend: str = "auto",
        mu: float | None = None,
    ):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"need at least 2 classes, got {num_classes}")
        spec, image = archspec.canonical(arch), archspec.image_shape(image_shape)
        if math.prod(image) != num_features:
            raise ValueError(f"image shape {image} holds {math.prod(image)} features, the data has {num_features}")
        self.config = dict(
            num_features=num_features,
            num_classes=num_classes,
            arch=spec,
            image_shape=list(image),
            num_thresholds=num_thresholds,
            input_bits=input_bits,
            tau=tau,
            parametrization=parametrization,
            estimator=estimator,
            init=init,
            connections=connections,
            grad_factor=grad_factor,
            backend=backend,
            mu=mu,
        )
        self.encoder = ThermometerEncoder(num_features, num_thresholds, input_bits)
        self.plans = archspec.plan(spec, image, num_thresholds, num_classes)
        gate_options = dict(parametrization=parametrization, estimator=estimator, init=init, mu=mu)
        gate_options.update(grad_factor=grad_factor, backend=backend)
        in_index: np.ndarray | None = encoded_image_index(image, num_thresholds)
        blocks: list[nn.Module] = []
        for p in self.plans:
            blocks.append(_block(p, in_index, connections, gate_options))
            in_index = None  # every layer writes its output channel-major
        self.blocks = nn.ModuleList(blocks)
        self.group_sum = GroupSum(num_classes, tau)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        c, h, w = self.config["image_shape"]
        return (c, h, w)

    @property
    def layers(self) -> list:
        """The layers with trained gates (convolutions and fully connected), as plots read them."""
        return self.gate_layers()

    def gate_layers(self) -> list:
        return [b for b in self.blocks if not isinstance(b, OrPool2d)]

    @property
    def num_gates(self) -> int:
        """Gates of the unrolled network (what the compiler lowers, before optimization)."""
        return sum(p.gates for p in self.plans)

    def logic(self, x) -> torch.Tensor:
        h = self.encoder(x)
        for block in self.blocks:
            h = block(h)
        return h

    def discrete_layers(self) -> list[DiscreteLayer]:
        layers: list[DiscreteLayer] = []
        for block in self.blocks:
            if isinstance(block, LogicLayer):
                layers.append(block.discrete())
            elif isinstance(block, LogicConv2d | OrPool2d):
                layers += block.discrete_layers()
        return layers

    def extra_repr(self) -> str:
        return f"arch={self.config['arch']!r}, image_shape={tuple(self.config['image_shape'])}"


def build_conv_model(cfg, ds) -> ConvLogicNet:
    """A ``ConvLogicNet`` of ``cfg.arch`` (a ``TrainConfig``) for data set ``ds``, its encoder fitted
    on the training split (quantile thresholds per image channel)."""
    image = archspec.image_shape(ds.feature_shape)
    model = ConvLogicNet(
        ds.num_features, ds.num_classes, cfg.arch, image, cfg.num_thresholds, ds.input_bits, cfg.tau,
        cfg.parametrization, cfg.estimator, cfg.init, cfg.connections, cfg.grad_factor, cfg.backend, cfg.mu,
    )  # fmt: skip
    model.encoder.fit(ds.x_train, cfg.encoding, channels=image[0])
    return model


def check_conv_training_fits(cfg, ds) -> None:
    """Refuse, before anything is built, an architecture the data or this machine's memory cannot hold."""
    plans = archspec.plan(cfg.arch, archspec.image_shape(ds.feature_shape), cfg.num_thresholds, ds.num_classes)
    archspec.check_training_fits(plans, ds.num_features, cfg.num_thresholds, cfg.batch_size, cfg.parametrization)
