"""ldlgn: Light Differentiable Logic Gate Networks, from training to verified hardware.

The training API (torch) loads on first use, so ``import ldlgn.compiler`` and the ``ldlgn``
command's help stay free of torch (docs/architecture.md).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first attribute access)
_LAZY = {
    "load": "ldlgn.checkpoint",
    "save": "ldlgn.checkpoint",
    "LogicNet": "ldlgn.model",
    "ConvLogicNet": "ldlgn.conv_model",
    "LogicLayer": "ldlgn.layers",
    "NaryLayer": "ldlgn.nary",
    "LogicConv2d": "ldlgn.conv",
    "OrPool2d": "ldlgn.conv",
    "GroupSum": "ldlgn.layers",
    "DiscreteNet": "ldlgn.compiler.discrete",
    "DiscreteLayer": "ldlgn.compiler.discrete",
    "LutNet": "ldlgn.compiler.lutnet",
}
__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ldlgn' has no attribute {name!r}")
