# Two commands work on a fresh machine: `make run` and `make test` (and `make app`, the dashboard). Each creates
# .venv when it is missing; `make test` also installs the browser its dashboard test drives, when it can.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The forecast's compiled month step, cached by numba in forecasts/__pycache__ (about 6 s to compile, once).
COMPILED := $(VENV)/.compiled

.PHONY: run test app setup lint browser clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(COMPILED): $(STAMP) forecasts/simulate.py optimiser/match/candidates.py
	$(BIN)/python -c "from forecasts.simulate import compile_simulation; compile_simulation()"
	$(BIN)/python -c "from optimiser.match.candidates import compile_conflicts; compile_conflicts()"
	touch $(COMPILED)

setup: $(COMPILED)

run: $(COMPILED)
	$(BIN)/rcc monthly data/regions/greater-manchester --out out
	@echo
	$(BIN)/rcc public market --rcc greater-manchester --out out/market

app: $(COMPILED)
	$(BIN)/rcc app data/regions/greater-manchester --out out

lint: $(STAMP)
	$(BIN)/ruff check .

# The dashboard's real-browser tests drive Debian's headless chromium through chromedriver, and the single sign-on
# test runs a real OpenID Connect provider on Node.js (tests/oidc, its npm package installed by the test): chromium,
# chromium-driver, nodejs and npm are installed here when missing and this machine can (apt-get as root, or with sudo
# that needs no password); otherwise one line says what to install, and nothing runs.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
	    || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	    if command -v apt-get >/dev/null 2>&1 && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	        as_root=""; [ "$$(id -u)" = 0 ] || as_root="sudo -n"; \
	        missing="chromium chromium-driver"; command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	        echo "installing Debian's $$missing for the dashboard's browser tests"; \
	        $$as_root apt-get install -y -q $$missing >/dev/null \
	            || { $$as_root apt-get update -q >/dev/null && $$as_root apt-get install -y -q $$missing >/dev/null; }; \
	    else \
	        echo "make test needs Debian's chromium, chromium-driver, nodejs and npm (the dashboard's browser tests): run 'sudo apt-get install chromium chromium-driver nodejs npm', then make test again"; \
	        exit 1; \
	    fi; \
	fi

# Lint first: a finding stops the run before the (longer) tests, as CONTRIBUTING.md says. The run store's tests run
# on DuckDB and on a real PostgreSQL server: .ci/with-postgres starts one for the run (installing Debian's
# postgresql when it can) and stops it after, unless RCC_TEST_POSTGRES already names one. The tests run in one
# process: on two pytest-xdist workers (`-n 2 --dist loadgroup`, which tests/conftest.py supports) they passed twice,
# then a third run had HiGHS fail in every later solve on one worker, so xdist waits until that is understood.
PYTEST := $(BIN)/python -m pytest -q
test: $(COMPILED) browser lint
	if [ -n "$$RCC_TEST_POSTGRES" ]; then $(PYTEST); else .ci/with-postgres $(PYTEST); fi

clean:
	rm -rf $(VENV) out .pytest_cache tests/oidc/node_modules tests/oidc/.node
