"""Architecture specs: a small grammar for convolutional logic gate networks, named presets, and
the shape arithmetic that sizes a network before it is built (torch-free: ``ldlgn train --help``
lists the presets without loading torch). See docs/convolutions.md.

Grammar (items separated by commas, options by colons)::

    spec  := item ("," item)*   |   preset name
    item  := "conv:" OUT [":" K] (":" key "=" N)*    keys: stride, pad, depth, group
           | "pool" [":" K] (":" key "=" N)*         keys: stride, pad
           | "fc:" WIDTH

``conv:16:3`` is a logic tree convolution with 16 output channels and a 3×3 receptive field
(stride 1, padding ``K // 2``, trees of depth 2 whose leaves come from 2 input channels);
``pool`` is OR pooling over 2×2 windows with stride 2; ``fc:2000`` a layer of 2000 randomly
connected gates reading the flattened image. The last item must be ``fc``: its width is rounded up
to a multiple of the number of classes for GroupSum. Once an ``fc`` appears, only ``fc`` follows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "PRESETS",
    "Conv",
    "Dense",
    "LayerPlan",
    "Pool",
    "canonical",
    "image_shape",
    "parse",
    "plan",
    "pool_windows",
]


@dataclass(frozen=True)
class Conv:
    """A logic tree convolution: per output channel one tree of ``2**depth - 1`` gates."""

    out_channels: int
    kernel_size: int = 3
    stride: int = 1
    padding: int | None = None  # None: kernel_size // 2
    depth: int = 2
    group: int = 2  # input channels a tree draws its leaves from

    @property
    def pad(self) -> int:
        return self.kernel_size // 2 if self.padding is None else self.padding

    def text(self) -> str:
        return (
            f"conv:{self.out_channels}:{self.kernel_size}:stride={self.stride}:pad={self.pad}"
            f":depth={self.depth}:group={self.group}"
        )


@dataclass(frozen=True)
class Pool:
    """OR pooling (max in training) over ``kernel_size``² windows."""

    kernel_size: int = 2
    stride: int | None = None  # None: kernel_size
    padding: int = 0

    @property
    def step(self) -> int:
        return self.kernel_size if self.stride is None else self.stride

    def text(self) -> str:
        return f"pool:{self.kernel_size}:stride={self.step}:pad={self.padding}"


@dataclass(frozen=True)
class Dense:
    """A layer of ``width`` randomly connected two-input gates on the flattened input."""

    width: int

    def text(self) -> str:
        return f"fc:{self.width}"


Item = Conv | Pool | Dense

#: named architectures; ``cdlgn-mnist-*`` and ``cdlgn-cifar10-*`` follow the shapes of the CDLGN
#: paper's models (Petersen et al., 2024) with channel scale k (docs/convolutions.md)
PRESETS: dict[str, str] = {
    "cdlgn-digits": "conv:32:3,fc:2000,fc:2000,fc:2000,fc:2000",
    "cdlgn-mnist-s": (
        "conv:16:5:pad=0:depth=3,pool,conv:48:3:pad=0:depth=3,pool:pad=1,"
        "conv:144:3:pad=0:depth=3,pool:pad=1,fc:20480,fc:10240,fc:5120"
    ),
    "cdlgn-mnist-m": (
        "conv:64:5:pad=0:depth=3,pool,conv:192:3:pad=0:depth=3,pool:pad=1,"
        "conv:576:3:pad=0:depth=3,pool:pad=1,fc:81920,fc:40960,fc:20480"
    ),
    "cdlgn-cifar10-s": (
        "conv:32:3:depth=3,pool,conv:128:3:depth=3,pool,conv:512:3:depth=3,pool,"
        "conv:1024:3:depth=3,pool,fc:40960,fc:20480,fc:10240"
    ),
    "cdlgn-cifar10-m": (
        "conv:256:3:depth=3,pool,conv:1024:3:depth=3,pool,conv:4096:3:depth=3,pool,"
        "conv:8192:3:depth=3,pool,fc:327680,fc:163840,fc:81920"
    ),
}

_CONV_KEYS = {"stride", "pad", "depth", "group"}
_POOL_KEYS = {"stride", "pad"}
MAX_TREE_DEPTH = 6  #: deeper trees need more leaves than any small receptive field holds


def _int(text: str, what: str, item: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"--arch item {item!r}: {what} must be an integer, got {text!r}") from None
    return value


def _options(parts: list[str], keys: set[str], item: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq or key not in keys:
            raise ValueError(f"--arch item {item!r}: unknown option {part!r}; options are {', '.join(sorted(keys))}")
        found[key] = _int(value, key, item)
    return found


def _parse_item(item: str) -> Item:
    parts = item.split(":")
    kind, args = parts[0], parts[1:]
    positional = [a for a in args if "=" not in a]
    if positional != args[: len(positional)]:
        raise ValueError(f"--arch item {item!r}: sizes come before key=value options")
    if kind == "fc":
        if len(args) != 1 or positional != args:
            raise ValueError(f"--arch item {item!r}: write fc:WIDTH")
        return Dense(_int(args[0], "the width", item))
    if kind == "conv":
        if not 1 <= len(positional) <= 2:
            raise ValueError(f"--arch item {item!r}: write conv:OUT[:K][:key=N...]")
        opts = _options(args[len(positional) :], _CONV_KEYS, item)
        k = _int(positional[1], "the kernel size", item) if len(positional) == 2 else 3
        return Conv(_int(positional[0], "the channel count", item), k, opts.get("stride", 1), opts.get("pad"),
                    opts.get("depth", 2), opts.get("group", 2))  # fmt: skip
    if kind == "pool":
        if len(positional) > 1:
            raise ValueError(f"--arch item {item!r}: write pool[:K][:key=N...]")
        opts = _options(args[len(positional) :], _POOL_KEYS, item)
        k = _int(positional[0], "the window size", item) if positional else 2
        return Pool(k, opts.get("stride"), opts.get("pad", 0))
    raise ValueError(f"--arch item {item!r}: unknown layer {kind!r}; use conv, pool or fc")


def parse(spec: str) -> list[Item]:
    """The items of ``spec`` (or of the preset it names), checked for sizes that cannot work."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("--arch needs a spec such as 'conv:16:3,pool,fc:2000' or a preset name")
    text = PRESETS.get(spec.strip(), spec)
    items = [_parse_item(i.strip()) for i in text.replace(" ", "").split(",")]
    for i, it in enumerate(items):
        _check_item(it, spec)
        if i and isinstance(items[i - 1], Dense) and not isinstance(it, Dense):
            raise ValueError(f"--arch {spec!r}: only fc layers may follow an fc layer (the image is flattened)")
    if not isinstance(items[-1], Dense):
        raise ValueError(f"--arch {spec!r}: the last layer must be fc (GroupSum splits its gates into classes)")
    return items


