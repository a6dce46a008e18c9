"""Triton GPU kernels for relaxed two-input gate layers (training), forward and backward.

Same contract as :func:`ldlgn.functional.relaxed_gates_torch`: ``y[:, i] = c[i,0] + c[i,1]·A +
(c[i,2] + c[i,3]·A)·B`` with ``A = x[:, a[i]]``, ``B = x[:, b[i]]`` (docs/truth-tables.md). One
kernel computes a whole layer's forward pass: the two gathered operands never reach memory, and
autograd saves only the layer's input ``x`` (the torch path saves both gathered copies). docs/gpu.md
has the design and the figures.

Layout. The kernels read and write through strides, so any layout is correct; ``layout`` picks the
one the outputs are made in. ``"neuron"`` (the default) stores activations as ``(features, batch)``
and returns the transposed view, like the Numba kernels: a gate's gather then reads a contiguous
run of ``batch`` floats, which coalesces. ``"batch"`` keeps torch's ``(batch, features)``, where the
gathers are scattered but the stores are contiguous along the gates. Which is faster depends on the
batch size; ``bench/train_gpu.py`` measures both.

Backward. The coefficient gradient of a gate is its sum over the batch, one program per block of
gates (no atomics). The input gradient comes in two variants (``input_grad``): ``"gather"`` (the
default) visits, for each input, the ``(gate, operand)`` slots that read it through a CSR inverse
index built on the device, so every output element is written by one program in a fixed order and
the result is deterministic; ``"atomic"`` fuses both gradients into one pass over the gates and
scatters the input gradient with atomic adds (less traffic, but the order of the float additions,
and so the last bits of the result, vary from run to run).

CPU. With ``TRITON_INTERPRET=1`` set before the first call, the kernels run in Triton's interpreter
on CPU tensors (slow: tests only). The kernels are built on first use, in the mode the environment
asks for at that moment.
"""

import functools
import os
from types import SimpleNamespace

import torch
import triton  # type: ignore[import-untyped]  # triton ships no type information
import triton.language as tl  # type: ignore[import-untyped]

LAYOUTS = ("neuron", "batch")
INPUT_GRADS = ("gather", "atomic")
#: what :func:`relaxed_gates_triton` uses when not told otherwise (see :func:`configure`)
DEFAULTS = {"layout": "neuron", "input_grad": "gather"}
_TILE = 1024  #: elements of a (gates × batch) tile a program works on
_MIN_TILE = 128  #: the smallest tile (small batches on a big GPU)
_MAX_BLOCK_B = 64  #: most batch rows in a tile (neuron-major)

__all__ = [
    "DEFAULTS",
    "INPUT_GRADS",
    "LAYOUTS",
    "configure",
    "relaxed_gates_triton",
    "reverse_index",
    "usable",
]


# ---- kernels: tiles of BLOCK_N gates (or inputs) × BLOCK_B batch rows ---------------------------
def _forward(
    x_ptr, a_ptr, b_ptr, c_ptr, y_ptr, batch, n, sxb, sxf, syb, syf, BLOCK_N: tl.constexpr, BLOCK_B: tl.constexpr
):
    gates = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    rows = (tl.program_id(1) * BLOCK_B + tl.arange(0, BLOCK_B)).to(tl.int64)
    gm = gates < n
    m = gm[:, None] & (rows < batch)[None, :]
    ia = tl.load(a_ptr + gates, mask=gm, other=0).to(tl.int64)
    ib = tl.load(b_ptr + gates, mask=gm, other=0).to(tl.int64)
    c0 = tl.load(c_ptr + gates * 4, mask=gm, other=0.0)[:, None]
    c1 = tl.load(c_ptr + gates * 4 + 1, mask=gm, other=0.0)[:, None]
    c2 = tl.load(c_ptr + gates * 4 + 2, mask=gm, other=0.0)[:, None]
    c3 = tl.load(c_ptr + gates * 4 + 3, mask=gm, other=0.0)[:, None]
    A = tl.load(x_ptr + ia[:, None] * sxf + rows[None, :] * sxb, mask=m, other=0.0)
    B = tl.load(x_ptr + ib[:, None] * sxf + rows[None, :] * sxb, mask=m, other=0.0)
    y = c0 + c1 * A + (c2 + c3 * A) * B
    tl.store(y_ptr + gates.to(tl.int64)[:, None] * syf + rows[None, :] * syb, y, mask=m)


