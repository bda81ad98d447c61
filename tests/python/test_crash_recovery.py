"""Nothing acknowledged is lost: writes through every vendor front, the
server killed with SIGKILL at a random moment, restarted on the same data,
then audited (issue 6, item 1).

Each round: workers send signed create, start, stop, reboot and reinstall
requests (one instance each) through Lighthouse, CVM, ZEC and KEC as fast as
they can; after a random 0.2–1.0 s the process is killed; a new process on
the same `--data` directory must then show
- an operation on record for every request that was answered with success;
- every operation finished (none left in flight past its deadline), each
  completed exactly once (written at version 1 when accepted and version 2
  when finished, never again);
- per instance, a history that is a walk through the lifecycle table: each
  operation starts from the state the previous one left, no two overlap, and
  the instance ends where its last operation lands.

Rounds: STRATUS_CRASH_ROUNDS (default 4). The figures are printed (`-s`).
A later vendor front joins by adding a `Front` to FRONTS.
"""
import json
import os
import random
import signal
import tempfile
import threading
import time

from harness import Server, kec_request, tc3_request, wait_until, zc2_request

ROUNDS = int(os.environ.get("STRATUS_CRASH_ROUNDS", "4"))
WORKERS = 8
# Transitions of 25–300 ms: long enough to be caught in flight by a kill.
SPEED = 400
PASSWORD = "Crash7Test9Pw"

TRANSITIONAL = {"Pending", "Starting", "Stopping", "Rebooting", "Reinstalling", "Isolating", "Terminating"}


class Refused(Exception):
    """The server answered, but did not accept the write."""


class Front:
    """One vendor front: how to send each kind of write for one instance.
    `send(endpoint, kind, instance_id)` returns (request_id, instance_ids)
    for an accepted write and raises Refused otherwise."""

    def __init__(self, name, send):
        self.name = name
        self.send = send


def tencent(service, version, actions):
    def send(endpoint, kind, iid):
        action, params = actions[kind](iid)
        r = tc3_request(endpoint, service, version, action, json.dumps(params))
        if "Error" in r:
            raise Refused(r["Error"]["Code"])
        return r["RequestId"], r.get("InstanceIdSet") or [iid]
    return send


def zec(endpoint, kind, iid):
    action, params = {
        "create": lambda _: ("CreateZecInstances", {
            "zoneId": "asia-east-1a", "imageId": "ubuntu2404_20240712", "instanceType": "z2a.cpu.2",
            "subnetId": "1272168087751233112", "instanceCount": 1, "password": PASSWORD}),
        "start": lambda i: ("StartInstances", {"instanceIds": [i]}),
        "stop": lambda i: ("StopInstances", {"instanceIds": [i]}),
        "reboot": lambda i: ("RebootInstances", {"instanceIds": [i]}),
        "reinstall": lambda i: ("ResetInstance", {"instanceId": i, "password": PASSWORD}),
    }[kind](iid)
    status, body = zc2_request(endpoint, action, params)
    if status != 200:
        raise Refused(body.get("code"))
    # A batch answers 200 and lists the instances it refused.
    if body["response"].get("instanceIds"):
        raise Refused("refused in batch")
    return body["requestId"], body["response"].get("instanceIdSet") or [iid]


def kec(endpoint, kind, iid):
    action, params = {
        "create": lambda _: ("RunInstances", {
            "ImageId": "IMG-908921b0-7406-5721-bbc1-38e1dc1f7575", "InstanceType": "N3.2B", "MaxCount": 1,
            "MinCount": 1, "SubnetId": "cbc4a7bd-2136-53a4-9d48-218f9d5e6e2a",
            "SecurityGroupId": ["f5f7220b-5bb5-53ce-a5e5-b1ec50e95bb0"], "ChargeType": "HourlyInstantSettlement",
            "InstancePassword": PASSWORD}),
        "start": lambda i: ("StartInstances", {"InstanceId": [i]}),
        "stop": lambda i: ("StopInstances", {"InstanceId": [i]}),
        "reboot": lambda i: ("RebootInstances", {"InstanceId": [i]}),
        "reinstall": lambda i: ("ModifyInstanceImage", {"InstanceId": i, "InstancePassword": PASSWORD}),
    }[kind](iid)
    status, body = kec_request(endpoint, action, params)
    if status != 200:
        raise Refused(body.get("Error", {}).get("Code"))
    created = [i["InstanceId"] for i in body.get("InstancesSet", [])] if kind == "create" else [iid]
    return body["RequestId"], created


