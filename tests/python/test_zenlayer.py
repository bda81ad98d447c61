"""Zenlayer Cloud ZEC through the official Python SDK (zenlayercloud-sdk-python),
API versions 2025-09-01 and 2024-04-01 on /api/v2/zec and key pairs on
/api/v2/ccs: create instances in a subnet, stop, ResetInstance (seed 000)
with a new image and a password, with a key and with neither, REBUILDING
then RUNNING; RebootInstances (seed 002) in a batch with REBOOT visible and
the failed ids listed; release to the recycle bin and purge; every seed
error code from a realistic request; ZC2 signatures (raw, tampered,
replayed), bearer tokens; and another account's instances invisible."""
import json
import pathlib
import subprocess
import tempfile
import time

import pytest
import requests
from zenlayercloud.ccs.v20250901 import ccs_client, models as ccs_models
from zenlayercloud.common.config import Config
from zenlayercloud.common.credential import Credential, TokenCredential
from zenlayercloud.common.excpetion.zenlayer_cloud_sdk_exception import ZenlayerCloudSdkException
from zenlayercloud.zec.v20240401 import models as models24, zec_client as zec24
from zenlayercloud.zec.v20250901 import models as models25, zec_client as zec25

from harness import ROOT, Server, wait_until, zc2_headers

AK = "STRATUSDEVELOPMENTZENLAYER"
SK = "stratus-development-secret-key-zenlayer"
BOB_AK, BOB_SK = "BOBZENLAYER0001", "bob-zenlayer-secret"
TOKEN = "zl-token-alice-0001"

CATALOG = json.loads((ROOT / "catalog" / "zenlayer" / "zec.catalog.json").read_text())
SUBNETS = {s["region"]: s["id"] for s in CATALOG["zec"]["subnets"]}
ZONE, REGION = "asia-east-1a", "asia-east-1"
UBUNTU24, UBUNTU22, DEBIAN = "ubuntu2404_20240712", "ubuntu2204_20240712", "debian12_20240715"
BIG = "ubuntu2204nvidia_20240901"
WINDOWS = "windows2022_20240801"
PASSWORD = "Passw0rd!"

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINd0wI/591jHuefMUt7fRLKiZi9b2fNnACb0ke2YFmhn stratus-test"
RSA = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCkEmmVAXJP56Hiby+GL5uvikWEKld6yezZgvAk4ZeLY93+kejFocDAEeXF8Tn+"
       "NhBRzeSpm1S3zufXL5/u05XFowDKx/fFO9ju0nrdhUxO8+K3KdQReU7wM9eYEsgQIgHEo9la47wgaj0uuD8SiZ3NmalLEdpdXOIz"
       "Vr0f3bgZVgNgLiPgXAPV3CaLQUDplnxcJ4OQmnznh7zo7ZkvxG4tsXaG8nqLI21CO2ChdXMzijoSxKDi/Tb4WGP2kIepZqtOs9xVC"
       "wwgHfslJYJOsUn22oTys8EwY6kAhccVZtnNvVjMaMrkIj3g36nlJrfFinpa+oIJWYyxxXLsW1s8D5L7 stratus-test")
KEYS = {"2025": ED25519, "2024": RSA}


def fresh_public_key():
    """A new OpenSSH public key (each import needs its own: importing the
    same public key twice is refused)."""
    d = tempfile.mkdtemp(prefix="stratus-key-")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stratus-test", "-f", f"{d}/k"], check=True)
    return pathlib.Path(f"{d}/k.pub").read_text().strip()


@pytest.fixture(scope="module")
def server():
    s = Server(speed=200, config=f"""
[[accounts]]
name = "alice"
bearer_tokens = ["{TOKEN}"]
[[accounts]]
name = "bob"
zenlayer = {{ access_key_id = "{BOB_AK}", access_key_secret = "{BOB_SK}" }}
""")
    yield s
    s.stop()