def _coeff_grad(
    x_ptr, a_ptr, b_ptr, g_ptr, gc_ptr, batch, n, sxb, sxf, sgb, sgf, BLOCK_N: tl.constexpr, BLOCK_B: tl.constexpr
):
    """``gc[i] = Σ_s g[s,i]·(1, A, B, A·B)``: each program owns its gates' sums over the batch."""
    gates = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    gm = gates < n
    ia = tl.load(a_ptr + gates, mask=gm, other=0).to(tl.int64)[:, None]
    ib = tl.load(b_ptr + gates, mask=gm, other=0).to(tl.int64)[:, None]
    gi = gates.to(tl.int64)[:, None]
    s0 = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    s1 = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    s2 = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    s3 = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    for start in range(0, batch, BLOCK_B):
        rows = (start + tl.arange(0, BLOCK_B)).to(tl.int64)[None, :]
        m = gm[:, None] & (rows < batch)
        g = tl.load(g_ptr + gi * sgf + rows * sgb, mask=m, other=0.0)
        A = tl.load(x_ptr + ia * sxf + rows * sxb, mask=m, other=0.0)
        B = tl.load(x_ptr + ib * sxf + rows * sxb, mask=m, other=0.0)
        ga = g * A
        s0 += g
        s1 += ga
        s2 += g * B
        s3 += ga * B
    tl.store(gc_ptr + gates * 4, tl.sum(s0, axis=1), mask=gm)
    tl.store(gc_ptr + gates * 4 + 1, tl.sum(s1, axis=1), mask=gm)
    tl.store(gc_ptr + gates * 4 + 2, tl.sum(s2, axis=1), mask=gm)
    tl.store(gc_ptr + gates * 4 + 3, tl.sum(s3, axis=1), mask=gm)


def _input_grad_gather(
    x_ptr,
    a_ptr,
    b_ptr,
    c_ptr,
    g_ptr,
    indptr_ptr,
    slots_ptr,
    gx_ptr,
    batch,
    n_in,
    sxb,
    sxf,
    sgb,
    sgf,
    sob,
    sof,
    BLOCK_N: tl.constexpr,
    BLOCK_B: tl.constexpr,
):
    """``gx[j] = Σ over the slots reading j of g[i]·∂y_i/∂x_j``, slots in ascending gate order."""
    inputs = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    rows = (tl.program_id(1) * BLOCK_B + tl.arange(0, BLOCK_B)).to(tl.int64)[None, :]
    jm = inputs < n_in
    rm = rows < batch
    first = tl.load(indptr_ptr + inputs, mask=jm, other=0)
    degree = tl.load(indptr_ptr + inputs + 1, mask=jm, other=0) - first
    acc = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    for k in range(tl.max(degree, axis=0)):
        live = k < degree
        slot = tl.load(slots_ptr + first + k, mask=live, other=0)
        gate = (slot >> 1).to(tl.int64)
        on_b = (slot & 1) == 1  # operand B: dy/dB = c2 + c3·A; operand A: dy/dA = c1 + c3·B
        ia = tl.load(a_ptr + gate, mask=live, other=0)
        other = tl.where(on_b, ia, tl.load(b_ptr + gate, mask=live, other=0)).to(tl.int64)
        coef = tl.load(c_ptr + gate * 4 + 1 + on_b.to(tl.int32), mask=live, other=0.0)[:, None]
        c3 = tl.load(c_ptr + gate * 4 + 3, mask=live, other=0.0)[:, None]
        m = live[:, None] & rm
        g = tl.load(g_ptr + gate[:, None] * sgf + rows * sgb, mask=m, other=0.0)
        xo = tl.load(x_ptr + other[:, None] * sxf + rows * sxb, mask=m, other=0.0)
        acc += g * (coef + c3 * xo)
    tl.store(gx_ptr + inputs.to(tl.int64)[:, None] * sof + rows * sob, acc, mask=jm[:, None] & rm)