FRONTS = [
    Front("lighthouse", tencent("lighthouse", "2020-03-24", {
        "create": lambda _: ("CreateInstances", {
            "BundleId": "bundle_gen_01", "BlueprintId": "lhbp-c76k3m2a", "InstanceCount": 1,
            "InstanceChargePrepaid": {"Period": 1},
            "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": PASSWORD}}),
        "start": lambda i: ("StartInstances", {"InstanceIds": [i]}),
        "stop": lambda i: ("StopInstances", {"InstanceIds": [i]}),
        "reboot": lambda i: ("RebootInstances", {"InstanceIds": [i]}),
        "reinstall": lambda i: ("ResetInstance", {"InstanceId": i}),
    })),
    Front("cvm", tencent("cvm", "2017-03-12", {
        "create": lambda _: ("RunInstances", {
            "Placement": {"Zone": "ap-guangzhou-3"}, "ImageId": "img-l8og963d", "InstanceType": "S5.MEDIUM4",
            "InstanceCount": 1, "LoginSettings": {"Password": PASSWORD}}),
        "start": lambda i: ("StartInstances", {"InstanceIds": [i]}),
        "stop": lambda i: ("StopInstances", {"InstanceIds": [i]}),
        "reboot": lambda i: ("RebootInstances", {"InstanceIds": [i]}),
        "reinstall": lambda i: ("ResetInstance", {"InstanceId": i, "LoginSettings": {"Password": PASSWORD}}),
    })),
    Front("zec", zec),
    Front("kec", kec),
]

# The lifecycle table, written out independently of the server's: the state
# each kind of operation may start from, and where it lands.
SOURCES = {
    "Create": {"Pending"},
    "Start": {"Stopped"},
    "Stop": {"Running"},
    "Reboot": {"Running"},
    "Reinstall": {"Running", "Stopped"},
}


def landings(op):
    """The states an instance may be left in by a finished operation."""
    if op["state"] == "Failed":
        return {"LaunchFailed"} if op["kind"] == "Create" else {op["source_state"]}
    return {
        "Create": {"Running"},
        "Start": {"Running"},
        "Stop": {"Stopped"},
        "Reboot": {"Running"},
        # Products differ: back where it was, or always Running (ZEC).
        "Reinstall": {op["source_state"], "Running"},
    }[op["kind"]]


class Load:
    """Workers sending writes until the server dies; records what was
    acknowledged."""

    def __init__(self, endpoint, instances):
        self.endpoint = endpoint
        self.instances = instances  # front name -> list of ids (shared)
        self.acknowledged = []  # (front, kind, request id, instance ids)
        self.lock = threading.Lock()
        self.dead = threading.Event()

    def worker(self, seed):
        rng = random.Random(seed)
        while not self.dead.is_set():
            front = rng.choice(FRONTS)
            with self.lock:
                pool = self.instances.setdefault(front.name, [])
                iid = rng.choice(pool) if pool else None
            kind = "create" if iid is None or rng.random() < 0.08 else rng.choice(
                ["start", "stop", "reboot", "reinstall", "stop", "start"])
            try:
                request_id, ids = front.send(self.endpoint, kind, iid)
            except Refused:
                continue
            except Exception:  # the connection died with the server
                if not self.dead.is_set():
                    time.sleep(0.005)
                continue
            with self.lock:
                self.acknowledged.append((front.name, kind, request_id, ids))
                if kind == "create":
                    self.instances[front.name].extend(ids)

    def run_until_killed(self, server, seconds):
        threads = [threading.Thread(target=self.worker, args=(random.random(),)) for _ in range(WORKERS)]
        for t in threads:
            t.start()
        time.sleep(seconds)  # the random moment of the kill, not a wait for an outcome
        server.stop(signal.SIGKILL)
        killed_at = time.time() * 1000
        self.dead.set()
        for t in threads:
            t.join(timeout=30)
        return killed_at