class Zec:
    """The official SDK client of one API version, plus helpers."""

    def __init__(self, server, version, ak=AK, sk=SK, credential=None):
        self.server, self.version = server, version
        self.models = models25 if version == "2025" else models24
        module = zec25 if version == "2025" else zec24
        cfg = Config(scheme="http", domain=server.endpoint)
        self.sdk = module.ZecClient(credential or Credential(ak, sk), cfg)
        self.ccs = ccs_client.CcsClient(credential or Credential(ak, sk), cfg)

    def call(self, action, **params):
        """The response model of an SDK method."""
        request = getattr(self.models, f"{action}Request")()
        for k, v in params.items():
            setattr(request, k, v)
        return getattr(self.sdk, action)(request)

    def error(self, action, **params):
        """The SDK exception of a call that must fail."""
        with pytest.raises(ZenlayerCloudSdkException) as e:
            self.call(action, **params)
        return e.value

    def key_call(self, action, **params):
        """Key pairs: ccs in 2025; the 2024 SDK lists them under zec (and
        has no import there, so imports always go through ccs)."""
        if self.version == "2024" and action == "DescribeKeyPairs":
            return self.call(action, **params)
        request = getattr(ccs_models, f"{action}Request")()
        for k, v in params.items():
            setattr(request, k, v)
        return getattr(self.ccs, action)(request)

    def create(self, count=1, image=UBUNTU24, **extra):
        params = dict(zoneId=ZONE, imageId=image, instanceType="z2a.cpu.2", subnetId=SUBNETS[REGION],
                      instanceCount=count, password=PASSWORD)
        params.update(extra)
        ids = self.call("CreateZecInstances", **params).instanceIdSet
        assert len(ids) == count and all(len(i) == 19 and i.isdigit() for i in ids), ids
        return ids

    def instance(self, iid):
        found = self.call("DescribeInstances", instanceIds=[iid]).dataSet
        return found[0] if found else None

    def status(self, iid):
        found = self.call("DescribeInstancesStatus", instanceIds=[iid]).dataSet
        return found[0].instanceStatus if found else None

    def wait_status(self, iid, status):
        return wait_until(lambda: self.status(iid) == status, what=f"{iid} to be {status}")

    def running(self, count=1, **kw):
        ids = self.create(count=count, **kw)
        for iid in ids:
            self.wait_status(iid, "RUNNING")
        return ids

    def stopped(self, **kw):
        iid = self.running(**kw)[0]
        assert self.call("StopInstances", instanceIds=[iid]).instanceIds == []
        self.wait_status(iid, "STOPPED")
        return iid

    def logs_in(self, iid, password, account="alice"):
        status, body = self.server.admin(f"/_stratus/instances/{iid}?account={account}")
        assert status == 200, body
        status, ok = self.server.admin(f"/_stratus/instances/{iid}/login?account={account}", "POST",
                                       {"password": password})
        assert status == 200, ok
        return ok["ok"]


@pytest.fixture(scope="module", params=["2025", "2024"])
def zec(server, request):
    return Zec(server, request.param)


@pytest.fixture(scope="module")
def zec2025(server):
    return Zec(server, "2025")


# -- transport and signatures -------------------------------------------------

def signed_post(server, action, body, ak=AK, sk=SK, version="2025-09-01", service="zec", timestamp=None,
                tamper=None):
    """A hand-signed ZC2-HMAC-SHA256 request (spec §2); returns the response."""
    payload = body.encode()
    headers = zc2_headers(server.endpoint, action, payload, ak, sk, version, service, timestamp)
    if tamper:
        payload = tamper(payload)
    return requests.post(f"http://{server.endpoint}/api/v2/{service}", data=payload, headers=headers, timeout=10)


