# Konferencetavlen: `make run` starts the app on the demo centre, `make test` runs the whole suite.
SHELL := /bin/bash
UV_VERSION := 0.13.9
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PORT ?= 8501

.PHONY: run test test-sqlite test-postgres test-later lint env demo chromium nginx bench bench-room

# Debian's own Python refuses `pip install --user` (PEP 668): then ask it to allow this one tool.
$(UV):
	python3 -m pip install --quiet --user "uv==$(UV_VERSION)" \
		|| python3 -m pip install --quiet --user --break-system-packages "uv==$(UV_VERSION)"

env: $(UV)
	$(UV) sync --frozen

## Start the app on the embedded SQLite database; the demo centre is loaded when it is empty.
run: env
	$(UV) run python -m demo --ensure
	$(UV) run streamlit run app.py --server.address localhost --server.port $(PORT) \
		--browser.gatherUsageStats false

## The whole suite: lint, migrations in sync, every test on SQLite and on PostgreSQL, then the
## tests that run in this process once more with the clock a year ahead (time bombs fail now).
test: env chromium nginx lint test-sqlite test-postgres test-later

lint: env
	$(UV) run ruff check .

test-sqlite: env
	@echo "=== Test suite on SQLite ==="
	KT_TEST_DB=sqlite $(UV) run pytest -n 2 --dist loadfile

test-postgres: env
	@echo "=== Test suite on PostgreSQL ($(PG_TEST_URL)) ==="
	@$(UV) run python scripts/require_postgres.py "$(PG_TEST_URL)"
	KT_TEST_DB="$(PG_TEST_URL)" $(UV) run pytest -n 2 --dist loadfile

## The clock moved a year ahead (time-machine) for every test but the browser ones, whose
## server runs in its own process on the real clock.
test-later: env
	@echo "=== Test suite on SQLite, clock $${KT_CLOCK_SHIFT_DAYS:-365} days ahead ==="
	KT_CLOCK_SHIFT_DAYS=$${KT_CLOCK_SHIFT_DAYS:-365} KT_TEST_DB=sqlite $(UV) run pytest -n 2 \
		--dist loadfile tests/unit tests/integration tests/app

chromium:
	@scripts/ensure-chromium

nginx:
	@scripts/ensure-nginx

demo: env
	$(UV) run python -m demo --reset --scale $${SCALE:-1}

## Page benchmark: every page at demo scales 1 and 10, times and SQL statements (never pass/fail).
## BENCH_DB=<PostgreSQL server URL> measures on PostgreSQL instead of SQLite.
bench: env
	$(UV) run python -m tests.bench.run --scales $${SCALES:-1,10} --runs $${RUNS:-15} \
		$${BENCH_DB:+--db "$$BENCH_DB"}

## The room (issue 14): leader, projection, referent, six typists and F idle followers as
## WebSocket sessions without browsers; latencies, server CPU and memory (never pass/fail).
## FOLLOWERS, MINUTES, SCALE, INSTANCES (1|2); BENCH_DB=<PostgreSQL server URL> for PostgreSQL.
bench-room: env
	$(UV) run python -m tests.bench.room --followers $${FOLLOWERS:-0,10,20,30} \
		--minutes $${MINUTES:-10} --scale $${SCALE:-10} --instances $${INSTANCES:-1} \
		$${BENCH_DB:+--db "$$BENCH_DB"}
