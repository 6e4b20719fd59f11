#!/usr/bin/env bash
# `make helpdesk`: starts a real help desk (Roundup, tests/helpdesk/roundup_desk.py) on loopback, runs the
# roundup_email and roundup_webform journeys against it with pytest (target journeys/targets/roundup.yaml),
# checks the scorecard against the desk's own records and prints where the scorecard is.
# Ports: the desk's SMTP intake 2528 and web UI 8917, the run's reply mailbox 2527 (as in the target file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh   # installs Roundup (the dev extra) when it is missing

home=$(mktemp -d "${TMPDIR:-/tmp}/roundup-desk.XXXXXX")
.venv/bin/python -m tests.helpdesk.roundup_desk serve --home "$home/tracker" --reply-to 127.0.0.1:2527 \
    --intake-port 2528 --web-port 8917 --answer-delay 2 --unanswered 0.25 --max-seconds 900 >"$home/serve.log" 2>&1 &
desk=$!
trap 'kill $desk 2>/dev/null || true; wait $desk 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
    grep -q '^{' "$home/serve.log" 2>/dev/null && break
    if ! kill -0 $desk 2>/dev/null; then
        echo "helpdesk: the Roundup desk did not start:" >&2; cat "$home/serve.log" >&2; exit 1
    fi
    sleep 0.1
done
grep -q '^{' "$home/serve.log" || { echo "helpdesk: the Roundup desk did not start within 60 s:" >&2; cat "$home/serve.log" >&2; exit 1; }
echo "helpdesk: Roundup desk up: $(head -1 "$home/serve.log")"

run_id="helpdesk-$(date +%Y%m%d-%H%M%S)"
# one issue in four is left unanswered on purpose, so some probes fail: that is the scorecard's finding, not an error
.venv/bin/python -m pytest journeys/roundup_email.yaml journeys/roundup_webform.yaml --target roundup --personas 2 \
    --run-id "$run_id" -p no:cacheprovider -q --no-header -rN || true
card="reports/$run_id/scorecard.json"
[ -f "$card" ] || { echo "helpdesk: the run wrote no scorecard ($card)" >&2; exit 1; }
.venv/bin/python -m tests.helpdesk.roundup_desk truth --home "$home/tracker" >"reports/$run_id/roundup-truth.json"
echo "helpdesk: the scorecard against Roundup's own records:"
.venv/bin/python -m tests.helpdesk.compare "$card" "reports/$run_id/roundup-truth.json"
echo "helpdesk: scorecard: $PWD/reports/$run_id/scorecard.html (desk: $home/tracker, its ground truth: reports/$run_id/roundup-truth.json)"
