"""DescribeInstances queries and Lighthouse key pairs through the SDK:
- filters instance-name, zone, instance-state, bundle-id, tag-key (and
  several values of one filter = OR, several filters = AND); Offset/Limit
  pages that cover every match once with a stable TotalCount;
  InstanceIds + Filters → InvalidParameter.ParameterConflict; unknown
  filter name → InvalidParameter.InvalidFilterNotSupportedName; a
  well-formed unknown id is simply not listed; malformed id → InstanceIdMalformed;
- CreateKeyPair returns KeyId lhkp-xxxxxxxx and a private key once;
  DescribeKeyPairs never returns PrivateKey; ImportKeyPair with real
  ssh-ed25519 and ssh-rsa keys (public key kept verbatim) and garbage →
  KeyPairPublicKeyMalformed; AssociateInstancesKeyPairs shows in
  LoginSettings.KeyIds and AssociatedInstanceIds; DeleteKeyPairs removes.
"""
import time

from conftest import ED25519_PUB, KEY_ID, RSA_PUB, UBUNTU22, fresh_public_key


def unique(prefix):
    return f"{prefix}-{time.time_ns() % 10**10}"


def test_filters(dev):
    tag = unique("team")
    name = unique("flt")
    a = dev.running(InstanceName=name, Zones=["ap-guangzhou-3"], Tags=[{"Key": tag, "Value": "x"}])[0]
    b = dev.running(InstanceName=name, Zones=["ap-guangzhou-6"], bundle="bundle_gen_02", Tags=[{"Key": tag, "Value": "y"}])[0]
    other = dev.running(InstanceName=name + "-other", Zones=["ap-guangzhou-6"])[0]
    dev.call("StopInstances", {"InstanceIds": [b]})
    assert dev.settled(b)["InstanceState"] == "STOPPED"

    def ids(*filters):
        r = dev.describe(Filters=[{"Name": n, "Values": v} for n, v in filters], Limit=100)
        assert r["TotalCount"] == len(r["InstanceSet"])
        return {i["InstanceId"] for i in r["InstanceSet"]}

    assert ids(("tag-key", [tag])) == {a, b}
    assert ids(("instance-name", [name])) >= {a, b}
    assert ids(("tag-key", [tag]), ("zone", ["ap-guangzhou-3"])) == {a}
    assert ids(("tag-key", [tag]), ("zone", ["ap-guangzhou-3", "ap-guangzhou-6"])) == {a, b}
    assert ids(("tag-key", [tag]), ("instance-state", ["STOPPED"])) == {b}
    assert ids(("tag-key", [tag]), ("instance-state", ["RUNNING"])) == {a}
    assert ids(("tag-key", [tag]), ("bundle-id", ["bundle_gen_02"])) == {b}
    assert ids(("tag-key", [tag]), ("bundle-id", ["bundle_gen_04"])) == set()
    assert ids(("tag-key", [tag + "-none"])) == set()
    assert other in ids(("instance-name", [name + "-other"]))


def test_paging(dev):
    tag = unique("page")
    made = set(dev.create(count=5, Tags=[{"Key": tag, "Value": "1"}]))
    flt = [{"Name": "tag-key", "Values": [tag]}]
    seen = []
    for offset in range(0, 6, 2):
        page = dev.describe(Filters=flt, Offset=offset, Limit=2)
        assert page["TotalCount"] == 5
        assert len(page["InstanceSet"]) == min(2, 5 - offset)
        seen += [i["InstanceId"] for i in page["InstanceSet"]]
    assert len(seen) == 5 and set(seen) == made
    assert dev.describe(Filters=flt, Offset=10, Limit=2)["InstanceSet"] == []
    # Without Limit: 20 by default; TotalCount counts every instance of the account.
    everything = dev.describe()
    assert len(everything["InstanceSet"]) == min(20, everything["TotalCount"]) and everything["TotalCount"] >= 5


def test_describe_errors(dev):
    iid = dev.create()[0]
    flt = [{"Name": "zone", "Values": ["ap-guangzhou-3"]}]
    assert dev.error("DescribeInstances", {"InstanceIds": [iid], "Filters": flt}) == "InvalidParameter.ParameterConflict"
    assert dev.error("DescribeInstances", {"Filters": [{"Name": "colour", "Values": ["red"]}]}) == "InvalidParameter.InvalidFilterNotSupportedName"
    assert dev.error("DescribeInstances", {"InstanceIds": ["lhins-12"]}) == "InvalidParameterValue.InstanceIdMalformed"
    r = dev.describe(InstanceIds=[iid, "lhins-zzzzzzzz"])
    assert [i["InstanceId"] for i in r["InstanceSet"]] == [iid] and r["TotalCount"] == 1


