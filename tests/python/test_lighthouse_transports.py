"""Lighthouse over every request variant the official SDK can send (spec §1.2)
and the authentication failures (spec §2):
- TC3 GET (flattened query: nested objects, arrays of objects, booleans as
  `True`), legacy v1 HmacSHA1 / HmacSHA256 as form POST and as GET — used
  for writes (CreateInstances with nested parameters, RebootInstances of
  several ids, ResetInstance with LoginConfiguration, DryRun) not only reads;
- wrong secret key → AuthFailure.SignatureFailure (TC3 and v1); unknown
  SecretId → AuthFailure.SecretIdNotFound; a correctly signed TC3 request
  one hour old or one hour ahead → AuthFailure.SignatureExpire; a signed
  non-JSON body → InvalidParameter*; a body changed after signing →
  SignatureFailure; every answer HTTP 200 + Content-Type application/json.
"""
import time

import pytest

from conftest import (CENTOS, PASSWORD, TENCENT_ID, TENCENT_KEY, UBUNTU22, Lighthouse, raw_error_code, tc3_raw)

VARIANTS = {
    "tc3-get": dict(method="GET"),
    "v1-sha1-post": dict(sign="HmacSHA1"),
    "v1-sha256-post": dict(sign="HmacSHA256"),
    "v1-sha256-get": dict(sign="HmacSHA256", method="GET"),
    "v1-sha1-get": dict(sign="HmacSHA1", method="GET"),
}


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_writes_through_each_variant(dev, variant):
    c = dev.variant(**VARIANTS[variant])
    name = f"via-{variant}"
    params = {"BundleId": "bundle_gen_01", "BlueprintId": CENTOS, "InstanceChargePrepaid": {"Period": 1, "RenewFlag": "NOTIFY_AND_AUTO_RENEW"},
              "InstanceCount": 2, "InstanceName": name, "Zones": ["ap-guangzhou-3"],
              "Tags": [{"Key": "via", "Value": variant}],
              "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": PASSWORD}}
    # Booleans in a flattened request arrive as "True"/"False".
    assert c.error("CreateInstances", dict(params, DryRun=True)) == "DryRunOperation"
    ids = c.call("CreateInstances", params)["InstanceIdSet"]
    assert len(ids) == 2
    # The nested parameters survived the flattening.
    found = c.call("DescribeInstances", {"Filters": [{"Name": "tag:via", "Values": [variant]}], "Limit": 10})
    assert sorted(i["InstanceId"] for i in found["InstanceSet"]) == sorted(ids) and found["TotalCount"] == 2
    for i in found["InstanceSet"]:
        # A batch gets suffixed names (name-1, name-2), as in the consoles.
        assert i["InstanceName"] in (f"{name}-1", f"{name}-2") and i["Zone"] == "ap-guangzhou-3" and i["RenewFlag"] == "NOTIFY_AND_AUTO_RENEW"
        assert {"Key": "via", "Value": variant} in i["Tags"]
    assert {i["InstanceName"] for i in found["InstanceSet"]} == {f"{name}-1", f"{name}-2"}
    for iid in ids:
        assert c.settled(iid)["InstanceState"] == "RUNNING"
    # Several ids in one flattened list.
    request_id = c.call("RebootInstances", {"InstanceIds": ids, "StopType": "SOFT"})["RequestId"]
    for iid in ids:
        i = c.instance(iid)
        assert i["LatestOperation"] == "RebootInstances" and i["LatestOperationRequestId"] == request_id
    for iid in ids:
        assert c.settled(iid)["InstanceState"] == "RUNNING"
    # Nested LoginConfiguration on the seed action.
    request_id = c.call("ResetInstance", {"InstanceId": ids[0], "BlueprintId": UBUNTU22,
                                          "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "Fl4ttened!pw"}})["RequestId"]
    assert c.instance(ids[0])["LatestOperationRequestId"] == request_id
    done = c.settled(ids[0])
    assert done["BlueprintId"] == UBUNTU22 and done["LatestOperationState"] == "SUCCESS"
    # A business error comes back through the variant too.
    assert c.error("ResetInstance", {"InstanceId": "lhins-12"}) == "InvalidParameterValue.InstanceIdMalformed"


@pytest.mark.parametrize("variant", [{}, *VARIANTS.values()], ids=["tc3-post", *VARIANTS])
def test_wrong_secret_key_is_a_signature_failure(dev, variant):
    c = Lighthouse(dev.server, TENCENT_ID, TENCENT_KEY + "x", **variant)
    assert c.error("DescribeInstances", {}) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("variant", [{}, dict(sign="HmacSHA256")], ids=["tc3", "v1"])
def test_unknown_secret_id(dev, variant):
    c = Lighthouse(dev.server, "AKIDNOBODY00000000000000000000000000", "whatever", **variant)
    assert c.error("DescribeInstances", {}) == "AuthFailure.SecretIdNotFound"


def test_a_failed_signature_changes_nothing(dev):
    before = dev.describe(Limit=1)["TotalCount"]
    forged = Lighthouse(dev.server, TENCENT_ID, "not-the-key")
    assert forged.error("CreateInstances", {"BundleId": "bundle_gen_01", "BlueprintId": CENTOS,
                                            "InstanceChargePrepaid": {"Period": 1}}) == "AuthFailure.SignatureFailure"
    assert dev.describe(Limit=1)["TotalCount"] == before


def test_raw_tc3_request_is_accepted(dev_server):
    resp = tc3_raw(dev_server.endpoint, "DescribeInstances", '{"Limit": 1}')
    assert raw_error_code(resp) is None
    assert "TotalCount" in resp.json()["Response"]


@pytest.mark.parametrize("skew", [-3600, 3600, -301])
def test_expired_or_future_timestamp(dev_server, skew):
    resp = tc3_raw(dev_server.endpoint, "DescribeInstances", "{}", timestamp=time.time() + skew)
    assert raw_error_code(resp) == "AuthFailure.SignatureExpire"


def test_within_the_window_is_accepted(dev_server):
    resp = tc3_raw(dev_server.endpoint, "DescribeInstances", "{}", timestamp=time.time() - 240)
    assert raw_error_code(resp) is None


@pytest.mark.parametrize("body", [b"this is not json", b'{"Limit": ', b"[1, 2]", b'"Limit"'])
def test_garbage_body_correctly_signed(dev_server, body):
    code = raw_error_code(tc3_raw(dev_server.endpoint, "DescribeInstances", body))
    assert code is not None and code.startswith("InvalidParameter"), code


def test_signed_with_another_key_over_raw_transport(dev_server):
    resp = tc3_raw(dev_server.endpoint, "DescribeInstances", "{}", secret_key="wrong")
    assert raw_error_code(resp) == "AuthFailure.SignatureFailure"


def test_body_changed_after_signing(dev_server):
    import requests
    resp = tc3_raw(dev_server.endpoint, "DescribeInstances", '{"Limit": 1}')
    req = resp.request
    tampered = requests.post(req.url, data=b'{"Limit": 2}', headers=dict(req.headers, **{"Content-Length": "12"}), timeout=10)
    assert raw_error_code(tampered) == "AuthFailure.SignatureFailure"


def test_wrong_service_in_the_credential_scope(dev_server):
    # Signed for "cvm" but sent with the Lighthouse version: scope/service mismatch.
    resp = tc3_raw(dev_server.endpoint, "DescribeInstances", "{}", service="cvm")
    # Either the scope check fails, or routing by the scope finds no such cvm version.
    assert raw_error_code(resp) in ("AuthFailure.SignatureFailure", "AuthFailure.InvalidAuthorization", "NoSuchVersion")
