"""Shared fixtures for the Lighthouse suites (test_lighthouse_*.py).

Covers nothing by itself; it gives the tests:
- `dev_server`: one `stratus serve --ephemeral --speed 200` with no --config,
  so the development credentials map to the account `default`;
- `slow_server`: the same at --speed 5, to assert what happens while an
  operation runs without racing it;
- `team_server`: one server whose --config declares alice (with her own
  credentials), bob and carol; the development credentials land in alice;
- `Lighthouse`: the official Python SDK pointed at a server, with helpers to
  call, expect an error code, create instances and poll for outcomes;
- `tccli`: the official CLI from the test virtualenv, with a throw-away HOME;
- `wait_until` (from harness.py) and a TC3 signer for raw requests
  (`tc3_raw`, spec §2.1) that also returns the HTTP status and headers.

The process management (free port, health polling, log capture, teardown)
lives in harness.Server, shared with test_lighthouse.py and test_cvm.py.
Fixture names here are distinct from the module-level fixtures those files
define (`server`, `lh`, `cvm`), so nothing is shadowed either way.
"""
import datetime
import hashlib
import hmac
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import pytest
import requests
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.lighthouse.v20200324 import lighthouse_client

from harness import TENCENT_ID, TENCENT_KEY, Server, wait_until  # noqa: F401  (re-exported for tests)

# Catalog (fixed ids).
CENTOS = "lhbp-c76k3m2a"
UBUNTU22 = "lhbp-u22h6n4c"
UBUNTU24 = "lhbp-u24p2r7d"
DEBIAN = "lhbp-d12t5w3e"
OPENCLOUDOS = "lhbp-oc9m4z8f"
TENCENTOS = "lhbp-tl4v6y2g"
OFFLINE = "lhbp-c82q0f1j"
WIN2022 = "lhbp-w22s9d4k"
WIN2019 = "lhbp-w19e7j2m"
WORDPRESS = "lhbp-wp6g5h8n"
ZONES = ("ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6")
PASSWORD = "Passw0rd!Stratus"

ALICE_ID, ALICE_KEY = "AKIDALICE000000000000000000000000000", "alice-secret"
BOB_ID, BOB_KEY = "AKIDBOB00000000000000000000000000000", "bob-secret"
CAROL_ID, CAROL_KEY = "AKIDCAROL000000000000000000000000000", "carol-secret"
TEAM_CONFIG = f"""
[[accounts]]
name = "alice"
tencent = {{ secret_id = "{ALICE_ID}", secret_key = "{ALICE_KEY}" }}
[[accounts]]
name = "bob"
tencent = {{ secret_id = "{BOB_ID}", secret_key = "{BOB_KEY}" }}
[[accounts]]
name = "carol"
tencent = {{ secret_id = "{CAROL_ID}", secret_key = "{CAROL_KEY}" }}
"""

# Real OpenSSH public keys (generated with ssh-keygen for these tests).
ED25519_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINd0wI/591jHuefMUt7fRLKiZi9b2fNnACb0ke2YFmhn stratus-test"
RSA_PUB = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCkEmmVAXJP56Hiby+GL5uvikWEKld6yezZgvAk4ZeLY93+kejFocDAEeXF8Tn+"
           "NhBRzeSpm1S3zufXL5/u05XFowDKx/fFO9ju0nrdhUxO8+K3KdQReU7wM9eYEsgQIgHEo9la47wgaj0uuD8SiZ3NmalLEdpdXOIz"
           "Vr0f3bgZVgNgLiPgXAPV3CaLQUDplnxcJ4OQmnznh7zo7ZkvxG4tsXaG8nqLI21CO2ChdXMzijoSxKDi/Tb4WGP2kIepZqtOs9xVC"
           "wwgHfslJYJOsUn22oTys8EwY6kAhccVZtnNvVjMaMrkIj3g36nlJrfFinpa+oIJWYyxxXLsW1s8D5L7 stratus-test")



def fresh_public_key(kind="ed25519"):
    """A new, real OpenSSH public key (`ed25519` or `rsa`): each import needs
    its own, since importing the same public key twice is refused."""
    try:
        from Crypto.PublicKey import ECC, RSA  # pycryptodome, installed with tccli
        if kind == "rsa":
            return RSA.generate(2048).publickey().export_key(format="OpenSSH").decode().strip() + " stratus-test"
        return ECC.generate(curve="ed25519").public_key().export_key(format="OpenSSH").strip() + " stratus-test"
    except ImportError:
        d = tempfile.mkdtemp(prefix="stratus-key-")
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "stratus-test", "-f", f"{d}/k"], check=True)
        return pathlib.Path(f"{d}/k.pub").read_text().strip()