def test_a_signed_request_gets_the_envelope_and_may_be_replayed(server):
    first = signed_post(server, "DescribeInstancesStatus", '{"pageSize": 5}')
    again = requests.post(first.request.url, data=first.request.body, headers=first.request.headers, timeout=10)
    for r in (first, again):
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["requestId"].startswith("T") and body["requestId"] == body["response"]["requestId"]
        assert body["requestId"][1:] == body["requestId"][1:].upper() and len(body["requestId"]) == 37
        assert isinstance(body["response"]["totalCount"], int) and len(body["response"]["dataSet"]) <= 5


def test_a_tampered_or_stale_signature_is_refused_with_all_three_keys(server):
    for r in (signed_post(server, "DescribeInstancesStatus", '{"pageSize": 5}', tamper=lambda b: b.replace(b"5", b"6")),
              signed_post(server, "DescribeInstancesStatus", "{}", sk="wrong-secret"),
              signed_post(server, "DescribeInstancesStatus", "{}", timestamp=int(time.time()) - 3600)):
        assert r.status_code == 401, r.text
        body = r.json()
        assert set(body) == {"requestId", "code", "message"}
        assert body["code"] == "AUTHFAILURE_SIGNATURE_FAILURE"
    with pytest.raises(ZenlayerCloudSdkException) as e:
        Zec(server, "2025", sk="not-the-secret").call("DescribeZones")
    assert e.value.code == "AUTHFAILURE_SIGNATURE_FAILURE" and e.value.request_id.startswith("T")


def test_unknown_actions_and_versions(server):
    r = signed_post(server, "DescribeRegions", "{}", version="2024-04-01")
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_ACTION")
    r = signed_post(server, "DescribeZones", "{}", version="2019-01-01")
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_ACTION")


def test_bearer_tokens_of_an_account(server):
    z = Zec(server, "2025", credential=TokenCredential(TOKEN))
    assert z.call("DescribeInstancesStatus").totalCount >= 0
    bad = Zec(server, "2025", credential=TokenCredential("not-declared"))
    assert bad.error("DescribeInstancesStatus").code == "AUTHFAILURE_TOKEN_INVALID"


# -- offerings ----------------------------------------------------------------

def test_regions_zones_types_images_and_networks(zec):
    zones = {z.zoneId: z for z in zec.call("DescribeZones").zoneSet}
    assert {"asia-east-1a", "na-us-la-2a"} <= set(zones) and zones[ZONE].regionId == REGION
    quota = zec.call("DescribeZoneInstanceConfigInfos", zoneId=ZONE).instanceTypeQuotaSet
    one = next(q for q in quota if q.instanceType == "z2a.cpu.1")
    assert (one.cpuCount, one.memory, one.withStock) == (1, 2, True)
    images = zec.call("DescribeImages", zoneId=ZONE, pageSize=100)
    assert images.totalCount == len(images.dataSet) >= 8
    by_id = {i.imageId: i for i in images.dataSet}
    assert by_id[UBUNTU24].osType == "linux" and by_id[UBUNTU24].imageSize == "20"
    assert by_id[WINDOWS].osType == "windows" and by_id[WINDOWS].category == "Windows"
    windows = zec.call("DescribeImages", zoneId=ZONE, osType="windows").dataSet
    assert windows and all(i.osType == "windows" for i in windows)
    vpcs = zec.call("DescribeVpcs").dataSet
    assert len(vpcs) == 1 and vpcs[0].isDefault
    subnet = zec.call("DescribeSubnets", subnetIds=[SUBNETS[REGION]]).dataSet[0]
    assert (subnet.regionId, subnet.vpcId) == (REGION, vpcs[0].vpcId)
    if zec.version == "2025":
        assert REGION in {r.regionId for r in zec.call("DescribeRegions").regionSet}
        assert by_id[UBUNTU24].minDiskSize == 20 and by_id[UBUNTU24].tags.tags == []
    else:
        assert not hasattr(by_id[UBUNTU24], "minDiskSize")


# -- lifecycle and seed 000 ----------------------------------------------------

