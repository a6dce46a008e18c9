"""Fidelity to the paper's code (difflogic-iwp) and to difflogic: each test transcribes the
reference's formula and compares ldlgn's behaviour under the reference's name with it."""

import math

import numpy as np
import pytest
import torch

from ldlgn import augment as A
from ldlgn import parametrization as P
from ldlgn.batches import BatchStream, epoch_permutation
from ldlgn.compiler import truth_tables as tt
from ldlgn.connections import fan_out, make_connections


def _omega_and_grad(estimator, w, g):
    w = w.clone().requires_grad_(True)
    omega = P.row_values("iwp", estimator, w)
    omega.backward(g)
    return omega.detach(), w.grad


# ---- estimators: soft forward, replaced gradient --------------------------------------------
def _reference(estimator, w):
    """The reference's forward and local gradient factor (its SinSkipGrad, SigmoidStraightThrough
    and LinearStraightThrough autograd functions)."""
    if estimator == "sin-st":
        return 0.5 + 0.5 * torch.sin(w), torch.sign(0.5 * torch.cos(w))
    if estimator == "sigmoid-st":
        return torch.sigmoid(w), torch.ones_like(w)
    return torch.clamp(w, 0, 1), torch.ones_like(w)


@pytest.mark.parametrize("estimator", ["sin-st", "sigmoid-st", "linear-st"])
def test_st_estimators_match_the_reference(estimator):
    gen = torch.Generator().manual_seed(3)
    w = 2 * torch.randn(200, 4, generator=gen)
    g = torch.randn(200, 4, generator=gen)
    omega, grad = _omega_and_grad(estimator, w, g)
    ref_forward, ref_factor = _reference(estimator, w)
    assert torch.equal(omega, ref_forward)
    assert torch.equal(grad, g * ref_factor)


@pytest.mark.parametrize("estimator", ["sin-st", "sigmoid-st", "linear-st"])
def test_st_estimators_discretize_as_the_reference_eval(estimator):
    """The reference's CUDA eval rounds ρ (0.5 rounds to 0); its Python eval tests ρ ≥ 0.5: the
    same bits except on exact ties, which a continuous draw never hits."""
    w = torch.randn(5000, 4, generator=torch.Generator().manual_seed(4)) + 0.5
    rho = _reference(estimator, w)[0]
    weights = 1 << torch.arange(4)
    assert torch.equal(P.truth_tables("iwp", estimator, w), (torch.round(rho).long() * weights).sum(1))
    assert torch.equal(P.truth_tables("iwp", estimator, w), ((rho >= 0.5).long() * weights).sum(1))


def test_linear_st_thresholds_at_one_half():
    """linear-st is clamp(Ω, 0, 1): Ω in (0, 0.5] is a 0 row (ldlgn's earlier linear estimator,
    kept as linear-hard-st, read it as 1)."""
    w = torch.tensor([[0.25, 0.5, 0.51, -0.1]])
    assert P.truth_tables("iwp", "linear-st", w).item() == 0b0100
    assert P.truth_tables("iwp", "linear-hard-st", w).item() == 0b0111


@pytest.mark.parametrize("estimator", ["sin-hard-st", "sigmoid-hard-st", "linear-hard-st"])
def test_hard_st_estimators_forward_rows_and_pass_smooth_gradients(estimator):
    gen = torch.Generator().manual_seed(5)
    w = 2 * torch.randn(300, 4, generator=gen, dtype=torch.float64)
    g = torch.randn(300, 4, generator=gen, dtype=torch.float64)
    omega, grad = _omega_and_grad(estimator, w, g)
    rows = P.table_row_values(P.truth_tables("iwp", estimator, w), torch.float64)
    assert torch.allclose(omega, rows, atol=1e-12)
    if estimator == "sin-hard-st":
        slope = 0.5 * torch.cos(w)
    elif estimator == "sigmoid-hard-st":
        slope = torch.sigmoid(w) * (1 - torch.sigmoid(w))
    else:
        slope = torch.ones_like(w)
    assert torch.allclose(grad, g * slope, atol=1e-12)


# ---- heavy-tail init ------------------------------------------------------------------------
REFERENCE_AND_OR_RI = [[-1, 1, 1, 1], [-1, -1, -1, 1], [-1, -1, 1, 1], [-1, 1, -1, 1]]  # OR, AND, A, B


def test_and_or_ri_draws_the_reference_four_patterns_a_quarter_each():
    n = 40000
    w = P.init_weights("iwp", "sin", "and-or-ri", n, generator=torch.Generator().manual_seed(6))
    signs = torch.sign(w).long()  # µ = 1.2 is 4.8 σ: every sign is the pattern's
    patterns = torch.tensor(REFERENCE_AND_OR_RI)
    match = (signs[:, None, :] == patterns[None]).all(-1)
    assert bool(match.any(1).all())
    counts = match.sum(0).double()
    assert bool(((counts - n / 4).abs() < 4 * math.sqrt(n * 3 / 16)).all()), counts
    omega01 = P.table_row_values(P.truth_tables("iwp", "sin", w))[:, 1].mean().item()
    assert abs(omega01 - 0.5) < 0.02


# ---- connections ----------------------------------------------------------------------------
def _difflogic_random(in_dim, out_dim, gen):
    """difflogic's LogicLayer.get_connections('random'), transcribed."""
    c = torch.randperm(2 * out_dim, generator=gen) % in_dim
    c = torch.randperm(in_dim, generator=gen)[c]
    c = c.reshape(2, out_dim)
    return c[0], c[1]


