#!/usr/bin/env bash
# Benchmarks a fresh release server on this machine:
#   1. builds `stratus` (release);
#   2. starts `stratus serve --ephemeral --speed 1000` on a free port and
#      prints the time from process start to the first 200 from
#      /_stratus/health;
#   3. runs `stratus bench` (setup, describe, reboot) with $INSTANCES
#      instances (default 2000) for each product: Lighthouse, CVM, ZEC, KEC;
#   4. starts a second fresh server, fills it with $FILL Lighthouse instances
#      (default 10000) and prints its resident memory (VmRSS);
#   5. stops it.
# Environment: INSTANCES, FILL, CONNECTIONS (64), DURATION (10), SPEED (1000),
# SKIP_BUILD=1 to reuse target/release/stratus.
set -euo pipefail

cd "$(dirname "$0")/.."

INSTANCES=${INSTANCES:-2000}
FILL=${FILL:-10000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10}
SPEED=${SPEED:-1000}
BIN=target/release/stratus

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p stratus
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
LOG=$(mktemp -t stratus-bench-serve.XXXXXX)
SERVER_PID=""

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        # Not our child (python started it): wait for it to disappear.
        for _ in $(seq 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a server and polls its health from the same python process, so the
# clock starts right before the exec and the loop is tight. Sets SERVER_PID
# and STARTUP_MS.
start_server() {
    local started
    started=$(python3 - "$BIN" "$PORT" "$SPEED" "$LOG" <<'PY'
import http.client, subprocess, sys, time
binary, port, speed, log = sys.argv[1:5]
t0 = time.monotonic()
proc = subprocess.Popen(
    [binary, "serve", "--ephemeral", "--speed", speed, "--listen", f"127.0.0.1:{port}",
     "--log-level", "warn"],
    stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
deadline = t0 + 10
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
        sys.exit("the server did not answer /_stratus/health within 10 s")
    time.sleep(0.0005)
print(proc.pid, f"{(time.monotonic() - t0) * 1000:.1f}")
PY
)
    read -r SERVER_PID STARTUP_MS <<<"$started"
}

start_server
echo "server pid $SERVER_PID on $URL: first 200 from /_stratus/health after $STARTUP_MS ms"

rss() {
    awk '/^VmRSS/ {print $2 " " $3}' "/proc/$SERVER_PID/status"
}
echo "server VmRSS at start: $(rss)"

"$BIN" bench --target "$URL" --connections "$CONNECTIONS" --duration "$DURATION" \
    --instances "$INSTANCES" --phase all
echo "server VmRSS after the load phases ($INSTANCES instances): $(rss)"

# The same phases through the other products, each on its own instances.
for product in cvm zec kec; do
    "$BIN" bench --product "$product" --target "$URL" --connections "$CONNECTIONS" \
        --duration "$DURATION" --instances "$INSTANCES" --phase all
done

stop_server

# Memory on a fresh server holding only $FILL instances.
start_server
"$BIN" bench --target "$URL" --connections "$CONNECTIONS" --instances "$FILL" --phase setup
echo "fresh server VmRSS with $FILL instances: $(rss)"
stop_server
echo "servers stopped"
