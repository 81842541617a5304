#!/usr/bin/env bash
# Quick start: set up .venv with the test tools and run the whole test suite (pytest) and the linter.
# PostgreSQL tests run when VIGIA_TEST_DATABASE_URL is set, e.g.
#   VIGIA_TEST_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test ./scripts/test.sh
# Tests run in parallel, one pytest-xdist worker per CPU core (`-n auto`; PYTEST_XDIST_AUTO_NUM_WORKERS=N sets
# N). `--dist loadfile` keeps each file on one worker, so a module fixture (the demo run) is built once;
# `--no-loadscope-reorder` sends the files in the order tests/conftest.py sets (the demo's first).
# Arguments pass through to pytest and come last, so `./scripts/test.sh -n 0` runs everything serially.
set -euo pipefail
. "$(dirname "$0")/_venv.sh" requirements-dev.txt
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -n auto --dist loadfile --no-loadscope-reorder "$@"
