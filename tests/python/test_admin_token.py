"""The admin API's door (issue 15, section 1): with a token set, every
admin endpoint but the health check refuses a request without it (or with
a vendor credential in its place); a vendor request never opens it, and the
token never signs a vendor request; a listener beyond loopback without a
token is refused at start, and `--admin-listen` moves the admin API to an
address of its own."""
import json
import subprocess
import urllib.request
from types import SimpleNamespace

import pytest

from conftest import Lighthouse
from harness import Server, binary, free_port

TOKEN = "stratus-admin-secret-0001"
ZEC_TOKEN = "zl-token-admin-test"
CONFIG = f"""
[[accounts]]
name = "alice"
bearer_tokens = ["{ZEC_TOKEN}"]
[[accounts]]
name = "bob"
"""
# Every admin endpoint, as (method, path, body).
ENDPOINTS = [
    ("GET", "/_stratus/messages?account=alice", None),
    ("GET", "/_stratus/instances?account=alice", None),
    ("GET", "/_stratus/operations?account=alice", None),
    ("GET", "/_stratus/faults", None),
    ("GET", "/metrics", None),
    ("PUT", "/_stratus/faults", []),
    ("DELETE", "/_stratus/faults", None),
    ("GET", "/_stratus/instances/lhins-00000000?account=alice", None),
    ("GET", "/_stratus/instances/lhins-00000000/console?account=alice", None),
    ("POST", "/_stratus/instances/lhins-00000000/snapshots?account=alice", None),
    ("POST", "/_stratus/instances/lhins-00000000/login?account=alice", {"password": "x"}),
]


@pytest.fixture(scope="module")
def server():
    s = Server(config=CONFIG, admin_token=TOKEN)
    yield s
    s.stop()


@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_every_admin_endpoint_needs_the_token(server, method, path, body):
    for wrong in ("", "not-the-token", ZEC_TOKEN, TOKEN + "x"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://{server.endpoint}{path}", data=data, method=method)
        if wrong:
            req.add_header("Authorization", f"Bearer {wrong}")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=5)
        assert refused.value.code == 401, (method, path, wrong)
    status, _ = server.admin(path, method, body)
    assert status != 401, (method, path)


def test_the_health_check_stays_open_and_vendor_calls_need_no_admin_token(server):
    with urllib.request.urlopen(f"http://{server.endpoint}/_stratus/health", timeout=5) as r:
        assert r.status == 200
    lh = Lighthouse(server)   # the development credentials land in alice
    iid = lh.running()[0]
    status, body = server.admin("/_stratus/instances?account=alice")
    assert status == 200 and [i["id"] for i in body["instances"]] == [iid]
    # Nothing of alice's through bob's query.
    status, body = server.admin("/_stratus/instances?account=bob")
    assert status == 200 and body["instances"] == []
    assert server.admin(f"/_stratus/instances/{iid}?account=bob")[0] == 404


def test_the_admin_token_never_signs_a_vendor_request(server):
    # A ZEC request with the admin token as its bearer token is not let in.
    req = urllib.request.Request(
        f"http://{server.endpoint}/api/v2/zec", data=b"{}", method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                 "X-ZC-Action": "DescribeInstances", "X-ZC-Version": "2025-09-01"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=5)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["code"] == "AUTHFAILURE_TOKEN_INVALID"


def start(args):
    proc = subprocess.Popen([binary(), "serve", "--ephemeral", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=10)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        proc.kill()
        return None, proc.communicate()[0]


def test_a_listener_beyond_loopback_needs_a_token():
    code, out = start(["--listen", f"0.0.0.0:{free_port()}"])
    assert code not in (0, None) and "without a token" in out, out
    # With one it serves (and is stopped by the timeout above).
    code, out = start(["--listen", f"0.0.0.0:{free_port()}", "--admin-token", TOKEN])
    assert code is None and "stratus listening" in out, out


def test_a_token_that_is_a_vendor_credential_is_refused_at_start(tmp_path):
    config = tmp_path / "stratus.toml"
    config.write_text(CONFIG)
    code, out = start(["--config", str(config), "--admin-token", ZEC_TOKEN])
    assert code not in (0, None) and "vendor credential" in out, out


def test_an_admin_listener_of_its_own_takes_the_admin_api_off_the_vendor_port():
    admin = f"127.0.0.1:{free_port()}"
    server = Server(extra=["--admin-listen", admin])
    try:
        lh = Lighthouse(server)
        iid = lh.running()[0]
        # The admin API answers on its own address, and the vendor port only
        # its health check (what a load balancer probes).
        with urllib.request.urlopen(f"http://{admin}/_stratus/instances?account=default", timeout=5) as r:
            assert [i["id"] for i in json.loads(r.read())["instances"]] == [iid]
        with urllib.request.urlopen(f"http://{admin}/_stratus/health", timeout=5) as r:
            assert r.status == 200
        for path in ("/_stratus/instances?account=default", "/_stratus/faults", "/metrics",
                     "/_stratus/console"):
            status, body = server.admin(path)
            assert status != 200 and iid not in json.dumps(body), (path, status, body)
        # No vendor API on the admin address.
        lh_admin = Lighthouse(SimpleNamespace(endpoint=admin))
        with pytest.raises(Exception):
            lh_admin.call("DescribeInstances", {})
        assert lh.call("DescribeInstances", {})["TotalCount"] == 1
    finally:
        server.stop()


def test_an_admin_listener_decides_whether_a_token_is_needed():
    # A vendor port beyond loopback needs no token when the admin API is
    # on loopback; an admin address beyond loopback needs one.
    code, out = start(["--listen", f"0.0.0.0:{free_port()}",
                       "--admin-listen", f"127.0.0.1:{free_port()}"])
    assert code is None and "stratus admin API on http://127.0.0.1:" in out, out
    code, out = start(["--listen", f"127.0.0.1:{free_port()}",
                       "--admin-listen", f"0.0.0.0:{free_port()}"])
    assert code not in (0, None) and "without a token" in out, out
