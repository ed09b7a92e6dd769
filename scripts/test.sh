#!/usr/bin/env bash
# Install releasegate with its test dependencies into .venv and run the whole suite.
# Database tests run on SQLite and on PostgreSQL; the PostgreSQL runs skip with the
# reason when its binaries are absent (see tests/postgres.py and .ci/run).
# The rollout tests start Prometheus themselves when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

.venv/bin/python -m pytest "$@"
