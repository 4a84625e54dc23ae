# Priyom — the two commands of the README, and a few more.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app app

.PHONY: run serve test test-sqlite test-postgres system-packages bench chaos install install-dev clean translations

# Message catalogs: the .po files are the source, the .mo files are built from them.
CATALOGS := $(wildcard booking/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
BABEL_KEYWORDS := -k _l -k N_ -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

booking/translations/%/LC_MESSAGES/messages.mo: booking/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile -l $* -i $< -o $@

install: $(VENV)/.installed $(COMPILED)
install-dev: $(VENV)/.installed-dev $(COMPILED)

## make run: install, create the database with demo data when empty, serve on 127.0.0.1:$(PORT)
## (demo mode: without SECRET_KEY a random key is kept in instance/secret_key, links point to
## http://127.0.0.1:$(PORT), and instance/demo lets later commands run in demo mode too)
run: install
	DEMO_MODE=1 PORT=$(PORT) $(FLASK) init-db
	DEMO_MODE=1 PORT=$(PORT) $(FLASK) seed-demo --if-empty
	@echo "Priyom (demonstration) on http://127.0.0.1:$(PORT)/ ; what it would have mailed: http://127.0.0.1:$(PORT)/demo/mailbox"
	@echo "Staff side: create an administrator with  $(BIN)/flask --app app create-user --email admin@example.ru --role admin"
	DEMO_MODE=1 PORT=$(PORT) $(FLASK) run --host 127.0.0.1 --port $(PORT)

## make serve: production server, gunicorn.conf.py (PORT, default 8000; WEB_CONCURRENCY workers);
## needs SECRET_KEY and PUBLIC_BASE_URL, and DATABASE_URL for PostgreSQL
serve: install
	$(FLASK) init-db
	$(BIN)/gunicorn --config gunicorn.conf.py app:app

## make test: the whole test suite on SQLite, then again on a throwaway PostgreSQL (tests/pg.py),
## then one summary line per run (tests/run_suite.py); the browser tests serve their own SQLite
## database, so they run once. First the Debian packages the tests need (tests/system_packages.py):
## installed as root with apt-get, else named. SKIP_BROWSER=1, SKIP_POSTGRES=1, SKIP_REDIS=1,
## SKIP_KANNEL=1 skip a part on purpose; any other skip fails the run (tests/skips.py).
test: system-packages install-dev
	$(BIN)/python tests/run_suite.py sqlite postgresql -- $(PYTEST_ARGS)

test-sqlite: system-packages install-dev
	$(BIN)/python tests/run_suite.py sqlite -- $(PYTEST_ARGS)

test-postgres: system-packages install-dev
	$(BIN)/python tests/run_suite.py postgresql -- $(PYTEST_ARGS)

system-packages:
	@$(PYTHON) tests/system_packages.py

## make translations: collect the texts of the code and templates, add new ones to every catalog
translations: | $(VENV)/.installed
	@pot=$$(mktemp) && \
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) \
	  --add-location=file --sort-output -o $$pot . && \
	$(BIN)/pybabel -q update -i $$pot -d booking/translations --ignore-obsolete --ignore-pot-creation-date && \
	rm -f $$pot

## make bench: every benchmark of bench/README.md with a summary (minutes; not part of make test)
bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
	$(BIN)/python -m bench.run_all

## make chaos: the fault suite (chaos/): workers, PostgreSQL, the mail server and Redis fail under load,
## and a table of figures ends the run (about five minutes; not part of make test).
## SCENARIO=bookings|sigkill|sigterm|mail_server|redis runs one (a pytest -k expression);
## CHAOS_REFUSE_SECONDS=20 shortens the mail server's outage (chaos/__init__.py lists the settings)
chaos: install-dev
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    postgresql redis-server >/dev/null; }
	PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(BIN)/python -m pytest chaos $(if $(SCENARIO),-k "$(SCENARIO)") $(PYTEST_ARGS)

$(VENV)/.installed-bench: requirements.txt requirements-bench.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache
