# make run  — set everything up and serve the portal with demo data on http://127.0.0.1:5000 (or PORT)
# make test — set everything up and run every test (PORTAL_TEST_DATABASE_URL=postgresql+psycopg://… for PostgreSQL)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench venv translations lint clean

venv: $(STAMP)

# Reinstalls only when a requirements file changed (or the venv is new).
$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=python3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# The Ukrainian catalogue: translations/*/*.po parts merged into LC_MESSAGES/messages.mo
# (git-ignored); rebuilt only when a part is newer. The app refuses to start without it.
translations: venv
	$(PY) -m portal.i18n

# What CI checks before the tests (settings in pyproject.toml).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

run: venv translations
	$(PY) -m portal.runner

# ALLOW_NO_TESTS=1 (set by .ci/run) turns pytest's exit status 5, "no tests collected", into success.
test: venv translations
	@rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ "$$rc" -eq 5 ] && [ -n "$(ALLOW_NO_TESTS)" ]; then echo "pytest collected no tests"; rc=0; fi; \
	exit $$rc

# make bench [APPEALS=1000000] [DB=sqlite|postgres] [SEED=1] [REPEAT=5] [STOCK=0] [EXPORT=0] — a benchmark, not a test (scripts/bench.py);
# DB=postgres reads PORTAL_BENCH_DATABASE_URL. The generated SQLite data is kept in instance-bench/.
APPEALS ?= 1000000
DB ?= sqlite
# The servers run on the system's Python 3.11 when it has one with venv (.venv-bench), as a production server
# would: Debian builds it with profile-guided optimisation; pyenv's default build (a shared library, no PGO)
# serves the portal's pages 6-16 % slower (docs/benchmarks.md). BENCH_PYTHON=… chooses another interpreter.
BENCH_PYTHON ?= $(shell for p in /usr/bin/python3.11 /usr/local/bin/python3.11; do \
	[ -x $$p ] && $$p -c 'import ensurepip, venv' 2>/dev/null && { echo $$p; exit; }; done; echo $(PYTHON))
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(BENCH_STAMP)

bench: venv translations $(BENCH_STAMP)
	APPEALS=$(APPEALS) DB=$(DB) $(BENCH_VENV)/bin/python scripts/bench.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache test-artifacts
