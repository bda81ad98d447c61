"""Kingsoft Cloud KEC (2016-03-04) and SKS (2015-11-01) through the official
Python SDK (kingsoftcloud-sdk-python), over POST and GET: run instances,
stop, ModifyInstanceImage (seed 004) with a password, with keys and with a
resized disk, the transitional states and then `active`, reboot, terminate,
every seed error code from a realistic request, signatures (SigV4 tampered,
expired, legacy `Signature`), and isolation between accounts.

What the tests run instances with is learned as a user learns it, through
the SDK: image ids by name (DescribeImages), each region's default subnets
and security group (the VPC service: DescribeVpcs, DescribeSubnets,
DescribeSecurityGroups). The VPC service itself: test_kingsoft_vpc.py."""
import datetime
import hashlib
import hmac
import json
import urllib.parse
import uuid

import pytest
import requests
from ksyun.client.kec.v20160304 import client as kec_client, models as kec_models
from ksyun.client.sks.v20151101 import client as sks_client, models as sks_models
from ksyun.client.vpc.v20160304 import client as vpc_client, models as vpc_models
from ksyun.common import credential
from ksyun.common.exception.ksyun_sdk_exception import KsyunSDKException
from ksyun.common.profile.client_profile import ClientProfile
from ksyun.common.profile.http_profile import HttpProfile
from requests_aws4auth import AWS4Auth

from harness import Server, wait_until

AK = "AKLTSTRATUSDEVELOPMENT0000000"
SK = "stratus-development-secret-key-kingsoft"
BOB_AK = "AKLTBOBKINGSOFT00000000"
BOB_SK = "bob-kingsoft-secret"
REGION = "cn-beijing-6"

# The images the tests use, by name; their ids are learned (`learned`).
IMAGE_NAMES = {
    "CENTOS": "CentOS-7.9 64位",
    "UBUNTU": "Ubuntu-22.04 64位",
    "ROCKY": "Rocky Linux-9.2 64位",
    "WINDOWS": "Windows Server 2019 数据中心版 64位中文版",
    "KYLIN": "Kylin V10 SP3 64位（国内）",
    "OVERSEAS": "Ubuntu-22.04 64位（海外）",
    "OFFLINE": "CentOS-8.5 64位",
    "GOLDEN": "web-golden",
    "ASSEMBLED": "web-with-data",
    "LOCAL": "local-centos",
    "ROLLBACK": "rollback-centos-7.6",
}
CENTOS = UBUNTU = ROCKY = WINDOWS = KYLIN = OVERSEAS = OFFLINE = GOLDEN = ASSEMBLED = LOCAL = ROLLBACK = None
# Zone -> default subnet id, region -> default security group id (`learned`).
SUBNETS, GROUPS = {}, {}

RSA_2048 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDqVYHGPtkl0eYuhqk6/cl/oqZpvDCYaSoh5EdYpWblX3KHLN7cRdUWn8/BKNf1mXWJ4iOEPe4nauXDUrRhvBx2KZyE4UjdjeEwx3NYmqhfRGLR4lnH1gfGlAlA+ime1IBvidoVJ07VNUWFABcapSUwDa7hGygN9oKTZ5cYfeWoqwI1GYj0GBP3RtMgP+eFIdyj6wGHbQIYHtEyiHyd2Vjzk+Lsppi2ykAf1Zd4B9o90Tp0qKVVGYFairTz0eDCKf1MZ5bfnAqGvb9ElzkrOocEeSrKlEF+yYvjuhdIw/WS40/XzHhfMq4NjxM/t03eJZ4lhsSnk7GOfKCAh7OzRXdf rsa2048"
RSA_3072 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDHfHkBd21BRjrkxkgR3OU2+6DHgbkwDKuPO733lOVFGflY5YgWqy+FAx6nVbb0STGZJ4BJIITAJmtKSh1G2+tHVAaxD+/gb8BeXedBfrKYDL8UFrhcmeEhrga6E78XIeLHVBvkTXTrq5R/EflRj2cxHFfFqNMO8dINjJdzfOfYIkOee1892MAwMaW0bj9ZTUPXpxum9FzShPb11REWRzA9uFNXGvGs1ov3VEMJrnx/rS5SfaAvsYWscY3E71lqhhJPAAv1PIk1oQ5BW7uq8D1pDl1vkK49i581fruVrH4CmtNn5TIUpI0qJb7CnI6a5L/n8y8QBNz0c0FqqJyF4HWWUIGgdbCq9WBqMoT6jo3zucLY07yRJKOTdsxoj1hZA9tM7OXWcGugpFMmljmPxNjGJfpEdNdZWmU/QF+eWPiamGH1E3MqQ1wya3LqqiamQnTvlfWKasJA5B7Q+1u4Yn35XyOr3kWXlix2uSjzQy6nddq7CuhfSUgiHO9chk7DipM= rsa3072"


