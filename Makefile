# Two commands (README): `make demo` and `make test` each do all set-up on a machine that has
# only Python 3.11+ and make. uv is bootstrapped into .tools/ with pip, then installs the
# locked dependency set (uv.lock) into .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: setup demo federation-demo test lint typecheck importlint unit bench fuzz schemathesis clean

$(UV):
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: pip compiles what it installs, uv does not by default, and with
# PYTHONDONTWRITEBYTECODE set nothing ever would: every `entente` start would compile Typer
# and the rest from source (Typer alone: 0.37 s instead of 0.13 s, against a 0.3 s budget for
# `entente --help`; bench/cli_startup.py). The project itself is installed editable (src/), so
# compileall does the same for it: its ~100 modules cost `entente stats` 0.3 s a start
# otherwise. A source edited since is compiled in memory as before (its .pyc no longer matches).
$(VENV)/.synced: $(UV) uv.lock pyproject.toml Makefile
	$(UV) sync --locked --compile-bytecode --python $(PYTHON) --quiet
	$(VENV)/bin/python -m compileall -q -j0 src
	touch $@

setup: $(VENV)/.synced

demo: setup
	$(VENV)/bin/entente demo

federation-demo: setup
	$(VENV)/bin/entente federation-demo

lint: setup
	$(VENV)/bin/ruff check src tests bench docs
	$(VENV)/bin/ruff format --check src tests bench docs

typecheck: setup
	$(VENV)/bin/mypy

importlint: setup
	$(VENV)/bin/lint-imports

unit: setup
	$(VENV)/bin/pytest

test: lint typecheck importlint unit

bench: setup
	$(VENV)/bin/python bench/ingest.py --quick

# Atheris over the STIX parser and the ingest readers for FUZZ_SECONDS (crashes: fuzz-out/).
FUZZ_SECONDS ?= 600
fuzz: setup
	rm -rf fuzz-out && mkdir -p fuzz-out/corpus
	$(VENV)/bin/python tests/fuzz/seeds.py fuzz-out/seeds
	$(VENV)/bin/python tests/fuzz/fuzz_readers.py -max_total_time=$(FUZZ_SECONDS) \
		-rss_limit_mb=2048 -timeout=30 -max_len=131072 -artifact_prefix=fuzz-out/ \
		-print_final_stats=1 fuzz-out/corpus fuzz-out/seeds

# The schemathesis CLI over a served node's REST API, every check, as an admin and a reader.
schemathesis: setup
	$(VENV)/bin/python tests/fuzz/schemathesis_run.py --max-examples 200

clean:
	rm -rf .tools $(VENV) .mypy_cache .pytest_cache .ruff_cache
