# shellcheck shell=bash
# Start a local PostgreSQL for the store tests and export KERNELWRIGHT_TEST_PG_URL.
#
#   source .ci/postgres.sh      # in .ci/run, before pytest (exports the URL into the caller)
#   bash .ci/postgres.sh        # standalone: prints KERNELWRIGHT_TEST_PG_URL=...
#
# Why it is written to be sourced: CI must run the store tests against a real server (they fail, not
# skip, when CI is set and the URL is missing), so the URL has to land in the shell that runs pytest.
# Being sourced, it never calls `exit` or `set -e` on the caller's shell; it returns non-zero instead.
# Needs root on Debian/Ubuntu: installs the `postgresql` package with apt-get when it is missing,
# starts (creating if needed) the newest cluster with pg_ctlcluster, creates the role and database.
# Override with KW_PG_USER, KW_PG_PASSWORD, KW_PG_DB.

_kw_pg_log() { echo "postgres.sh: $*" >&2; }

_kw_pg_as_postgres() {
    if command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
}

_kw_pg_setup() {
    local user="${KW_PG_USER:-kernelwright}" password="${KW_PG_PASSWORD:-kernelwright}"
    local db="${KW_PG_DB:-kernelwright_test}" version port status i
    if [ "$(id -u)" != 0 ]; then
        _kw_pg_log "must run as root"; return 1
    fi
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        _kw_pg_log "installing postgresql with apt-get"
        apt-get update -qq >/dev/null \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                postgresql ssl-cert >/dev/null \
            || { _kw_pg_log "apt-get install postgresql failed"; return 1; }
    fi
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    if [ -z "$version" ]; then
        _kw_pg_log "no PostgreSQL server under /usr/lib/postgresql"; return 1
    fi
    if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
        _kw_pg_log "creating cluster $version/main"
        pg_createcluster "$version" main >/dev/null || { _kw_pg_log "pg_createcluster failed"; return 1; }
    fi
    status="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}')"
    if [ "$status" != "online" ]; then
        pg_ctlcluster "$version" main start || {
            _kw_pg_log "pg_ctlcluster start failed; log tail:"
            tail -n 20 "/var/log/postgresql/postgresql-$version-main.log" >&2 2>/dev/null
            return 1
        }
    fi
    port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
    for i in $(seq 1 60); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 0.5
    done
    pg_isready -q -h 127.0.0.1 -p "$port" || { _kw_pg_log "server on port $port is not ready"; return 1; }
    if ! _kw_pg_as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'" | grep -q 1; then
        _kw_pg_as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 \
            -c "CREATE ROLE \"$user\" LOGIN PASSWORD '$password'" || return 1
    else
        _kw_pg_as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 \
            -c "ALTER ROLE \"$user\" LOGIN PASSWORD '$password'" || return 1
    fi
    if ! _kw_pg_as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        _kw_pg_as_postgres createdb -p "$port" -O "$user" "$db" || return 1
    fi
    export KERNELWRIGHT_TEST_PG_URL="postgresql://$user:$password@127.0.0.1:$port/$db"
    echo "KERNELWRIGHT_TEST_PG_URL=$KERNELWRIGHT_TEST_PG_URL"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    _kw_pg_setup || exit 1
else
    _kw_pg_setup
fi
