"""Time control (issue 15, section 4): the speed changed at run time, and a
manual mode in which a transition stays visible until the test releases it
(`POST /_stratus/operations/ID/complete`, or all at once), so a test can
look at `PENDING` or `REBOOTING` for as long as it needs. Driven through the
official Lighthouse SDK."""
from conftest import Lighthouse
from harness import Server, wait_until


def operation_of(server, iid, kind):
    status, body = server.admin("/_stratus/operations?account=default")
    assert status == 200, body
    ops = [o for o in body["operations"] if o["instance_id"] == iid and o["kind"] == kind]
    return ops[-1] if ops else None


def test_a_transition_waits_in_manual_mode_until_released():
    server = Server(speed=2000)
    try:
        lh = Lighthouse(server)
        assert server.admin("/_stratus/speed") == (200, {"speed": 2000.0, "manual": False})
        assert server.admin("/_stratus/speed", "PUT", {"manual": True})[1]["manual"] is True
        iid = lh.create()[0]
        # Its work takes milliseconds at this speed; it still shows PENDING.
        for _ in range(20):
            assert lh.instance(iid)["InstanceState"] == "PENDING"
        op = wait_until(lambda: operation_of(server, iid, "Create"), what="the create operation")
        assert op["state"] == "Operating", op
        assert server.admin(f"/_stratus/operations/{op['id']}/complete", "POST")[0] == 200
        assert lh.settled(iid)["InstanceState"] == "RUNNING"
        # Two reboots held, then released together.
        other = lh.create()[0]
        server.admin("/_stratus/operations/complete", "POST")
        lh.settled(other)
        lh.call("RebootInstances", {"InstanceIds": [iid, other]})
        for _ in range(10):
            assert {lh.instance(i)["InstanceState"] for i in (iid, other)} == {"REBOOTING"}
        server.admin("/_stratus/operations/complete", "POST")
        assert {lh.settled(i)["InstanceState"] for i in (iid, other)} == {"RUNNING"}
        # Leaving manual mode releases what waits.
        lh.call("StopInstances", {"InstanceIds": [iid]})
        assert lh.instance(iid)["InstanceState"] == "STOPPING"
        server.admin("/_stratus/speed", "PUT", {"manual": False})
        assert lh.settled(iid)["InstanceState"] == "STOPPED"
    finally:
        server.stop()


def test_the_speed_changes_at_run_time_and_bad_values_are_refused():
    server = Server(speed=1)
    try:
        assert server.admin("/_stratus/speed", "PUT", {"speed": 5000})[1] == {"speed": 5000.0, "manual": False}
        # At speed 1 a create takes 30-60 s; at 5000 it is over at once.
        lh = Lighthouse(server)
        iid = lh.create()[0]
        assert lh.settled(iid, timeout=10)["InstanceState"] == "RUNNING"
        for bad in ({"speed": 0}, {"speed": -2}, {"speed": "fast"}, {"tempo": 2}):
            status, body = server.admin("/_stratus/speed", "PUT", bad)
            assert status == 400, (bad, body)
        assert server.admin("/_stratus/speed")[1]["speed"] == 5000.0
    finally:
        server.stop()


def test_reset_forgets_one_account_or_everything():
    from conftest import ALICE_ID, ALICE_KEY, BOB_ID, BOB_KEY, TEAM_CONFIG
    server = Server(speed=2000, config=TEAM_CONFIG)
    try:
        alice, bob = Lighthouse(server, ALICE_ID, ALICE_KEY), Lighthouse(server, BOB_ID, BOB_KEY)
        alice.running()
        bob_ids = bob.running(count=2)
        key = alice.call("CreateKeyPair", {"KeyName": "before_reset"})["KeyPair"]["KeyId"]
        assert server.admin("/_stratus/reset?account=alice", "POST") == (200, {"reset": "alice"})
        assert alice.describe()["TotalCount"] == 0
        assert alice.call("DescribeKeyPairs", {"KeyIds": [key]})["TotalCount"] == 0
        assert sorted(i["InstanceId"] for i in bob.describe()["InstanceSet"]) == sorted(bob_ids)
        assert server.admin("/_stratus/operations?account=alice")[1]["operations"] == []
        # An instance created after the reset works as ever.
        assert alice.running()
        assert server.admin("/_stratus/reset", "POST")[0] == 200
        assert alice.describe()["TotalCount"] == bob.describe()["TotalCount"] == 0
        assert server.admin("/_stratus/reset", "GET")[0] == 405
    finally:
        server.stop()


def test_fixed_durations_per_kind_and_a_failure_after_a_chosen_time():
    server = Server(speed=1)
    try:
        lh = Lighthouse(server)
        # At speed 1 a create takes 30-60 s; fixed at 0.2 s it is over at once.
        status, _ = server.admin("/_stratus/speed", "PUT", {"durations": {"CREATE": 0.2, "REBOOT": 0.1}})
        assert status == 200
        iid = lh.create()[0]
        assert lh.settled(iid, timeout=10)["InstanceState"] == "RUNNING"
        # A failure shown after 1.5 s of REBOOTING, whatever the durations.
        server.admin("/_stratus/faults", "PUT", [{"product": "lighthouse", "action": "RebootInstances",
                                                  "after_seconds": 1.5, "message": "late failure"}])
        lh.call("RebootInstances", {"InstanceIds": [iid]})
        op = operation_of(server, iid, "Reboot")
        assert op["deadline"] - op["started_at"] == 1500, op
        assert lh.instance(iid)["InstanceState"] == "REBOOTING"
        done = lh.settled(iid, timeout=10)
        assert done["LatestOperationState"] == "FAILED", done
        for bad in ({"durations": {"NAP": 1}}, {"durations": {"REBOOT": -1}}):
            assert server.admin("/_stratus/speed", "PUT", bad)[0] == 400, bad
        # Back to the speed.
        assert server.admin("/_stratus/speed", "PUT", {"durations": {"CREATE": None}})[0] == 200
    finally:
        server.stop()