INSTANCE_ID = re.compile(r"^lhins-[a-z0-9]{8}$")
KEY_ID = re.compile(r"^lhkp-[a-z0-9]{8}$")
ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Lighthouse:
    """The official SDK client for one server and one credential, plus helpers.

    `method="GET"` selects TC3 GET (flattened query); `sign="HmacSHA1"` or
    `"HmacSHA256"` selects the legacy v1 signature (form POST, or GET)."""

    def __init__(self, server, secret_id=TENCENT_ID, secret_key=TENCENT_KEY, method=None, sign=None, region="ap-guangzhou"):
        self.server = server
        hp = HttpProfile(endpoint=server.endpoint, protocol="http", reqMethod=method or "POST")
        cp = ClientProfile(httpProfile=hp, signMethod=sign) if sign else ClientProfile(httpProfile=hp)
        self.sdk = lighthouse_client.LighthouseClient(credential.Credential(secret_id, secret_key), region, cp)

    def variant(self, **kw):
        """The same credentials through another transport/signature."""
        cred = self.sdk.credential
        return Lighthouse(self.server, cred.secret_id, cred.secret_key, **kw)

    # -- raw calls -----------------------------------------------------------
    def call(self, action, params=None):
        """`Response` of a call that must succeed. A call refused by the
        ResetInstance rate limit is retried (as the SDK's StandardRetryer
        would): throttled requests change nothing."""
        def attempt():
            try:
                return self.sdk.call_json(action, params or {})["Response"]
            except TencentCloudSDKException as e:
                if e.code == "RequestLimitExceeded":
                    return None
                raise AssertionError(f"{action} {params!r} failed: {e}") from e
        return wait_until(attempt, interval=0.1, what=f"{action} to pass the rate limit")

    def error(self, action, params=None):
        """The error code of a call that must fail (throttling retried)."""
        def attempt():
            try:
                resp = self.sdk.call_json(action, params or {})
            except TencentCloudSDKException as e:
                return e.code if e.code != "RequestLimitExceeded" else None
            raise AssertionError(f"{action} {params!r} succeeded but an error was expected: {resp}")
        return wait_until(attempt, interval=0.1, what=f"{action} to pass the rate limit")

    # -- instances -----------------------------------------------------------
    def create(self, blueprint=CENTOS, bundle="bundle_gen_01", count=1, password=PASSWORD, **extra):
        """Ids of new instances (still PENDING). `password=None` sends no
        LoginConfiguration at all."""
        params = {"BundleId": bundle, "BlueprintId": blueprint, "InstanceChargePrepaid": {"Period": 1},
                  "InstanceCount": count}
        if password is not None:
            params["LoginConfiguration"] = {"AutoGeneratePassword": "NO", "Password": password}
        params.update(extra)
        ids = self.call("CreateInstances", params)["InstanceIdSet"]
        assert len(ids) == count and all(INSTANCE_ID.match(i) for i in ids), ids
        return ids

    def describe(self, **params):
        return self.call("DescribeInstances", params)

    def instance(self, iid):
        found = self.describe(InstanceIds=[iid])["InstanceSet"]
        assert len(found) <= 1, found
        return found[0] if found else None

    def settled(self, iid, timeout=20):
        """The instance once its latest operation is no longer OPERATING."""
        def done():
            i = self.instance(iid)
            return i if i and i["LatestOperationState"] not in ("OPERATING", "", None) else None
        return wait_until(done, timeout=timeout, what=f"{iid} to finish its latest operation")

    def running(self, count=1, **kw):
        ids = self.create(count=count, **kw)
        for iid in ids:
            i = self.settled(iid)
            assert (i["InstanceState"], i["LatestOperationState"]) == ("RUNNING", "SUCCESS"), i
        return ids

    def stopped(self, **kw):
        iid = self.running(**kw)[0]
        self.call("StopInstances", {"InstanceIds": [iid]})
        assert self.settled(iid)["InstanceState"] == "STOPPED"
        return iid

    def messages(self, account):
        status, body = self.server.admin(f"/_stratus/messages?account={account}")
        assert status == 200, body
        assert body["account"] == account, body
        return body["messages"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a test fails, attach the tail of the log of every stratus server
    it used (fixtures that are a Server or a Lighthouse client)."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    seen = set()
    for value in getattr(item, "funcargs", {}).values():
        server = value.server if isinstance(value, Lighthouse) else value
        if isinstance(server, Server) and id(server) not in seen:
            seen.add(id(server))
            try:
                tail = server.log_text()[-3000:]
            except OSError as e:
                tail = f"(log unreadable: {e})"
            rep.sections.append((f"stratus log tail ({server.endpoint}, {server.log.name})", tail))


@pytest.fixture(scope="session")
def dev_server():
    s = Server(speed=200)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def dev(dev_server):
    """Development credentials on a server without --config (account `default`)."""
    return Lighthouse(dev_server)


@pytest.fixture(scope="session")
def slow_server():
    """--speed 5 (create 6-12 s, reinstall 12-24 s): for asserting what is
    refused *while* an operation runs, with seconds of margin on a loaded
    machine. Tests never wait for its operations to finish."""
    s = Server(speed=5)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def slow(slow_server):
    return Lighthouse(slow_server)


@pytest.fixture(scope="session")
def team_server():
    s = Server(speed=200, config=TEAM_CONFIG)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def alice(team_server):
    return Lighthouse(team_server, ALICE_ID, ALICE_KEY)


@pytest.fixture(scope="session")
def alice_dev(team_server):
    """The development credentials on the team server: they land in alice."""
    return Lighthouse(team_server)


@pytest.fixture(scope="session")
def bob(team_server):
    return Lighthouse(team_server, BOB_ID, BOB_KEY)


@pytest.fixture(scope="session")
def carol(team_server):
    """Reserved for the rate-limit test: nothing else calls as carol."""
    return Lighthouse(team_server, CAROL_ID, CAROL_KEY)


class TccliResult:
    def __init__(self, proc):
        self.returncode, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr

    def json(self):
        assert self.returncode == 0, f"tccli failed ({self.returncode}): {self.stderr}"
        return json.loads(self.stdout)

    def error_code(self):
        m = re.search(r"\[TencentCloudSDKException\] code:(\S+)", self.stderr)
        return m.group(1) if m else None


@pytest.fixture(scope="session")
def tccli():
    """`tccli(server, action, *args, secret_id=..., secret_key=...)` runs the
    venv's tccli with a temporary HOME (so no user configuration is read)."""
    exe = pathlib.Path(sys.executable).parent / "tccli"
    if not exe.exists():
        pytest.fail(f"tccli not found next to {sys.executable}: run the suite from scripts/python-env.sh's venv")
    home = tempfile.mkdtemp(prefix="stratus-tccli-home-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
    env["HOME"] = home

    def run(server, action, *args, secret_id=TENCENT_ID, secret_key=TENCENT_KEY, timeout=60):
        cmd = [str(exe), "lighthouse", action, "--endpoint", f"http://{server.endpoint}", "--region", "ap-guangzhou",
               "--secretId", secret_id, "--secretKey", secret_key, *args]
        return TccliResult(subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout))
    return run


def tc3_raw(endpoint, action, body, secret_id=TENCENT_ID, secret_key=TENCENT_KEY, timestamp=None,
            service="lighthouse", version="2020-03-24", region="ap-guangzhou", content_type="application/json"):
    """A hand-made TC3-HMAC-SHA256 POST (spec §2.1) sent with `requests`.
    `body` (str or bytes) is signed exactly as sent. Returns the
    `requests.Response` so tests can check status and headers too."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    date = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d")
    payload = body.encode() if isinstance(body, str) else body
    canonical = "\n".join([
        "POST", "/", "",
        f"content-type:{content_type}\nhost:{endpoint}\n",
        "content-type;host",
        hashlib.sha256(payload).hexdigest(),
    ])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(ts), scope, hashlib.sha256(canonical.encode()).hexdigest()])

    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = h(h(h(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": content_type,
        "Host": endpoint,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(ts),
        "X-TC-Region": region,
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}",
    }
    return requests.post(f"http://{endpoint}/", data=payload, headers=headers, timeout=10)


def raw_error_code(resp):
    """The error code of a raw response, after checking the transport rules
    of spec §1.4 (HTTP 200, Content-Type exactly application/json)."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type") == "application/json", resp.headers
    body = resp.json()["Response"]
    assert UUID.match(body["RequestId"]), body
    return body.get("Error", {}).get("Code")
