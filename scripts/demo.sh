#!/usr/bin/env bash
# Install releasegate with the demo tools into .venv and run `releasegate demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[demo]'

.venv/bin/releasegate demo "$@"