def alice_and_bob():
    """A server whose first account, alice, holds the development
    credentials (and the catalog's custom images); bob has his own."""
    return Server(speed=100, config=f"""
[[accounts]]
name = "alice"
[[accounts]]
name = "bob"
kingsoft = {{ access_key = "{BOB_AK}", secret_key = "{BOB_SK}" }}
""")


@pytest.fixture(scope="module")
def server():
    s = alice_and_bob()
    yield s
    s.stop()


def kec(server, region=REGION, method="POST", ak=AK, sk=SK):
    hp = HttpProfile(endpoint=server.endpoint, protocol="http", reqMethod=method)
    return kec_client.KecClient(credential.Credential(ak, sk), region, ClientProfile(httpProfile=hp))


def sks(server, region=REGION, method="POST", ak=AK, sk=SK):
    hp = HttpProfile(endpoint=server.endpoint, protocol="http", reqMethod=method)
    return sks_client.SksClient(credential.Credential(ak, sk), region, ClientProfile(httpProfile=hp))


def vpc(server, region=REGION, method="POST", ak=AK, sk=SK):
    hp = HttpProfile(endpoint=server.endpoint, protocol="http", reqMethod=method)
    return vpc_client.VpcClient(credential.Credential(ak, sk), region, ClientProfile(httpProfile=hp))


def typed(c, action, **params):
    """One call through the action's typed request model and method."""
    models = vpc_models if isinstance(c, vpc_client.VpcClient) else kec_models
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    return json.loads(getattr(c, action)(request))


def learn(server, ak=AK, sk=SK):
    """What a user learns before RunInstances: image ids by name, and each
    region's default VPC, its subnet per zone and its security group."""
    k = kec(server, ak=ak, sk=sk)
    images = {i["Name"]: i["ImageId"] for i in typed(k, "DescribeImages")["ImagesSet"]}
    subnets, groups = {}, {}
    for region in (r["Region"] for r in typed(k, "DescribeRegions")["RegionSet"]):
        c = vpc(server, region, ak=ak, sk=sk)
        default = next(x["VpcId"] for x in typed(c, "DescribeVpcs")["VpcSet"] if x["IsDefault"])
        in_default = {"Filter": [{"Name": "vpc-id", "Value": [default]}]}
        subnets.update({s["AvailabilityZoneName"]: s["SubnetId"] for s in typed(c, "DescribeSubnets", **in_default)["SubnetSet"]})
        groups[region] = typed(c, "DescribeSecurityGroups", **in_default)["SecurityGroupSet"][0]["SecurityGroupId"]
    return images, subnets, groups


@pytest.fixture(scope="module", autouse=True)
def learned(server):
    images, subnets, groups = learn(server)
    globals().update({constant: images[name] for constant, name in IMAGE_NAMES.items()})
    SUBNETS.update(subnets)
    GROUPS.update(groups)


@pytest.fixture(scope="module")
def post(server):
    return kec(server)


@pytest.fixture(scope="module")
def get(server):
    return kec(server, method="GET")


def call(c, action, params):
    """Calls an action with the SDK's own flattening; returns the decoded body."""
    return json.loads(c.call(action, params))


def error(c, action, params):
    """The Kingsoft error of a refused call (the SDK raises ServerNetworkError
    with the body for any status but 200)."""
    with pytest.raises(KsyunSDKException) as e:
        c.call(action, params)
    assert e.value.code == "ServerNetworkError", e.value
    body = json.loads(e.value.message)
    assert body["RequestId"] and body["Error"]["Type"] in ("Sender", "Receiver")
    return body["Error"]["Code"]


def run(c, zone="cn-beijing-6a", image=None, itype="N3.2B", count=1, charge="HourlyInstantSettlement",
        password="Passw0rdTest", **extra):
    region = zone[:-1]
    params = {"ImageId": image or CENTOS, "InstanceType": itype, "MaxCount": count, "MinCount": count,
              "SubnetId": SUBNETS[zone], "ChargeType": charge, "SecurityGroupId": [GROUPS[region]]}
    if password:
        params["InstancePassword"] = password
    params.update(extra)
    return [i["InstanceId"] for i in call(c, "RunInstances", params)["InstancesSet"]]


def instance(c, iid):
    found = call(c, "DescribeInstances", {"InstanceId": [iid]})["InstancesSet"]
    return found[0] if found else None


def state(c, iid):
    i = instance(c, iid)
    return i["InstanceState"]["Name"] if i else None


