"""16-bit integer inputs through training, every engine and both RTL variants."""

import json

import numpy as np
import pytest
import torch

from ldlgn.cli import main
from ldlgn.encoder import ThermometerEncoder


def test_encoder_takes_uint16_tensors_and_arrays():
    enc = ThermometerEncoder(2, 3, input_bits=16)
    x = np.array([[0, 65535], [30000, 12]], dtype=np.uint16)
    bits = enc(torch.from_numpy(x)).numpy()
    assert bits.shape == (2, 6) and (bits == enc(x).numpy()).all()
    assert bits[0, 3:].tolist() == [1.0, 1.0, 1.0] and bits[0, :3].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.slow
def test_uint16_data_trains_compiles_and_verifies_on_every_engine(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = tmp_path / "u16.npz"
    np.savez(data, X=rng.integers(0, 60000, (200, 16)).astype(np.uint16), y=np.arange(200) % 3)
    run, build = tmp_path / "run", tmp_path / "build"
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--width",
                "60",
                "--depth",
                "2",
                "--steps",
                "20",
                "--init",
                "gauss",
                "--out",
                str(run),
                "--no-progress",
                "--no-plots",
            ]
        )
        == 0
    )
    assert main(["compile", str(run / "model.pt"), "--out", str(build), "--c", "--verilog", "--no-yosys"]) == 0
    report = json.loads((build / "report.json").read_text())
    assert report["input_bits"] == 16 and report["gates_opt"] > 0
    assert main(["verify", str(run / "model.pt"), "--build", str(build), "--split", "train"]) == 0
    rows = json.loads((build / "verify.json").read_text())["engines"]
    assert {r["engine"] for r in rows} == {"torch", "numba", "c", "rtl", "rtl-pipelined"}
    assert all(r["mismatches"] == 0 and r["samples"] > 100 for r in rows)
