#!/usr/bin/env bash
# Installs what mysteryshop needs on a fresh Debian machine: Debian's chromium, graphviz and dovecot-imapd
# (never `playwright install`), a virtual environment in .venv, and the package with its
# dev extras. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
[ -x /usr/sbin/dovecot ] || need_apt+=(dovecot-imapd)   # the IMAP server the campaign tests run against
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# PostgreSQL's server binaries: the tests start a throwaway server from them (mysteryshop/storage/pgserver.py)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)   # DKIM keys (README, Targets; the DKIM tests make theirs)
# the one-pager's fonts (Liberation Sans, DejaVu Sans): its layout and the stored reference screenshots depend on them
[ -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || need_apt+=(fonts-liberation)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "bootstrap: installing Debian packages: ${need_apt[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv"
    "$python" -m venv .venv
fi
stamp=.venv/.mysteryshop-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "bootstrap: installing Python packages into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    # torch first, pinned to the CPU build this kind of machine keeps on disk; unpinned, the
    # semantic extra would pull a multi-GB CUDA build
    .venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,semantic]'
    touch "$stamp"
fi
# Roundup, the real help desk of tests/helpdesk and `make helpdesk` (in the dev extra; a .venv installed
# before it was added there gets it here)
if ! .venv/bin/python -c "import roundup" >/dev/null 2>&1; then
    echo "bootstrap: installing roundup into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check 'roundup>=2.4'
fi
