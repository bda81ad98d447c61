#!/usr/bin/env bash
# Benchmarks the stores side by side on this machine (docs/SCALING.md):
#   1. one node on SQLite (`--data`, WAL, synchronous=FULL);
#   2. one node on PostgreSQL;
#   3. two nodes on one PostgreSQL database, `stratus bench` spreading its
#      connections over both (what a load balancer in front would do).
# Each runs `stratus bench --product lighthouse --phase all` (setup, signed
# DescribeInstances pages and by id, accepted RebootInstances) on a fresh
# database. PostgreSQL is a throwaway server (scripts/postgres.sh) with
# fsync on, so that its commits are as durable as SQLite's.
# Environment: INSTANCES (200), CONNECTIONS (32), DURATION (10), SPEED
# (1000), SKIP_BUILD=1 to reuse target/release/stratus.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

INSTANCES=${INSTANCES:-200}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10}
SPEED=${SPEED:-1000}
BIN=$root/target/release/stratus

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p stratus
fi

export STRATUS_PG_DIR="${TMPDIR:-/tmp}/stratus-pg-bench-$$"
export STRATUS_PG_DURABLE=1
status=0
base=$(scripts/postgres.sh start) || status=$?
if [[ $status == 77 ]]; then
    echo "PostgreSQL is not installed: only SQLite can be measured (scripts/bench.sh)" >&2
    exit 1
elif [[ $status != 0 ]]; then
    exit "$status"
fi
scratch=$(mktemp -d -t stratus-bench-cluster.XXXXXX)
pids=()
stop_nodes() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
cleanup() {
    stop_nodes
    scripts/postgres.sh stop
    rm -rf "$scratch"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A fresh database on the throwaway server; prints its URL.
database() {
    local name=$1 createdb
    createdb=$(ls -d /usr/lib/postgresql/*/bin/createdb 2>/dev/null | sort -V | tail -n1)
    createdb=${createdb:-createdb}
    local hostport=${base#postgres://*@}
    hostport=${hostport%%/*}
    "$createdb" -h "${hostport%:*}" -p "${hostport##*:}" -U stratus "$name"
    echo "${base%/*}/$name"
}

# Starts a node with the given store flags and sets node_url once it is
# healthy (not printed: a command substitution would run it in a subshell
# that forgets its pid).
node() {
    local port
    port=$(free_port)
    "$BIN" serve --listen "127.0.0.1:$port" --speed "$SPEED" --log-level warn "$@" \
        >"$scratch/node-$port.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 200); do
        if curl -fs "http://127.0.0.1:$port/_stratus/health" >/dev/null 2>&1; then
            node_url="http://127.0.0.1:$port"
            return
        fi
        sleep 0.05
    done
    cat "$scratch/node-$port.log" >&2
    exit 1
}

bench() {
    "$BIN" bench --product lighthouse --phase all --instances "$INSTANCES" \
        --connections "$CONNECTIONS" --duration "$DURATION" --target "$1"
}

echo "== one node, SQLite"
node --data "$scratch/sqlite"
bench "$node_url"
stop_nodes

echo "== one node, PostgreSQL"
node --store "$(database bench_one)"
bench "$node_url"
stop_nodes

echo "== two nodes, one PostgreSQL database"
db=$(database bench_two)
node --store "$db"
first=$node_url
node --store "$db"
bench "$first,$node_url"
stop_nodes