def reach(c, iid, name):
    return wait_until(lambda: state(c, iid) == name, what=f"{iid} to be {name}")


def stopped(c, **kw):
    iid = run(c, **kw)[0]
    reach(c, iid, "active")
    call(c, "StopInstances", {"InstanceId": [iid]})
    reach(c, iid, "stopped")
    return iid


def test_regions_zones_and_images(server, post, get):
    regions = {r["Region"] for r in call(post, "DescribeRegions", {})["RegionSet"]}
    assert {"cn-beijing-6", "cn-shanghai-2", "ap-singapore-1"} <= regions
    zones = call(get, "DescribeAvailabilityZones", {})["AvailabilityZoneSet"]
    assert [z["AvailabilityZone"] for z in zones] == [f"cn-beijing-6{x}" for x in "abcde"]
    images = call(get, "DescribeImages", {})["ImagesSet"]
    by_id = {i["ImageId"]: i for i in images}
    assert by_id[CENTOS]["Type"] == "CommonImage" and by_id[CENTOS]["ImageState"] == "active"
    assert by_id[WINDOWS]["OsType"] == "windows" and by_id[WINDOWS]["SysDisk"] == 50
    assert by_id[GOLDEN]["Type"] == "CustomImage" and not by_id[GOLDEN]["IsPublic"]
    assert [s["Type"] for s in by_id[ASSEMBLED]["SnapshotSet"]] == ["system", "data"]
    assert by_id[LOCAL]["AvailabilityZone"] == "cn-beijing-6a"
    only = call(post, "DescribeImages", {"ImageId": ROCKY})["ImagesSet"]
    assert [i["Name"] for i in only] == ["Rocky Linux-9.2 64位"]
    custom = call(post, "DescribeImages", {"ImageType": "non-system"})["ImagesSet"]
    assert {i["ImageId"] for i in custom} == {GOLDEN, ASSEMBLED, LOCAL, ROLLBACK}
    # The typed SDK methods too.
    assert json.loads(post.DescribeRegions(kec_models.DescribeRegionsRequest()))["RegionSet"]


def test_lifecycle_over_post_with_password(server, post):
    iid = run(post, InstanceName="web", HostName="web-01")[0]
    assert state(post, iid) == "building"
    reach(post, iid, "active")
    item = instance(post, iid)
    assert item["InstanceName"] == "web" and item["HostName"] == "web-01"
    assert item["SubnetId"] == SUBNETS["cn-beijing-6a"] and item["AvailabilityZone"] == "cn-beijing-6a"
    assert item["NetworkInterfaceSet"][0]["SecurityGroupSet"] == [{"SecurityGroupId": GROUPS[REGION]}]
    assert item["SystemDisk"] == {"DiskType": "SSD3.0", "DiskSize": 20}
    assert item["InstanceConfigure"]["VCPU"] == 2 and item["InstanceConfigure"]["MemoryGb"] == 4
    stop = call(post, "StopInstances", {"InstanceId": [iid]})
    assert stop["InstancesSet"] == [{"InstanceId": iid, "Return": True, "Messgae": ""}]
    assert state(post, iid) in ("stopping", "stopped")
    reach(post, iid, "stopped")

    req = kec_models.ModifyInstanceImageRequest()
    req.InstanceId = iid
    req.ImageId = UBUNTU
    req.InstancePassword = "NewPassw0rd"
    assert json.loads(post.ModifyInstanceImage(req))["Return"] is True
    assert state(post, iid) == "overriding"
    reach(post, iid, "active")
    assert instance(post, iid)["ImageId"] == UBUNTU
    assert server.admin(f"/_stratus/instances/{iid}/login?account=alice", "POST", {"password": "NewPassw0rd"})[1]["ok"]
    assert not server.admin(f"/_stratus/instances/{iid}/login?account=alice", "POST", {"password": "Passw0rdTest"})[1]["ok"]

    reboot = kec_models.RebootInstancesRequest()
    reboot.InstanceId = [iid]
    reboot.ForceReboot = True
    assert json.loads(post.RebootInstances(reboot))["InstancesSet"][0]["Return"] is True
    assert state(post, iid) == "rebooting"
    reach(post, iid, "active")
    call(post, "TerminateInstances", {"InstanceId": [iid]})
    assert state(post, iid) in ("deleting", None)
    wait_until(lambda: instance(post, iid) is None, what="the instance to be gone")
    assert call(post, "DescribeInstances", {"InstanceId": [iid]})["InstanceCount"] == 0


