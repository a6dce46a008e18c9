"""Build emitted C into a shared library (parallel, cached) and run it from Python via ctypes.

Three steps, each usable on its own: :func:`~ldlgn.compiler.c_emit.emit_c` writes the sources,
:func:`compile_library` compiles exactly the sources found in a folder (so a build folder's shipped
C is what runs, and an edited file is noticed by ``verify``), :func:`load_library` loads a
compiled library without any compiler. :func:`build_c` chains them behind a content-hash cache.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .c_emit import check_name, emit_c, gate_units
from .netlist import Netlist

INSTALL_HINT = "install a C compiler with: sudo apt-get install gcc"
#: only the API is exported; -pthread for ldlgn_<name>_predict_mt
BASE_FLAGS = ("-std=c99", "-fPIC", "-march=native", "-fvisibility=hidden", "-pthread")
DRIVER_FLAGS = ("-O3",)  #: the driver is one small unit; -O3 unrolls its encode/count/transpose loops
#: straight-line gate code gains nothing from GCC's memory-level passes, which cost most of its time
GATE_FLAGS_GCC = (
    "-O1",
    "-fno-tree-dse",
    "-fno-dse",
    "-fno-tree-fre",
    "-fno-tree-pta",
    "-fno-ipa-modref",
    "-fno-ipa-pure-const",
    "-fno-ipa-reference",
)
GATE_FLAGS_OTHER = ("-O1",)


def cache_root(cache_dir=None) -> Path:
    """``cache_dir``, else ``$LDLGN_CACHE``, else ``~/.cache/ldlgn`` (as an absolute path)."""
    return Path(cache_dir or os.environ.get("LDLGN_CACHE") or Path.home() / ".cache" / "ldlgn").resolve()


def find_compiler(cc: str | None = None) -> str:
    """Path of the C compiler ``cc``, else of ``$CC``, else of the first of ``cc``, ``gcc``, ``clang``.

    A compiler that was asked for (``cc`` or ``$CC``) and is missing is an error, never a silent
    fall-back to another compiler: the build would not be the one requested.
    """
    env = os.environ.get("CC")
    if cc:
        wanted, names = f"C compiler {cc!r}", [cc]
    elif env:
        wanted, names = f"C compiler $CC={env!r}", [env]
    else:
        wanted, names = "C compiler (cc, gcc or clang)", ["cc", "gcc", "clang"]
    for n in names:
        path = shutil.which(n)
        if path:
            return path
    raise RuntimeError(f"{wanted} not found; {INSTALL_HINT}")


def _compiler_version(cc: str) -> str:
    return subprocess.run([cc, "--version"], capture_output=True, text=True).stdout


def _compiler_id(cc: str) -> str:
    """Compiler version and this CPU's features (``-march=native`` depends on both)."""
    out = _compiler_version(cc)
    try:
        with open("/proc/cpuinfo") as f:
            out += next((line for line in f if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    return out


def _run(cmd, cwd) -> None:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"C compilation failed: {' '.join(map(str, cmd))}\n{res.stderr[-4000:]}")


def compile_sources(jobs, out_dir: Path, lib_name: str, cc: str, link_flags, workers=None) -> Path:
    """Compile ``jobs`` (``(source, flags)`` pairs) in parallel with ``os.cpu_count()`` workers into
    objects in ``out_dir`` and link them into ``out_dir/lib_name``."""
    objs = [Path(out_dir) / f"{Path(s).stem}.o" for s, _ in jobs]
    # biggest first so that no long unit starts last
    order = sorted(range(len(jobs)), key=lambda i: -os.path.getsize(jobs[i][0]))

    def one(i):
        src, flags = jobs[i]
        _run([cc, *flags, "-c", str(src), "-o", str(objs[i])], out_dir)

    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        list(pool.map(one, order))
    lib = out_dir / lib_name
    _run([cc, *link_flags, "-shared", "-o", str(lib), *map(str, objs)], out_dir)
    return lib


def _flags(compiler: str, vector_bits: int | None, extra_flags: Sequence[str]) -> tuple[list, list, list]:
    """Driver, gate and link flags for ``compiler`` (GCC gets its cheaper gate flags)."""
    if vector_bits not in (None, 64, 128, 256, 512):
        raise ValueError(f"vector_bits must be 64, 128, 256 or 512, got {vector_bits!r}")
    flags = [*BASE_FLAGS, *extra_flags] + ([f"-DLDLGN_VECTOR_BITS={vector_bits}"] if vector_bits else [])
    is_gcc = "Free Software Foundation" in _compiler_version(compiler) and "clang" not in compiler
    return [*DRIVER_FLAGS, *flags], [*(GATE_FLAGS_GCC if is_gcc else GATE_FLAGS_OTHER), *flags], flags


def library_name(name: str) -> str:
    """File name of the shared library of design ``name``."""
    return f"libldlgn_{name}.so"


def compile_library(
    c_dir: str | Path,
    name: str,
    lib_dir: str | Path,
    cc: str | None = None,
    vector_bits: int | None = None,
    extra_flags: Sequence[str] = (),
) -> Path:
    """Compile the C of design ``name`` that is in ``c_dir`` — the driver ``<name>.c`` and every
    ``<name>_gates<k>.c``, as they are on disk — into ``lib_dir/libldlgn_<name>.so``; returns its path.

    The library is built in a temporary folder next to ``lib_dir`` and renamed into place, so
    ``lib_dir`` never holds a half-written library and a process that has the old one loaded keeps
    it. ``cc``: see :func:`find_compiler`; ``vector_bits``: see :func:`build_c`.
    """
    check_name(name)
    c_dir, lib_dir = Path(c_dir).resolve(), Path(lib_dir).resolve()
    driver = c_dir / f"{name}.c"
    if not driver.is_file():
        raise FileNotFoundError(
            f"no C driver {driver}: emit the sources with emit_c(netlist, {str(c_dir)!r}, "
            f"{name!r}) or `ldlgn compile MODEL --c`"
        )
    compiler = find_compiler(cc)
    driver_flags, gate_flags, link_flags = _flags(compiler, vector_bits, extra_flags)
    jobs = [(driver, driver_flags)] + [(p, gate_flags) for p in gate_units(c_dir, name)]
    lib_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib_dir.parent, prefix=".build-") as tmp:
        # #include "<name>_impl.h" is found next to each source: the design's own headers
        built = compile_sources(jobs, Path(tmp), library_name(name), compiler, link_flags)
        lib_dir.mkdir(parents=True, exist_ok=True)
        os.replace(built, lib_dir / built.name)
    return lib_dir / library_name(name)


