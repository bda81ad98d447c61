"""Fault rules answered at the door (issue 15, section 4): a chosen error
code (with the vendor's HTTP status and envelope) or added latency, matched
by account, product, region and action, with probability and count; and
operation failures matched by instance. Driven through the official
Lighthouse SDK and hand-signed ZEC and KEC requests."""
import time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from conftest import Lighthouse
from harness import Server, kec_request, zc2_request


@pytest.fixture(scope="module")
def server():
    s = Server(speed=200)
    yield s
    s.stop()


def rules(server, *rules):
    status, body = server.admin("/_stratus/faults", "PUT", list(rules))
    assert status == 200, body


def test_a_tencent_request_gets_the_chosen_code_once(server):
    lh = Lighthouse(server)
    rules(server, {"product": "lighthouse", "action": "DescribeInstances", "account": "default",
                   "region": "ap-guangzhou", "error": {"code": "InternalError"},
                   "message": "the back end is down", "remaining": 1})
    with pytest.raises(TencentCloudSDKException) as refused:
        lh.sdk.call_json("DescribeInstances", {})
    assert (refused.value.code, refused.value.message) == ("InternalError", "the back end is down")
    # Used up: the next call is served.
    assert lh.describe()["TotalCount"] >= 0
    # Another region does not match.
    rules(server, {"product": "lighthouse", "region": "ap-shanghai", "error": {"code": "InternalError"}})
    assert lh.describe()["TotalCount"] >= 0
    rules(server)


def test_zec_and_kec_get_their_status_and_envelope(server):
    rules(server,
          {"product": "zec", "action": "DescribeZones", "error": {"code": "SERVICE_UNAVAILABLE", "status": 503},
           "message": "maintenance"},
          {"product": "kec", "action": "DescribeAvailabilityZones",
           "error": {"code": "ServiceUnavailable", "status": 503}, "message": "maintenance"})
    status, body = zc2_request(server.endpoint, "DescribeZones", {})
    assert status == 503 and body["code"] == "SERVICE_UNAVAILABLE" and body["message"] == "maintenance", body
    assert body["requestId"], body
    status, body = kec_request(server.endpoint, "DescribeAvailabilityZones", {})
    assert status == 503, body
    assert body["Error"]["Code"] == "ServiceUnavailable" and body["RequestId"], body
    rules(server)


def test_latency_delays_the_answer_and_a_zero_probability_never_fires(server):
    lh = Lighthouse(server)
    rules(server, {"product": "lighthouse", "action": "DescribeRegions", "latency_ms": 400},
          {"product": "lighthouse", "action": "DescribeZones", "error": {"code": "InternalError"},
           "probability": 0.0})
    started = time.monotonic()
    lh.call("DescribeRegions")
    assert time.monotonic() - started >= 0.4
    for _ in range(5):
        lh.call("DescribeZones")
    rules(server)


def test_an_operation_rule_fails_only_the_instance_it_names(server):
    lh = Lighthouse(server)
    spared, doomed = lh.running(count=2)
    rules(server, {"product": "lighthouse", "action": "RebootInstances", "instance": doomed,
                   "message": "kernel panic"})
    lh.call("RebootInstances", {"InstanceIds": [spared, doomed]})
    assert lh.settled(spared)["LatestOperationState"] == "SUCCESS"
    assert lh.settled(doomed)["LatestOperationState"] == "FAILED"
    rules(server)


def test_rules_survive_a_restart(tmp_path):
    data = str(tmp_path / "data")
    rule = {"product": "lighthouse", "action": "DescribeRegions", "error": {"code": "InternalError"},
            "message": "still broken"}
    first = Server(speed=200, data=data)
    try:
        rules(first, rule)
    finally:
        first.stop()
    second = Server(speed=200, data=data)
    try:
        listed = second.admin("/_stratus/faults")[1]["faults"]
        assert [(r["action"], r["error"]["code"]) for r in listed] == [("DescribeRegions", "InternalError")]
        with pytest.raises(TencentCloudSDKException) as refused:
            Lighthouse(second).sdk.call_json("DescribeRegions", {})
        assert refused.value.code == "InternalError"
    finally:
        second.stop()


def test_the_legacy_api_answers_a_numbered_code_or_a_code_desc(server):
    from test_cvm_legacy import legacy
    call = legacy(server)
    rules(server, {"product": "cvm", "action": "DescribeInstances", "error": {"code": "4400"},
                   "message": "too many", "remaining": 1})
    answer = call("DescribeInstances", {})
    assert (answer["code"], answer["message"]) == (4400, "too many"), answer
    rules(server, {"product": "cvm", "action": "DescribeInstances", "error": {"code": "SystemUnderMaintenance"},
                   "message": "back soon", "remaining": 1})
    answer = call("DescribeInstances", {})
    assert (answer["codeDesc"], answer["message"]) == ("SystemUnderMaintenance", "back soon"), answer
    assert answer["code"] != 0
    assert call("DescribeInstances", {})["code"] == 0
    rules(server)
