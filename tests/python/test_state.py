"""State snapshots (issue 15, section 4): `stratus state export FILE`,
`stratus state import FILE` (with the same --data as serve) and
`serve --state FILE`, in the versioned format of docs/STATE.md. A fleet
made through the official Lighthouse SDK comes back whole."""
import json
import subprocess

import pytest

from conftest import Lighthouse
from harness import Server, binary, store_args


def state(*args):
    return subprocess.run([binary(), "state", *args], capture_output=True, text=True, timeout=60)


def test_a_fleet_survives_export_and_import(tmp_path):
    data, snapshot = tmp_path / "a", tmp_path / "fleet.json"
    server = Server(speed=2000, data=str(data))
    try:
        lh = Lighthouse(server)
        running, stopped = lh.running(count=2)
        lh.call("StopInstances", {"InstanceIds": [stopped]})
        assert lh.settled(stopped)["InstanceState"] == "STOPPED"
        key = lh.call("CreateKeyPair", {"KeyName": "shared_key"})["KeyPair"]["KeyId"]
        before = {i["InstanceId"]: i for i in lh.describe(Limit=100)["InstanceSet"]}
    finally:
        server.stop()
    exported = state("export", str(snapshot), *store_args(data))
    assert exported.returncode == 0, exported.stderr
    doc = json.loads(snapshot.read_text())
    assert (doc["format"], doc["version"]) == ("stratus-state", 1)
    assert {i["id"] for i in doc["instances"]} == {running, stopped}
    assert any(k["id"] == key for k in doc["key_pairs"])

    # Started from the snapshot, in memory.
    from_snapshot = Server(speed=2000, extra=("--state", str(snapshot)))
    try:
        lh = Lighthouse(from_snapshot)
        after = {i["InstanceId"]: i for i in lh.describe(Limit=100)["InstanceSet"]}
        assert after.keys() == before.keys()
        for iid, i in before.items():
            for field in ("InstanceState", "InstanceName", "CreatedTime", "PrivateAddresses", "BlueprintId"):
                assert after[iid][field] == i[field], (iid, field)
        assert lh.call("DescribeKeyPairs", {"KeyIds": [key]})["TotalCount"] == 1
        # And it goes on working.
        lh.call("StartInstances", {"InstanceIds": [stopped]})
        assert lh.settled(stopped)["InstanceState"] == "RUNNING"
    finally:
        from_snapshot.stop()

    # Imported into other data, then served from it.
    other = tmp_path / "b"
    imported = state("import", str(snapshot), *store_args(other))
    assert imported.returncode == 0, imported.stderr
    server = Server(speed=2000, data=str(other))
    try:
        assert {i["InstanceId"] for i in Lighthouse(server).describe(Limit=100)["InstanceSet"]} == before.keys()
    finally:
        server.stop()


@pytest.mark.parametrize("doc,says", [
    ({"format": "stratus-state", "version": 99}, "version 99"),
    ({"format": "something-else", "version": 1}, "something-else"),
    ("not json", "not a Stratus state snapshot"),
])
def test_a_wrong_snapshot_is_refused_with_a_clear_message(tmp_path, doc, says):
    path = tmp_path / "bad.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    refused = state("import", str(path), "--data", str(tmp_path / "d"))
    assert refused.returncode != 0 and says in refused.stderr, refused.stderr


def test_the_running_server_exports_and_imports_its_state():
    server = Server(speed=2000)
    try:
        lh = Lighthouse(server)
        kept = lh.running()[0]
        status, snapshot = server.admin("/_stratus/state")
        assert status == 200 and snapshot["format"] == "stratus-state", snapshot
        gone = lh.running()[0]
        status, body = server.admin("/_stratus/state", "PUT", snapshot)
        assert (status, body) == (200, {"imported": len(snapshot["instances"]) + len(snapshot["operations"])
                                        + len(snapshot["key_pairs"]) + len(snapshot["networks"])
                                        + len(snapshot["messages"]) + len(snapshot["client_tokens"])}), body
        ids = {i["InstanceId"] for i in lh.describe(Limit=100)["InstanceSet"]}
        assert kept in ids and gone not in ids
        assert server.admin("/_stratus/state", "PUT", {"format": "x", "version": 1})[0] == 400
    finally:
        server.stop()
