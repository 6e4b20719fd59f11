#!/usr/bin/env bash
# Installs everything (scripts/bootstrap.sh), starts the embedded demo desk, runs probes/
# against it and writes reports/<run-id>/scorecard.html and scorecard.json.
# Extra arguments go to `mysteryshop demo`, e.g. scripts/demo.sh --profile poor
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/mysteryshop demo "$@"
