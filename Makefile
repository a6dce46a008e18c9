# ldlgn: `make demo` sets everything up and runs the demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.ldlgn-installed
export OMP_WAIT_POLICY ?= passive
export NUMBA_THREADING_LAYER ?= workqueue

.PHONY: install test demo bench clean tools

install: $(STAMP) tools

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: pip takes the CPU wheel instead of a multi-GB CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Icarus Verilog and Yosys are real dependencies of the hardware flow; Verilator (lint only) is
# optional for users, installed here so the lint runs in the tests.
tools:
	@if command -v iverilog >/dev/null && command -v vvp >/dev/null && command -v yosys >/dev/null \
	    && command -v verilator >/dev/null; then \
	  true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog yosys verilator; \
	elif command -v iverilog >/dev/null && command -v vvp >/dev/null && command -v yosys >/dev/null; then \
	  echo "ldlgn: Verilator not found: the Verilog lint skips it (sudo apt-get install verilator)" >&2; \
	else \
	  echo "ldlgn: Icarus Verilog and Yosys are missing; install them with: sudo apt-get install iverilog yosys" >&2; \
	  exit 1; \
	fi

test: install
	$(PY) -m pytest -q -n 2 --dist loadfile tests

demo: install
	$(VENV)/bin/ldlgn demo

bench: install
	$(PY) bench/train_cpu.py
	$(PY) bench/netlist_passes.py
	$(PY) bench/c_infer.py
	$(PY) bench/rtl_sim.py

clean:
	rm -rf build runs .pytest_cache
