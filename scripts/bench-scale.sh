#!/usr/bin/env bash
# The scale series: for each fleet size in $SIZES (default 1000 10000
# 100000), a fresh release server on a database file (SQLite, or
# PostgreSQL with STORE=postgres://…), filled with that many Lighthouse
# instances of one account through the API, then `stratus bench --phase
# scale`: the server's own no-op (GET /_stratus/health), a page of 20, a
# filtered page (state and tag), one instance by id and accepted reboots,
# each also as a fraction of the no-op measured in the same run; then the
# server's resident memory per instance, and the time a restart on the same
# database takes to its first answer.
# Environment: SIZES, CONNECTIONS (64), DURATION (5), SPEED (1000), STORE,
# SKIP_BUILD=1 to reuse target/release/stratus.
set -euo pipefail

cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 10000 100000"}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-5}
SPEED=${SPEED:-1000}
BIN=target/release/stratus

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p stratus
fi

WORK=$(mktemp -d -t stratus-bench-scale.XXXXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 600); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a server on the store flags $1 (`--data DIR` or `--store URL`) and waits for its first 200 from the
# health check (answered only once the store has loaded); sets SERVER_PID
# and STARTUP_MS.
start_server() {
    local store=$1 started
    started=$(python3 - "$BIN" "$PORT" "$SPEED" "$WORK/serve.log" "$store" <<'PY'
import http.client, subprocess, sys, time
binary, port, speed, log, store = sys.argv[1:6]
t0 = time.monotonic()
proc = subprocess.Popen(
    [binary, "serve", *store.split(" ", 1), "--speed", speed, "--listen", f"127.0.0.1:{port}",
     "--log-level", "warn"],
    stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)
deadline = t0 + 600
while True:
    if proc.poll() is not None:
        sys.exit(f"the server exited with {proc.returncode}; see {log}")
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=1)
        c.request("GET", "/_stratus/health")
        if c.getresponse().status == 200:
            break
    except OSError:
        pass
    if time.monotonic() > deadline:
        proc.kill()
        sys.exit("the server did not answer /_stratus/health within 600 s")
    time.sleep(0.001)
print(proc.pid, f"{(time.monotonic() - t0) * 1000:.1f}")
PY
)
    read -r SERVER_PID STARTUP_MS <<<"$started"
}

rss_kb() {
    awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"
}

echo "scale series on $(nproc) cores, $(date -u +%F): sizes $SIZES, $CONNECTIONS connections, $DURATION s per figure"
for size in $SIZES; do
    if [[ -n "${STORE:-}" ]]; then
        store="--store $STORE"
    else
        store="--data $WORK/scale-$size"
    fi
    echo
    echo "== $size instances"
    start_server "$store"
    empty_kb=$(rss_kb)
    "$BIN" bench --target "$URL" --connections "$CONNECTIONS" --duration "$DURATION" \
        --instances "$size" --phase scale
    full_kb=$(rss_kb)
    echo "memory: VmRSS $((full_kb / 1024)) MiB, $(((full_kb - empty_kb) * 1024 / size)) bytes per instance over the empty server"
    stop_server
    start_server "$store"
    echo "restart with $size instances on disk: first answer after $STARTUP_MS ms"
    stop_server
done
