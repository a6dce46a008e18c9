"""Keep freed activation buffers in the process heap instead of handing them back to the kernel.

A training step on the CPU allocates a few dozen buffers of megabytes (activations, gradients,
optimizer temporaries) and frees them again before the next step. glibc's malloc serves blocks that
large with ``mmap`` and returns freed memory above its trim threshold to the kernel, so every step
page-faults its whole working set in again, zero-filled: on the MNIST-small shape about 4,000 faults
and a third of the step's CPU time went to the kernel. Raising the two thresholds lets the
allocator reuse the same pages step after step; the price is that the heap stays at its high-water
mark. Set ``LDLGN_RETAIN_HEAP=0`` to leave malloc's defaults alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import sys

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
#: blocks up to this size come from the heap (glibc's own ceiling for its adaptive threshold)
MMAP_THRESHOLD = 32 << 20
#: free memory at the top of the heap kept for reuse
TRIM_THRESHOLD = 1 << 30

__all__ = ["retain_freed_memory"]


@functools.cache
def retain_freed_memory() -> bool:
    """Raise glibc malloc's mmap and trim thresholds once per process; ``True`` if they are set.

    Does nothing (``False``) off glibc, when ``LDLGN_RETAIN_HEAP=0``, or when the environment
    already sets glibc's own ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_``.
    """
    if os.environ.get("LDLGN_RETAIN_HEAP", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (musl has no mallopt)
        return False
    ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    log.debug("malloc thresholds raised: %s", ok)
    return ok
