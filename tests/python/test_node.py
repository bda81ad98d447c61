"""The official Node SDK (`tencentcloud-sdk-nodejs`, issue 15, section 5):
Lighthouse and CVM with its default TC3 signing and its default host names,
over HTTPS to `serve --tls`, trusting Stratus's CA through
NODE_EXTRA_CA_CERTS (which `stratus env` prints). The SDK signs the Host
without a port and takes the signing service from the host's first label,
so it is pointed at the vendor's names, not at 127.0.0.1:PORT; the names
resolve to the server inside the Node process only (tests/node/resolve.js).
The packages come from scripts/node-env.sh (cached outside the clone)."""
import json
import os
import subprocess
import sys

import pytest

from conftest import TENCENT_ID, TENCENT_KEY
from harness import ROOT, Server

HOSTS = ("lighthouse.tencentcloudapi.com", "cvm.tencentcloudapi.com")


@pytest.fixture(scope="module")
def node_modules():
    done = subprocess.run([str(ROOT / "scripts" / "node-env.sh")], capture_output=True, text=True, timeout=600)
    if done.returncode == 77:
        print(f"test_node: {done.stderr.strip()}", file=sys.stderr)
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    return os.path.join(done.stdout.strip().splitlines()[-1], "node_modules")


def test_lighthouse_and_cvm_through_the_node_sdk(node_modules, tmp_path):
    server = Server(speed=2000, extra=("--tls", "--tls-dir", str(tmp_path / "tls")))
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
        env.update(NODE_PATH=node_modules, NODE_EXTRA_CA_CERTS=str(tmp_path / "tls" / "ca.pem"),
                   NODE_OPTIONS=f"--require {ROOT / 'tests' / 'node' / 'resolve.js'}",
                   STRATUS_TEST_RESOLVE=",".join(f"{h}={server.port}" for h in HOSTS),
                   TENCENTCLOUD_SECRET_ID=TENCENT_ID, TENCENTCLOUD_SECRET_KEY=TENCENT_KEY)
        done = subprocess.run(["node", str(ROOT / "tests" / "node" / "scenario.js")], capture_output=True,
                              text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr + server.log_text()[-2000:]
        seen = json.loads(done.stdout.strip().splitlines()[-1])
        assert "ap-guangzhou" in seen["regions"], seen
        assert seen["state"] == "RUNNING" and seen["cvmZones"] > 0, seen
        assert seen["refused"] == "ResourceNotFound.InstanceIdNotFound", seen
        # The Node snippet `stratus env tencent` prints works as printed.
        from test_env import block, env as stratus_env
        snippet = block(stratus_env("tencent", "--listen", server.endpoint), "Node")
        script = tmp_path / "snippet.js"
        script.write_text(snippet + '\nclient.DescribeRegions({}).then((r) => console.log(JSON.stringify(r)));\n')
        done = subprocess.run(["node", str(script)], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "ap-guangzhou" in {r["Region"] for r in json.loads(done.stdout)["RegionSet"]}
    finally:
        server.stop()
