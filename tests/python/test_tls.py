"""`serve --tls` (issue 15, section 5): HTTPS with certificates for the
vendors' real host names from a CA Stratus keeps under its data directory;
`stratus env` prints how to trust it. Proved with clients that hard-code
the vendor's host name over HTTPS, unmodified: the legacy API 2.0 client
(`qcloudapi-sdk-python`, which talks to cvm.api.qcloud.com:443) and the
API 3.0 SDK with no endpoint set (lighthouse.tencentcloudapi.com:443). The
host names resolve to this server inside the test process only (its
resolver is patched for the test); the machine's /etc/hosts is untouched."""
import contextlib
import json
import os
import re
import socket
import ssl
import subprocess

import pytest
from QcloudApi.modules.cvm import Cvm
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.lighthouse.v20200324 import lighthouse_client

from conftest import TENCENT_ID, TENCENT_KEY
from harness import Server, binary

VENDOR_HOSTS = ("cvm.api.qcloud.com", "lighthouse.tencentcloudapi.com")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("tls-data")
    # The CA goes where `stratus env --data DIR` looks: DIR/tls.
    s = Server(speed=2000, extra=("--tls", "--tls-dir", str(data / "tls")))
    yield s, data
    s.stop()


@contextlib.contextmanager
def resolved_to(server, hosts):
    """`hosts` on port 443 resolve to the server, in this process only."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in hosts:
            return real("127.0.0.1", server.port, *args, **kwargs)
        return real(host, port, *args, **kwargs)
    socket.getaddrinfo = fake
    try:
        yield
    finally:
        socket.getaddrinfo = real


def ca_of(data):
    text = subprocess.run([binary(), "env", "tencent", "--data", str(data)], capture_output=True, text=True,
                          check=True).stdout
    found = re.search(r"^export SSL_CERT_FILE=(\S+)$", text, re.M)
    assert found, text
    return found.group(1)


def test_env_names_the_ca_and_the_certificate_covers_the_vendor_names(tls_server):
    server, data = tls_server
    ca = ca_of(data)
    assert ca == str(data / "tls" / "ca.pem")
    context = ssl.create_default_context(cafile=ca)
    for name in VENDOR_HOSTS + ("console.zenlayer.com", "kec.api.ksyun.com", "image.api.qcloud.com"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
    # Plain HTTP is not served on a TLS listener.
    with pytest.raises(Exception):
        import urllib.request
        urllib.request.urlopen(f"http://{server.endpoint}/_stratus/health", timeout=2)


def test_the_unmodified_legacy_client_over_https(tls_server, monkeypatch):
    server, data = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", ca_of(data))
    cvm = Cvm({"secretId": TENCENT_ID, "secretKey": TENCENT_KEY, "Region": "gz", "method": "GET"})
    with resolved_to(server, VENDOR_HOSTS):
        answer = json.loads(cvm.call("DescribeInstances", {}))
    assert answer["code"] == 0 and "totalCount" in answer, answer


def test_the_api3_sdk_with_its_default_host_over_https(tls_server):
    server, data = tls_server
    # No endpoint: the SDK goes to lighthouse.tencentcloudapi.com over HTTPS,
    # trusting the CA `stratus env` names (the SDK takes a CA bundle path).
    profile = ClientProfile(httpProfile=HttpProfile(certification=ca_of(data)))
    client = lighthouse_client.LighthouseClient(credential.Credential(TENCENT_ID, TENCENT_KEY),
                                                "ap-guangzhou", profile)
    with resolved_to(server, VENDOR_HOSTS):
        regions = client.call_json("DescribeRegions", {})["Response"]["RegionSet"]
    assert any(r["Region"] == "ap-guangzhou" for r in regions)


SITECUSTOMIZE = '''
import os, socket
_real = socket.getaddrinfo
_map = dict(item.split("=") for item in os.environ["STRATUS_TEST_RESOLVE"].split(","))

def _fake(host, port, *args, **kwargs):
    if host in _map:
        return _real("127.0.0.1", int(_map[host]), *args, **kwargs)
    return _real(host, port, *args, **kwargs)

socket.getaddrinfo = _fake

# What a user does with `cat ca.pem >> "$(python -m certifi)"`, for this
# process only: the Tencent SDK verifies with certifi's bundle.
if os.environ.get("STRATUS_TEST_CERTIFI"):
    import certifi
    certifi.where = lambda: os.environ["STRATUS_TEST_CERTIFI"]
'''


def test_tccli_over_https_to_the_vendor_host_name(tls_server, tmp_path):
    """tccli with no --endpoint: HTTPS to lighthouse.tencentcloudapi.com. Its
    process resolves that name to the server through a sitecustomize on its
    PYTHONPATH (the test's resolver, not /etc/hosts), and trusts the CA the
    way the README says (appended to certifi's bundle: here a copy)."""
    import sys

    import certifi
    server, data = tls_server
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(open(certifi.where()).read() + open(ca_of(data)).read())
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(tmp_path),
               STRATUS_TEST_RESOLVE=",".join(f"{h}={server.port}" for h in VENDOR_HOSTS),
               STRATUS_TEST_CERTIFI=str(bundle),
               TENCENTCLOUD_SECRET_ID=TENCENT_ID, TENCENTCLOUD_SECRET_KEY=TENCENT_KEY,
               TENCENTCLOUD_REGION="ap-guangzhou")
    tccli = os.path.join(os.path.dirname(sys.executable), "tccli")
    done = subprocess.run([tccli, "lighthouse", "DescribeRegions"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ap-guangzhou" in {r["Region"] for r in json.loads(done.stdout)["RegionSet"]}
