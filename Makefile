# ldlgn: `make demo` sets everything up and runs the demo; `make test` sets up and runs the tests;
# `make test-fast` skips the slow end-to-end tests; `make lint` runs ruff and mypy.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.ldlgn-installed
export OMP_WAIT_POLICY ?= passive
export NUMBA_THREADING_LAYER ?= workqueue

.PHONY: install test test-fast lint typecheck demo bench clean tools

install: $(STAMP) tools

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: pip takes the CPU wheel instead of a multi-GB CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Icarus Verilog and Yosys are real dependencies of the hardware flow; Verilator (lint only) and
# nextpnr-ice40 (`ldlgn synth --target ice40-hx8k`) are optional for users, installed here so the
# tests run them. nextpnr-ecp5 comes from PyPI with the [fpga] extra (part of [dev]).
tools:
	@if command -v iverilog >/dev/null && command -v vvp >/dev/null && command -v yosys >/dev/null \
	    && command -v verilator >/dev/null && command -v nextpnr-ice40 >/dev/null; then \
	  true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog yosys verilator \
	    nextpnr-ice40 fpga-icestorm; \
	elif command -v iverilog >/dev/null && command -v vvp >/dev/null && command -v yosys >/dev/null; then \
	  echo "ldlgn: Verilator not found: the Verilog lint skips it (sudo apt-get install verilator)" >&2; \
	else \
	  echo "ldlgn: Icarus Verilog and Yosys are missing; install them with: sudo apt-get install iverilog yosys" >&2; \
	  exit 1; \
	fi

test: install
	$(PY) -m pytest -q -n 2 --dist loadfile tests

# the quick tier: everything not marked slow (tests/conftest.py says what slow means)
test-fast: install
	$(PY) -m pytest -q -n 2 -m "not slow" tests

LINT_PATHS := ldlgn compiler sim bench examples tests
TYPECHECK  := build/typecheck

# every check runs; the target fails if any of them found something
lint: install
	@status=0; \
	echo "ruff check"; $(VENV)/bin/ruff check $(LINT_PATHS) || status=1; \
	echo "ruff format --check"; $(VENV)/bin/ruff format --check $(LINT_PATHS) || status=1; \
	$(MAKE) --no-print-directory typecheck || status=1; \
	exit $$status

# setuptools installs compiler/ as ldlgn.compiler and sim/ as ldlgn.sim; mypy cannot follow that
# mapping, so it checks a tree of links laid out as installed (pyproject.toml points mypy_path at
# it) and the report names the files in the checkout.
typecheck: install
	@rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/ldlgn
	@for f in ldlgn/*; do case $$f in */__pycache__) ;; *) ln -s "$(CURDIR)/$$f" $(TYPECHECK)/ldlgn/ ;; esac; done
	@ln -s "$(CURDIR)/compiler" $(TYPECHECK)/ldlgn/compiler
	@ln -s "$(CURDIR)/sim" $(TYPECHECK)/ldlgn/sim
	@ln -s "$(CURDIR)/rtl_templates" $(TYPECHECK)/ldlgn/rtl_templates
	@echo "mypy"; $(VENV)/bin/mypy $(TYPECHECK)/ldlgn bench examples tests > $(TYPECHECK)/mypy.log 2>&1; status=$$?; \
	sed -e 's#^$(TYPECHECK)/ldlgn/compiler/#compiler/#' -e 's#^$(TYPECHECK)/ldlgn/sim/#sim/#' \
	    -e 's#^$(TYPECHECK)/ldlgn/rtl_templates/#rtl_templates/#' -e 's#^$(TYPECHECK)/ldlgn/#ldlgn/#' \
	    $(TYPECHECK)/mypy.log; \
	exit $$status

demo: install
	$(VENV)/bin/ldlgn demo

bench: install
	$(PY) bench/train_cpu.py
	$(PY) bench/netlist_passes.py
	$(PY) bench/c_infer.py
	$(PY) bench/rtl_sim.py

clean:
	rm -rf build runs .pytest_cache .ruff_cache
