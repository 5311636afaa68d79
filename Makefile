# Two commands work on a fresh machine: `make run` and `make test` (and `make app`, the dashboard). Each creates
# .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The forecast's compiled month step, cached by numba in forecasts/__pycache__ (about 6 s to compile, once).
COMPILED := $(VENV)/.compiled

.PHONY: run test app setup clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(COMPILED): $(STAMP) forecasts/simulate.py
	$(BIN)/python -c "from forecasts.simulate import compile_simulation; compile_simulation()"
	touch $(COMPILED)

setup: $(COMPILED)

run: $(COMPILED)
	$(BIN)/rcc monthly data/regions/greater-manchester --out out
	@echo
	$(BIN)/rcc public market --rcc greater-manchester --out out/market

app: $(COMPILED)
	$(BIN)/rcc app data/regions/greater-manchester --out out

test: $(COMPILED)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