def _grads_atomic(
    x_ptr,
    a_ptr,
    b_ptr,
    c_ptr,
    g_ptr,
    gc_ptr,
    gx_ptr,
    batch,
    n,
    sxb,
    sxf,
    sgb,
    sgf,
    sob,
    sof,
    BLOCK_N: tl.constexpr,
    BLOCK_B: tl.constexpr,
):
    """Both gradients in one pass over the gates; the input gradient by atomic adds."""
    gates = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    gm = gates < n
    ia = tl.load(a_ptr + gates, mask=gm, other=0).to(tl.int64)[:, None]
    ib = tl.load(b_ptr + gates, mask=gm, other=0).to(tl.int64)[:, None]
    c1 = tl.load(c_ptr + gates * 4 + 1, mask=gm, other=0.0)[:, None]
    c2 = tl.load(c_ptr + gates * 4 + 2, mask=gm, other=0.0)[:, None]
    c3 = tl.load(c_ptr + gates * 4 + 3, mask=gm, other=0.0)[:, None]
    gi = gates.to(tl.int64)[:, None]
    s0 = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    s1 = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    s2 = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    s3 = tl.zeros([BLOCK_N, BLOCK_B], dtype=tl.float32)
    for start in range(0, batch, BLOCK_B):
        rows = (start + tl.arange(0, BLOCK_B)).to(tl.int64)[None, :]
        m = gm[:, None] & (rows < batch)
        g = tl.load(g_ptr + gi * sgf + rows * sgb, mask=m, other=0.0)
        A = tl.load(x_ptr + ia * sxf + rows * sxb, mask=m, other=0.0)
        B = tl.load(x_ptr + ib * sxf + rows * sxb, mask=m, other=0.0)
        tl.atomic_add(gx_ptr + ia * sof + rows * sob, g * (c1 + c3 * B), mask=m)
        tl.atomic_add(gx_ptr + ib * sof + rows * sob, g * (c2 + c3 * A), mask=m)
        ga = g * A
        s0 += g
        s1 += ga
        s2 += g * B
        s3 += ga * B
    tl.store(gc_ptr + gates * 4, tl.sum(s0, axis=1), mask=gm)
    tl.store(gc_ptr + gates * 4 + 1, tl.sum(s1, axis=1), mask=gm)
    tl.store(gc_ptr + gates * 4 + 2, tl.sum(s2, axis=1), mask=gm)
    tl.store(gc_ptr + gates * 4 + 3, tl.sum(s3, axis=1), mask=gm)


_BUILT: dict[bool, SimpleNamespace] = {}


def _kernels() -> SimpleNamespace:
    """The jitted kernels, built on first use for the current ``TRITON_INTERPRET`` mode."""
    interpret = _interpreting()
    if interpret not in _BUILT:
        _BUILT[interpret] = SimpleNamespace(
            forward=triton.jit(_forward),
            coeff_grad=triton.jit(_coeff_grad),
            input_grad_gather=triton.jit(_input_grad_gather),
            grads_atomic=triton.jit(_grads_atomic),
        )
    return _BUILT[interpret]


def _interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "").strip().lower() in ("1", "true", "on", "yes")


def usable(x: torch.Tensor) -> str | None:
    """Why the kernels cannot run on ``x`` (``None`` when they can): they need float32 tensors on a
    CUDA device, or on the CPU under the interpreter (``TRITON_INTERPRET=1``)."""
    if x.dtype != torch.float32:
        return f"the triton backend needs float32 tensors, got {x.dtype}"
    if x.device.type == "cuda" or (x.device.type == "cpu" and _interpreting()):
        return None
    return f"the triton backend needs CUDA tensors (or TRITON_INTERPRET=1 for its CPU interpreter), got {x.device}"


def configure(layout: str | None = None, input_grad: str | None = None) -> dict:
    """Set the defaults of :func:`relaxed_gates_triton` (for benchmarks); returns the previous ones."""
    previous = dict(DEFAULTS)
    if layout is not None:
        DEFAULTS["layout"] = _choice(layout, LAYOUTS, "layout")
    if input_grad is not None:
        DEFAULTS["input_grad"] = _choice(input_grad, INPUT_GRADS, "input_grad")
    return previous


def _choice(value: str, allowed: tuple, what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(allowed)}")
    return value


