"""Fixed C parts of the bit-sliced back end: real C files in ``c_templates/`` and how they are filled.

The templates ship as package data (``importlib.resources``), so an installed wheel emits the same
C as a checkout:

* ``header.h`` → the public header ``<name>.h`` (the API and the network's sizes);
* ``impl.h`` → the internal header ``<name>_impl.h`` (the word type, the gate functions);
* ``driver.c`` → the block driver ``<name>.c``;
* ``encode.c`` and ``range_check.c``: fragments of the driver (the encoder, the input domain check).

The driver processes blocks of ``LDLGN_BLOCK`` samples (one bit per sample in a word of
``LDLGN_VECTOR_BITS`` bits):

1. encode: see :mod:`ldlgn.compiler.c_encode` (compare in sample rows, then a bit transpose:
   byte gathers with AVX-512 VBMI, 32-byte chunks with AVX2, 8-byte chunks in 64-bit words in
   portable C; else a byte transpose of tiles, then compares of whole vectors);
2. gates: the emitted gate functions on the working buffer of words (no prefetching of the
   next block's inputs meanwhile: it slowed the gates, which need the cache, more than it saved);
3. count: per class a bit-sliced counter (carry-save adders, Harley–Seal), then the counter bits
   are spread to per-sample integers with vector shifts, argmax with ties to the lowest class.

``LDLGN_VECTOR_BITS`` (64, 128, 256 or 512) picks the word at build time; 64 is plain C99 on
``uint64_t`` words, the others use GCC/Clang ``vector_size`` types. ``ldlgn_<name>_predict_mt``
runs contiguous runs of whole blocks on POSIX threads, each with its own working memory.

Placeholders are ``@NAME@`` (never valid C, so a forgotten one cannot compile by accident).
:func:`render` fills them in one pass and refuses a template that has a placeholder without a
value: the templates and the Python that fills them cannot drift apart silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

PACKAGE = "ldlgn.compiler"
FOLDER = "c_templates"
PLACEHOLDER = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)@")


@cache
def template(filename: str) -> str:
    """Text of the template ``c_templates/<filename>`` (read once per process)."""
    # chained joinpath: several arguments need Python 3.11
    return files(PACKAGE).joinpath(FOLDER).joinpath(filename).read_text(encoding="utf-8")


def fragment(filename: str) -> str:
    """A template that is inserted into another one: its text without the final newline (the
    file ends with one like any text file; the placeholder's line supplies it)."""
    text = template(filename)
    return text[:-1] if text.endswith("\n") else text


def render(text: str, values: Mapping[str, object], source: str = "template") -> str:
    """``text`` with every ``@KEY@`` replaced by ``str(values[KEY])``, in one pass (substituted
    text is not scanned again). Raises ``ValueError`` naming ``source`` and the placeholders that
    have no value, or a placeholder left in the result (a value that was not filled itself);
    values the text does not use are ignored (templates share common ones)."""
    missing = sorted({key for key in PLACEHOLDER.findall(text) if key not in values})
    if missing:
        raise ValueError(f"C {source} has placeholders without a value: {', '.join(f'@{k}@' for k in missing)}")
    out = PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)
    left = PLACEHOLDER.search(out)  # e.g. an unfilled fragment passed as a value
    if left:
        raise ValueError(f"C {source}: a substituted value holds the placeholder {left.group(0)}")
    return out


def render_file(filename: str, values: Mapping[str, object]) -> str:
    """The template file ``filename`` filled with ``values`` (see :func:`render`)."""
    return render(template(filename), values, f"template {filename}")


def render_fragment(filename: str, values: Mapping[str, object]) -> str:
    """The fragment ``filename`` filled with ``values`` (see :func:`fragment`, :func:`render`)."""
    return render(fragment(filename), values, f"template {filename}")
