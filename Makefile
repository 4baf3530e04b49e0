# StockFlow: `make run` starts everything in one process; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH_STAMP := $(VENV)/.torch-installed

.PHONY: run test lint bench lock clean

run: $(STAMP)
	$(BIN)/stockflow up

# Two workers, one test file each at a time: most tests wait on servers, subprocesses and
# brokers, so two halve the run even on two cores; a file's shared fixtures stay in one worker.
TEST_WORKERS ?= 2

test: $(STAMP) $(TORCH_STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP)
	$(BIN)/python bench/api_quotes.py

# The environment is rebuilt whenever the lock file or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "StockFlow needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)

# torch, for the transformer sentiment backend's tests only (`make run` needs just the base
# install). It is not in requirements.lock: PyPI's Linux torch is a CUDA build of several GB,
# while the CPU build is all a test needs. The version is pinned so that pip takes the CPU wheel
# in its configured wheel directory where there is one; uv does not look there, hence pip.
# Rebuilt with the base environment (whose stamp is newer after a re-install).
$(TORCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet "torch==2.13.0"
	@touch $(TORCH_STAMP)

# Re-pin every dependency (needs the `uv` tool); commit the result.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) data .pytest_cache
