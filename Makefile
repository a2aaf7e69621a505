# Two commands for a new user: `make demo` and `make test`. Both create .venv and install when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install browser postgres demo test lint up clean i18n lock

# Dependencies come from requirements.lock: every package pinned with its sha256 hashes (pip refuses anything
# else), then casefac itself without dependencies. `make lock` re-resolves after a change to pyproject.toml.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing casefac and its locked, hash-checked dependencies into $(VENV) (first run only)..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(PY) -m starters.dependency_floors requirements.lock
	@touch $(STAMP)

LOCKVENV := .casefac/lock-venv
lock:
	@test -x $(LOCKVENV)/bin/pip-compile || ($(PYTHON) -m venv $(LOCKVENV) && \
	  $(LOCKVENV)/bin/pip install --quiet --disable-pip-version-check 'pip-tools>=7.4,<8')
	$(LOCKVENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(PY) -m starters.dependency_floors requirements.lock

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/casefac demo

up: $(STAMP)
	$(VENV)/bin/casefac up

# The portal's browser tests drive Debian's Chromium (never a downloaded browser). Installed when we may
# (root, as in CI); otherwise those tests skip with a note, unless CASEFAC_REQUIRE_BROWSER is set.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "make: could not install chromium; browser tests will skip"; \
	  else echo "make: /usr/bin/chromium missing (sudo apt-get install chromium); browser tests will skip"; fi; \
	fi

# The case record's tests run on SQLite and on PostgreSQL: each session starts its own throwaway server from
# Debian's binaries (tests/records/pg.py; never a system service). Installed when we may (root, as in CI);
# otherwise those tests skip with a note, unless CASEFAC_REQUIRE_POSTGRES is set. While the package installs,
# a policy-rc.d answering 101 keeps it from starting the system cluster it creates (one already there, as in
# Docker images, is left alone; ours is removed afterwards, whatever happens).
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing Debian's postgresql for the case record's tests..."; \
	    (if [ ! -e /usr/sbin/policy-rc.d ]; then trap 'rm -f /usr/sbin/policy-rc.d' EXIT; \
	       printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; fi; \
	     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	      || echo "make: could not install postgresql; PostgreSQL tests will skip"; \
	  else echo "make: no PostgreSQL server binaries (sudo apt-get install postgresql); PostgreSQL tests will skip"; fi; \
	fi

# pytest exits 5 when it collected no tests: that is a broken suite here, not a pass.
test: $(STAMP) browser postgres
	@$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; failing on purpose"; exit 1; fi; \
	exit $$rc

# Translations (casefac/locale, README "Languages"): extract every marked string, merge it into the es,
# en and fr catalogs, copy English msgids into the English catalog, then compile the .mo files (committed,
# so a fresh clone and a wheel need no build step; a test fails when a .mo no longer matches its .po).
LOCALE := casefac/locale
i18n: $(STAMP)
	$(VENV)/bin/pybabel extract -F $(LOCALE)/babel.cfg --no-default-keywords -k N_ -k NP_:1,2 -k _ \
	  -k gettext -k ngettext:1,2 --add-location=file --add-comments=TRANSLATORS: --sort-by-file --width=100 --project=casefac \
	  --copyright-holder="Justice in Motion" -o $(LOCALE)/messages.pot .
	@for l in es en fr; do $(VENV)/bin/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -l $$l \
	  --init-missing --width=100 --ignore-obsolete --ignore-pot-creation-date || exit 1; done
	$(PY) -m casefac.i18n_tools fill-english
	$(VENV)/bin/pybabel compile -d $(LOCALE) --statistics
	$(PY) -m casefac.i18n_tools check

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .casefac test-artifacts
