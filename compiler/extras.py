"""Optional dependencies: imported where a feature first needs them, or named with the extra that installs them.

The core (training, compiling, C and Verilog) needs only numpy, numba, networkx and torch. RTL
simulation, plots and the built-in data sets each come with an extra of the package
(``pip install 'ldlgn[sim]'``, ``[plots]``, ``[data]``; ``[all]`` for the three), so a missing
package is an install hint rather than a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: extra -> what it enables (the start of the message when its package is missing)
EXTRAS = {"sim": "RTL simulation", "plots": "plotting", "data": "loading the built-in data sets"}
#: import name -> distribution name, where they differ
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "cocotb_tools": "cocotb"}


class MissingExtraError(ImportError, RuntimeError):
    """An optional package is not installed; the message names the extra that installs it.

    A :class:`RuntimeError` too, so the ``ldlgn`` command reports it as a one-line error.
    """


def require(module: str, extra: str, what: str | None = None) -> ModuleType:
    """Import and return ``module``, or raise :class:`MissingExtraError` naming ``ldlgn[extra]``.

    ``what`` names the feature in the message (default: the one the extra is for).
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; expected one of {sorted(EXTRAS)}")
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.partition(".")[0]
        package = _DISTRIBUTIONS.get(top, top)
        message = f"{what or EXTRAS[extra]} needs {package}: pip install 'ldlgn[{extra}]'"
        raise MissingExtraError(message, name=module) from err