def test_create_key_pair_returns_the_private_key_once(dev):
    name = unique("k").replace("-", "_")
    kp = dev.call("CreateKeyPair", {"KeyName": name})["KeyPair"]
    assert KEY_ID.match(kp["KeyId"]) and kp["KeyName"] == name
    assert "PRIVATE KEY" in kp["PrivateKey"] and kp["PrivateKey"].strip().startswith("-----BEGIN")
    assert kp["PublicKey"].startswith(("ssh-ed25519 ", "ssh-rsa "))
    listed = dev.call("DescribeKeyPairs", {"KeyIds": [kp["KeyId"]]})
    assert listed["TotalCount"] == 1
    k = listed["KeyPairSet"][0]
    assert k.get("PrivateKey") is None and k["PublicKey"] == kp["PublicKey"] and k["KeyName"] == name
    everything = dev.call("DescribeKeyPairs", {"Limit": 100})["KeyPairSet"]
    assert all(k.get("PrivateKey") is None for k in everything)


def test_import_key_pairs(dev):
    # The fixed keys were made by ssh-keygen; the fresh ones by another library.
    ed = dev.call("ImportKeyPair", {"KeyName": unique("ed").replace("-", "_"), "PublicKey": ED25519_PUB})["KeyId"]
    rsa = dev.call("ImportKeyPair", {"KeyName": unique("rsa").replace("-", "_"), "PublicKey": RSA_PUB})["KeyId"]
    for kind in ("ed25519", "rsa"):
        pub = fresh_public_key(kind)
        kid = dev.call("ImportKeyPair", {"KeyName": unique(kind).replace("-", "_"), "PublicKey": pub})["KeyId"]
        assert dev.call("DescribeKeyPairs", {"KeyIds": [kid]})["KeyPairSet"][0]["PublicKey"].split()[:2] == pub.split()[:2]
    assert KEY_ID.match(ed) and KEY_ID.match(rsa) and ed != rsa
    listed = {k["KeyId"]: k for k in dev.call("DescribeKeyPairs", {"KeyIds": [ed, rsa]})["KeyPairSet"]}
    assert listed[ed]["PublicKey"].split()[:2] == ED25519_PUB.split()[:2]
    assert listed[rsa]["PublicKey"].split()[:2] == RSA_PUB.split()[:2]
    for garbage in ("not a key", "ssh-rsa AAAA", "ssh-ed25519 !!!notbase64!!!", ED25519_PUB.replace("AAAAC3", "AAAAB3")):
        code = dev.error("ImportKeyPair", {"KeyName": unique("bad").replace("-", "_"), "PublicKey": garbage})
        assert code == "InvalidParameterValue.KeyPairPublicKeyMalformed", (garbage, code)


def test_associate_and_delete(dev):
    key = dev.call("CreateKeyPair", {"KeyName": unique("assoc").replace("-", "_")})["KeyPair"]["KeyId"]
    iid = dev.running()[0]
    request_id = dev.call("AssociateInstancesKeyPairs", {"KeyIds": [key], "InstanceIds": [iid]})["RequestId"]
    done = dev.settled(iid)
    assert done["LatestOperation"] == "AssociateInstancesKeyPairs" and done["LatestOperationRequestId"] == request_id
    assert done["LoginSettings"]["KeyIds"] == [key]
    kp = dev.call("DescribeKeyPairs", {"KeyIds": [key]})["KeyPairSet"][0]
    assert kp["AssociatedInstanceIds"] == [iid]
    dev.call("DisassociateInstancesKeyPairs", {"KeyIds": [key], "InstanceIds": [iid]})
    assert dev.settled(iid)["LoginSettings"]["KeyIds"] == []
    dev.call("DeleteKeyPairs", {"KeyIds": [key]})
    assert dev.call("DescribeKeyPairs", {"KeyIds": [key]})["TotalCount"] == 0
    # A deleted key can no longer be used for a reinstall.
    code = dev.error("ResetInstance", {"InstanceId": iid, "BlueprintId": UBUNTU22, "LoginConfiguration": {"KeyIds": [key]}})
    assert code == "ResourceNotFound.KeyPairNotFound"