def test_lifecycle_over_get_with_keys(server, get):
    keys = sks(server, method="GET")
    created = call(keys, "CreateKey", {"KeyName": "get-key"})
    key_id = created["Key"]["KeyId"]
    assert created["PrivateKey"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert created["Key"]["PublicKey"].split(" ")[0] == "ssh-ed25519"
    iid = run(get, image=UBUNTU)[0]
    reach(get, iid, "active")
    call(get, "StopInstances", {"InstanceId": [iid], "StoppedMode": "StopCharging"})
    reach(get, iid, "stopped")
    assert call(get, "ModifyInstanceImage", {"InstanceId": iid, "KeyId": [key_id]})["Return"] is True
    assert state(get, iid) == "overriding"
    reach(get, iid, "active")
    assert instance(get, iid)["KeyId"] == [key_id]
    assert server.admin(f"/_stratus/instances/{iid}?account=alice")[1]["key_ids"] == [key_id]
    # A bound key cannot be deleted; once the instance is gone it can.
    assert error(sks(server), "DeleteKey", {"KeyId": key_id}) == "InvalidParameterValue"
    call(get, "TerminateInstances", {"InstanceId": [iid]})
    wait_until(lambda: instance(get, iid) is None, what="the instance to be gone")
    assert call(keys, "DeleteKey", {"KeyId": key_id})["Return"] is True


def test_reinstall_resizes_and_changes_the_system_disk(server, post):
    iid = stopped(post, HostName="winready")
    # The SDK model spells SystemDisk.DiskSize as SystemDisk_DiskSize.
    req = kec_models.ModifyInstanceImageRequest()
    req.from_json_string(json.dumps({"InstanceId": iid, "ImageId": WINDOWS, "SystemDisk.DiskSize": 60,
                                     "SystemDisk.DiskType": "EHDD", "InstancePassword": "Windows2019Pass"}))
    assert req.SystemDisk_DiskSize == 60
    assert json.loads(post.ModifyInstanceImage(req))["Return"] is True
    reach(post, iid, "active")
    item = instance(post, iid)
    assert item["SystemDisk"] == {"DiskType": "EHDD", "DiskSize": 60}
    assert item["Platform"] == "windows" and item["InstanceConfigure"]["RootDiskGb"] == 60
    inside = server.admin(f"/_stratus/instances/{iid}?account=alice")[1]
    assert inside["system_disk"]["size_gb"] == 60 and inside["system_disk"]["generation"] == 2
    # Reinstalling the current image: ImageId omitted, online resize.
    call(post, "StopInstances", {"InstanceId": [iid]})
    reach(post, iid, "stopped")
    call(post, "ModifyInstanceImage", {"InstanceId": iid, "InstancePassword": "Windows2019Pass",
                                       "SystemDisk": {"DiskSize": 80, "ResizeType": "online"}})
    reach(post, iid, "active")
    assert instance(post, iid)["SystemDisk"]["DiskSize"] == 80 and instance(post, iid)["ImageId"] == WINDOWS


def test_keep_image_login_uses_the_custom_image_login(server, post):
    iid = stopped(post)
    call(post, "ModifyInstanceImage", {"InstanceId": iid, "ImageId": GOLDEN, "KeepImageLogin": True,
                                       "InstancePassword": "IgnoredPass1"})
    reach(post, iid, "active")
    login = f"/_stratus/instances/{iid}/login?account=alice"
    assert server.admin(login, "POST", {"password": "Golden1Image"})[1]["ok"]
    assert not server.admin(login, "POST", {"password": "IgnoredPass1"})[1]["ok"]
    # On a public image KeepImageLogin does not apply.
    call(post, "StopInstances", {"InstanceId": [iid]})
    reach(post, iid, "stopped")
    assert error(post, "ModifyInstanceImage", {"InstanceId": iid, "ImageId": CENTOS, "KeepImageLogin": "TRUE"}) == "InvalidParameterValue"


def test_describe_filters_and_paging(server, post, get):
    ids = run(post, count=3, InstanceName="pager", InstanceNameSuffix="1")
    for iid in ids:
        reach(post, iid, "active")
    names = sorted(instance(post, i)["InstanceName"] for i in ids)
    assert names == ["pager-1", "pager-2", "pager-3"]
    by_name = {"Filter": [{"Name": "instance-name", "Value": ["pager"]}]}
    first = call(get, "DescribeInstances", {**by_name, "MaxResults": 5})
    assert first["InstanceCount"] == 3 and len(first["InstancesSet"]) == 3
    page = call(post, "DescribeInstances", {**by_name, "MaxResults": 5, "Marker": 2})
    assert len(page["InstancesSet"]) == 1 and page["Marker"] == 2
    # 1-based indexes (JavaSDK, terraform) and the GoSDK's Filter.N.Name.M.
    one_based = call(post, "DescribeInstances", {"InstanceId": {"1": ids[0], "2": ids[1]}})
    assert {i["InstanceId"] for i in one_based["InstancesSet"]} == set(ids[:2])
    go_style = call(post, "DescribeInstances", {"Filter": {"0": {"Name": {"0": "instance-state.name"}, "Value": {"0": "active"}}},
                                                "InstanceId": ids})
    assert go_style["InstanceCount"] == 3
    stopped_only = call(post, "DescribeInstances", {"Filter": [{"Name": "instance-state.name", "Value": ["stopped"]}], "InstanceId": ids})
    assert stopped_only["InstanceCount"] == 0
    assert call(post, "DescribeInstances", {"Filter": [{"Name": "availability-zone-name", "Value": ["cn-beijing-6b"]}], "InstanceId": ids})["InstanceCount"] == 0
    assert error(post, "DescribeInstances", {"MaxResults": 2}) == "InvalidParameterValue"
    assert error(post, "DescribeInstances", {"Filter": [{"Name": "colour", "Value": ["x"]}]}) == "InvalidParameterValue"
    call(post, "TerminateInstances", {"InstanceId": ids})


def test_seed_004_error_codes(server, post):
    def modify(iid, **params):
        return error(post, "ModifyInstanceImage", {"InstanceId": iid, **params})

    pw = {"InstancePassword": "Passw0rdTest"}
    assert modify(str(uuid.uuid4()), **pw) == "InstanceNotFound"
    assert modify("i-not-a-uuid", **pw) == "InstanceIdInvalid"
    assert error(post, "ModifyInstanceImage", pw) == "InstanceIdRequired"

    active = run(post)[0]
    reach(post, active, "active")
    assert modify(active, **pw) == "InstanceStateNotSupported"

    iid = stopped(post)
    assert modify(iid, ImageId="IMG-not-an-image", **pw) == "ImageIdInvalidParameterValue"
    assert modify(iid, ImageId=str(uuid.uuid4()), **pw) == "ImageIdInvalidParameterValue"
    assert modify(iid, ImageId=OFFLINE, **pw) == "ImageIdInvalidParameterValue"
    assert modify(iid, SystemDisk={"DiskSize": 10}, **pw) == "RootDiskGbInvalidParameterValue"
    assert modify(iid, SystemDisk={"DiskSize": 1000}, **pw) == "RootDiskGbInvalidParameterValue"
    assert modify(iid, ImageId=WINDOWS, **pw) == "RootDiskGbInvalidParameterValue"  # 50 GB image, 20 GB disk
    assert modify(iid, KeyId=[str(uuid.uuid4())]) == "KeyIdInvalidParameterValue"
    assert modify(iid, KeyId=["not-a-key"]) == "KeyIdInvalidParameterValue"
    assert modify(iid, KeyId=[str(uuid.uuid4()) for _ in range(11)]) == "InvalidParameter.InstanceKeyLimitExceeded"
    assert modify(iid, ImageId=ASSEMBLED, **pw) == "AssembledImageNotSupportReinstallSystem"
    assert modify(iid, ImageId=ROLLBACK, **pw) == "LocalVolumeRollBackImageTypeMismatching"
    assert modify(iid, ImageId=OVERSEAS, **pw) == "ImageTypeMismatchingForeign"
    assert modify(iid, UserData="not base64!", **pw) == "InvalidParameterValue"
    assert modify(iid, InstancePassword="password") == "InvalidParameterValue"
    assert modify(iid, SystemDisk={"ResizeType": "sideways"}, **pw) == "InvalidParameterValue"
    assert modify(iid) == "MissingParameter"

    keys = sks(server)
    rsa3072 = call(keys, "ImportKey", {"KeyName": "rsa3072", "PublicKey": RSA_3072})["Key"]["KeyId"]
    rsa2048 = call(keys, "ImportKey", {"KeyName": "rsa2048", "PublicKey": RSA_2048})["Key"]["KeyId"]
    ed25519 = call(keys, "CreateKey", {"KeyName": "ed"})["Key"]["KeyId"]
    assert modify(iid, ImageId=WINDOWS, SystemDisk={"DiskSize": 50}, KeyId=[rsa2048]) == "ImageTypeNotSupportedKeyLogin"
    assert modify(iid, ImageId=ROCKY, KeyId=[rsa3072]) == "RockyLinuxOnlySupport2048ForRsaKey"
    assert modify(iid, ImageId=ROCKY, KeyId=[ed25519]) == "RockyLinuxOnlySupport2048ForRsaKey"
    assert call(post, "ModifyInstanceImage", {"InstanceId": iid, "ImageId": ROCKY, "KeyId": [rsa2048]})["Return"]
    reach(post, iid, "active")

    # Local images: only in their zone, only on SSD3.0 system disks.
    other_zone = stopped(post, zone="cn-beijing-6b")
    assert modify(other_zone, ImageId=LOCAL, **pw) == "ImageHaveInvalidZone"
    ehdd = stopped(post, **{"SystemDisk": {"DiskType": "EHDD"}})
    assert modify(ehdd, ImageId=LOCAL, **pw) == "LocalImageOnlySupportSSD3ForModifyImage"
    ssd = stopped(post)
    assert call(post, "ModifyInstanceImage", {"InstanceId": ssd, "ImageId": LOCAL, **pw})["Return"]

    # A size on a reinstall only for N2/N3; spot instances cannot reinstall.
    s6 = stopped(post, itype="S6.2B")
    assert modify(s6, SystemDisk={"DiskSize": 40}, **pw) == "RootDiskGbInvalidParameterValue"
    spot = stopped(post, charge="Spot")
    assert modify(spot, **pw) == "OperationDenied.SpotInstance"

    # A Linux host name that Windows cannot take.
    named = stopped(post, HostName="web-01.example.internal")
    assert modify(named, ImageId=WINDOWS, SystemDisk={"DiskSize": 50}, **pw) == "HostNameInvalidParameterValue"

    # Overseas data centres take overseas images only.
    sg = kec(server, region="ap-singapore-1")
    abroad = stopped(sg, zone="ap-singapore-1a", image=OVERSEAS)
    assert error(sg, "ModifyInstanceImage", {"InstanceId": abroad, "ImageId": KYLIN, **pw}) == "ImageTypeMismatchingForeign"

    # Sold out: a whole zone, or SSD3.0 system disks in cn-shanghai-2b.
    assert error(post, "RunInstances", {"ImageId": CENTOS, "InstanceType": "N3.2B", "MaxCount": 1, "MinCount": 1,
                                        "SubnetId": SUBNETS["cn-beijing-6e"], "ChargeType": "Daily",
                                        "SecurityGroupId": [GROUPS[REGION]], **pw}) == "ProductSellOutInvalid"
    sh = kec(server, region="cn-shanghai-2")
    on_ehdd = stopped(sh, zone="cn-shanghai-2b", **{"SystemDisk": {"DiskType": "EHDD"}})
    assert error(sh, "ModifyInstanceImage", {"InstanceId": on_ehdd, "SystemDisk": {"DiskType": "SSD3.0"}, **pw}) == "ProductSellOutInvalid"
    assert call(sh, "ModifyInstanceImage", {"InstanceId": on_ehdd, **pw})["Return"]

    # A back-end failure, injected: ServiceUnavailable, then it works again.
    status, _ = server.admin("/_stratus/faults", "PUT", [{"product": "kec", "action": "ModifyInstanceImage", "remaining": 1,
                                                          "message": "I/O error on POST request: connect timed out"}])
    assert status == 200
    fresh = stopped(post)
    assert modify(fresh, **pw) == "ServiceUnavailable"
    assert call(post, "ModifyInstanceImage", {"InstanceId": fresh, **pw})["Return"]
    server.admin("/_stratus/faults", "DELETE")


def signed(server, params, method="POST", ak=AK, sk=SK, region=REGION, service="kec", headers=None):
    """A request signed by requests-aws4auth, as the SDK signs it."""
    body = urllib.parse.urlencode(params)
    hdrs = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", **(headers or {})}
    url = f"http://{server.endpoint}/"
    if method == "GET":
        return requests.Request("GET", f"{url}?{body}", headers=hdrs, auth=AWS4Auth(ak, sk, region, service)).prepare()
    return requests.Request("POST", url, data=body, headers=hdrs, auth=AWS4Auth(ak, sk, region, service)).prepare()


def send(prepared):
    r = requests.Session().send(prepared, timeout=10)
    return r.status_code, r.json()


def test_signatures(server, post):
    describe = {"Action": "DescribeInstances", "Version": "2016-03-04"}
    assert send(signed(server, describe))[0] == 200
    assert send(signed(server, describe, method="GET"))[0] == 200
    tampered = signed(server, describe)
    tampered.headers["Authorization"] = tampered.headers["Authorization"][:-4] + "0000"
    status, body = send(tampered)
    assert status == 403 and body["Error"]["Code"] == "SignatureDoesNotMatch" and body["Error"]["Type"] == "Sender"
    changed = signed(server, describe)
    changed.body = (changed.body if isinstance(changed.body, bytes) else changed.body.encode()) + b"&MaxResults=5"
    changed.headers["Content-Length"] = str(len(changed.body))
    assert send(changed)[1]["Error"]["Code"] == "SignatureDoesNotMatch"
    assert send(signed(server, describe, sk="wrong"))[1]["Error"]["Code"] == "SignatureDoesNotMatch"
    status, body = send(signed(server, describe, ak="AKLTUNKNOWN"))
    assert status == 403 and body["Error"]["Code"] == "InvalidAccessKeyId"
    assert send(signed(server, describe, service="sks"))[1]["Error"]["Code"] == "SignatureDoesNotMatch"
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    expired = signed(server, describe)
    auth = AWS4Auth(AK, SK, REGION, "kec", date=old.strftime("%Y%m%d"))
    expired.headers.pop("Authorization")
    expired.headers["x-amz-date"] = old.strftime("%Y%m%dT%H%M%SZ")
    expired = auth(expired)
    assert send(expired)[1]["Error"]["Code"] == "RequestExpired"
    status, body = send(requests.Request("POST", f"http://{server.endpoint}/", data=urllib.parse.urlencode(describe),
                                         headers={"Content-Type": "application/x-www-form-urlencoded"}).prepare())
    assert status == 403 and body["Error"]["Code"] == "MissingAuthenticationToken"
    # kscore: Action and Version in X-Action / X-Version headers, GET.
    assert send(signed(server, {}, method="GET", headers={"X-Action": "DescribeRegions", "X-Version": "2016-03-04"}))[0] == 200
    assert send(signed(server, {"Action": "DescribeImages", "Version": "2019-01-01"}))[1]["Error"]["Code"] == "InvalidAction"
    # The SDK sees a tampered signature as a refusal too.
    wrong = kec(server, sk="not-the-secret")
    assert error(wrong, "DescribeInstances", {}) == "SignatureDoesNotMatch"


def test_legacy_signature_and_go_sdk_version(server, post):
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"Accesskey": AK, "Timestamp": ts, "SignatureVersion": "1.0", "SignatureMethod": "HMAC-SHA256",
              "Region": REGION, "Service": "kec", "Action": "DescribeRegions", "Version": "2016-03-04"}
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")
    source = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted((enc(k), v) for k, v in params.items()))
    params["Signature"] = hmac.new(SK.encode(), source.encode(), hashlib.sha256).hexdigest()
    r = requests.get(f"http://{server.endpoint}/", params=params, timeout=10)
    assert r.status_code == 200 and r.json()["RegionSet"]
    params["Signature"] = "0" * 64
    r = requests.get(f"http://{server.endpoint}/", params=params, timeout=10)
    assert r.status_code == 403 and r.json()["Error"]["Code"] == "SignatureDoesNotMatch"
    # An old GoSDK is refused for ModifyInstanceImage (seed 004).
    iid = stopped(post)
    old_go = signed(server, {"Action": "ModifyInstanceImage", "Version": "2016-03-04", "InstanceId": iid,
                             "InstancePassword": "Passw0rdTest"}, headers={"User-Agent": "ksyun-sdk-go/0.1.20 (linux)"})
    assert send(old_go)[1]["Error"]["Code"] == "GoSDKVersionInvalid"
    new_go = signed(server, {"Action": "ModifyInstanceImage", "Version": "2016-03-04", "InstanceId": iid,
                             "InstancePassword": "Passw0rdTest"}, headers={"User-Agent": "ksyun-sdk-go/2.2.122 (linux)"})
    assert send(new_go)[1]["Return"] is True


