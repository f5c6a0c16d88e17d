# The two commands of the README: `make up` runs the hub, `make test` passes the tests.
# Both set everything up first.

.PHONY: setup up test test-postgres translations

# The tests run in one process per core: most of their time is spent waiting on Temporal and the
# hub each process starts. A test file stays in one process, so its own stack starts once.
# The slowest tests are listed at the end: the suite's time is a budget, and this shows where it goes.
PARALLEL = -n auto --dist loadfile --durations=25

setup:
	scripts/setup

up: setup
	.venv/bin/qinqing up

# Style and types first: they take seconds, the tests take minutes.
test: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/qinqing catalog check
	.venv/bin/python -m pytest $(PARALLEL)

# The database-facing tests again, against PostgreSQL (started, or installed, on this machine).
# Not the browser's: a page is laid out and driven the same whatever the database, and what it
# reads and writes goes through the domain code the stack tests run here (on SQLite they run too).
test-postgres: setup
	QINQING_TEST_DATABASE_URL="$$(scripts/start-postgres)" .venv/bin/python -m pytest -m "stack and not browser" $(PARALLEL)

# Re-extract messages from Python, templates and form specs, and merge them into each locale.
translations:
	.venv/bin/pybabel extract -F babel.cfg -o locales/messages.pot --no-location --sort-output --project="Qinqing Hub" .
	.venv/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
