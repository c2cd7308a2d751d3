# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv test lint typecheck pytest demo emulator bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m compileall -q src  # bytecode, as an installed package has (the editable install writes none)
	@touch $(STAMP)

lint: venv
	$(VENV)/bin/ruff check src tests bench demo

typecheck: venv
	$(VENV)/bin/mypy src

pytest: venv
	$(VENV)/bin/pytest -q

test: lint typecheck pytest

demo: venv
	$(PY) demo/run.py

emulator: venv
	$(VENV)/bin/jiraemu serve --flavor cloud --port 8089 --seed 7 --projects 3 --issues 500

bench: venv
	$(PY) bench/emulator.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