def _check_item(it: Item, spec: str) -> None:
    bad = ""
    if isinstance(it, Dense) and it.width < 1:
        bad = f"fc width must be ≥ 1, got {it.width}"
    elif isinstance(it, Conv):
        if it.out_channels < 1 or it.kernel_size < 1 or it.stride < 1 or it.group < 1:
            bad = f"conv sizes must be ≥ 1 in {it.text()}"
        elif not 1 <= it.depth <= MAX_TREE_DEPTH:
            bad = f"conv tree depth must be in 1..{MAX_TREE_DEPTH}, got {it.depth}"
        elif not 0 <= it.pad < it.kernel_size:
            bad = f"conv padding must be in 0..{it.kernel_size - 1} for a {it.kernel_size}×{it.kernel_size} kernel"
    elif isinstance(it, Pool):
        if it.kernel_size < 2 or it.step < 1:
            bad = f"pool window must be ≥ 2 and stride ≥ 1, got {it.text()}"
        elif not 0 <= it.padding <= it.kernel_size // 2:
            bad = f"pool padding must be in 0..{it.kernel_size // 2} (every window keeps a pixel)"
    if bad:
        raise ValueError(f"--arch {spec!r}: {bad}")


def canonical(spec: str) -> str:
    """``spec`` with presets expanded and every default written out (what a checkpoint stores)."""
    return ",".join(it.text() for it in parse(spec))


def image_shape(feature_shape) -> tuple[int, int, int]:
    """``(C, H, W)`` of image features: ``(H, W)`` is one channel, ``(C, H, W)`` as it is."""
    shape = tuple(int(d) for d in feature_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"convolutional architectures need image data of shape (height, width) or (channels, height, "
            f"width), such as digits, mnist or cifar10; this data has feature shape {shape}"
        )
    return shape


@dataclass(frozen=True)
class LayerPlan:
    """One item with its input and output shapes ``(C, H, W)`` (``(F,)`` once flat) and sizes."""

    item: Item
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    gates: int  # gates of the unrolled (hardware) network
    parameter_rows: int  # rows of trained parameters (shared over positions in a convolution)


def _out_size(size: int, k: int, stride: int, pad: int, what: str) -> int:
    out = (size + 2 * pad - k) // stride + 1
    if out < 1:
        raise ValueError(f"--arch: {what} leaves no output position on a {size}-pixel side")
    return out


