"""Training batches: per-epoch shuffling without replacement, optionally augmented images.

The training rows form an endless stream of epochs, each a fresh seeded permutation of all rows;
step ``s`` (counted from 0) takes the stream's items ``s·B … s·B + B − 1``, so every row is seen
exactly once per epoch, and a batch may run on into the next epoch. The permutation of epoch
``e`` and the augmentation of step ``s`` are drawn from generators seeded by ``(seed, e)`` and
``(seed, s)``: a batch is a pure function of the run's seed and the step, which is what makes an
interrupted run resume bit-identically without storing any sampler state.
"""

from __future__ import annotations

import numpy as np
import torch

from . import augment

#: tag stored in ``last.pt``: runs written with another sampler cannot resume exactly
SAMPLER = "epoch-permutation-v1"
_EPOCH_STREAM, _AUGMENT_STREAM = 0x5EED_E90C, 0xA06E_0001

__all__ = ["SAMPLER", "BatchStream", "epoch_permutation"]


def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order ``(n,)`` int64 in which epoch ``epoch`` visits the ``n`` training rows."""
    return np.random.default_rng([int(seed), _EPOCH_STREAM, int(epoch)]).permutation(n)


class BatchStream:
    """Batches ``(x, y)`` of a training split by step number, on ``device``.

    ``image_shape`` ``(C, H, W)`` turns on augmentation (:mod:`ldlgn.augment`) of the integer
    images before they reach the model.
    """

    def __init__(self, x, y, batch_size: int, seed: int, device="cpu", image_shape: tuple | None = None):
        if batch_size < 1 or len(y) < 1:
            raise ValueError(f"need a positive batch size and a non-empty split, got {batch_size}, {len(y)} rows")
        self.n, self.batch_size, self.seed = len(y), int(batch_size), int(seed)
        self.image_shape = None if image_shape is None else augment.image_shape(image_shape)
        self._x_host = np.asarray(x)
        self._x = None if self.image_shape else torch.as_tensor(self._x_host).to(device)
        self._y = torch.as_tensor(np.asarray(y), dtype=torch.long).to(device)
        self.device = device
        self._cache: dict[int, np.ndarray] = {}

    def indices(self, step: int) -> np.ndarray:
        """Row indices ``(batch_size,)`` of step ``step`` (0-based)."""
        start, stop = step * self.batch_size, (step + 1) * self.batch_size
        parts = []
        while start < stop:
            epoch, offset = divmod(start, self.n)
            take = min(stop - start, self.n - offset)
            parts.append(self._permutation(epoch)[offset : offset + take])
            start += take
        return np.concatenate(parts)

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch not in self._cache:
            self._cache = {e: p for e, p in self._cache.items() if e >= epoch - 1}
            self._cache[epoch] = epoch_permutation(self.n, self.seed, epoch)
        return self._cache[epoch]

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The inputs and labels of step ``step``."""
        idx = self.indices(step)
        y = self._y[torch.as_tensor(idx).to(self._y.device)]
        if self.image_shape is None:
            assert self._x is not None  # without augmentation the whole split sits on the device
            return self._x[torch.as_tensor(idx).to(self._x.device)], y
        rng = np.random.default_rng([self.seed, _AUGMENT_STREAM, int(step)])
        x = augment.augment_flat(self._x_host[idx], self.image_shape, rng)
        return torch.as_tensor(x).to(self.device), y
