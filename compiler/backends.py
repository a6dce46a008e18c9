"""Back ends: what turns a netlist into artifacts, and their registry (docs/backends.md).

A back end is an object with a ``name``, a one-line ``help``, the build sub-folder it owns and an
``emit(netlist, out_dir, name, analysis, **options)`` method that writes its files and returns an
:class:`Emitted` record. Built-in back ends register when their module is imported; the registry
imports them on first use, so a new back end is one module plus one line in :data:`BUILTIN` (or,
outside this package, one ``ldlgn.backends`` entry point).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from .analysis import Analysis
from .netlist import Netlist

#: modules of the built-in back ends, imported on first use of the registry
BUILTIN = (
    "ldlgn.compiler.backend_c",
    "ldlgn.compiler.backend_verilog",
    "ldlgn.compiler.backend_blif",
    "ldlgn.compiler.backend_aiger",
)


@dataclass
class Emitted:
    """What a back end wrote: its files (relative to the build folder once recorded), the gates it
    emitted and its section of ``report.json``."""

    files: list[Path]
    num_gates: int
    report: dict[str, Any] = field(default_factory=dict)


class Backend(Protocol):
    """The interface of a back end."""

    name: str  #: registry key, e.g. ``"c"``; also its ``ldlgn compile --emit`` name
    help: str  #: one line for ``--help``
    folder: str  #: sub-folder of the build folder that the back end owns

    def options(self) -> dict[str, Any]:
        """The keyword options :meth:`emit` accepts, with their defaults."""
        ...

    def emit(self, netlist: Netlist, out_dir: Path, name: str, analysis: Analysis, **options: Any) -> Emitted:
        """Write the artifacts of ``netlist`` into ``out_dir`` (the back end's own folder)."""
        ...


_REGISTRY: dict[str, Backend] = {}
_loaded = False


def register_backend(backend: Backend) -> Backend:
    """Add ``backend`` to the registry (its name must be new); returns it."""
    if backend.name in _REGISTRY:
        raise ValueError(f"a back end named {backend.name!r} is already registered")
    _REGISTRY[backend.name] = backend
    return backend


def unregister_backend(name: str) -> Backend:
    """Remove the back end ``name`` from the registry (tests and plug-in reloads); returns it."""
    if name not in _REGISTRY:
        raise ValueError(f"no back end named {name!r} is registered")
    return _REGISTRY.pop(name)


def _load_builtin() -> None:
    """Import the built-in back ends and those other packages declare under the entry-point group
    ``ldlgn.backends`` (each entry names a module that registers its back end on import)."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in BUILTIN:
            import_module(module)
        for entry in entry_points(group="ldlgn.backends"):
            if entry.value not in BUILTIN:
                import_module(entry.value)


def backends() -> dict[str, Backend]:
    """Every registered back end by name."""
    _load_builtin()
    return dict(_REGISTRY)


def get_backend(name: str) -> Backend:
    """The back end registered as ``name``, or a ``ValueError`` listing the known ones."""
    known = backends()
    if name not in known:
        raise ValueError(f"unknown back end {name!r}; choose from {', '.join(known)}")
    return known[name]


def parse_emit(spec: str) -> tuple[str, ...]:
    """Back-end names from a comma-separated ``--emit`` list, checked and without repeats."""
    names = tuple(dict.fromkeys(s.strip() for s in spec.split(",") if s.strip()))
    for n in names:
        get_backend(n)
    return names
