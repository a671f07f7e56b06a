#!/usr/bin/env bash
# The test command (README "Run the tests"; .ci/run calls it): installs what is needed, installs
# bubblewrap (the sandbox) and starts a local PostgreSQL where this machine allows it (root on
# Debian/Ubuntu), lints, type-checks, runs pytest on 2 workers.
#
#   bash scripts/test.sh            the full suite (what CI runs)
#   bash scripts/test.sh --quick    the inner loop: skips the slow end-to-end files (marker `slow`)
#   bash scripts/test.sh -k judge   anything else is passed to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [ "${1:-}" = "--quick" ]; then
    quick=1
    shift
fi
step() { printf '\n== test.sh [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

step "installing torch 2.13 (CPU) and kernelwright with its dev extras (first run: a few minutes)"
python3 -m pip install -q --disable-pip-version-check torch==2.13.0 -e '.[dev]'
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if ! command -v bwrap >/dev/null 2>&1; then
        step "installing bubblewrap (the sandbox's namespaces) from the distribution"
        apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1; } \
            || echo "test.sh: bubblewrap could not be installed; sandbox tests will say so" >&2
    fi
    step "starting a local PostgreSQL for the store tests"
    # shellcheck source=/dev/null
    source .ci/postgres.sh || echo "test.sh: PostgreSQL could not be started; PG store tests will say so" >&2
fi
step "ruff (lint and format check)"
python3 -m ruff check src tests benchmarks scripts
python3 -m ruff format --check src tests benchmarks scripts
step "mypy"
python3 -m mypy
if [ "$quick" = 1 ]; then
    step "pytest, quick subset (-m 'not slow'; the full suite takes about 20 min on 2 cores)"
    exec python3 -m pytest -n 2 -q -m "not slow" "$@"
fi
step "pytest, full suite (about 20 min on 2 cores, 19 min measured on 2026-12-02; longer on a loaded machine)"
python3 -m pytest -n 2 -q "$@"
