# qualcode — two commands to start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= qualcode-demo
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test test-fast test-postgres lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: this machine serves its CPU build from disk (a plain
	# install would pull the multi-GB CUDA build).
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/qualcode demo $(DEMO_DIR)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser"

# Installs and starts a local PostgreSQL (Debian package), then runs the store tests on it.
test-postgres: $(STAMP)
	bash .ci/postgres.sh $(PY) -m pytest -q tests/store

lint: $(STAMP)
	$(VENV)/bin/ruff check qualcode app tests bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) test-output .pytest_cache