def pool_windows(size: int, k: int, stride: int, pad: int) -> list[list[int]]:
    """The in-image pixel indices of each pooling window along one side."""
    out = _out_size(size, k, stride, pad, f"pool {k} stride {stride} pad {pad}")
    return [[i for i in range(o * stride - pad, o * stride - pad + k) if 0 <= i < size] for o in range(out)]


def pool_gates(channels: int, height: int, width: int, pool: Pool) -> int:
    """OR gates of the unrolled pooling: per window one fewer than its pixels, plus pass-through
    gates that carry short windows through every level of the OR tree."""
    rows = pool_windows(height, pool.kernel_size, pool.step, pool.padding)
    cols = pool_windows(width, pool.kernel_size, pool.step, pool.padding)
    sizes = [len(r) * len(c) for r in rows for c in cols]
    levels = math.ceil(math.log2(max(sizes)))
    total = 0
    for m in sizes:
        for _ in range(levels):
            m = -(-m // 2)
            total += m
    return channels * total


def plan(spec: str, image: tuple[int, int, int], num_thresholds: int, num_classes: int) -> list[LayerPlan]:
    """Shapes and sizes of every layer of ``spec`` on images ``(C, H, W)`` encoded with
    ``num_thresholds`` bits per pixel and channel (so the first layer sees ``C·T`` channels)."""
    items = parse(spec)
    c, h, w = image
    shape: tuple[int, ...] = (c * num_thresholds, h, w)
    plans = []
    for i, it in enumerate(items):
        if isinstance(it, Dense):
            width = it.width if i < len(items) - 1 else -(-it.width // num_classes) * num_classes
            out: tuple[int, ...] = (width,)
            plans.append(LayerPlan(it, shape, out, width, width))
        elif isinstance(it, Conv):
            ho = _out_size(shape[1], it.kernel_size, it.stride, it.pad, it.text())
            wo = _out_size(shape[2], it.kernel_size, it.stride, it.pad, it.text())
            trees = (1 << it.depth) - 1
            out = (it.out_channels, ho, wo)
            plans.append(LayerPlan(it, shape, out, it.out_channels * trees * ho * wo, it.out_channels * trees))
        else:
            ho = len(pool_windows(shape[1], it.kernel_size, it.step, it.padding))
            wo = len(pool_windows(shape[2], it.kernel_size, it.step, it.padding))
            out = (shape[0], ho, wo)
            plans.append(LayerPlan(it, shape, out, pool_gates(shape[0], shape[1], shape[2], it), 0))
        shape = out
    return plans


#: float32 parameter columns per gate (as ``ldlgn.sizing``)
_COLUMNS = {"iwp": 4, "op": 16}


def model_bytes(plans: list[LayerPlan], num_features: int, num_thresholds: int, parametrization: str = "iwp") -> int:
    """Parameters, connection buffers and the cached gathered indices of a network of ``plans``."""
    cols = _COLUMNS.get(parametrization, max(_COLUMNS.values()))
    rows = sum(p.parameter_rows for p in plans)
    gates = sum(p.gates for p in plans)
    return rows * cols * 4 + gates * 5 * 8 + num_features * num_thresholds * 8


def training_bytes(
    plans: list[LayerPlan], num_features: int, num_thresholds: int, batch_size: int, parametrization: str = "iwp"
) -> int:
    """:func:`model_bytes` plus gradients and Adam's moments, and the activations of a training batch
    (outputs, gradients and the gathered inputs of every unrolled gate) or of a validation chunk."""
    cols = _COLUMNS.get(parametrization, max(_COLUMNS.values()))
    rows = sum(p.parameter_rows for p in plans)
    gates = sum(p.gates for p in plans)
    units = num_features * num_thresholds + gates
    widest = max([p.gates for p in plans] + [num_features * num_thresholds])
    act = max(batch_size * units * 4 * 4, 2048 * widest * 3 * 4)
    return model_bytes(plans, num_features, num_thresholds, parametrization) + 3 * rows * cols * 4 + act


def check_training_fits(
    plans: list[LayerPlan], num_features: int, num_thresholds: int, batch_size: int, parametrization: str = "iwp"
) -> None:
    """Refuse (``ValueError``) a run of ``plans`` that needs more memory than this machine has."""
    from .sizing import format_bytes, memory_limit_bytes

    need = training_bytes(plans, num_features, num_thresholds, batch_size, parametrization)
    limit = memory_limit_bytes()
    if need > limit:
        gates = sum(p.gates for p in plans)
        raise ValueError(
            f"--arch is too large: {gates:,} unrolled gates with --batch-size {batch_size} would need about "
            f"{format_bytes(need)} of memory, but this machine has {format_bytes(limit)}"
        )
