#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks, from the installed
# binaries: `initdb` into a scratch directory, a free port on 127.0.0.1,
# `pg_ctl start`. Nothing here touches another PostgreSQL on the machine.
#
#   scripts/postgres.sh start        start (or reuse the one running) and
#                                    print its URL
#   scripts/postgres.sh stop         stop it and delete its directory
#   scripts/postgres.sh run CMD...   start, run CMD with STRATUS_TEST_STORE
#                                    set to the URL (and STRATUS_PG_BIN to
#                                    the binaries), stop it when CMD exits
#
# Exits 77 (the conventional "skipped") with the reason on stderr when no
# PostgreSQL binaries are installed. Environment: STRATUS_PG_DIR (the
# scratch directory; default /tmp/stratus-pg-$UID), STRATUS_PG_BIN (where
# initdb and pg_ctl are), STRATUS_PG_DURABLE=1 to keep fsync on (the
# default trades durability for speed: it is thrown away anyway).
set -euo pipefail

dir=${STRATUS_PG_DIR:-/tmp/stratus-pg-$(id -u)}
user=stratus

# A directory with initdb, pg_ctl and createdb (the tests create one
# database per server with it).
find_bin() {
    local d candidates=()
    [[ -n "${STRATUS_PG_BIN:-}" ]] && candidates+=("$STRATUS_PG_BIN")
    # On PATH, possibly as links into the versioned directory.
    command -v initdb >/dev/null 2>&1 && candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    # Debian and Ubuntu keep them off PATH, one directory per version.
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/pgsql/bin; do
        candidates+=("$d")
    done
    for d in "${candidates[@]}"; do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/createdb" ]]; then
            echo "$d"
            return
        fi
    done
    return 1
}

if ! bin=$(find_bin); then
    echo "skip: no PostgreSQL binaries (initdb, pg_ctl) found on PATH, in /usr/lib/postgresql/*/bin or STRATUS_PG_BIN; install PostgreSQL (e.g. apt-get install postgresql) to test the postgres store" >&2
    exit 77
fi

# PostgreSQL refuses to run as root: run it as its own system user, or
# nobody, when we are root.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        local owner=postgres
        id "$owner" >/dev/null 2>&1 || owner=nobody
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

running() {
    [[ -f "$dir/url" && -f "$dir/data/postmaster.pid" ]] &&
        as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

start() {
    if running; then
        cat "$dir/url"
        return
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        local owner=postgres
        id "$owner" >/dev/null 2>&1 || owner=nobody
        chown "$owner" "$dir"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U "$user" -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    local port sync=off
    [[ "${STRATUS_PG_DURABLE:-0}" == 1 ]] && sync=on
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o "\
        -c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
        -c max_connections=400 -c shared_buffers=128MB \
        -c fsync=$sync -c synchronous_commit=$sync -c full_page_writes=$sync" >/dev/null || {
        cat "$dir/server.log" >&2
        exit 1
    }
    echo "postgres://$user@127.0.0.1:$port/postgres" | as_owner tee "$dir/url"
}

stop() {
    if [[ -d "$dir/data" ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    run)
        shift
        [[ $# -gt 0 ]] || { echo "usage: $0 run CMD..." >&2; exit 2; }
        started_here=1
        running && started_here=0
        url=$(start)
        # Stop only what this call started: a server someone else started
        # with `start` stays up for them.
        [[ $started_here == 1 ]] && trap stop EXIT
        STRATUS_TEST_STORE=$url STRATUS_PG_BIN=$bin "$@"
        ;;
    *)
        echo "usage: $0 start|stop|run CMD..." >&2
        exit 2
        ;;
esac
