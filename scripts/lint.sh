#!/usr/bin/env bash
# Style and types: `ruff check`, `ruff format --check` and `mypy`, with the settings in
# pyproject.toml and the versions pinned in requirements-dev.txt. All three run even when
# one fails; the last line names the ones that failed. Exit 1 if any did.
# `make lint` runs it alone; `make test` runs it before starting its services.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/ruff ] || [ ! -x .venv/bin/mypy ]; then
  echo "lint: ruff or mypy missing from .venv (scripts/setup.sh installs requirements-dev.txt)" >&2
  exit 1
fi

failed=()
echo "==> ruff check"
.venv/bin/ruff check --output-format concise . || failed+=("ruff check")
echo "==> ruff format --check"
# One line per file; `.venv/bin/ruff format --diff FILE` shows the change, without --diff makes it.
.venv/bin/ruff format --check --output-format concise . || failed+=("ruff format --check")
echo "==> mypy"
.venv/bin/mypy || failed+=("mypy")

if [ ${#failed[@]} -gt 0 ]; then
  echo "LINT FAILED: $(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')"
  exit 1
fi
echo "lint passed: ruff check, ruff format --check, mypy"
