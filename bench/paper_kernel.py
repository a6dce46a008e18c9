"""The IWP paper's CUDA kernels against ldlgn's Triton kernels: training step time, same shape.

The paper's code (difflogic-iwp, MIT license) is not part of ldlgn: point ``--iwp-src`` at the
``difflogic/cuda`` folder of a checkout of it. Its published bindings also name convolution kernels
whose sources are missing, so this script builds the three dense kernels (forward, backward to the
row values, backward to the inputs) with bindings of its own, in a temporary folder, through
``torch.utils.cpp_extension``. Both networks are stacks of 128,000-gate layers on 9216 input bits
with the sine estimator, GroupSum k=10 and Adam; the paper's layer transposes its input and output
as its ``forward_cuda`` does, and its kernels synchronize the device after every launch, as
published (so its step cannot be captured as a CUDA graph). Step: forward, cross-entropy,
backward, Adam; the encoder is left out of both. Run on a CUDA machine::

    python bench/paper_kernel.py --iwp-src ../difflogic-iwp/difflogic/cuda
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch
from _timing import Clock, forward_backward, graphed_step, train_step
from torch import nn

SOURCES = ("difflogic_iwp_forward_train.cu", "difflogic_iwp_backward_w.cu", "difflogic_iwp_backward_x.cu")
HEADERS = ("difflogic_iwp.h", "difflogic_shared.cuh")
BINDINGS = """#include <torch/extension.h>
#include "difflogic_iwp.h"
PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
    m.def("iwp_forward", &iwp_logic_layer_cuda_forward);
    m.def("iwp_backward_w", &iwp_logic_layer_cuda_backward_w);
    m.def("iwp_backward_x", &iwp_logic_layer_cuda_backward_x);
}
"""


def build(src: Path):
    """The paper's dense kernels as an extension module (compiled for this GPU only)."""
    from torch.utils.cpp_extension import load

    folder = Path(tempfile.mkdtemp(prefix="iwp_paper_"))
    for name in SOURCES + HEADERS:
        shutil.copy(src / name, folder / name)
    for stub in ("conv2d.h", "conv2d_iwp.h"):  # the convolution headers the sources include
        (folder / stub).write_text("#pragma once\n")
    (folder / "bind_dense.cpp").write_text(BINDINGS)
    major, minor = torch.cuda.get_device_capability()
    os.environ.setdefault("TORCH_CUDA_ARCH_LIST", f"{major}.{minor}")
    files = [str(folder / "bind_dense.cpp")] + [str(folder / s) for s in SOURCES]
    return load("iwp_paper", files, extra_include_paths=[str(folder)], extra_cuda_cflags=["-lineinfo"])


def paper_function(ext):
    class PaperFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, a, b, w, start, rev):
            ctx.save_for_backward(x, a, b, w, start, rev)
            return ext.iwp_forward(x, a, b, w)

        @staticmethod
        def backward(ctx, gy):
            x, a, b, w, start, rev = ctx.saved_tensors
            gy = gy.contiguous()
            gx = ext.iwp_backward_x(x, a, b, w, gy, start, rev) if ctx.needs_input_grad[0] else None
            gw = ext.iwp_backward_w(x, a, b, gy) if ctx.needs_input_grad[3] else None
            return gx, None, None, gw, None, None

    return PaperFn


class PaperLayer(nn.Module):
    """The paper's ``LogicLayerIWP.forward_cuda`` with its sine estimator, in training."""

    def __init__(self, fn, in_dim: int, out_dim: int, gen: torch.Generator):
        from ldlgn.connections import make_connections

        super().__init__()
        self.fn = fn
        a, b = make_connections(in_dim, out_dim, "random", gen)
        slots = torch.stack([a, b], 1).reshape(-1)
        start = torch.zeros(in_dim + 1, dtype=torch.int64)
        start[1:] = torch.cumsum(torch.bincount(slots, minlength=in_dim), 0)
        rev = torch.sort(slots, stable=True).indices // 2  # the gates that read each input
        for name, t in dict(a=a, b=b, start=start, rev=rev).items():
            self.register_buffer(name, t.long())
        self.weights = nn.Parameter(0.25 * torch.randn(out_dim, 4, generator=gen))

    def forward(self, x):
        w = 0.5 + 0.5 * torch.sin(self.weights)
        y = self.fn.apply(x.transpose(0, 1).contiguous(), self.a, self.b, w, self.start, self.rev)
        return y.transpose(0, 1)


