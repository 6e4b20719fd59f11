#!/usr/bin/env bash
# Installs everything (scripts/bootstrap.sh), then runs the harness's own tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k store -x
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
.venv/bin/python -m pytest tests "$@"
code=$?
if [ $code -eq 5 ]; then
    echo "test: pytest collected no tests; that is a failure, not a pass" >&2
    exit 1
fi
exit $code
