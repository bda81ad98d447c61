# Sourced by the benchmark scripts: start and stop a `stratus serve` whose
# startup is timed. Expects BIN, PORT, SPEED and LOG to be set.
SERVER_PID=""

# Stops the server (SIGTERM, then SIGKILL after 30 s).
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        # Not our child (python started it): wait for it to disappear.
        for _ in $(seq 600); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

# start_server DEADLINE_SECONDS SERVE_ARGS...: starts a server and polls its
# health from the same python process, so the clock starts right before the
# exec and the loop is tight. Sets SERVER_PID and STARTUP_MS.
start_server() {
    local deadline=$1 started
    shift
    started=$(python3 - "$BIN" "$PORT" "$SPEED" "$LOG" "$deadline" "$@" <<'PY'
import http.client, subprocess, sys, time
binary, port, speed, log, deadline, *serve = sys.argv[1:]
t0 = time.monotonic()
proc = subprocess.Popen(
    [binary, "serve", *serve, "--speed", speed, "--listen", f"127.0.0.1:{port}", "--log-level", "warn"],
    stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)
deadline = t0 + float(deadline)
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
        sys.exit(f"the server did not answer /_stratus/health within {deadline - t0:.0f} s")
    time.sleep(0.0005)
print(proc.pid, f"{(time.monotonic() - t0) * 1000:.1f}")
PY
)
    read -r SERVER_PID STARTUP_MS <<<"$started"
}

rss_kb() {
    awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"
}
