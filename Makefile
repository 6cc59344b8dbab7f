# The two README commands: `make demo` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= ./yoc-data
PEOPLE ?= 50000
YEARS  ?= 3
SEED   ?= 20261123
# make test runs the suite on this many worker processes (pytest-xdist, one test file per worker at a
# time so module fixtures are built once; loadgroup's marks are not used: xdist 3.8 cannot set
# the group on pytest 9's node ids)
TEST_WORKERS ?= 2

.PHONY: demo test test-fast lint format docs bench clean install java browser

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# PySpark needs a Java runtime; install Debian's if the machine has none.
java:
	@command -v java >/dev/null 2>&1 || { echo "Installing a Java runtime for PySpark (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }

# The web app's browser tests drive Debian's Chromium with its ChromeDriver (no browser download).
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  echo "Installing Chromium and ChromeDriver for the browser tests (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

demo: $(STAMP)
	$(BIN)/yoc --data-dir $(DATA) demo --people $(PEOPLE) --years $(YEARS) --seed $(SEED)

test: $(STAMP) java browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=25 -n $(TEST_WORKERS) --dist loadfile

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -x -p no:cacheprovider -m "not spark and not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

docs: $(STAMP)
	$(BIN)/yoc docs --out docs/data-model.md

bench: $(STAMP)
	$(BIN)/python benchmarks/synth.py

clean:
	rm -rf $(DATA) .pytest_cache
