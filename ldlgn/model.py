"""``LogicNet`` = thermometer encoder → logic layers → GroupSum (docs/engines.md), on the shared
base ``GateNet`` that convolutional networks (:mod:`ldlgn.conv_model`) build on too."""

from __future__ import annotations

from typing import cast

import numpy as np
import torch
from torch import nn

from .compiler.discrete import DiscreteNet
from .compiler.lutnet import LutLayer, LutNet
from .encoder import ThermometerEncoder
from .layers import GroupSum, LogicLayer

ENGINES = ("auto", "torch", "numba")


class GateNet(nn.Module):
    """What every gate network classifier shares: ``encoder → gate layers → GroupSum``, eval mode
    computing the discretized network exactly, and prediction by torch or the Numba evaluator.

    Subclasses build ``encoder``, ``group_sum`` and ``config`` and say which modules hold trained
    gates (:meth:`gate_layers`), how an input flows (:meth:`logic`) and what the unrolled layers
    are (:meth:`discrete_layers`)."""

    encoder: ThermometerEncoder
    group_sum: GroupSum
    config: dict

    def gate_layers(self) -> list:
        """The modules with trained gates (a ``weights`` parameter and a ``backend``)."""
        raise NotImplementedError

    def discrete_layers(self) -> list:
        """The unrolled network as ``DiscreteLayer`` s, in order."""
        raise NotImplementedError

    def logic(self, x) -> torch.Tensor:
        """Output bits (or relaxed values in training) of the last layer ``(n, outputs)``."""
        raise NotImplementedError

    @property
    def num_classes(self) -> int:
        return self.group_sum.k

    def set_backend(self, backend: str) -> None:
        """Choose the relaxed-gate backend (``auto``, ``numba``, ``torch``) of every layer."""
        for layer in self.gate_layers():
            layer.backend = backend
        self.config["backend"] = backend

    def forward(self, x) -> torch.Tensor:
        """Class logits ``counts / tau``; in eval mode the counts are the integer popcounts."""
        return self.group_sum(self.logic(x))

    @torch.no_grad()
    def predict(self, x, engine: str = "auto", batch_size: int = 4096):
        """Discrete ``(scores int32 (n, k), classes int64 (n,))`` as numpy arrays.

        ``engine="torch"`` runs this module in eval mode; ``"numba"`` (and ``"auto"``) runs the
        bit-parallel evaluator on the lowered netlist, on the CPU.
        """
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
        if engine != "torch":
            from .compiler.bitsim import predict_netlist
            from .compiler.lower import lower

            net = self.discrete()
            if isinstance(net, LutNet):  # n-input gates: the LUT netlist's bit-parallel evaluator
                from .compiler.lut_bitsim import predict_lut_netlist
                from .compiler.lut_netlist import lower_lutnet

                return predict_lut_netlist(lower_lutnet(net), np.asarray(x))
            return predict_netlist(lower(net), np.asarray(x))
        was_training = self.training
        self.eval()
        try:
            batches = [
                self.group_sum.counts(self.logic(torch.as_tensor(x[i : i + batch_size])))
                for i in range(0, len(x), batch_size)
            ]
        finally:
            self.train(was_training)
        counts = torch.cat(batches) if batches else torch.zeros(0, self.num_classes)
        scores = counts.round().to(torch.int32).cpu().numpy()
        return scores, scores.argmax(1)

    def discrete(self) -> DiscreteNet | LutNet:
        """The discretized network: encoder thresholds, gate layers, class grouping; a ``LutNet``
        when the gates have more than two inputs (docs/n-input-gates.md).

        Refuses (``ValueError``) parameters that are NaN or infinite: they would discretize to
        constant gates, a network that silently ignores its inputs."""
        layers = self.gate_layers()
        for i, layer in enumerate(layers):
            if not bool(torch.isfinite(layer.weights).all()):
                raise ValueError(
                    f"layer {i} of {len(layers)} has non-finite parameters (NaN or inf): "
                    "the model diverged in training and cannot be discretized"
                )
        found = self.discrete_layers()
        net_class = LutNet if any(isinstance(layer, LutLayer) for layer in found) else DiscreteNet
        return net_class(
            self.encoder.thresholds.cpu().numpy(),
            self.encoder.input_bits,
            found,
            self.num_classes,
            self.group_sum.tau,
        )


def _gate_layers(widths: list[int], cfg: dict, gate_inputs: int, op_kernel: str) -> nn.ModuleList:
    """The gate layers between consecutive ``widths``: two-input ``LogicLayer`` s (any
    parametrization), or IWP ``NaryLayer`` s of ``gate_inputs`` inputs."""
    pairs = list(zip(widths[:-1], widths[1:]))
    estimator, init, connections, grad_factor = cfg["estimator"], cfg["init"], cfg["connections"], cfg["grad_factor"]
    if gate_inputs == 2:
        return nn.ModuleList(
            LogicLayer(
                i,
                o,
                cfg["parametrization"],
                estimator,
                init,
                connections,
                grad_factor,
                backend=cfg["backend"],
                mu=cfg["mu"],
                op_kernel=op_kernel,
            )
            for i, o in pairs
        )
    from .nary import NaryLayer, check_nary_options

    check_nary_options(gate_inputs, cfg["parametrization"], estimator, init)
    return nn.ModuleList(
        NaryLayer(i, o, gate_inputs, estimator, init, connections, grad_factor, backend=cfg["backend"], mu=cfg["mu"])
        for i, o in pairs
    )


class LogicNet(GateNet):
    """A light DLGN classifier on integer inputs.

    All layers have ``width`` gates except the last, which is rounded up to a multiple of
    ``num_classes`` so GroupSum can split it. The constructor arguments form :attr:`config`, which a
    checkpoint stores to rebuild the model.
    """

    def __init__(
        self,
        num_features: int,
        num_classes: int,
        width: int = 2000,
        depth: int = 4,
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
        op_kernel: str = "coefficients",
        gate_inputs: int = 2,
    ):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"need at least 2 classes, got {num_classes}")
        if width < 1 or depth < 1:
            raise ValueError(f"width and depth must be positive, got width={width}, depth={depth}")
        self.config = dict(
            num_features=num_features,
            num_classes=num_classes,
            width=width,
            depth=depth,
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
        if op_kernel != "coefficients":  # stored only when set: checkpoints of the default stay as they were
            self.config["op_kernel"] = op_kernel
        self.encoder = ThermometerEncoder(num_features, num_thresholds, input_bits)
        last = -(-width // num_classes) * num_classes
        widths = [self.encoder.num_outputs] + [width] * (depth - 1) + [last]
        if gate_inputs != 2:  # stored only when set: two-input checkpoints stay as they were
            self.config["gate_inputs"] = gate_inputs
        self.layers = _gate_layers(widths, self.config, gate_inputs, op_kernel)
        self.group_sum = GroupSum(num_classes, tau)

    def _logic_layers(self) -> list[LogicLayer]:
        """The gate layers with their type (iterating ``nn.ModuleList`` yields plain modules)."""
        return [cast(LogicLayer, layer) for layer in self.layers]

    def gate_layers(self) -> list[LogicLayer]:
        return self._logic_layers()

    @property
    def num_gates(self) -> int:
        return sum(layer.out_dim for layer in self._logic_layers())

    def logic(self, x) -> torch.Tensor:
        """Output bits (or relaxed values in training) of the last layer ``(n, outputs)``."""
        h = self.encoder(x)
        for layer in self.layers:
            h = layer(h)
        return h

    def discrete_layers(self) -> list:
        return [layer.discrete() for layer in self._logic_layers()]
