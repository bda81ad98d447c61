"""`stratus env <tencent|zenlayer|kingsoft>` (issue 15, section 5): what it
prints works as printed. The shell exports carry the account's credentials;
the Python snippet of each vendor, run as is, reaches the server through
the official SDK; the tccli profile line configures tccli, which then
answers from the exports alone. (The Terraform blocks are printed for
reference; no provider can be fetched here.)"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import pytest

from conftest import BOB_ID, BOB_KEY, TEAM_CONFIG
from harness import Server, binary


@pytest.fixture(scope="module")
def server():
    s = Server(speed=200)
    yield s
    s.stop()


def env(*args):
    done = subprocess.run([binary(), "env", *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def exports(text):
    return dict(re.findall(r"^export (\w+)=(\S+)$", text, re.M))


def block(text, title):
    """The lines after `# <title>` up to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(f"# {title}")) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return "\n".join(lines[start:end])


def test_the_tencent_python_snippet_and_tccli_profile_work_as_printed(server):
    text = env("tencent", "--listen", server.endpoint)
    values = exports(text)
    assert values["TENCENTCLOUD_SECRET_ID"].startswith("AKID"), values
    scope = {}
    exec(block(text, "Python"), scope)
    regions = scope["client"].call_json("DescribeRegions", {})["Response"]["RegionSet"]
    assert any(r["Region"] == "ap-guangzhou" for r in regions)
    # tccli: the printed configure line, then a call with nothing but the exports.
    tccli = pathlib.Path(sys.executable).parent / "tccli"
    home = tempfile.mkdtemp(prefix="stratus-env-tccli-")
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
    run_env.update(values, HOME=home)
    configure = block(text, "tccli").splitlines()[0].split()
    assert configure[:3] == ["tccli", "configure", "set"], configure
    done = subprocess.run([str(tccli), *configure[1:]], capture_output=True, text=True, env=run_env, timeout=60)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(tccli), "lighthouse", "DescribeRegions"], capture_output=True, text=True,
                          env=run_env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ap-guangzhou" in {r["Region"] for r in json.loads(done.stdout)["RegionSet"]}


def test_the_zenlayer_and_kingsoft_snippets_work_as_printed(server):
    zec = env("zenlayer", "--listen", server.endpoint)
    assert exports(zec)["ZENLAYERCLOUD_DOMAIN"] == server.endpoint
    scope = {}
    exec(block(zec, "Python"), scope)
    zones = scope["client"].DescribeZones(scope["models"].DescribeZonesRequest()).zoneSet
    assert zones
    kec = env("kingsoft", "--listen", server.endpoint)
    scope = {}
    exec(block(kec, "Python"), scope)
    answer = json.loads(scope["client"].DescribeRegions(scope["kec_models"].DescribeRegionsRequest()))
    assert answer["RegionSet"]


def test_a_named_account_of_the_configuration(tmp_path):
    config = tmp_path / "stratus.toml"
    config.write_text(TEAM_CONFIG)
    text = env("tencent", "--config", str(config), "--account", "bob")
    assert exports(text)["TENCENTCLOUD_SECRET_ID"] == BOB_ID
    assert f'"{BOB_KEY}"' in text and "as account `bob`" in text
    missing = subprocess.run([binary(), "env", "tencent", "--config", str(config), "--account", "nobody"],
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "nobody" in missing.stderr
