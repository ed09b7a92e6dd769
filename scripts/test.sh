#!/usr/bin/env bash
# Install releasegate with its test dependencies into .venv and run the whole suite.
# The suite starts the servers it needs itself (Prometheus, when installed); the database is SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

.venv/bin/python -m pytest "$@"
