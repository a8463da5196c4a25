# Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Debian packages the test suite drives as real peers (installed when run as root).
SYSTEM_PACKAGES := chromium dovecot-imapd dovecot-sqlite swaks openssl
# Peers the benches measure against (bench/bounces.py runs Sisimai).
BENCH_PACKAGES := libsisimai-perl

.PHONY: run test lint typecheck pytest system-deps bench-deps bench clean

# What system-deps installs; bench-deps passes its own list on the command line.
DEB_PACKAGES = $(SYSTEM_PACKAGES)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/helpdesk migrate
	$(BIN)/helpdesk serve

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "missing Debian packages:$$missing (run make as root, or apt-get install them)"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) system-deps
	$(BIN)/pytest

test: lint typecheck pytest

bench-deps:
	@$(MAKE) --no-print-directory system-deps DEB_PACKAGES="$(BENCH_PACKAGES)"

bench: $(STAMP) bench-deps
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python -P $$b || exit 1; done

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