# ---- checked connections and their inverse index, cached on the device --------------------------
def _connections(a: torch.Tensor, b: torch.Tensor, n_in: int) -> dict:
    """Per-connection cache stored on ``a``: checked once (indices in ``0..n_in-1``: the kernels do
    not bound-check their gathers), rebuilt when either tensor moves or changes in place."""
    key = (a.data_ptr(), a._version, b.data_ptr(), b._version, int(n_in), str(a.device))
    cached = getattr(a, "_ldlgn_triton_cache", None)
    if cached is not None and cached["key"] == key:
        return cached
    if a.numel() >= 2**29:
        raise ValueError(f"the triton backend takes fewer than 2**29 gates per layer, got {a.numel()}")
    if a.numel() and (min(int(a.min()), int(b.min())) < 0 or max(int(a.max()), int(b.max())) >= n_in):
        raise ValueError(f"connection indices must be in 0..{n_in - 1} (x has {n_in} columns)")
    cached = {"key": key}
    a._ldlgn_triton_cache = cached  # type: ignore[attr-defined]  # a plain attribute of the buffer
    return cached


def reverse_index(a: torch.Tensor, b: torch.Tensor, n_in: int) -> tuple[torch.Tensor, torch.Tensor]:
    """CSR inverse of the connections on their device: ``(indptr (n_in+1,), slots (2n,))`` int32,
    the same lists as :func:`ldlgn.numba_kernels.build_reverse_index` (slot ``2i`` is operand A of
    gate ``i``, ``2i+1`` operand B; each input's slots in ascending order).

    Cached with the connections; it synchronizes when built, so a CUDA graph must be captured after
    a first eager step has built it."""
    cached = _connections(a, b, n_in)
    if "reverse" not in cached:
        inputs = torch.stack([a, b], dim=1).reshape(-1)
        slots = torch.sort(inputs, stable=True).indices.to(torch.int32)
        indptr = torch.zeros(n_in + 1, dtype=torch.int64, device=a.device)
        indptr[1:] = torch.cumsum(torch.bincount(inputs, minlength=n_in), 0)
        cached["reverse"] = (indptr.to(torch.int32), slots)
    return cached["reverse"]


# ---- launch geometry ---------------------------------------------------------------------------
def _blocks(batch: int, layout: str, rows: int, device: torch.device) -> tuple[int, int]:
    """``(BLOCK_N, BLOCK_B)``: neuron-major tiles span the batch first (its contiguous axis),
    batch-major ones the gates. Tiles hold ``_TILE`` elements, fewer when that would leave the
    GPU with too few programs to hide the gathers' latency (small batches)."""
    fit = triton.next_power_of_2(max(batch, 1))
    block_b = min(fit, _MAX_BLOCK_B) if layout == "neuron" else min(fit, 8)
    tile, enough = _TILE, 8 * _multiprocessors(device)
    while tile > max(_MIN_TILE, block_b) and triton.cdiv(rows * block_b, tile) * triton.cdiv(batch, block_b) < enough:
        tile //= 2
    return tile // block_b, block_b


@functools.cache
def _multiprocessors(device: torch.device) -> int:
    return torch.cuda.get_device_properties(device).multi_processor_count if device.type == "cuda" else 1


def _strides(t: torch.Tensor) -> tuple[int, int]:
    """Strides of a ``(batch, features)`` tensor (0 where a size is 1, so broadcast views work)."""
    return tuple(s if n > 1 else 0 for s, n in zip(t.stride(), t.shape))  # type: ignore[return-value]


def _empty(batch: int, features: int, layout: str, like: torch.Tensor) -> torch.Tensor:
    """An uninitialized ``(batch, features)`` float32 tensor stored in ``layout``."""
    if layout == "neuron":
        return torch.empty((features, batch), dtype=torch.float32, device=like.device).t()
    return torch.empty((batch, features), dtype=torch.float32, device=like.device)