def test_run_instances_rules(server, post):
    base = {"ImageId": CENTOS, "InstanceType": "N3.2B", "MaxCount": 1, "MinCount": 1, "SubnetId": SUBNETS["cn-beijing-6a"],
            "ChargeType": "Daily", "SecurityGroupId": [GROUPS[REGION]], "InstancePassword": "Passw0rdTest"}
    assert error(post, "RunInstances", {**base, "ImageId": OVERSEAS}) == "ImageTypeMismatchingForeign"
    assert error(post, "RunInstances", {**base, "SubnetId": SUBNETS["cn-shanghai-2a"]}) == "InvalidParameterValue"
    assert error(post, "RunInstances", {**base, "InstanceType": "N2.2B"}) == "ProductSellOutInvalid"
    assert error(post, "RunInstances", {**base, "HostName": "-bad-"}) == "HostNameInvalidParameterValue"
    assert error(post, "RunInstances", {**base, "SystemDisk": {"DiskType": "Local_SSD"}}) == "InvalidParameterValue"
    assert error(post, "RunInstances", {**base, "DataDisk": [{"Type": "FLOPPY", "Size": 20}]}) == "InvalidParameterValue"
    with_data = run(post, DataDisk=[{"Type": "EHDD", "Size": 20, "DeleteWithInstance": True}])[0]
    assert [(d["DiskType"], d["DiskSize"]) for d in instance(post, with_data)["DataDisks"]] == [("EHDD", 20)]
    assert error(post, "RunInstances", {**base, "ChargeType": "Monthly"}) == "InvalidParameterValue"
    assert error(post, "RunInstances", {k: v for k, v in base.items() if k != "SubnetId"}) == "MissingParameter"
    assert error(post, "RunInstances", {**base, "Bogus": 1}) == "InvalidParameter"
    monthly = run(post, charge="Monthly", PurchaseTime=3, itype="I1.2B")[0]
    reach(post, monthly, "active")
    item = instance(post, monthly)
    assert item["ChargeType"] == "Monthly" and item["SystemDisk"]["DiskType"] == "Local_SSD"
    # Without any login setting the password is generated and delivered by message.
    quiet = run(post, password=None)[0]
    assert any(m["instance_id"] == quiet for m in server.messages("alice"))
    # The state rules of the batch actions.
    assert error(post, "StartInstances", {"InstanceId": [monthly]}) == "InstanceStateNotSupported"
    call(post, "StopInstances", {"InstanceId": [monthly]})
    reach(post, monthly, "stopped")
    assert error(post, "RebootInstances", {"InstanceId": [monthly]}) == "InstanceStateNotSupportedReboot"
    call(post, "StartInstances", {"InstanceId": [monthly]})
    assert state(post, monthly) in ("starting", "active")
    reach(post, monthly, "active")
    assert error(post, "StopInstances", {"InstanceId": [str(uuid.uuid4())]}) == "InstanceNotFound"
    assert error(post, "StopInstances", {}) == "InstanceIdRequired"
    assert error(post, "StopInstances", {"InstanceId": [str(uuid.uuid4()) for _ in range(101)]}) == "InstanceIdLimitExceeded"