class Net(nn.Module):
    """Gate layers and GroupSum; ``encoder`` is the identity (the inputs are bits already)."""

    def __init__(self, make, depth: int, width: int, n_in: int):
        from ldlgn.layers import GroupSum

        super().__init__()
        dims = [n_in] + [width] * depth
        self.encoder = nn.Identity()
        self.layers = nn.Sequential(*[make(i, o) for i, o in zip(dims[:-1], dims[1:])])
        self.group_sum = GroupSum(10, 100.0)

    def forward(self, x):
        return self.group_sum(self.layers(self.encoder(x)))


#: mean milliseconds of ``calls`` consecutive calls of a function, by CUDA events
timed = Clock("cuda").time


def measure(net, batch: int, n_in: int, graph: bool, repeat: int) -> dict:

    gen = torch.Generator().manual_seed(batch)
    x = (torch.rand(batch, n_in, generator=gen) < 0.5).float().cuda()
    y = torch.randint(0, 10, (batch,), generator=gen).cuda()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    row: dict = {}
    if graph:
        torch.cuda.reset_peak_memory_stats()
        step = graphed_step(net, opt, loss_fn, x, y)
    else:
        step = train_step(net, opt, loss_fn, x, y)
        step()
        row["fwd"], row["bwd"] = forward_backward(net, loss_fn, x, y, timed, repeat)
        torch.cuda.reset_peak_memory_stats()
    step()
    row["step"] = timed(step, repeat)
    row["peak"] = torch.cuda.max_memory_allocated() / 2**30
    net.zero_grad(set_to_none=True)
    torch.cuda.empty_cache()
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iwp-src", type=Path, required=True, help="difflogic/cuda of a difflogic-iwp checkout")
    p.add_argument("--cases", default="4:1,4:100,4:1000,80:1,80:100", help="DEPTH:BATCH,... to measure")
    p.add_argument("--width", type=int, default=128_000)
    p.add_argument("--repeat", type=int, default=10)
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("bench/paper_kernel.py compares CUDA kernels and torch sees no CUDA GPU: nothing to measure.")
        return 0
    from ldlgn.layers import LogicLayer

    start = time.perf_counter()
    fn = paper_function(build(args.iwp_src))
    print(f"paper kernels built in {time.perf_counter() - start:.0f} s")
    n_in, cases = 9216, [tuple(int(v) for v in c.split(":")) for c in args.cases.split(",")]
    makers = {
        "paper": lambda gen: lambda i, o: PaperLayer(fn, i, o, gen),
        "ldlgn": lambda gen: lambda i, o: LogicLayer(i, o, init="gauss", backend="triton", generator=gen),
    }
    print(f"{'impl':12} {'depth':>5} {'batch':>5} {'fwd ms':>8} {'bwd ms':>8} {'step ms':>8} {'peak GiB':>8}")
    for depth in sorted({d for d, _ in cases}):
        for kind, make in makers.items():
            net = Net(make(torch.Generator().manual_seed(0)), depth, args.width, n_in).cuda().train()
            for batch in [b for d, b in cases if d == depth]:
                for graph in (False, True) if kind == "ldlgn" else (False,):
                    name = kind + ("-graph" if graph else "")
                    try:
                        r = measure(net, batch, n_in, graph, args.repeat)
                    except torch.OutOfMemoryError:
                        print(f"{name:12} {depth:>5} {batch:>5} out of memory")
                        continue
                    cells = " ".join(f"{r[k]:8.3f}" if k in r else f"{'-':>8}" for k in ("fwd", "bwd", "step"))
                    print(f"{name:12} {depth:>5} {batch:>5} {cells} {r['peak']:8.2f}", flush=True)
            del net
            torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
