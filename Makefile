.PHONY: run test setup sandbox-start sandbox-stop clean

# Start the whole product on http://127.0.0.1:8000 (installs what is missing first).
run:
	@bash scripts/run.sh

# Run the test suite against real Redis, a real sandbox Docker daemon and a real browser.
test:
	@bash scripts/test.sh $(PYTEST_ARGS)

setup:
	@bash scripts/setup.sh

sandbox-start:
	@bash sandbox/start.sh

sandbox-stop:
	@bash sandbox/stop.sh

clean:
	rm -rf .venv var/static var/test-db.sqlite3*