class RelaxedGatesTriton(torch.autograd.Function):
    """Autograd wrapper of the kernels; use :func:`relaxed_gates_triton`."""

    @staticmethod
    def forward(ctx, x, c, a, b, layout, input_grad):
        batch, n = x.shape[0], a.shape[0]
        if layout == "neuron" and batch > 1 and x.stride(1) == 1:  # a batch-major input (the encoder's)
            x = x.t().contiguous().t()  # one transpose, and the gathers read contiguous rows
        y = _empty(batch, n, layout, x)
        if batch and n:
            bn, bb = _blocks(batch, layout, n, x.device)
            grid = (triton.cdiv(n, bn), triton.cdiv(batch, bb))
            _kernels().forward[grid](x, a, b, c, y, batch, n, *_strides(x), *_strides(y), BLOCK_N=bn, BLOCK_B=bb)
        ctx.save_for_backward(x, c, a, b)
        ctx.options = (layout, input_grad)
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y):
        x, c, a, b = ctx.saved_tensors
        layout, input_grad = ctx.options
        g = grad_y if grad_y.dtype == torch.float32 else grad_y.float()
        need_x, need_c = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        (batch, n_in), n = x.shape, a.shape[0]
        gc = torch.zeros((n, 4), dtype=torch.float32, device=x.device)
        gx = None
        if not (batch and n):
            return (torch.zeros_like(x) if need_x else None), (gc if need_c else None), None, None, None, None
        bn, bb = _blocks(batch, layout, n, x.device)
        k = _kernels()
        if need_x and input_grad == "atomic":
            gx = torch.zeros_like(x) if layout == "batch" else _empty(batch, n_in, layout, x).zero_()
            k.grads_atomic[(triton.cdiv(n, bn),)](
                x, a, b, c, g, gc, gx, batch, n, *_strides(x), *_strides(g), *_strides(gx), BLOCK_N=bn, BLOCK_B=bb
            )
            return gx, (gc if need_c else None), None, None, None, None
        if need_c:
            k.coeff_grad[(triton.cdiv(n, bn),)](
                x, a, b, g, gc, batch, n, *_strides(x), *_strides(g), BLOCK_N=bn, BLOCK_B=bb
            )
        if need_x:
            indptr, slots = reverse_index(a, b, n_in)
            gx = _empty(batch, n_in, layout, x)
            bn, bb = _blocks(batch, layout, n_in, x.device)
            grid = (triton.cdiv(n_in, bn), triton.cdiv(batch, bb))
            k.input_grad_gather[grid](
                x, a, b, c, g, indptr, slots, gx, batch, n_in,
                *_strides(x), *_strides(g), *_strides(gx), BLOCK_N=bn, BLOCK_B=bb,
            )  # fmt: skip
        return gx, (gc if need_c else None), None, None, None, None


def relaxed_gates_triton(
    x: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    layout: str | None = None,
    input_grad: str | None = None,
) -> torch.Tensor:
    """Relaxed gate layer on the Triton kernels; same contract as ``relaxed_gates_torch``.

    ``x (batch, n_in)`` float32 on a CUDA device (or the CPU under the interpreter), ``a, b (n,)``
    integer indices into ``x``'s columns on the same device, ``c (n, 4)`` float32. ``layout`` and
    ``input_grad`` default to :data:`DEFAULTS`. Returns ``(batch, n)``; in the neuron-major layout
    that is a transposed view of a ``(n, batch)`` buffer, which the next layer reads as it is.
    """
    layout = _choice(layout or DEFAULTS["layout"], LAYOUTS, "layout")
    input_grad = _choice(input_grad or DEFAULTS["input_grad"], INPUT_GRADS, "input_grad")
    why = usable(x)
    if why:
        raise ValueError(why)
    if x.ndim != 2 or c.ndim != 2 or c.shape[1] != 4 or a.shape != b.shape or c.shape[0] != a.shape[0]:
        raise ValueError(
            f"need x (batch, n_in), a, b (n,) and c (n, 4), got {tuple(x.shape)}, {tuple(a.shape)}, "
            f"{tuple(b.shape)}, {tuple(c.shape)}"
        )
    if a.device != x.device or b.device != x.device or c.device != x.device:
        raise ValueError(f"x, a, b and c must be on one device, got {x.device}, {a.device}, {b.device}, {c.device}")
    if c.dtype != torch.float32:
        raise ValueError(f"c must be float32, got {c.dtype}")
    if a.is_floating_point() or b.is_floating_point():
        raise ValueError(f"a and b must be integer indices, got {a.dtype} and {b.dtype}")
    a, b = a.contiguous(), b.contiguous()
    _connections(a, b, x.shape[1])
    return RelaxedGatesTriton.apply(x, c.contiguous(), a, b, layout, input_grad)