def test_keys(server):
    keys = sks(server)
    made = [call(keys, "CreateKey", {"KeyName": f"page-{n}"})["Key"]["KeyId"] for n in range(3)]
    listing = call(keys, "DescribeKeys", {"Filter": [{"Name": "key-name", "Value": ["page-0", "page-1", "page-2"]}], "MaxResults": 2})
    assert listing["TotalCount"] == 3 and len(listing["KeySet"]) == 2 and listing["NextToken"] == "3"
    rest = call(keys, "DescribeKeys", {"Filter": [{"Name": "key-name", "Value": ["page-0", "page-1", "page-2"]}], "MaxResults": 2, "NextToken": 3})
    assert len(rest["KeySet"]) == 1 and "NextToken" not in rest
    by_id = call(keys, "DescribeKeys", {"KeyId": [made[1]]})["KeySet"]
    assert [k["KeyName"] for k in by_id] == ["page-1"]
    assert error(keys, "CreateKey", {"KeyName": "page-0"}) == "InvalidParameterValue"
    assert error(keys, "ImportKey", {"KeyName": "junk", "PublicKey": "ssh-rsa AAAA"}) == "InvalidParameterValue"
    # The typed request, with the SDK's lower-case projectId.
    req = sks_models.CreateKeyRequest()
    req.KeyName = "typed"
    req.projectId = 0
    assert json.loads(keys.CreateKey(req))["Key"]["KeyName"] == "typed"
    for k in made:
        assert call(keys, "DeleteKey", {"KeyId": k})["Return"] is True
    assert error(keys, "DeleteKey", {"KeyId": made[0]}) == "KeyIdInvalidParameterValue"


def test_another_account_sees_nothing(server, post):
    iid = run(post)[0]
    bob = kec(server, ak=BOB_AK, sk=BOB_SK)
    assert call(bob, "DescribeInstances", {"InstanceId": [iid]})["InstanceCount"] == 0
    assert iid not in [i["InstanceId"] for i in call(bob, "DescribeInstances", {"MaxResults": 1000})["InstancesSet"]]
    assert error(bob, "ModifyInstanceImage", {"InstanceId": iid, "InstancePassword": "Passw0rdTest"}) == "InstanceNotFound"
    assert error(bob, "TerminateInstances", {"InstanceId": [iid]}) == "InstanceNotFound"
    bob_images = {i["ImageId"] for i in call(bob, "DescribeImages", {})["ImagesSet"]}
    assert CENTOS in bob_images and GOLDEN not in bob_images
    assert call(sks(server, ak=BOB_AK, sk=BOB_SK), "DescribeKeys", {})["KeySet"] == []
    # Instances of one region are not listed in another.
    assert call(kec(server, region="cn-shanghai-2"), "DescribeInstances", {"InstanceId": [iid]})["InstanceCount"] == 0
