# Two commands do everything on a fresh machine (Python 3.11+ with pip and venv):
#   make run    runs the main job on the bundled data/   (creates .venv and installs on first use)
#   make test   runs the test suite                      (same set-up, plus the dev tools)
# pip rather than uv/poetry: pip on these machines takes torch's CPU build from local wheels; the others
# would download a 3 GB CUDA build. Override TORCH (e.g. `make test TORCH=torch`) to take another build.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
OUT ?= out
PY := $(VENV)/bin/python

.PHONY: run trends test lint lab clean

# One stamp per set of extras: `make run` installs the library alone, `make lab` adds the notebook tools,
# `make test` adds those and the test tools.
$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e '.$(if $(filter core,$*),,[$*])'
	touch $@

run: $(VENV)/.installed-core
	$(PY) -m analysis run data/ --out $(OUT)

# A year of real, dated Daily Papers (1,200 papers, examples/): the trend figures and report in one command.
trends: $(VENV)/.installed-core
	$(PY) -m analysis run examples/ --out $(OUT)-trends

test: $(VENV)/.installed-dev
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check analysis tests bench
	$(PY) -m ruff format --check analysis tests bench

lab: $(VENV)/.installed-notebooks
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) $(OUT)