def test_create_in_a_subnet_and_describe_every_nested_field(zec):
    ids = zec.create(count=2, instanceName="web-[1,2]")
    assert zec.status(ids[0]) == "DEPLOYING"
    for iid in ids:
        zec.wait_status(iid, "RUNNING")
    page = zec.call("DescribeInstances", instanceIds=ids, pageSize=1, pageNum=2)
    assert page.totalCount == 2 and len(page.dataSet) == 1
    i = zec.instance(ids[0])
    assert i.instanceName in ("web-01", "web-02") and i.subnetId == SUBNETS[REGION] and i.zoneId == ZONE
    assert i.systemDisk.diskSize == 20 and i.dataDisks == [] and i.nics[0].vpcId
    assert (i.cpu, i.memory, i.instanceType) == (2, 4, "z2a.cpu.2")
    if zec.version == "2025":
        assert i.tags.tags == [] and i.instanceOptions.nestedVirtualization is False
    named = zec.call("DescribeInstances", name="web-0", status="RUNNING", zoneId=ZONE, pageSize=100)
    assert set(ids) <= {x.instanceId for x in named.dataSet}
    assert zec.call("DescribeInstances", instanceIds=["1234567890123456789"]).dataSet == []


def test_reset_with_a_new_image_and_a_password_goes_rebuilding_then_running(zec):
    iid = zec.stopped()
    zec.call("ResetInstance", instanceId=iid, imageId=DEBIAN, password="N3w(Pass)")
    assert zec.status(iid) == "REBUILDING"
    zec.wait_status(iid, "RUNNING")
    i = zec.instance(iid)
    assert i.imageId == DEBIAN and i.keyId is None
    assert zec.logs_in(iid, "N3w(Pass)") and not zec.logs_in(iid, PASSWORD)


def test_reset_with_a_key_and_with_neither(zec, server):
    key = zec.key_call("ImportKeyPair", keyName=f"k{zec.version}", publicKey=KEYS[zec.version],
                       keyDescription="laptop").keyId
    assert key.startswith("key-") and len(key) == 12
    listed = zec.key_call("DescribeKeyPairs", keyIds=[key]).dataSet[0]
    assert (listed.keyName, listed.keyDescription) == (f"k{zec.version}", "laptop")
    iid = zec.stopped()
    zec.call("ResetInstance", instanceId=iid, keyId=key)
    assert zec.status(iid) == "REBUILDING"
    zec.wait_status(iid, "RUNNING")
    assert zec.instance(iid).keyId == key
    assert zec.key_call("DescribeKeyPairs", keyName=f"k{zec.version}").totalCount == 1
    # Neither password nor key: a random password in the inbox.
    zec.call("StopInstances", instanceIds=[iid])
    zec.wait_status(iid, "STOPPED")
    zec.call("ResetInstance", instanceId=iid)
    zec.wait_status(iid, "RUNNING")
    mail = [m for m in server.messages("alice") if m["instance_id"] == iid]
    assert mail and zec.logs_in(iid, mail[-1]["password"])


