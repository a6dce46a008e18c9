"""Image augmentation on the integer domain: random resized crops and horizontal flips.

The paper's code trains CIFAR with torchvision's ``RandomResizedCrop(32, scale=(0.5, 1),
ratio=(0.8, 1.2))`` and ``RandomHorizontalFlip(0.5)``. Here the same transforms act on the
unsigned integer images, before the thermometer encoder, so an augmented sample is again a valid
integer input of the model: crop boxes follow torchvision's rule (ten tries at a random area and
aspect ratio, else a central crop), the crop is resized back by bilinear interpolation
(half-pixel centres, as ``torch.nn.functional.interpolate(..., align_corners=False)``) and rounded
half to even. Images are ``(n, C, H, W)`` arrays; the loader's ``feature_shape`` says whether flat
features are such images. (The paper's code, with its default of caching encoded images, crops
and flips the thresholded 0/1 channels instead, so its interpolation yields values between 0
and 1; cropping the integer image keeps every input exactly what the hardware sees.)
"""

from __future__ import annotations

import math

import numpy as np

SCALE = (0.5, 1.0)  #: crop area as a fraction of the image
RATIO = (0.8, 1.2)  #: crop aspect ratio width / height
FLIP_P = 0.5  #: probability of a horizontal flip
_TRIES = 10

__all__ = ["FLIP_P", "RATIO", "SCALE", "augment_flat", "augment_images", "crop_boxes", "image_shape", "resize_crops"]


def image_shape(feature_shape: tuple, name: str = "the data") -> tuple[int, int, int]:
    """``(C, H, W)`` when the features are images of that shape, else a ``ValueError`` naming it."""
    shape = tuple(int(d) for d in feature_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"--augment needs image data of shape (channels, height, width), such as cifar10, cifar100 "
            f"or an .npz whose X is (n, C, H, W); {name} has feature shape {shape}"
        )
    return shape


def crop_boxes(n: int, height: int, width: int, rng: np.random.Generator, scale=SCALE, ratio=RATIO) -> np.ndarray:
    """``(n, 4)`` int64 boxes ``top, left, h, w``, drawn as torchvision's ``RandomResizedCrop``."""
    area = height * width
    target = area * rng.uniform(scale[0], scale[1], (n, _TRIES))
    aspect = np.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1]), (n, _TRIES)))
    w = np.rint(np.sqrt(target * aspect)).astype(np.int64)
    h = np.rint(np.sqrt(target / aspect)).astype(np.int64)
    fits = (w > 0) & (w <= width) & (h > 0) & (h <= height)
    first = fits.argmax(1)
    rows = np.arange(n)
    h, w = h[rows, first], w[rows, first]
    found = fits.any(1)
    ch, cw = _central_size(height, width, ratio)
    h, w = np.where(found, h, ch), np.where(found, w, cw)
    top = np.where(found, (rng.random(n) * (height - h + 1)).astype(np.int64), (height - h) // 2)
    left = np.where(found, (rng.random(n) * (width - w + 1)).astype(np.int64), (width - w) // 2)
    return np.stack([top, left, h, w], axis=1)


def _central_size(height: int, width: int, ratio) -> tuple[int, int]:
    """torchvision's fall-back crop: the whole image, cut to the nearest allowed aspect ratio."""
    in_ratio = width / height
    if in_ratio < min(ratio):
        return round(width / min(ratio)), width
    if in_ratio > max(ratio):
        return height, round(height * max(ratio))
    return height, width


def _source_index(start: np.ndarray, size: np.ndarray, out: int):
    """Bilinear taps along one axis: lower index, upper index and upper weight, ``(n, out)``."""
    step = (size / out).astype(np.float32)[:, None]
    src = np.maximum((np.arange(out, dtype=np.float32) + np.float32(0.5)) * step - np.float32(0.5), 0)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, size[:, None] - 1)
    weight = (src - lo).astype(np.float32)
    return start[:, None] + lo, start[:, None] + hi, weight


def resize_crops(images: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Each image's box resized bilinearly to the full ``H × W``: float32 ``(n, C, H, W)``.

    Along the width first, then the height, with torch's operation order (so equal to
    ``interpolate(crop, (H, W), mode="bilinear", align_corners=False)`` in float32)."""
    _, _, height, width = images.shape
    y0, y1, wy = _source_index(boxes[:, 0], boxes[:, 2], height)
    x0, x1, wx = _source_index(boxes[:, 1], boxes[:, 3], width)
    sample = np.arange(len(images))[:, None]
    wx = wx[:, None, None, :]
    left = images[sample, :, :, x0].transpose(0, 2, 3, 1).astype(np.float32)  # (n, C, H, W)
    right = images[sample, :, :, x1].transpose(0, 2, 3, 1).astype(np.float32)
    rows = (1 - wx) * left + wx * right
    wy = wy[:, None, :, None]
    top = rows[sample, :, y0, :].transpose(0, 2, 1, 3)
    bottom = rows[sample, :, y1, :].transpose(0, 2, 1, 3)
    return (1 - wy) * top + wy * bottom


def augment_images(images: np.ndarray, rng: np.random.Generator, scale=SCALE, ratio=RATIO, flip_p=FLIP_P):
    """Random resized crop, then a random horizontal flip, of ``(n, C, H, W)`` unsigned integer images."""
    if images.ndim != 4 or images.dtype.kind != "u":
        raise ValueError(
            f"augment_images needs (n, C, H, W) unsigned integer images, got {images.dtype} {images.shape}"
        )
    n, _, height, width = images.shape
    boxes = crop_boxes(n, height, width, rng, scale, ratio)
    out = np.rint(resize_crops(images, boxes)).astype(images.dtype)
    flip = rng.random(n) < flip_p
    out[flip] = out[flip, :, :, ::-1]
    return out


def augment_flat(x: np.ndarray, feature_shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """:func:`augment_images` for flat ``(n, F)`` features of images of shape ``feature_shape``."""
    shape = image_shape(feature_shape)
    return augment_images(x.reshape(len(x), *shape), rng).reshape(len(x), -1)