#: resolved library path -> (device, inode, mtime) of the file this process first loaded there
_LOADED: dict[Path, tuple[int, int, int]] = {}


def _dlopen(path: Path) -> ctypes.CDLL:
    """``dlopen`` the library file ``path``. The dynamic loader recognizes a library it has loaded
    by its path (and by its inode) and hands back the old code, so a file that was replaced since
    this process loaded that path (a rebuild) is loaded from a private copy instead."""
    st = path.stat()
    ident = (st.st_dev, st.st_ino, st.st_mtime_ns)
    if _LOADED.setdefault(path.resolve(), ident) == ident:
        return ctypes.CDLL(str(path))
    with tempfile.TemporaryDirectory(prefix="ldlgn-lib-") as tmp:  # a loaded file may be deleted
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        return ctypes.CDLL(str(copy))


class CModel:
    """A compiled network: ``predict(x) -> (scores int32 (n, k), classes int64 (n,))``.

    Made by :func:`load_library` (or :func:`build_c`); loading runs no compiler.
    """

    def __init__(self, library_path, name, num_features, num_classes, input_bits, build_seconds=0.0):
        self.library_path = Path(library_path)
        self.name = name
        self.num_features, self.num_classes, self.input_bits = num_features, num_classes, input_bits
        self.input_max = (1 << input_bits) - 1
        self.dtype = np.dtype(np.uint8 if input_bits <= 8 else np.uint16)
        self.build_seconds = build_seconds
        self._lib = _dlopen(self.library_path)
        try:
            self._predict = getattr(self._lib, f"ldlgn_{name}_predict")
        except AttributeError:
            raise ValueError(
                f"{self.library_path} has no ldlgn_{name}_predict: it was built for another design name"
            ) from None
        self._predict.restype = ctypes.c_int
        self._predict.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p]
        # libraries built before the threaded entry point existed have only ldlgn_<name>_predict
        self._predict_mt = getattr(self._lib, f"ldlgn_{name}_predict_mt", None)
        if self._predict_mt is not None:
            self._predict_mt.restype = ctypes.c_int
            self._predict_mt.argtypes = [*self._predict.argtypes, ctypes.c_int]
        vb = getattr(self._lib, f"ldlgn_{name}_vector_bits")
        vb.restype = ctypes.c_int
        self.vector_bits = int(vb())

    def check_inputs(self, x) -> np.ndarray:
        """Raise a clear error unless ``x`` is a C-contiguous ``(n, num_features)`` array in the domain."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"inputs must be a numpy array of dtype {self.dtype}, got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"inputs must have shape (n, {self.num_features}), got {x.shape}")
        if x.dtype != self.dtype:
            raise TypeError(
                f"inputs must have dtype {self.dtype} (input_bits={self.input_bits}), got {x.dtype}; "
                f"convert with x.astype(np.{self.dtype})"
            )
        if not x.flags.c_contiguous:
            raise ValueError("inputs must be C-contiguous; pass np.ascontiguousarray(x)")
        if x.size and self.input_max < (1 << 8 * self.dtype.itemsize) - 1 and x.max() > self.input_max:
            raise ValueError(
                f"input values must be in 0..{self.input_max} (input_bits={self.input_bits}), "
                f"got a maximum of {x.max()}"
            )
        return x

    def predict(self, x, threads: int = 1):
        """Per-class scores (int32 ``(n, k)``) and classes (int64 ``(n,)``, ties to the lowest class).

        ``threads``: threads to split the samples over (0: one per core); the results do not
        depend on it. ctypes releases the GIL during the call.
        """
        if isinstance(threads, bool) or not isinstance(threads, int | np.integer) or threads < 0:
            raise ValueError(f"threads must be an integer >= 0 (0: one per core), got {threads!r}")
        x = self.check_inputs(x)
        n = x.shape[0]
        k = self.num_classes  # scores start on a cache line: the driver streams whole lines then
        flat = np.empty(n * k + 16, dtype=np.int32)
        start = (-flat.ctypes.data % 64) // 4
        scores = flat[start : start + n * k].reshape(n, k)
        classes = np.empty(n, dtype=np.int32)
        if n:
            args = (x.ctypes.data, n, scores.ctypes.data, classes.ctypes.data)
            if threads != 1 and self._predict_mt is not None:
                rc = self._predict_mt(*args, int(threads))
            else:
                rc = self._predict(*args)
            if rc == 1:
                raise ValueError(f"input values must be in 0..{self.input_max}")
            if rc:
                raise MemoryError(f"ldlgn_{self.name}_predict failed with code {rc}")
        return scores, classes.astype(np.int64)

    def __call__(self, x, threads: int = 1):
        return self.predict(x, threads)


def load_library(lib_path: str | Path, name: str, num_features: int, num_classes: int, input_bits: int) -> CModel:
    """Load the compiled library of design ``name`` (from :func:`compile_library` or :func:`build_c`)
    as a :class:`CModel`. Needs no C compiler: this is how a machine without one runs a shipped
    build. The sizes must be those the sources were emitted for (``<name>.h`` has them)."""
    check_name(name)
    path = Path(lib_path)
    if not path.is_file():
        raise FileNotFoundError(f"no compiled C library {path}: build it with compile_library() or build_c()")
    return CModel(path, name, num_features, num_classes, input_bits)


def build_c(
    netlist: Netlist,
    name: str = "net",
    cache_dir: str | Path | None = None,
    cc: str | None = None,
    vector_bits: int | None = None,
    extra_flags: Sequence[str] = (),
) -> CModel:
    """Emit, compile (cached by a hash of sources and flags) and load ``netlist`` as a :class:`CModel`.

    ``vector_bits`` (64, 128, 256, 512) fixes the word width; default: the widest the CPU supports.
    The cache folder ``<cache>/<name>-<hash>`` holds the sources and the library; it appears whole
    or not at all.
    """
    check_name(name)
    compiler = find_compiler(cc)
    driver_flags, gate_flags, _ = _flags(compiler, vector_bits, extra_flags)
    t0 = time.perf_counter()
    root = cache_root(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".build-") as tmp:
        src = emit_c(netlist, tmp, name)
        h = hashlib.sha256()
        h.update(_compiler_id(compiler).encode())
        h.update(" ".join(gate_flags + driver_flags).encode())
        for path in src.files:
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        final = root / f"{name}-{h.hexdigest()[:24]}"
        if not (final / library_name(name)).exists():
            compile_library(tmp, name, tmp, compiler, vector_bits, extra_flags)
            try:
                os.rename(tmp, final)  # atomic: the folder appears complete or not at all
            except OSError:
                if not (final / library_name(name)).exists():  # not a concurrent build that won the race
                    raise
            os.makedirs(tmp, exist_ok=True)  # TemporaryDirectory cleans up its own path
    model = load_library(
        final / library_name(name), name, netlist.num_features, netlist.num_classes, netlist.input_bits
    )
    model.build_seconds = time.perf_counter() - t0
    return model