def test_seed_000_error_codes(zec):
    iid = zec.stopped()
    cases = [
        (dict(instanceId="1234567890123456789", password=PASSWORD), 404, "INVALID_INSTANCE_NOT_FOUND"),
        (dict(instanceId=iid, imageId="ubuntu9999_00000000"), 404, "INVALID_IMAGE_NOT_FOUND"),
        (dict(instanceId=iid, password="password123"), 400, "INVALID_PARAMETER_VALUE_PASSWORD_MALFORMED"),
        (dict(instanceId=iid, password="Sh0rt!"), 400, "INVALID_PARAMETER_VALUE_PASSWORD_MALFORMED"),
        (dict(instanceId=iid, password="Passw0rd_"), 400, "INVALID_PARAMETER_VALUE_PASSWORD_MALFORMED"),
        (dict(instanceId=iid, password="Passw0rd!Passw0rd!"), 400, "INVALID_PARAMETER_VALUE_PASSWORD_MALFORMED"),
        (dict(instanceId=iid, imageId=BIG, password=PASSWORD), 400, "INVALID_IMAGE_SIZE_EXCEED"),
        (dict(instanceId=iid, imageId=WINDOWS, password=PASSWORD), 400, "INVALID_IMAGE_OS_TYPE_MISMATCH"),
        (dict(instanceId=iid, password=PASSWORD, keyId="key-abcdEF12"), 400, "INVALID_PARAMETER_PASSWORD_KEY_CONFLICT"),
    ]
    for params, status, code in cases:
        e = zec.error("ResetInstance", **params)
        assert (e.code, e.request_id[:1]) == (code, "T"), (params, e)
    assert zec.status(iid) == "STOPPED"
    # Only from STOPPED.
    zec.call("StartInstances", instanceIds=[iid])
    zec.wait_status(iid, "RUNNING")
    assert zec.error("ResetInstance", instanceId=iid, password=PASSWORD).code == "OPERATION_DENIED_INSTANCE_NOT_STOPPED"


def test_ssh_keys_are_refused_for_windows(zec2025):
    z = zec2025
    key = z.key_call("ImportKeyPair", keyName="winkey", publicKey=fresh_public_key()).keyId
    win = z.create(image=WINDOWS, systemDisk=models25.SystemDisk({"diskSize": 40}))[0]
    z.wait_status(win, "RUNNING")
    z.call("StopInstances", instanceIds=[win])
    z.wait_status(win, "STOPPED")
    assert z.error("ResetInstance", instanceId=win, keyId=key).code == "INVALID_KEY_PAIR_NOT_SUPPORTED_WINDOWS"
    z.call("ResetInstance", instanceId=win, imageId="windows2019_20240801", password="Win(2019)x")
    z.wait_status(win, "RUNNING")


# -- seed 002 ------------------------------------------------------------------

def test_batch_reboot_shows_reboot_then_running(zec):
    ids = zec.running(count=3)
    assert zec.call("RebootInstances", instanceIds=ids).instanceIds == []
    assert {zec.status(i) for i in ids} == {"REBOOT"}
    for iid in ids:
        zec.wait_status(iid, "RUNNING")


def test_reboot_batches_mixing_valid_and_invalid_instances(zec):
    running, stopped = zec.running()[0], zec.stopped()
    # A stopped instance fails; the running one reboots.
    assert zec.call("RebootInstances", instanceIds=[running, stopped]).instanceIds == [stopped]
    assert zec.status(running) == "REBOOT"
    zec.wait_status(running, "RUNNING")
    # Every instance refused: the request fails with the documented code.
    e = zec.error("RebootInstances", instanceIds=[stopped])
    assert e.code == "OPERATION_DENIED_INSTANCE_STATUS"
    # An unknown id fails the whole request and nothing reboots.
    e = zec.error("RebootInstances", instanceIds=[running, "1234567890123456789"])
    assert e.code == "INVALID_INSTANCE_NOT_FOUND"
    assert zec.status(running) == "RUNNING"
    assert zec.error("RebootInstances", instanceIds=[str(n) for n in range(101)]).code == "INVALID_PARAMETER"


def test_force_reboot_joins_a_restart_under_way(zec2025):
    iid = zec2025.running()[0]
    zec2025.call("RebootInstances", instanceIds=[iid])
    assert zec2025.error("RebootInstances", instanceIds=[iid]).code == "OPERATION_DENIED_INSTANCE_STATUS"
    assert zec2025.call("RebootInstances", instanceIds=[iid], forceReboot=True).instanceIds == []
    zec2025.wait_status(iid, "RUNNING")


