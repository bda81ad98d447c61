"""Slow and abusive clients (issue 6, item 5): a slowloris connection is cut
after the request timeout, idle keep-alive connections too, the connection
cap holds and frees, and a rate limit holds under 64 concurrent clients."""
import json
import math
import socket
import threading
import time

from harness import Server, tc3_request

TIMEOUT = 1.0  # --request-timeout for these servers, in seconds


def health(endpoint, timeout=10):
    """Sends GET /_stratus/health on a fresh connection; returns the status line."""
    host, port = endpoint.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(f"GET /_stratus/health HTTP/1.1\r\nHost: {endpoint}\r\nConnection: close\r\n\r\n".encode())
        return s.recv(4096).split(b"\r\n", 1)[0]


def closed_within(sock, seconds):
    """Reads until the server closes `sock`; returns the seconds it took, or
    None if it stayed open that long."""
    sock.settimeout(seconds)
    start = time.monotonic()
    try:
        while sock.recv(4096):
            pass
    except socket.timeout:
        return None
    except ConnectionError:
        pass
    return time.monotonic() - start


def connect(endpoint):
    host, port = endpoint.split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def test_a_slowloris_connection_is_cut_after_the_request_timeout():
    server = Server(extra=("--request-timeout", str(TIMEOUT)))
    try:
        slow = connect(server.endpoint)
        # Headers that never end, trickled in.
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        for i in range(3):
            slow.sendall(f"X-Slow-{i}: a\r\n".encode())
        took = closed_within(slow, 10 * TIMEOUT)
        assert took is not None and took < 5 * TIMEOUT, "the slow connection was kept open"
        # A body that never comes.
        stalled = connect(server.endpoint)
        stalled.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        stalled.settimeout(10 * TIMEOUT)
        answer = stalled.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert health(server.endpoint).endswith(b"200 OK")
        assert "panic" not in server.log_text()
    finally:
        server.stop()


def test_an_idle_keep_alive_connection_is_closed():
    server = Server(extra=("--request-timeout", str(TIMEOUT)))
    try:
        s = connect(server.endpoint)
        s.sendall(f"GET /_stratus/health HTTP/1.1\r\nHost: {server.endpoint}\r\n\r\n".encode())
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        took = closed_within(s, 10 * TIMEOUT)
        assert took is not None and took < 5 * TIMEOUT, "the idle connection was kept open"
    finally:
        server.stop()


def test_the_connection_cap_holds_and_slow_connections_cannot_hold_it_forever():
    cap = 4
    server = Server(extra=("--request-timeout", str(TIMEOUT), "--max-connections", str(cap)))
    try:
        hogs = [connect(server.endpoint) for _ in range(cap)]
        for h in hogs:
            h.sendall(b"GET /_stratus/health HTTP/1.1\r\n")  # never finished
        # A well-behaved client is not served while the cap is held...
        waiting = connect(server.endpoint)
        waiting.sendall(f"GET /_stratus/health HTTP/1.1\r\nHost: {server.endpoint}\r\n\r\n".encode())
        waiting.settimeout(TIMEOUT / 4)
        try:
            early = waiting.recv(4096)
        except socket.timeout:
            early = b""
        assert early == b"", "a connection over the cap was served while the cap was held"
        # ...and is served once the request timeout frees the slots.
        waiting.settimeout(10 * TIMEOUT)
        assert waiting.recv(4096).startswith(b"HTTP/1.1 200")
        for h in hogs:
            assert closed_within(h, 10 * TIMEOUT) is not None
    finally:
        server.stop()


def test_a_rate_limit_holds_under_64_concurrent_clients():
    """Lighthouse ResetInstance is limited to 10 requests per second per
    account (seed 001). Whatever 64 clients send, the limiter lets at most
    10 through in each one-second window: over T seconds at most
    10 * (ceil(T) + 1) answers are anything but RequestLimitExceeded."""
    server = Server(speed=1000)
    try:
        limit, clients, per_client = 10, 64, 12
        passed, limited = [], []
        lock = threading.Lock()
        body = json.dumps({"InstanceId": "lhins-00000000"})

        def client():
            for _ in range(per_client):
                r = tc3_request(server.endpoint, "lighthouse", "2020-03-24", "ResetInstance", body)
                code = r.get("Error", {}).get("Code")
                with lock:
                    (limited if code == "RequestLimitExceeded" else passed).append(code)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        windows = math.ceil(elapsed) + 1
        print(f"\nrate limit: {clients} clients, {len(passed) + len(limited)} requests in {elapsed:.2f} s, "
              f"{len(passed)} passed the limiter (bound {limit * windows}), {len(limited)} limited")
        assert len(passed) + len(limited) == clients * per_client
        assert len(passed) <= limit * windows
        assert len(passed) >= limit, "the limiter refused everything"
        assert len(limited) > 0
        # What passed is the answer for an unknown instance, not an error of the server.
        assert set(passed) <= {"ResourceNotFound.InstanceIdNotFound", "InvalidInstanceId.NotFound"}, set(passed)
    finally:
        server.stop()


def test_bad_flags_are_refused():
    import subprocess

    from harness import binary, free_port
    for flags in (("--request-timeout", "0"), ("--max-connections", "0")):
        out = subprocess.run([binary(), "serve", "--ephemeral", "--listen", f"127.0.0.1:{free_port()}", *flags],
                             capture_output=True, text=True, timeout=20)
        assert out.returncode != 0 and flags[0] in out.stderr, out.stderr
