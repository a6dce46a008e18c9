"""Architecture specs: the grammar, its errors, the presets and the shape arithmetic (torch-free)."""

import subprocess
import sys

import pytest

from ldlgn import arch
from ldlgn.config import TrainConfig


def test_items_and_their_defaults():
    items = arch.parse("conv:16:3,pool,conv:32:5:stride=2:pad=0:depth=3:group=1,pool:3:stride=2:pad=1,fc:2000")
    assert items[0] == arch.Conv(16, 3) and items[0].pad == 1 and items[0].depth == 2 and items[0].group == 2
    assert items[1] == arch.Pool(2) and items[1].step == 2 and items[1].padding == 0
    assert items[2] == arch.Conv(32, 5, 2, 0, 3, 1)
    assert items[3].step == 2 and items[3].padding == 1 and items[3].kernel_size == 3
    assert items[4] == arch.Dense(2000)
    assert arch.parse("conv:8,fc:10")[0].kernel_size == 3


def test_canonical_spells_out_every_default_and_round_trips():
    text = arch.canonical("conv:16:3, pool ,fc:100")
    assert text == "conv:16:3:stride=1:pad=1:depth=2:group=2,pool:2:stride=2:pad=0,fc:100"
    assert arch.canonical(text) == text


@pytest.mark.parametrize("name", sorted(arch.PRESETS))
def test_every_preset_parses_and_plans(name):
    image = (3, 32, 32) if "cifar" in name else (1, 8, 8) if "digits" in name else (1, 28, 28)
    plans = arch.plan(name, image, 3, 10)
    assert plans[-1].out_shape[0] % 10 == 0 and arch.canonical(name) == arch.canonical(arch.PRESETS[name])


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "needs a spec"),
        ("conv:16:3,pool", "last layer must be fc"),
        ("fc:100,conv:8:3,fc:10", "only fc layers may follow"),
        ("conv:x:3,fc:10", "channel count must be an integer"),
        ("conv:8:3:size=2,fc:10", "unknown option 'size=2'"),
        ("conv:8:3:depth=9,fc:10", "tree depth must be in 1..6"),
        ("conv:8:3:pad=3,fc:10", "conv padding must be in 0..2"),
        ("pool:1,fc:10", "pool window must be ≥ 2"),
        ("pool:2:pad=2,fc:10", "pool padding must be in 0..1"),
        ("dense:10", "unknown layer 'dense'"),
        ("fc:0", "fc width must be ≥ 1"),
        ("fc", "write fc:WIDTH"),
        ("conv:8:depth=2:3,fc:10", "sizes come before key=value options"),
    ],
)
def test_bad_specs_name_the_problem(spec, message):
    with pytest.raises(ValueError, match=message):
        arch.parse(spec)


def test_shapes_follow_conv_and_pool_arithmetic():
    plans = arch.plan("conv:4:5:pad=0,pool,conv:6:3:pad=0:depth=3,pool:pad=1,fc:25", (1, 28, 28), 2, 10)
    assert [p.out_shape for p in plans] == [(4, 24, 24), (4, 12, 12), (6, 10, 10), (6, 6, 6), (30,)]
    assert plans[0].in_shape == (2, 28, 28)  # 1 channel × 2 thresholds
    assert plans[0].gates == 4 * 3 * 24 * 24 and plans[0].parameter_rows == 4 * 3
    assert plans[2].gates == 6 * 7 * 100 and plans[2].parameter_rows == 6 * 7
    assert plans[1].gates == 4 * 12 * 12 * 3 and plans[1].parameter_rows == 0  # 3 ORs per 2×2 window
    assert plans[4].gates == 30 and plans[4].in_shape == (6, 6, 6)


def test_padded_pool_windows_and_their_pass_through_gates():
    assert arch.pool_windows(3, 2, 2, 1) == [[0], [1, 2]]
    # 2x2 grid of windows with 1, 2, 2, 4 pixels: two OR levels each, the short windows pass on
    assert arch.pool_gates(1, 3, 3, arch.Pool(2, 2, 1)) == (1 + 1) + (1 + 1) * 2 + (2 + 1)


def test_a_window_that_leaves_no_position_is_refused():
    with pytest.raises(ValueError, match="no output position"):
        arch.plan("conv:4:5:pad=0,fc:10", (1, 3, 3), 1, 10)


def test_image_shapes():
    assert arch.image_shape((8, 8)) == (1, 8, 8) and arch.image_shape([3, 32, 32]) == (3, 32, 32)
    with pytest.raises(ValueError, match="need image data"):
        arch.image_shape((30,))


def test_cdlgn_digits_recipe_is_the_preset_with_seven_thresholds_and_explicit_options_win():
    from ldlgn.cli import _given_train_options, build_parser
    from ldlgn.presets import apply_preset, preset_config

    cfg = preset_config("cdlgn-digits")
    cfg.check()
    assert (cfg.data, cfg.arch, cfg.num_thresholds, cfg.tau, cfg.steps) == ("digits", "cdlgn-digits", 7, 6.0, 2000)
    argv = ["train", "--out", "x", "--preset", "cdlgn-digits", "--seed", "3", "--thresholds", "3"]
    args = build_parser().parse_args(argv)
    values = {k: getattr(args, k) for k in TrainConfig.__dataclass_fields__}
    merged = apply_preset(args.preset, values, _given_train_options(argv, values))
    assert (merged["arch"], merged["tau"], merged["num_thresholds"], merged["seed"]) == ("cdlgn-digits", 6.0, 3, 3)


def test_train_config_checks_the_spec():
    TrainConfig(arch="cdlgn-digits").check()
    with pytest.raises(ValueError, match="last layer must be fc"):
        TrainConfig(arch="conv:8:3").check()


def test_memory_estimate_refuses_a_huge_architecture(monkeypatch):
    from ldlgn import sizing

    plans = arch.plan("cdlgn-cifar10-m", (3, 32, 32), 3, 10)
    monkeypatch.setattr(sizing, "memory_limit_bytes", lambda: 16 << 30)
    with pytest.raises(ValueError, match="--arch is too large"):
        arch.check_training_fits(plans, 3 * 32 * 32, 3, 100)
    arch.check_training_fits(arch.plan("cdlgn-digits", (1, 8, 8), 3, 10), 64, 3, 100)


def test_train_help_lists_the_presets_without_torch():
    code = (
        "import sys\nfrom ldlgn.cli import main\n"
        "try:\n    main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "--arch SPEC" in p.stdout and "cdlgn-digits" in p.stdout
