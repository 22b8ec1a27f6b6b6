# Dangjian — the two commands that matter: `make run` and `make test`.
PY      := .venv/bin/python
PIP     := .venv/bin/pip
HOST    ?= 127.0.0.1
PORT    ?= 8000
WORKERS ?= 3
SEED_MEMBERS ?= 2000

.PHONY: install run test test-fast lint bench messages clean-db help

help:
	@echo "make run    - set up everything and serve the demo enterprise on http://$(HOST):$(PORT)"
	@echo "make test   - set up and run the whole test suite (DATABASE_URL / REDIS_URL select backends)"
	@echo "make lint   - ruff + mypy"
	@echo "make bench  - performance benchmarks (ratios against an in-run baseline)"

.venv/bin/python:
	python3.11 -m venv .venv || python3 -m venv .venv

# Re-install only when pyproject.toml changes.
.venv/.installed: pyproject.toml | .venv/bin/python
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch .venv/.installed

install: .venv/.installed
	@$(PY) scripts/ensure_env.py
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py compilemessages_py

run: install
	@$(PY) manage.py collectstatic --noinput -v 0
	@$(PY) manage.py seed_demo --if-empty --members $(SEED_MEMBERS) --seed 1
	@echo "Serving Dangjian on http://$(HOST):$(PORT)  (demo password: see README)"
	@scripts/serve.sh $(HOST) $(PORT) $(WORKERS)

test: .venv/.installed
	@$(PY) scripts/ensure_env.py
	@$(PY) manage.py compilemessages_py
	@scripts/ensure_chromium.sh
	$(PY) -m pytest -n $${PYTEST_WORKERS:-auto} $(PYTEST_ARGS)

test-fast: .venv/.installed
	$(PY) -m pytest -n auto -m "not e2e" $(PYTEST_ARGS)

lint: .venv/.installed
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy dangjian

bench: install
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.dues
	$(PY) -m bench.imports
	$(PY) -m bench.learning $(BENCH_LEARNING_ARGS)
	$(PY) -m bench.exams $(BENCH_EXAMS_ARGS)

messages: .venv/.installed
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages_py