def audit(server, acknowledged, restarted_at):
    """Every violation of the promises above, as readable strings."""
    violations = []
    ops = operations(server)
    # Recovery must finish every operation by its deadline (or at once if
    # that passed while the server was down); allow 3 s beyond the latest.
    patience = max([o["deadline"] for o in ops] + [restarted_at]) - time.time() * 1000 + 3000
    try:
        ops = wait_until(lambda: finished_operations(server), timeout=max(patience / 1000, 3),
                         what="every operation to finish")
    except AssertionError:
        ops = operations(server)
        violations += [f"operation {o['id']} ({o['kind']}) still in flight long after its deadline"
                       for o in ops if o["state"] == "Operating"]
        ops = [o for o in ops if o["state"] != "Operating"]
    instances = {i["id"]: i for i in server.admin("/_stratus/instances")[1]["instances"]}
    by_request = {}
    for op in ops:
        by_request.setdefault((op["request_id"], op["instance_id"]), []).append(op)
    for front, kind, request_id, ids in acknowledged:
        for iid in ids:
            if (request_id, iid) not in by_request:
                violations.append(f"{front} {kind} {iid} (request {request_id}) was acknowledged but has no operation")
    history = {}
    for op in ops:
        if op["version"] != 2:
            violations.append(f"operation {op['id']} ({op['kind']}) written {op['version']} times")
        if op["finished_at"] > max(op["deadline"], restarted_at) + 5000:
            violations.append(f"operation {op['id']} finished long after its deadline")
        history.setdefault(op["instance_id"], []).append(op)
    for iid, steps in history.items():
        steps.sort(key=lambda o: (o["started_at"], o["finished_at"]))
        for prev, op in zip([None] + steps, steps):
            if op["source_state"] not in SOURCES.get(op["kind"], {op["source_state"]}):
                violations.append(f"{iid}: {op['kind']} from {op['source_state']} is not in the lifecycle table")
            if prev is not None:
                if op["started_at"] < prev["finished_at"]:
                    violations.append(f"{iid}: {op['kind']} started while {prev['kind']} was in flight")
                if op["source_state"] not in landings(prev):
                    violations.append(f"{iid}: {op['kind']} started from {op['source_state']}, "
                                      f"but {prev['kind']} left it in {sorted(landings(prev))}")
        instance = instances.get(iid)
        if instance is None:
            violations.append(f"{iid} has operations but is gone")
            continue
        if instance["state"] in TRANSITIONAL:
            violations.append(f"{iid} is still {instance['state']} after recovery")
        if instance["state"] not in landings(steps[-1]):
            violations.append(f"{iid} is {instance['state']}, but its last operation ({steps[-1]['kind']}, "
                              f"{steps[-1]['state']}) lands in {sorted(landings(steps[-1]))}")
        if (instance["latest_operation"] or {}).get("operation_id") != steps[-1]["id"]:
            violations.append(f"{iid}: latest operation is not its last one")
    return ops, violations


def operations(server):
    return server.admin("/_stratus/operations")[1]["operations"]


def finished_operations(server):
    ops = operations(server)
    return ops if all(o["state"] != "Operating" for o in ops) else None


def test_acknowledged_writes_survive_sigkill_and_recovery_completes_each_operation_once():
    data = tempfile.mkdtemp(prefix="stratus-crash-")
    instances = {}
    acknowledged_total = audited = recovered = 0
    violations = []
    for round_no in range(ROUNDS):
        server = Server(speed=SPEED, data=data)
        load = Load(server.endpoint, instances)
        killed_at = load.run_until_killed(server, random.uniform(0.2, 1.0))
        acknowledged_total += len(load.acknowledged)
        restarted = Server(speed=SPEED, data=data)
        try:
            ops, found = audit(restarted, load.acknowledged, time.time() * 1000)
            audited = len(ops)
            # Completed by the restarted process: in flight at the kill.
            recovered += sum(1 for o in ops if o["started_at"] <= killed_at < o["finished_at"])
            violations += [f"round {round_no + 1}: {v}" for v in found]
            assert "panic" not in restarted.log_text()
        finally:
            restarted.stop()
    print(f"\ncrash recovery: {ROUNDS} rounds (SIGKILL each), {acknowledged_total} acknowledged writes, "
          f"{audited} operations audited, {recovered} of them in flight at a kill and completed after "
          f"restart, {len(violations)} violations")
    assert acknowledged_total > 0 and recovered > 0
    assert not violations, "\n".join(violations[:30])