def test_release_to_the_recycle_bin_then_purge(zec):
    iid = zec.running()[0]
    assert zec.call("ReleaseInstances", instanceIds=[iid]).instanceIds == []
    zec.wait_status(iid, "RECYCLE")
    assert zec.error("RebootInstances", instanceIds=[iid]).code == "OPERATION_DENIED_INSTANCE_RECYCLED"
    assert zec.error("ResetInstance", instanceId=iid, password=PASSWORD).code == "OPERATION_DENIED_INSTANCE_RECYCLED"
    assert zec.call("DescribeInstances", status="RECYCLE", pageSize=1000).totalCount >= 1
    zec.call("ReleaseInstances", instanceIds=[iid])
    wait_until(lambda: zec.instance(iid) is None, what=f"{iid} to be purged")
    assert zec.error("RebootInstances", instanceIds=[iid]).code == "INVALID_INSTANCE_NOT_FOUND"


def test_rename_and_reset_password(zec2025):
    iid = zec2025.running()[0]
    zec2025.call("ModifyInstancesAttribute", instanceIds=[iid], instanceName="renamed-1")
    assert zec2025.instance(iid).instanceName == "renamed-1"
    zec2025.call("ResetInstancePassword", instanceId=iid, password="An0ther!pw")
    wait_until(lambda: zec2025.logs_in(iid, "An0ther!pw"), what="the new password")


def test_another_accounts_instances_are_invisible(server, zec2025):
    iid = zec2025.running()[0]
    bob = Zec(server, "2025", BOB_AK, BOB_SK)
    assert bob.call("DescribeInstances", instanceIds=[iid]).dataSet == []
    assert bob.call("DescribeInstancesStatus").totalCount == 0
    assert bob.error("RebootInstances", instanceIds=[iid]).code == "INVALID_INSTANCE_NOT_FOUND"
    assert bob.error("ResetInstance", instanceId=iid).code == "INVALID_INSTANCE_NOT_FOUND"
    assert zec2025.status(iid) == "RUNNING"


# -- networks -------------------------------------------------------------------

def test_create_vpc_and_subnet_then_place_instances_in_it(server, zec2025):
    vpc = zec2025.call("CreateVpc", name="app-vpc", cidrBlock="10.20.0.0/16").vpcId
    assert len(vpc) == 19 and vpc.isdigit()
    bad = zec2025.error("CreateSubnet", vpcId=vpc, regionId=REGION, name="outside", cidrBlock="192.168.0.0/24")
    assert bad.code == "INVALID_PARAMETER", bad.code
    assert zec2025.error("CreateSubnet", vpcId="1111111111111111111", regionId=REGION, name="x",
                         cidrBlock="10.20.1.0/24").code == "INVALID_VPC_NOT_FOUND"
    subnet = zec2025.call("CreateSubnet", vpcId=vpc, regionId=REGION, name="app-a", cidrBlock="10.20.1.0/24").subnetId
    assert zec2025.error("CreateSubnet", vpcId=vpc, regionId=REGION, name="overlap",
                         cidrBlock="10.20.1.128/25").code == "INVALID_PARAMETER"
    listed = zec2025.call("DescribeSubnets", subnetIds=[subnet]).dataSet[0]
    assert (listed.vpcId, listed.regionId, listed.cidrBlock, listed.isDefault) == (vpc, REGION, "10.20.1.0/24", False)
    assert vpc in {v.vpcId for v in zec2025.call("DescribeVpcs", vpcIds=[vpc]).dataSet}
    iid = zec2025.running(subnetId=subnet)[0]
    assert zec2025.instance(iid).subnetId == subnet
    assert zec2025.call("DescribeSubnets", subnetIds=[subnet]).dataSet[0].usageIpv4Count == 1
    bob = Zec(server, "2025", BOB_AK, BOB_SK)
    assert bob.call("DescribeSubnets", subnetIds=[subnet]).dataSet == []
    assert bob.error("CreateZecInstances", zoneId=ZONE, imageId=UBUNTU24, instanceType="z2a.cpu.2",
                     subnetId=subnet, password=PASSWORD).code == "INVALID_SUBNET_NOT_FOUND"