@pytest.mark.parametrize("shape", [(192, 500), (8000, 8000), (50, 30), (7, 100)])
def test_random_connections_are_difflogics_draw(shape):
    a, b = make_connections(*shape, "random", torch.Generator().manual_seed(7))
    ra, rb = _difflogic_random(*shape, torch.Generator().manual_seed(7))
    assert torch.equal(a, ra) and torch.equal(b, rb)


def test_balanced_fan_out_and_the_earlier_scheme():
    for kind in ("random", "unique"):
        f = fan_out(*make_connections(192, 500, kind, torch.Generator().manual_seed(8)), 192)
        assert set(f.tolist()) <= {5, 6}, kind
        f = fan_out(*make_connections(8000, 8000, kind, torch.Generator().manual_seed(8)), 8000)
        assert set(f.tolist()) == {2}, kind
    cover = fan_out(*make_connections(192, 500, "random-cover", torch.Generator().manual_seed(8)), 192)
    assert cover.min() >= 1 and cover.max() - cover.min() > 3


def test_unique_connections_keep_pairs_distinct():
    a, b = make_connections(6, 15, "unique", torch.Generator().manual_seed(9))
    pairs = {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist())}
    assert len(pairs) == 15 and bool((a != b).all())


# ---- batches --------------------------------------------------------------------------------
def test_each_epoch_visits_every_row_once():
    n, batch = 23, 5
    stream = BatchStream(np.zeros((n, 2), np.uint8), np.arange(n), batch, seed=11)
    seen = np.concatenate([stream.indices(s) for s in range(3 * n)])  # exactly 15 epochs
    for e in range(len(seen) // n):
        chunk = seen[e * n : (e + 1) * n]
        assert sorted(chunk.tolist()) == list(range(n))
        assert np.array_equal(chunk, epoch_permutation(n, 11, e))
    assert not np.array_equal(seen[:n], seen[n : 2 * n])  # a fresh order every epoch


def test_a_batch_depends_only_on_seed_and_step():
    make = lambda seed: BatchStream(np.zeros((40, 1), np.uint8), np.arange(40), 7, seed=seed)  # noqa: E731
    first, second = make(1), make(1)
    for s in (0, 9, 3, 20):
        assert np.array_equal(first.indices(s), second.indices(s))
    assert not np.array_equal(make(2).indices(0), first.indices(0))
    big = BatchStream(np.zeros((3, 1), np.uint8), np.arange(3), 8, seed=0)  # batch larger than the split
    assert np.bincount(big.indices(0), minlength=3).tolist() in ([3, 3, 2], [3, 2, 3], [2, 3, 3])


# ---- augmentation ---------------------------------------------------------------------------
def test_crops_follow_torchvisions_rule():
    rng = np.random.default_rng(12)
    boxes = A.crop_boxes(4000, 32, 32, rng)
    top, left, h, w = boxes.T
    assert (top >= 0).all() and (left >= 0).all() and (top + h <= 32).all() and (left + w <= 32).all()
    # rounding w and h to integers moves area and aspect slightly past the drawn ranges
    assert (h * w / 1024).min() >= 0.48 and (h * w / 1024).max() <= 1.0
    assert (w / h).min() >= 0.76 and (w / h).max() <= 1.25
    assert A.crop_boxes(3, 10, 40, rng, scale=(1.0, 1.0)).tolist() == [[0, 14, 10, 12]] * 3  # central fall-back


def test_resize_equals_torch_bilinear():
    rng = np.random.default_rng(13)
    images = rng.integers(0, 256, (20, 3, 32, 32)).astype(np.uint8)
    boxes = A.crop_boxes(20, 32, 32, rng)
    ours = A.resize_crops(images, boxes)
    for k, (t, l_, h, w) in enumerate(boxes):
        crop = torch.as_tensor(images[k : k + 1, :, t : t + h, l_ : l_ + w]).float()
        ref = torch.nn.functional.interpolate(crop, size=(32, 32), mode="bilinear", align_corners=False)
        assert np.array_equal(ours[k], ref[0].numpy())


def test_augment_keeps_integer_images_and_flips():
    rng = np.random.default_rng(14)
    images = rng.integers(0, 65536, (6, 2, 5, 7)).astype(np.uint16)
    same = A.augment_images(images, rng, scale=(1, 1), ratio=(7 / 5, 7 / 5), flip_p=0.0)
    assert same.dtype == np.uint16 and np.array_equal(same, images)
    flipped = A.augment_images(images, rng, scale=(1, 1), ratio=(7 / 5, 7 / 5), flip_p=1.0)
    assert np.array_equal(flipped, images[..., ::-1])
    out = A.augment_flat(images.reshape(6, -1), (2, 5, 7), rng)
    assert out.shape == (6, 70) and out.dtype == np.uint16
    with pytest.raises(ValueError, match=r"feature shape \(8, 8\)"):
        A.image_shape((8, 8), "digits")


def test_truth_table_convention_untouched():
    """The row order the references use (00, 01, 10, 11 = (A, B)) is ldlgn's column order."""
    assert tt.table_from_direction("0011") == tt.PASS_A and tt.table_from_direction("0101") == tt.PASS_B
