"""ldlgn: Light Differentiable Logic Gate Networks, from training to verified hardware."""
__version__ = "0.1.0"

from .checkpoint import load, save  # noqa: E402
from .discrete import DiscreteLayer, DiscreteNet  # noqa: E402
from .layers import GroupSum, LogicLayer  # noqa: E402
from .model import LogicNet  # noqa: E402

__all__ = ["load", "save", "LogicNet", "LogicLayer", "GroupSum", "DiscreteNet", "DiscreteLayer", "__version__"]
