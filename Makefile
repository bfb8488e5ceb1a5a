# Two set-up commands for a fresh clone: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run serve token test bench lint typecheck format migrate clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; try: make PYTHON=python3"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

run: $(STAMP)
	DJANGO_DEBUG=1 HUB_ALLOW_PRIVATE_TARGETS=1 $(PY) manage.py runhub

# An API token for the admin user `make run` created (made once, printed every time), in the
# development settings `make run` uses. Another user: make token HUB_USER=name
token: $(STAMP)
	@DJANGO_DEBUG=1 $(PY) manage.py drf_create_token $(or $(HUB_USER),admin)

# Production process set (gunicorn + workers + poller) from .env / the environment; refuses
# unsafe settings. docs/operations.md
serve: $(STAMP)
	$(PY) manage.py serve --migrate

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP) typecheck
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# mypy with the Django and DRF plugins; what it checks and how strictly: pyproject.toml [tool.mypy]
typecheck: $(STAMP)
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) var
