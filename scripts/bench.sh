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
source "$(dirname "$0")/lib/bench-server.sh"

cleanup() {
    stop_server
    rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server 10 --ephemeral
echo "server pid $SERVER_PID on $URL: first 200 from /_stratus/health after $STARTUP_MS ms"

rss() {
    echo "$(rss_kb) kB"
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
start_server 10 --ephemeral
"$BIN" bench --target "$URL" --connections "$CONNECTIONS" --instances "$FILL" --phase setup
echo "fresh server VmRSS with $FILL instances: $(rss)"
stop_server
echo "servers stopped"
