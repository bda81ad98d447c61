"""Starting the real `stratus` binary for a test and talking to it.

Each `Server` is one `stratus serve` process on a free port, started with a
high `--speed` so that transitions last tens to hundreds of milliseconds.
Tests never sleep for outcomes: they poll with `wait_until`.

The store: SQLite (`--ephemeral`, or `--data DIR`) unless
STRATUS_TEST_STORE is a PostgreSQL URL (scripts/postgres.sh sets it), in
which case every server gets a database of its own on that server (`--data
DIR` maps to one database per DIR, so a restart finds its records).
"""
import hashlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
TENCENT_ID = "AKIDSTRATUSDEVELOPMENT00000000000000"
TENCENT_KEY = "stratus-development-secret-key-tencent"


def binary():
    """The stratus binary under test."""
    path = os.environ.get("STRATUS_BIN") or str(ROOT / "target" / "debug" / "stratus")
    if not pathlib.Path(path).exists():
        raise RuntimeError(f"stratus binary not found at {path}: build it first (cargo build)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=20.0, interval=0.02, what="condition"):
    """Polls `predicate` until it returns something truthy; returns that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


def postgres_bin():
    """The directory of the PostgreSQL client binaries (createdb), or None."""
    on_path = shutil.which("createdb")
    candidates = [os.environ.get("STRATUS_PG_BIN", ""), os.path.dirname(on_path) if on_path else ""]
    candidates += sorted(map(str, pathlib.Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)
    for d in candidates:
        if d and (pathlib.Path(d) / "createdb").exists():
            return d
    return None


def create_database(base_url, name=None):
    """Creates a database (a fresh one unless `name` already exists) on the
    PostgreSQL server of `base_url`; returns its URL."""
    name = name or "stratus_" + uuid.uuid4().hex[:16]
    url = urllib.parse.urlsplit(base_url)
    bin_dir = postgres_bin()
    if not bin_dir:
        raise RuntimeError("STRATUS_TEST_STORE is set but no createdb was found (set STRATUS_PG_BIN)")
    done = subprocess.run([str(pathlib.Path(bin_dir) / "createdb"), "-h", url.hostname or "127.0.0.1",
                           "-p", str(url.port or 5432), "-U", url.username or "postgres", name],
                          capture_output=True, text=True)
    if done.returncode != 0 and "already exists" not in done.stderr:
        raise RuntimeError(f"createdb {name} failed: {done.stderr}")
    return urllib.parse.urlunsplit((url.scheme, url.netloc, "/" + name, "", ""))


def store_args(data):
    """The flags that choose this server's store."""
    base = os.environ.get("STRATUS_TEST_STORE")
    if base:
        name = "stratus_data_" + hashlib.sha1(str(data).encode()).hexdigest()[:16] if data else None
        return ["--store", create_database(base, name)]
    return ["--data", str(data)] if data else ["--ephemeral"]


class Server:
    """One running `stratus serve`. `store` (a postgres:// URL) overrides
    the store chosen by `data` and the environment."""

    def __init__(self, speed=200, data=None, config=None, extra=(), store=None, admin_token=None):
        self.port = free_port()
        # `serve --tls`: the health check goes over HTTPS (not verified here).
        self.scheme = "https" if "--tls" in extra else "http"
        self.endpoint = f"127.0.0.1:{self.port}"
        self.admin_token = admin_token
        self.data = data
        self.log = tempfile.NamedTemporaryFile(prefix="stratus-", suffix=".log", delete=False)
        args = [binary(), "serve", "--listen", self.endpoint, "--speed", str(speed)]
        args += ["--store", store] if store else store_args(data)
        if config:
            path = pathlib.Path(tempfile.mkdtemp(prefix="stratus-config-")) / "stratus.toml"
            path.write_text(config)
            args += ["--config", str(path)]
        args += list(extra)
        if admin_token:
            args += ["--admin-token", admin_token]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_until(self._healthy, timeout=30, what="the server to answer /_stratus/health")
        except AssertionError:
            self.stop()
            raise AssertionError("stratus did not start:\n" + self.log_text()[-4000:])

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError("stratus exited:\n" + self.log_text()[-4000:])
        import ssl
        context = ssl._create_unverified_context() if self.scheme == "https" else None
        try:
            with urllib.request.urlopen(f"{self.scheme}://{self.endpoint}/_stratus/health", timeout=1,
                                        context=context) as r:
                return r.status == 200
        except OSError:
            return False

    def log_text(self):
        return pathlib.Path(self.log.name).read_text(errors="replace")

    def admin(self, path, method="GET", body=None, token=None):
        """Calls the admin API (with the server's admin token, or `token`);
        returns (status, json), or (status, text) for a text answer."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://{self.endpoint}{path}", data=data, method=method)
        if token or self.admin_token:
            req.add_header("Authorization", f"Bearer {token or self.admin_token}")
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                body = r.read()
                if not r.headers.get("Content-Type", "").startswith("application/json"):
                    return r.status, body.decode(errors="replace")
                return r.status, json.loads(body)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def messages(self, account="default"):
        return self.admin(f"/_stratus/messages?account={account}")[1]["messages"]

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def tc3_headers(endpoint, service, version, action, payload, secret_id=TENCENT_ID, secret_key=TENCENT_KEY,
                timestamp=None, region="ap-guangzhou"):
    """TC3-HMAC-SHA256 headers over content-type;host (spec §2.1), Host
    included, for `payload` (bytes). A timestamp no calendar holds is signed
    with the date 1970-01-01."""
    import datetime
    import hashlib
    import hmac

    ts = int(time.time()) if timestamp is None else timestamp
    try:
        date = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        date = "1970-01-01"
    canonical = "\n".join(["POST", "/", "", f"content-type:application/json\nhost:{endpoint}\n", "content-type;host",
                           hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{ts}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = h(h(h(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Host": endpoint,
        "Content-Type": "application/json",
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(ts),
        "X-TC-Region": region,
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}",
    }


def tc3_request(endpoint, service, version, action, body, secret_id=TENCENT_ID, secret_key=TENCENT_KEY,
                timestamp=None, region="ap-guangzhou", tamper=None):
    """Sends a hand-signed TC3-HMAC-SHA256 request (spec §2.1); returns the
    decoded `Response`. `tamper(headers, body)` may change the request after
    signing."""
    payload = body.encode() if isinstance(body, str) else body
    headers = tc3_headers(endpoint, service, version, action, payload, secret_id, secret_key, timestamp, region)
    if tamper:
        headers, payload = tamper(headers, payload)
    req = urllib.request.Request(f"http://{endpoint}/", data=payload, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "application/json"
        return json.loads(r.read())["Response"]


ZENLAYER_ID = "STRATUSDEVELOPMENTZENLAYER"
ZENLAYER_KEY = "stratus-development-secret-key-zenlayer"
KINGSOFT_ID = "AKLTSTRATUSDEVELOPMENT0000000"
KINGSOFT_KEY = "stratus-development-secret-key-kingsoft"


def zc2_headers(endpoint, action, payload, access_key=ZENLAYER_ID, secret=ZENLAYER_KEY, version="2025-09-01",
                service="zec", timestamp=None):
    """ZC2-HMAC-SHA256 headers over content-type;host (zenlayer spec §2),
    Host included, for `payload` (bytes)."""
    import hashlib
    import hmac

    ts = str(int(time.time()) if timestamp is None else timestamp)
    canonical = (f"POST\n/\n\ncontent-type:application/json\nhost:{endpoint}\n\ncontent-type;host\n"
                 f"{hashlib.sha256(payload).hexdigest()}")
    to_sign = f"ZC2-HMAC-SHA256\n{ts}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Host": endpoint, "Content-Type": "application/json", "x-zc-action": action, "x-zc-version": version,
            "x-zc-service": service, "x-zc-timestamp": ts, "x-zc-signature-method": "ZC2-HMAC-SHA256",
            "Authorization": f"ZC2-HMAC-SHA256 Credential={access_key}, SignedHeaders=content-type;host, "
                             f"Signature={signature}"}


def zc2_request(endpoint, action, body, access_key=ZENLAYER_ID, secret=ZENLAYER_KEY, version="2025-09-01",
                service="zec"):
    """Sends a hand-signed ZC2-HMAC-SHA256 request (zenlayer spec §2);
    returns (HTTP status, decoded body)."""
    import requests

    payload = json.dumps(body).encode()
    headers = zc2_headers(endpoint, action, payload, access_key, secret, version, service)
    r = requests.post(f"http://{endpoint}/api/v2/{service}", data=payload, headers=headers, timeout=10)
    return r.status_code, r.json()


def kec_request(endpoint, action, params, access_key=KINGSOFT_ID, secret=KINGSOFT_KEY, version="2016-03-04",
                service="kec", region="cn-beijing-6"):
    """Sends a SigV4-signed form POST (kingsoft spec, as the SDK signs it;
    lists are flattened `Name.1`, `Name.2`); returns (HTTP status, body)."""
    import urllib.parse

    import requests
    from requests_aws4auth import AWS4Auth

    form = {"Action": action, "Version": version}
    for key, value in params.items():
        if isinstance(value, list):
            form.update({f"{key}.{i}": v for i, v in enumerate(value, 1)})
        else:
            form[key] = value
    r = requests.post(f"http://{endpoint}/", data=urllib.parse.urlencode(form),
                      headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
                      auth=AWS4Auth(access_key, secret, region, service), timeout=10)
    return r.status_code, r.json()
