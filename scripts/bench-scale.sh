#!/usr/bin/env bash
# The scale series: for each fleet size in $SIZES (default 1000 10000
# 100000), a fresh release server on a database file (SQLite, or
# PostgreSQL with STORE=postgres://…), filled with that many Lighthouse
# instances of one account through the API, then `stratus bench --phase
# scale`: the server's own no-op (GET /_stratus/health), a page of 20, a
# filtered page (state and tag), one instance by id and accepted reboots,
# each also as a fraction of the no-op measured in the same run and as the
# server's CPU time per request (steadier than throughput when the machine's
# speed moves); then the
# server's resident memory per instance, and the time a restart on the same
# database takes to its first answer.
# With ACCOUNTS=N (N > 1), each size is spread over N accounts (declared in a
# generated configuration, filled N ways at once) and the figures are those
# of one of them: what one tenant sees of a server that holds everyone's.
# Environment: SIZES, ACCOUNTS (1), CONNECTIONS (64), DURATION (5), SPEED
# (1000), STORE, SKIP_BUILD=1 to reuse target/release/stratus, BIN to measure
# another binary (SKIP_BUILD implied).
set -euo pipefail

cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 10000 100000"}
ACCOUNTS=${ACCOUNTS:-1}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-5}
SPEED=${SPEED:-1000}
BIN=${BIN:-target/release/stratus}

if [[ "${SKIP_BUILD:-0}" != 1 && "$BIN" == target/release/stratus ]]; then
    cargo build --release -p stratus
fi

WORK=$(mktemp -d -t stratus-bench-scale.XXXXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
LOG="$WORK/serve.log"
source "$(dirname "$0")/lib/bench-server.sh"

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The credentials of account N (1-based) of a many-accounts run.
secret_id() { printf 'AKIDbench%06d' "$1"; }
secret_key() { printf 'bench-secret-%06d' "$1"; }

config=()
if ((ACCOUNTS > 1)); then
    for n in $(seq "$ACCOUNTS"); do
        printf '[[accounts]]\nname = "tenant-%06d"\ntencent = { secret_id = "%s", secret_key = "%s" }\n' \
            "$n" "$(secret_id "$n")" "$(secret_key "$n")"
    done >"$WORK/accounts.toml"
    config=(--config "$WORK/accounts.toml")
fi

echo "scale series on $(nproc) cores, $(date -u +%F): sizes $SIZES over $ACCOUNTS account(s), $CONNECTIONS connections, $DURATION s per figure"
for size in $SIZES; do
    if [[ -n "${STORE:-}" ]]; then
        store="--store $STORE"
    else
        store="--data $WORK/scale-$size"
    fi
    per_account=$((size / ACCOUNTS))
    echo
    echo "== $size instances ($ACCOUNTS account(s) of $per_account)"
    # shellcheck disable=SC2086 # the store flags are two words
    start_server 600 $store "${config[@]}"
    empty_kb=$(rss_kb)
    credentials=()
    if ((ACCOUNTS > 1)); then
        # Every other account is filled first, eight at a time; the figures
        # are those of the first.
        export -f secret_id secret_key
        seq 2 "$ACCOUNTS" | xargs -P 8 -I{} bash -c '
            "$1" bench --target "$2" --instances "$3" --phase setup \
                --secret-id "$(secret_id {})" --secret-key "$(secret_key {})" >/dev/null
        ' _ "$BIN" "$URL" "$per_account"
        credentials=(--secret-id "$(secret_id 1)" --secret-key "$(secret_key 1)")
    fi
    "$BIN" bench --target "$URL" --connections "$CONNECTIONS" --duration "$DURATION" \
        --instances "$per_account" --phase scale --server-pid "$SERVER_PID" "${credentials[@]}"
    full_kb=$(rss_kb)
    echo "memory: VmRSS $((full_kb / 1024)) MiB, $(((full_kb - empty_kb) * 1024 / size)) bytes per instance over the empty server"
    stop_server
    # shellcheck disable=SC2086
    start_server 600 $store "${config[@]}"
    echo "restart with $size instances on disk: first answer after $STARTUP_MS ms"
    stop_server
done
