"""Several nodes on one PostgreSQL database (issue 7): two `stratus serve
--store postgres://…` processes serve the same accounts.

- a client alternating between the nodes sees one state;
- two nodes racing to start two operations on one instance: exactly one is
  accepted (the compare-and-swap on the instance's version);
- a rate limit holds across both nodes;
- a node SIGKILLed under load with operations in flight: the other node
  completes them after their deadline and the lease, each exactly once,
  and every acknowledged write is on record.

The database server is the one STRATUS_TEST_STORE names (scripts/test.sh
starts one), or a throwaway one this module starts with
scripts/postgres.sh; without PostgreSQL binaries the module is skipped with
the reason.
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from conftest import PASSWORD, Lighthouse
from harness import ROOT, Server, create_database, tc3_request, wait_until

SERVICE, VERSION = "lighthouse", "2020-03-24"
# The lease after which a dead node's operations are taken over (seconds).
LEASE = 2.0


@pytest.fixture(scope="module")
def postgres():
    """The URL of a PostgreSQL server to create databases on."""
    base = os.environ.get("STRATUS_TEST_STORE")
    if base:
        yield base
        return
    env = dict(os.environ, STRATUS_PG_DIR=os.path.join(tempfile.gettempdir(), f"stratus-pg-cluster-{os.getpid()}"))
    script = str(ROOT / "scripts" / "postgres.sh")
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True)
    if started.returncode == 77:
        reason = started.stderr.strip()
        print(f"test_cluster: {reason}", file=sys.stderr)
        pytest.skip(reason)
    assert started.returncode == 0, started.stderr
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True)


@pytest.fixture
def cluster(postgres):
    """Two nodes on a fresh database."""
    url = create_database(postgres)
    nodes = []
    try:
        for _ in range(2):
            nodes.append(Server(speed=100, store=url, extra=("--operation-lease", str(LEASE))))
        yield nodes
    finally:
        for n in nodes:
            n.stop()


def call(node, action, params):
    """A raw TC3 call; returns the `Response` (with `Error` when refused)."""
    return tc3_request(node.endpoint, SERVICE, VERSION, action, json.dumps(params))


def create_params(count=1):
    return {"BundleId": "bundle_gen_01", "BlueprintId": "lhbp-c76k3m2a", "InstanceCount": count,
            "InstanceChargePrepaid": {"Period": 1},
            "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": PASSWORD}}


def operations(node, account="default"):
    status, body = node.admin(f"/_stratus/operations?account={account}")
    assert status == 200, body
    return body["operations"]


def test_a_client_alternating_between_nodes_sees_one_state(cluster):
    a, b = (Lighthouse(n) for n in cluster)
    iid = a.create()[0]
    # Written through one node, read at once through the other.
    assert b.instance(iid)["InstanceState"] in ("PENDING", "RUNNING")
    assert b.settled(iid)["InstanceState"] == "RUNNING"
    b.call("StopInstances", {"InstanceIds": [iid]})
    seen = a.instance(iid)
    assert (seen["InstanceState"], seen["LatestOperation"], seen["LatestOperationState"]) in (
        ("STOPPING", "StopInstances", "OPERATING"), ("STOPPED", "StopInstances", "SUCCESS"))
    # Polling round-robin: the state only moves forward, never back.
    states = []

    def stopped():
        node = (a, b)[len(states) % 2]
        states.append(node.instance(iid)["InstanceState"])
        return states[-1] == "STOPPED"
    wait_until(stopped, what=f"{iid} to stop")
    assert "RUNNING" not in states, states
    # A key pair made on one node is there on the other, and both list the same.
    key = a.call("CreateKeyPair", {"KeyName": "made_on_a"})["KeyPair"]["KeyId"]
    found = b.call("DescribeKeyPairs", {"KeyIds": [key]})["KeyPairSet"]
    assert [k["KeyName"] for k in found] == ["made_on_a"]
    listed = [sorted(i["InstanceId"] for i in n.describe(Limit=100)["InstanceSet"]) for n in (a, b)]
    assert listed[0] == listed[1] == [iid]
    # One audit trail, whichever node is asked.
    assert operations(cluster[0]) == operations(cluster[1])


def test_two_nodes_racing_on_one_instance_accept_exactly_one(cluster):
    a, b = (Lighthouse(n) for n in cluster)
    ids = a.running(count=3)
    outcomes = []
    for round_ in range(12):
        iid = ids[round_ % len(ids)]
        a.settled(iid)
        assert b.instance(iid)["InstanceState"] == "RUNNING"
        barrier = threading.Barrier(2)
        results = {}

        # ResetInstance does more work before it commits; a head start of
        # up to 20 ms for it lets either win, and makes some rounds a tie
        # decided by the compare-and-swap alone.
        delay = {"reboot": random.uniform(0, 0.02), "reset": 0}

        def send(name, client, action, params):
            barrier.wait()
            time.sleep(delay[name])
            try:
                results[name] = client.sdk.call_json(action, params)["Response"]["RequestId"]
            except TencentCloudSDKException as e:
                results[name] = e.code

        threads = [
            threading.Thread(target=send, args=("reboot", a, "RebootInstances", {"InstanceIds": [iid]})),
            threading.Thread(target=send, args=("reset", b, "ResetInstance", {"InstanceId": iid})),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if "RequestLimitExceeded" in results.values():
            time.sleep(1)  # ResetInstance's own limit (10/s), not the race: again
            continue
        # Refused as busy (or, after the winner's reboot, in the wrong state).
        accepted = [k for k, v in results.items() if not v.startswith(("OperationDenied", "UnsupportedOperation"))]
        assert len(accepted) == 1, results
        outcomes.append(accepted[0])
        latest = a.instance(iid)["LatestOperation"]
        assert latest == {"reboot": "RebootInstances", "reset": "ResetInstance"}[accepted[0]]
    # One operation per accepted request, none for a refused one.
    assert len(operations(cluster[1])) == 3 + len(outcomes)
    print(f"\nrace winners over {len(outcomes)} rounds: "
          f"reboot {outcomes.count('reboot')}, reset {outcomes.count('reset')}")


def test_a_rate_limit_holds_across_both_nodes(cluster):
    # ResetInstance: 10 per second per account (the Lighthouse profile).
    # Unknown instances: what is counted is the request, not its outcome.
    limit = 10
    for _ in range(4):
        time.sleep(1.02 - time.time() % 1)  # just after a second starts
        started = time.time()
        answers = []
        lock = threading.Lock()

        def burst(node):
            for _ in range(6):
                r = call(node, "ResetInstance", {"InstanceId": "lhins-00000000"})
                with lock:
                    answers.append((node.port, r["Error"]["Code"]))

        threads = [threading.Thread(target=burst, args=(cluster[i % 2],)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if int(time.time()) != int(started):
            continue  # the burst crossed into the next second: again
        admitted = [port for port, code in answers if code != "RequestLimitExceeded"]
        assert len(answers) == 36
        # Each node alone would have let 10 through; together they let 10.
        assert len(admitted) == limit, answers
        assert {port for port, code in answers if code == "RequestLimitExceeded"} == {n.port for n in cluster}
        return
    pytest.fail("no burst fitted in one second")


def test_a_killed_node_operations_are_completed_by_the_other_once(cluster):
    a, b = cluster
    ids = Lighthouse(a).running(count=8)
    # Two instances the load leaves alone, rebooted on the doomed node just
    # before the kill: certainly in flight there when it dies.
    doomed, ids = ids[:2], ids[2:]
    acknowledged = []  # (request id, instance id)
    lock = threading.Lock()
    dead = threading.Event()

    def worker(seed):
        rng = random.Random(seed)
        while not dead.is_set():
            node = rng.choice(cluster)
            iid = rng.choice(ids)
            action, params = rng.choice([("RebootInstances", {"InstanceIds": [iid]}),
                                         ("StopInstances", {"InstanceIds": [iid]}),
                                         ("StartInstances", {"InstanceIds": [iid]})])
            try:
                r = call(node, action, params)
            except OSError:
                continue  # the node died under this request: not acknowledged
            if "Error" not in r:
                with lock:
                    acknowledged.append((r["RequestId"], iid))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.5)  # load on both nodes, not a wait for an outcome
    for iid in doomed:
        r = call(a, "RebootInstances", {"InstanceIds": [iid]})
        assert "Error" not in r, r
        with lock:
            acknowledged.append((r["RequestId"], iid))
    a.stop(signal.SIGKILL)
    killed_at = time.time() * 1000
    # The survivor keeps serving through the takeover.
    time.sleep(0.5)
    dead.set()
    for t in threads:
        t.join(timeout=30)

    def all_finished():
        ops = operations(b)
        return ops if all(o["state"] != "Operating" for o in ops) else None
    ops = wait_until(all_finished, timeout=30, what="the survivor to finish every operation")
    by_request = {o["request_id"]: o for o in ops}
    missing = [r for r, _ in acknowledged if r not in by_request]
    assert not missing, f"{len(missing)} acknowledged writes have no operation"
    # Each completed exactly once: accepted at version 1, finished at 2.
    assert {o["version"] for o in ops} == {2}, [o for o in ops if o["version"] != 2]
    # Those in flight on the dead node were finished by the survivor, and
    # not before their deadline was a lease behind; the survivor's own
    # finished on time.
    late = [o for o in ops if o["finished_at"] - o["deadline"] > LEASE * 1000 / 2]
    assert late, "no operation of the killed node was in flight at the kill"
    assert all(o["finished_at"] - o["deadline"] >= LEASE * 1000 for o in late), late
    assert all(o["deadline"] > killed_at - LEASE * 1000 for o in late), late
    assert {o["instance_id"] for o in late} >= set(doomed), late
    for iid in doomed + ids:
        assert Lighthouse(b).instance(iid)["InstanceState"] in ("RUNNING", "STOPPED")
    print(f"\n{len(acknowledged)} writes acknowledged, {len(late)} taken over by the survivor, none twice")


def test_pages_are_cut_the_same_on_every_node(cluster):
    # The database orders plain listings: the recycle bin first, then newest
    # first, ties by id (descending, bytewise), as one SQLite node does.
    a, b = (Lighthouse(n) for n in cluster)
    first = a.running(count=3)
    second = a.running(count=3)
    a.call("IsolateInstances", {"InstanceIds": [first[1]]})
    assert a.settled(first[1])["InstanceState"] == "SHUTDOWN"
    expected = [first[1]] + sorted(second, reverse=True) + sorted(set(first) - {first[1]}, reverse=True)
    for node in (a, b):
        pages = [node.describe(Offset=offset, Limit=2) for offset in (0, 2, 4, 6)]
        assert {p["TotalCount"] for p in pages} == {6}
        assert [i["InstanceId"] for p in pages for i in p["InstanceSet"]] == expected


def test_every_node_streams_every_nodes_changes_with_one_numbering(cluster):
    """The event stream on PostgreSQL (issue 15, section 2): a watcher on
    either node sees what the other node committed, numbered by the
    database, so both streams carry the same events under the same numbers
    and one may resume on the other node."""
    from test_events import Stream
    a, b = cluster
    streams = [Stream(n, "?account=default") for n in (a, b)]
    try:
        iid = Lighthouse(a).create()[0]
        Lighthouse(b).settled(iid)
        seen = [s.until(lambda e: e.get("instance") == iid and e["kind"] == "operation"
                        and e["state"] == "SUCCESS", f"node {n} to publish {iid} running")
                for n, s in enumerate(streams)]
        mine = [[(e["seq"], e["kind"], e.get("state")) for e in events if e.get("instance") == iid]
                for events in seen]
        assert mine[0] == mine[1], mine
        assert ("instance" in {k for _, k, _ in mine[0]}) and mine[0][0][2] == "PENDING", mine
        last = seen[0][-1]["seq"]
    finally:
        for s in streams:
            s.close()
    # A change through node A while nobody watches; resumed on node B.
    Lighthouse(a).call("StopInstances", {"InstanceIds": [iid]})
    resumed = Stream(b, "?account=default", last_event_id=last)
    try:
        events = resumed.until(lambda e: e.get("instance") == iid and e.get("state") == "STOPPED"
                               and e["kind"] == "instance", f"{iid} stopped, resumed on node B")
        assert all(e["seq"] > last for e in events), events
    finally:
        resumed.close()


def test_fault_rules_reach_every_node_and_count_down_once(cluster):
    """Rules are stored (issue 15, section 4): put on one node, every node
    applies them; a rule limited to one hit fires once across the nodes."""
    a, b = cluster
    status, _ = a.admin("/_stratus/faults", "PUT", [{
        "product": "lighthouse", "action": "DescribeZones", "error": {"code": "InternalError"},
        "message": "zone service down", "remaining": 1}])
    assert status == 200

    def refused_on(node):
        r = call(node, "DescribeZones", {})
        return r.get("Error", {}).get("Code")
    wait_until(lambda: b.admin("/_stratus/faults")[1]["faults"], what="node B to take the rule")
    assert refused_on(b) == "InternalError"
    # Used up on B: A sees the count within a refresh, and answers.
    wait_until(lambda: b.admin("/_stratus/faults")[1]["faults"][0]["remaining"] == 0 and
               a.admin("/_stratus/faults")[1]["faults"][0]["remaining"] == 0, what="the count to reach node A")
    assert refused_on(a) is None and refused_on(b) is None
