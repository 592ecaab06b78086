.PHONY: run test lint setup sandbox-start sandbox-stop clean bench bench-grading bench-burst bench-web bench-logflood bench-class

# Start the whole product on http://127.0.0.1:8000 (installs what is missing first).
run:
	@bash scripts/run.sh

# Run the test suite against real Redis, a real sandbox Docker daemon and a real browser.
test:
	@bash scripts/test.sh $(PYTEST_ARGS)

# Style and types alone (make test runs them too): ruff check, ruff format --check, mypy.
lint:
	@bash scripts/setup.sh
	@bash scripts/lint.sh

# Benchmarks: each prints ratios against a baseline measured in the same run and writes
# its figures to docs/BENCHMARKS.md. BENCH_ARGS go to the benchmark. bench-class runs on a
# PostgreSQL server of its own (or BENCH_DATABASE_URL's), in a scratch database it drops.
bench:
	@bash scripts/bench.sh all $(BENCH_ARGS)

bench-grading bench-burst bench-web bench-logflood bench-class:
	@bash scripts/bench.sh $(@:bench-%=%) $(BENCH_ARGS)

setup:
	@bash scripts/setup.sh

sandbox-start:
	@bash sandbox/start.sh

sandbox-stop:
	@bash sandbox/stop.sh

clean:
	rm -rf .venv var/static var/test-db.sqlite3*
