#!/usr/bin/env bash
# Quick start: set up .venv and replay the bundled synthetic week through the whole pipeline.
set -euo pipefail
. "$(dirname "$0")/_venv.sh" requirements.txt
exec .venv/bin/python main.py demo "$@"
