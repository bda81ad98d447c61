"""The console's actions (issue 16) are vendor requests: signed with the
account's own credential and served by the product's dialect, so they meet
every rule an SDK call meets (the dialect's validation, door faults, the
engine's state rules), are refused in the vendor's words, and are recorded
with the request id the SDK then reads as the instance's latest operation.
One test per vendor, without a browser (test_console.py drives the page)."""
import pytest

import test_kingsoft as kingsoft
import test_zenlayer as zenlayer
from conftest import Lighthouse
from harness import Server, wait_until


@pytest.fixture(scope="module")
def server():
    s = Server(speed=100)
    yield s
    s.stop()


def act(server, iid, action, **extra):
    """(status, body) of a console action on an instance of the development account."""
    return server.admin("/_stratus/console/actions", "POST",
                        {"account": "default", "instance": iid, "action": action, **extra})


def vendor_view(server, iid, account="default"):
    """(status, body) of the console's vendor view of an instance."""
    return server.admin(f"/_stratus/console/vendor-view?account={account}&instance={iid}")


def test_lighthouse_actions_meet_the_dialects_rules_and_are_recorded(server):
    lh = Lighthouse(server)
    iid = lh.running()[0]
    status, body = act(server, iid, "reboot")
    assert (status, body["action"]) == (200, "RebootInstances"), body
    settled = lh.settled(iid)
    assert settled["LatestOperation"] == "RebootInstances"
    assert settled["LatestOperationRequestId"] == body["request_id"]
    # The panel's view is the SDK's: DescribeInstances through the dialect.
    status, view = vendor_view(server, iid)
    assert status == 200 and view["instance"] == lh.instance(iid), view
    assert vendor_view(server, iid, account="nobody")[0] == 404
    # The dialect's own validation, which the engine never sees.
    status, body = act(server, iid, "reset", image_id="not a blueprint")
    assert (status, body["code"]) == (409, "InvalidParameterValue.BlueprintIdMalformed"), body
    assert body["request_id"] and body["message"]
    # A fault rule at the door answers the console as it answers the SDK.
    server.admin("/_stratus/faults", "PUT", [{"product": "lighthouse", "action": "StopInstances",
                                             "error": {"code": "InternalError.Simulated", "status": 200},
                                             "remaining": 1}])
    status, body = act(server, iid, "stop")
    assert (status, body["code"]) == (409, "InternalError.Simulated"), body
    server.admin("/_stratus/faults", "PUT", [])
    # The engine's state rules, named as Lighthouse names them.
    status, body = act(server, iid, "start")
    assert (status, body["code"]) == (409, "UnsupportedOperation.InvalidInstanceState"), body
    assert lh.instance(iid)["InstanceState"] == "RUNNING"


def test_zenlayer_actions_go_through_the_zec_dialect(server):
    zec = zenlayer.Zec(server, "2025")
    iid = zec.running()[0]
    status, body = act(server, iid, "stop")
    assert (status, body["action"]) == (200, "StopInstances"), body
    zec.wait_status(iid, "STOPPED")
    status, view = vendor_view(server, iid)
    assert status == 200 and (view["instance"]["instanceId"], view["instance"]["status"]) == (iid, "STOPPED"), view
    status, body = act(server, iid, "reboot")
    assert (status, body["code"]) == (409, "OPERATION_DENIED_INSTANCE_STATUS"), body
    status, body = act(server, iid, "terminate")
    assert (status, body["action"]) == (200, "ReleaseInstances"), body
    zec.wait_status(iid, "RECYCLE")


def test_a_kingsoft_reset_from_the_console_is_modify_instance_image(server):
    images, subnets, groups = kingsoft.learn(server)
    kingsoft.SUBNETS.update(subnets)
    kingsoft.GROUPS.update(groups)
    kec = kingsoft.kec(server)
    iid = kingsoft.run(kec, image=images[kingsoft.IMAGE_NAMES["CENTOS"]])[0]
    kingsoft.reach(kec, iid, "active")
    ubuntu = images[kingsoft.IMAGE_NAMES["UBUNTU"]]
    # KEC reinstalls only a stopped instance, whoever asks.
    status, body = act(server, iid, "reset", image_id=ubuntu, password="Kec!Console9")
    assert (status, body["code"]) == (409, "InstanceStateNotSupported"), body
    status, body = act(server, iid, "stop")
    assert (status, body["action"]) == (200, "StopInstances"), body
    kingsoft.reach(kec, iid, "stopped")
    status, body = act(server, iid, "reset", image_id=ubuntu, password="Kec!Console9")
    assert (status, body["action"]) == (200, "ModifyInstanceImage"), body
    wait_until(lambda: kingsoft.instance(kec, iid)["ImageId"] == ubuntu
               and kingsoft.state(kec, iid) == "active", what="the new image to run")
    status, view = vendor_view(server, iid)
    assert status == 200 and view["instance"] == kingsoft.instance(kec, iid), view


def test_an_account_without_the_vendors_credential_cannot_act_from_the_console(tmp_path):
    """The console acts as the owner would, with the owner's credential: once
    an account's Zenlayer key is gone from the configuration (rotated out,
    say), its ZEC instance can still be looked at but not acted on; the
    refusal says why and changes nothing."""
    ak, sk = "ops-zl-key-000001", "ops-zl-secret-000001"
    # The first account declared holds the development credentials of every
    # vendor: "ops" comes second, with only its own.
    both = f"""
[[accounts]]
name = "first"

[[accounts]]
name = "ops"
tencent = {{ secret_id = "AKIDops0000000000000000000000000001", secret_key = "ops-tc-secret" }}
zenlayer = {{ access_key_id = "{ak}", access_key_secret = "{sk}" }}
"""
    first = Server(speed=100, data=tmp_path, config=both)
    try:
        iid = zenlayer.Zec(first, "2025", ak=ak, sk=sk).running()[0]
    finally:
        first.stop()
    tencent_only = "\n".join(line for line in both.splitlines() if not line.startswith("zenlayer"))
    again = Server(speed=100, data=tmp_path, config=tencent_only)
    try:
        status, body = again.admin("/_stratus/console/actions", "POST",
                                   {"account": "ops", "instance": iid, "action": "stop"})
        assert (status, body) == (409, {"error": "the account has no zenlayer credential to act with"}), body
        status, record = again.admin(f"/_stratus/instances/{iid}?account=ops")
        assert (status, record["state"]) == (200, "Running"), record
        assert zenlayer.Zec(again, "2025", ak=ak, sk=sk).error("DescribeInstances", instanceIds=[iid]).code \
            == "AUTHFAILURE_SIGNATURE_FAILURE", "the old key is gone for the SDK too"
    finally:
        again.stop()
