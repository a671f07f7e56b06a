#!/usr/bin/env bash
# The test command (README "Run the tests"; .ci/run calls it): installs what is needed, starts a local
# PostgreSQL for the store tests where this machine allows (root on Debian/Ubuntu), lints, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check torch==2.13.0 -e '.[dev]'
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # shellcheck source=/dev/null
    source .ci/postgres.sh || echo "test.sh: PostgreSQL could not be started; PG store tests will say so" >&2
fi
python3 -m ruff check src tests
python3 -m mypy
python3 -m pytest -n 2 -q "$@"
