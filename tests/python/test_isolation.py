"""Tenant isolation in every dialect (issue 6, item 2).

One server declares two accounts, alice and bob, each with credentials for
Tencent, Zenlayer and Kingsoft. Alice creates one of each resource in every
product: an instance (named and tagged), an imported key pair, and on ZEC a
VPC with a subnet, on KEC a VPC with a subnet and a security group (her KEC
instance runs in them); she also owns the catalog's private images (the
first declared account does: `@first` in the catalog). Bob has resources of
his own, so that a request can name his instance with her key or image.
KEC instances are run in the region's default subnet and security group,
learned as a user learns them (DescribeSubnets, DescribeSecurityGroups).

`CASES` lists, per dialect, every action that takes a resource id. Each is
sent as bob twice: naming alice's resource, and naming an id of the same
shape that never existed. The two answers must be the same (HTTP status,
vendor code, and the whole body once request ids and the probed id are set
aside) and must be the vendor's not-found answer (`expect`), or for a
listing an empty success; alice's and bob's resources are unchanged after
every case. Batches that mix one of alice's ids with bob's own refuse as
for an unknown id and start nothing on either.

Beside the table: bob's unfiltered listings never show alice's resources;
private images are seen by their owner only while public catalog entries
(regions, zones, bundles, instance types, public images) are the same for
both; key names, public keys and idempotency tokens are per account.

The requests are signed here by hand (TC3, legacy HmacSHA256, ZC2, SigV4):
the official clients hide the HTTP status and the raw body, which is what
is compared. A later front joins by adding its signer to `DIALECTS`, its
resources to `World.build` and `World.views`, and its rows to `CASES`.
Snapshots have no vendor actions in any dialect (only the admin API takes
them), so the table has none.
"""
import base64
import hashlib
import hmac
import itertools
import json
import random
import re
import string
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, Optional

import pytest
import requests
from requests_aws4auth import AWS4Auth

from conftest import fresh_public_key, tc3_raw
from harness import ROOT, Server, wait_until, zc2_headers

# -- accounts -------------------------------------------------------------------

CREDENTIALS = {
    "alice": {
        "tencent": ("AKIDALICEISO0000000000000000000000000", "alice-tencent-secret"),
        "zenlayer": ("ALICEZENLAYERISO01", "alice-zenlayer-secret"),
        "kingsoft": ("AKLTALICEISO000000000001", "alice-kingsoft-secret"),
    },
    "bob": {
        "tencent": ("AKIDBOBISO000000000000000000000000000", "bob-tencent-secret"),
        "zenlayer": ("BOBZENLAYERISO01", "bob-zenlayer-secret"),
        "kingsoft": ("AKLTBOBISO00000000000001", "bob-kingsoft-secret"),
    },
}
CONFIG = "".join(f"""
[[accounts]]
name = "{name}"
tencent = {{ secret_id = "{c['tencent'][0]}", secret_key = "{c['tencent'][1]}" }}
zenlayer = {{ access_key_id = "{c['zenlayer'][0]}", access_key_secret = "{c['zenlayer'][1]}" }}
kingsoft = {{ access_key = "{c['kingsoft'][0]}", secret_key = "{c['kingsoft'][1]}" }}
""" for name, c in CREDENTIALS.items())

# -- catalog facts ----------------------------------------------------------------

LH_CENTOS, LH_UBUNTU = "lhbp-c76k3m2a", "lhbp-u22h6n4c"
CVM_LINUX, CVM_UBUNTU, CVM_ZONE = "img-l8og963d", "img-487zeit5", "ap-guangzhou-3"
ZEC_ZONE, ZEC_REGION, ZEC_UBUNTU = "asia-east-1a", "asia-east-1", "ubuntu2404_20240712"
KEC_REGION, KEC_ZONE = "cn-beijing-6", "cn-beijing-6a"
PASSWORD = "Passw0rd!Iso"


def _catalog(path):
    return json.loads((ROOT / "catalog" / path).read_text())


def _owned_images(catalog):
    """Ids of the catalog's private images (owned by the first account)."""
    return {i["id"] for i in catalog["images"] if i.get("owner")}


CVM_CATALOG = _catalog("tencent/cvm.catalog.json")
KEC_CATALOG = _catalog("kingsoft/kec.catalog.json")
ZEC_CATALOG = _catalog("zenlayer/zec.catalog.json")
CVM_PRIVATE = _owned_images(CVM_CATALOG)
KEC_PRIVATE = _owned_images(KEC_CATALOG)
KEC_IMAGES = {i["name"]: i["id"] for i in KEC_CATALOG["images"]}
KEC_CENTOS, KEC_GOLDEN = KEC_IMAGES["CentOS-7.9 64位"], KEC_IMAGES["web-golden"]
# The default subnet of KEC_ZONE and security group of KEC_REGION, learned
# through the VPC service when the world is built (`World.build`).
KEC_DEFAULTS = {}
ZEC_DEFAULT_SUBNET = next(s["id"] for s in ZEC_CATALOG["zec"]["subnets"] if s["region"] == ZEC_REGION)

# -- signing and reading each dialect ---------------------------------------------


@dataclass
class Answer:
    """One HTTP answer: its status, decoded body and the vendor error code
    (`None` for a success)."""
    status: int
    body: dict
    text: str
    code: Optional[str]


def tencent_sender(service, version):
    def send(server, key, action, params):
        return tc3_raw(server.endpoint, action, json.dumps(params), secret_id=key[0], secret_key=key[1],
                       service=service, version=version)
    return send


def tencent_code(body):
    return body["Response"].get("Error", {}).get("Code")


_nonces = itertools.count(random.randrange(1, 1 << 30))


def legacy_send(server, key, action, params):
    """A legacy API 2.0 GET signed with HmacSHA256 (spec tencent-legacy-v2 §2)."""
    signed = {k: str(v) for k, v in params.items()}
    signed.update({"Action": action, "Nonce": str(next(_nonces)), "Region": "gz", "SecretId": key[0],
                   "SignatureMethod": "HmacSHA256", "Timestamp": str(int(time.time()))})
    source = f"GET{server.endpoint}/v2/index.php?" + "&".join(f"{k}={signed[k]}" for k in sorted(signed))
    digest = hmac.new(key[1].encode(), source.encode(), hashlib.sha256).digest()
    signed["Signature"] = base64.b64encode(digest).decode()
    return requests.get(f"http://{server.endpoint}/v2/index.php", params=signed, timeout=10)


def legacy_code(body):
    """The top-level `codeDesc`, then each failed instance's own (a batch
    reports per instance): `OperationFail.AllResourceOpFailed/ResourceNotFound`."""
    if body["code"] == 0:
        return None
    details = [d["codeDesc"] for d in body.get("detail", {}).values() if d.get("code")]
    return "/".join([body["codeDesc"], *details])


def zenlayer_sender(service, version):
    def send(server, key, action, params):
        payload = json.dumps(params).encode()
        headers = zc2_headers(server.endpoint, action, payload, key[0], key[1], version, service)
        return requests.post(f"http://{server.endpoint}/api/v2/{service}", data=payload, headers=headers, timeout=10)
    return send


def zenlayer_code(body):
    return None if "response" in body else body.get("code")


def kingsoft_sender(service, version):
    def send(server, key, action, params):
        form = urllib.parse.urlencode({"Action": action, "Version": version, **params})
        prepared = requests.Request(
            "POST", f"http://{server.endpoint}/", data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            auth=AWS4Auth(key[0], key[1], KEC_REGION, service)).prepare()
        return requests.Session().send(prepared, timeout=10)
    return send


def kingsoft_code(body):
    return body.get("Error", {}).get("Code")


@dataclass(frozen=True)
class Dialect:
    """How to reach one API: whose resources it serves (`family`), the
    vendor credentials it signs with, the signer, and how to read answers."""
    family: str
    vendor: str
    send: Callable
    code: Callable
    payload: Callable


def _tencent(service, version):
    return dict(vendor="tencent", send=tencent_sender(service, version), code=tencent_code,
                payload=lambda b: b["Response"])


def _zenlayer(service, version):
    return dict(vendor="zenlayer", send=zenlayer_sender(service, version), code=zenlayer_code,
                payload=lambda b: b["response"])


def _kingsoft(service, version):
    return dict(vendor="kingsoft", send=kingsoft_sender(service, version), code=kingsoft_code, payload=lambda b: b)


DIALECTS = {
    "lighthouse": Dialect("lighthouse", **_tencent("lighthouse", "2020-03-24")),
    "cvm": Dialect("cvm", **_tencent("cvm", "2017-03-12")),
    "legacy": Dialect("cvm", vendor="tencent", send=legacy_send, code=legacy_code, payload=lambda b: b),
    "zec": Dialect("zec", **_zenlayer("zec", "2025-09-01")),
    "ccs": Dialect("zec", **_zenlayer("ccs", "2025-09-01")),
    "zec2024": Dialect("zec", **_zenlayer("zec", "2024-04-01")),
    "kec": Dialect("kec", **_kingsoft("kec", "2016-03-04")),
    "vpc": Dialect("kec", **_kingsoft("vpc", "2016-03-04")),
    "sks": Dialect("kec", **_kingsoft("sks", "2015-11-01")),
}
THROTTLED = {"RequestLimitExceeded", "REQUEST_LIMIT_EXCEEDED"}


def numbered(name, values):
    """Kingsoft's flattened lists: `InstanceId.1`, `InstanceId.2`, ..."""
    return {f"{name}.{n}": v for n, v in enumerate(values, 1)}


def fake_like(value):
    """A value of the same shape as `value` that was never issued: a fresh
    UUID for a UUID, fresh digits for a decimal id, otherwise the same prefix
    (up to the last `-` or `_`) and a random tail of the same character
    classes (`lhins-x`, `key-X`, `img-x`, `alice-lh-x`)."""
    if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value):
        return str(uuid.uuid4())
    if value.isdigit():
        return random.choice("123456789") + "".join(random.choices(string.digits, k=len(value) - 1))
    cut = max(value.rfind("-"), value.rfind("_")) + 1
    tail = "".join(random.choice(string.digits if c.isdigit() else
                                 string.ascii_uppercase if c.isupper() else string.ascii_lowercase)
                   for c in value[cut:])
    return value[:cut] + tail


def normalised(value, probed):
    """`value` without request ids, with `probed` written as `<probed>`."""
    if isinstance(value, dict):
        return {normalised(k, probed): normalised(v, probed) for k, v in value.items()
                if k not in ("RequestId", "requestId")}
    if isinstance(value, list):
        return [normalised(v, probed) for v in value]
    if isinstance(value, str):
        return value.replace(probed, "<probed>")
    return value


# -- the world: alice's and bob's resources ---------------------------------------------


def _tag():
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=4))


class World:
    """The server, every resource of alice and bob per family, ids of the
    same shapes that never existed, and snapshots of what each owns."""

    def __init__(self, server):
        self.server = server
        self.alice, self.bob, self.fakes, self.before = {}, {}, {}, {}

    # -- calls --------------------------------------------------------------
    def call(self, dialect, who, action, params):
        """The answer to one signed request (a throttled one is retried: the
        limits count per second and throttling changes nothing)."""
        d = DIALECTS[dialect]

        def attempt():
            r = d.send(self.server, CREDENTIALS[who][d.vendor], action, params)
            body = r.json()
            answer = Answer(r.status_code, body, r.text, d.code(body))
            return None if answer.code in THROTTLED else answer
        return wait_until(attempt, interval=0.1, what=f"{action} to pass the rate limit")

    def ok(self, dialect, who, action, params):
        """The payload of a request that must succeed."""
        answer = self.call(dialect, who, action, params)
        assert answer.status == 200 and answer.code is None, (dialect, who, action, params, answer.text)
        return DIALECTS[dialect].payload(answer.body)

    # -- states -------------------------------------------------------------
    def state(self, family, who, iid):
        if family in ("lighthouse", "cvm"):
            found = self.ok(family, who, "DescribeInstances", {"InstanceIds": [iid]})["InstanceSet"]
            return found and (found[0]["InstanceState"], found[0]["LatestOperationState"])
        if family == "zec":
            found = self.ok("zec", who, "DescribeInstancesStatus", {"instanceIds": [iid]})["dataSet"]
            return found and found[0]["instanceStatus"]
        found = self.ok("kec", who, "DescribeInstances", numbered("InstanceId", [iid]))["InstancesSet"]
        return found and found[0]["InstanceState"]["Name"]

    def reach(self, family, who, iid, wanted):
        wait_until(lambda: self.state(family, who, iid) == wanted, what=f"{family} {iid} of {who} to be {wanted}")

    # -- creating -----------------------------------------------------------
    def create(self, family, who, name, tag=None, token=None, network=None):
        """A new instance (not yet running) of `who`, named `name` (on KEC
        in `network`, a (subnet, security group), else the defaults)."""
        if family == "lighthouse":
            params = {"BundleId": "bundle_gen_01", "BlueprintId": LH_CENTOS, "InstanceChargePrepaid": {"Period": 1},
                      "InstanceName": name, "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": PASSWORD}}
            if tag:
                params["Tags"] = [{"Key": tag, "Value": "1"}]
            if token:
                params["ClientToken"] = token
            return self.ok(family, who, "CreateInstances", params)["InstanceIdSet"][0]
        if family == "cvm":
            params = {"Placement": {"Zone": CVM_ZONE}, "ImageId": CVM_LINUX, "InstanceType": "S5.MEDIUM4",
                      "InstanceChargeType": "POSTPAID_BY_HOUR", "InstanceName": name,
                      "LoginSettings": {"Password": PASSWORD}}
            if tag:
                params["TagSpecification"] = [{"ResourceType": "instance", "Tags": [{"Key": tag, "Value": "1"}]}]
            if token:
                params["ClientToken"] = token
            return self.ok(family, who, "RunInstances", params)["InstanceIdSet"][0]
        if family == "zec":
            params = {"zoneId": ZEC_ZONE, "imageId": ZEC_UBUNTU, "instanceType": "z2a.cpu.2",
                      "subnetId": ZEC_DEFAULT_SUBNET, "password": PASSWORD, "instanceName": name}
            if tag:
                params["tags"] = {"tags": [{"key": tag, "value": "1"}]}
            return self.ok("zec", who, "CreateZecInstances", params)["instanceIdSet"][0]
        subnet, group = network or (KEC_DEFAULTS["subnet"], KEC_DEFAULTS["group"])
        params = {**kec_run(), "SubnetId": subnet, "SecurityGroupId.1": group, "InstancePassword": "Passw0rdTest",
                  "InstanceName": name}
        return self.ok("kec", who, "RunInstances", params)["InstancesSet"][0]["InstanceId"]

    def learn_kec_defaults(self):
        """The region's default VPC, its subnet in KEC_ZONE and its group."""
        vpc = next(v["VpcId"] for v in self.ok("vpc", "alice", "DescribeVpcs", {})["VpcSet"] if v["IsDefault"])
        in_default = {"Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpc}
        KEC_DEFAULTS["subnet"] = next(s["SubnetId"] for s in self.ok("vpc", "alice", "DescribeSubnets", in_default)["SubnetSet"]
                                      if s["AvailabilityZoneName"] == KEC_ZONE)
        KEC_DEFAULTS["group"] = self.ok("vpc", "alice", "DescribeSecurityGroups", in_default)["SecurityGroupSet"][0]["SecurityGroupId"]

    def kec_network(self):
        """Alice's own KEC VPC, a subnet of it in KEC_ZONE and a security group."""
        vpc = self.ok("vpc", "alice", "CreateVpc", {"VpcName": "alice-vpc", "CidrBlock": "172.21.0.0/16"})["Vpc"]["VpcId"]
        subnet = self.ok("vpc", "alice", "CreateSubnet", {
            "VpcId": vpc, "SubnetName": "alice-subnet", "CidrBlock": "172.21.1.0/24", "SubnetType": "Normal",
            "GatewayIp": "172.21.1.1", "AvailabilityZone": KEC_ZONE})["Subnet"]["SubnetId"]
        group = self.ok("vpc", "alice", "CreateSecurityGroup", {"VpcId": vpc, "SecurityGroupName": "alice-group"})
        return vpc, subnet, group["SecurityGroup"]["SecurityGroupId"]

    def import_key(self, family, who, name, public_key):
        if family in ("lighthouse", "cvm"):
            params = {"KeyName": name, "PublicKey": public_key}
            if family == "cvm":
                params["ProjectId"] = 0
            return self.ok(family, who, "ImportKeyPair", params)["KeyId"]
        if family == "zec":
            return self.ok("ccs", who, "ImportKeyPair", {"keyName": name, "publicKey": public_key})["keyId"]
        return self.ok("sks", who, "ImportKey", {"KeyName": name, "PublicKey": public_key})["Key"]["KeyId"]

    def delete_key(self, family, who, key):
        if family in ("lighthouse", "cvm"):
            self.ok(family, who, "DeleteKeyPairs", {"KeyIds": [key]})
        elif family == "zec":
            self.ok("ccs", who, "DeleteKeyPairs", {"keyIds": [key]})
        else:
            self.ok("sks", who, "DeleteKey", {"KeyId": key})

    RUNNING = {"lighthouse": ("RUNNING", "SUCCESS"), "cvm": ("RUNNING", "SUCCESS"), "zec": "RUNNING", "kec": "active"}
    STOPPED = {"zec": "STOPPED", "kec": "stopped"}
    KEY_NAME = {"lighthouse": "alice_lh_{}", "cvm": "alice_cvm_{}", "zec": "alice-zec-{}", "kec": "alice-kec-{}"}

    def build(self):
        self.learn_kec_defaults()
        kec_vpc, kec_subnet, kec_group = self.kec_network()
        for family in ("lighthouse", "cvm", "zec", "kec"):
            a = SimpleNamespace(name=f"alice-{family}-{_tag()}", tag=f"alice-tag-{_tag()}",
                                token=f"alice-token-{_tag()}", key_name=self.KEY_NAME[family].format(_tag()),
                                public_key=fresh_public_key())
            if family == "kec":
                a.vpc, a.subnet, a.group = kec_vpc, kec_subnet, kec_group
            a.instance = self.create(family, "alice", a.name, tag=a.tag if family != "kec" else None,
                                     token=a.token if family in ("lighthouse", "cvm") else None,
                                     network=(kec_subnet, kec_group) if family == "kec" else None)
            a.key = self.import_key(family, "alice", a.key_name, a.public_key)
            b = SimpleNamespace(running=self.create(family, "bob", f"bob-{family}-{_tag()}"),
                                key=self.import_key(family, "bob", f"bob_{_tag()}", fresh_public_key()))
            if family in self.STOPPED:
                b.stopped = self.create(family, "bob", f"bob-{family}-{_tag()}")
            self.alice[family], self.bob[family] = a, b
        self.alice["cvm"].image = sorted(CVM_PRIVATE)[0]
        self.alice["kec"].image = KEC_GOLDEN
        z = self.alice["zec"]
        z.vpc = self.ok("zec", "alice", "CreateVpc", {"name": "alice-vpc", "cidrBlock": "10.20.0.0/16"})["vpcId"]
        z.subnet = self.ok("zec", "alice", "CreateSubnet", {"vpcId": z.vpc, "regionId": ZEC_REGION,
                                                            "name": "alice-subnet", "cidrBlock": "10.20.1.0/24"})["subnetId"]
        for family, a in self.alice.items():
            self.reach(family, "alice", a.instance, self.RUNNING[family])
            self.reach(family, "bob", self.bob[family].running, self.RUNNING[family])
        cvm = self.alice["cvm"]
        cvm.uuid = self.ok("cvm", "alice", "DescribeInstances", {"InstanceIds": [cvm.instance]})["InstanceSet"][0]["Uuid"]
        for family in self.STOPPED:
            self.reach(family, "bob", self.bob[family].stopped, self.RUNNING[family])
        self.ok("zec", "bob", "StopInstances", {"instanceIds": [self.bob["zec"].stopped]})
        self.ok("kec", "bob", "StopInstances", numbered("InstanceId", [self.bob["kec"].stopped]))
        for family in self.STOPPED:
            self.reach(family, "bob", self.bob[family].stopped, self.STOPPED[family])
        for family, a in self.alice.items():
            self.fakes[family] = SimpleNamespace(**{k: fake_like(v) for k, v in vars(a).items()})
            for who in ("alice", "bob"):
                self.before[(who, family)] = self.views(family, who)

    # -- what each account owns -----------------------------------------------
    def views(self, family, who):
        """`who`'s own resources of `family` as `who` lists them by id."""
        own = self.alice[family] if who == "alice" else self.bob[family]
        instances = [own.instance] if who == "alice" else [own.running] + ([own.stopped] if family in self.STOPPED else [])
        if family in ("lighthouse", "cvm"):
            views = [self.ok(family, who, "DescribeInstances", {"InstanceIds": instances}),
                     self.ok(family, who, "DescribeKeyPairs", {"KeyIds": [own.key]})]
            counts = [v["TotalCount"] for v in views]
        elif family == "zec":
            views = [self.ok("zec", who, "DescribeInstances", {"instanceIds": instances}),
                     self.ok("ccs", who, "DescribeKeyPairs", {"keyIds": [own.key]})]
            if who == "alice":
                views += [self.ok("zec", who, "DescribeVpcs", {"vpcIds": [own.vpc]}),
                          self.ok("zec", who, "DescribeSubnets", {"subnetIds": [own.subnet]})]
            counts = [v["totalCount"] for v in views]
        else:
            views = [self.ok("kec", who, "DescribeInstances", numbered("InstanceId", instances)),
                     self.ok("sks", who, "DescribeKeys", numbered("KeyId", [own.key]))]
            counts = [views[0]["InstanceCount"], views[1]["TotalCount"]]
            if who == "alice":
                networks = [self.ok("vpc", who, "DescribeVpcs", numbered("VpcId", [own.vpc]))["VpcSet"],
                            self.ok("vpc", who, "DescribeSubnets", numbered("SubnetId", [own.subnet]))["SubnetSet"],
                            self.ok("vpc", who, "DescribeSecurityGroups", numbered("SecurityGroupId", [own.group]))[
                                "SecurityGroupSet"]]
                views += networks
                counts += [len(n) for n in networks]
        assert counts == [len(instances)] + [1] * (len(counts) - 1), (family, who, views)
        return normalised(views, "\0")

    def assert_untouched(self, family):
        for who in ("alice", "bob"):
            assert self.views(family, who) == self.before[(who, family)], f"{who}'s {family} resources changed"


@pytest.fixture(scope="module")
def server():
    s = Server(speed=1000, config=CONFIG)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def world(server):
    w = World(server)
    w.build()
    return w


# -- the table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request bob sends naming one of alice's resources.

    `params(a, b)` builds it from the probed ids `a` (alice's, or the
    never-existing ones of the same shape) and bob's own resources `b`;
    `probes` names the attribute of `a` that is probed; `expect` is the
    vendor's not-found code, or `None` for a listing that must be empty."""
    dialect: str
    action: str
    probes: str
    params: Callable
    expect: Optional[str]
    note: str = ""

    @property
    def id(self):
        return "-".join(filter(None, [self.dialect, self.action, self.note]))


LH_NOT_FOUND = "ResourceNotFound.InstanceIdNotFound"
LH_KEY_NOT_FOUND = "ResourceNotFound.KeyIdNotFound"
LH_LOGIN = {"AutoGeneratePassword": "NO", "Password": PASSWORD}
LH_CREATE = {"BundleId": "bundle_gen_01", "BlueprintId": LH_CENTOS, "InstanceChargePrepaid": {"Period": 1}}
CVM_NOT_FOUND = "InvalidInstanceId.NotFound"
CVM_RUN = {"Placement": {"Zone": CVM_ZONE}, "ImageId": CVM_LINUX, "InstanceType": "S5.MEDIUM4",
           "InstanceChargeType": "POSTPAID_BY_HOUR"}
LEGACY_NOT_FOUND = "ResourceNotFound"
LEGACY_BATCH_NOT_FOUND = "OperationFail.AllResourceOpFailed/ResourceNotFound"
ZEC_NOT_FOUND = "INVALID_INSTANCE_NOT_FOUND"
ZEC_KEY_NOT_FOUND = "INVALID_KEY_PAIR_NOT_FOUND"
ZEC_CREATE = {"zoneId": ZEC_ZONE, "imageId": ZEC_UBUNTU, "instanceType": "z2a.cpu.2", "subnetId": ZEC_DEFAULT_SUBNET}
KEC_NOT_FOUND = "InstanceNotFound"


def kec_run():
    """RunInstances in the default subnet and security group."""
    return {"ImageId": KEC_CENTOS, "InstanceType": "N3.2B", "MaxCount": 1, "MinCount": 1,
            "SubnetId": KEC_DEFAULTS.get("subnet"), "ChargeType": "HourlyInstantSettlement",
            "SecurityGroupId.1": KEC_DEFAULTS.get("group")}


def kec_subnet(vpc_id):
    return {"VpcId": vpc_id, "CidrBlock": "172.21.9.0/24", "SubnetType": "Normal", "GatewayIp": "172.21.9.1"}


def _tencent_batches(dialect, actions, not_found):
    return [Case(dialect, action, "instance", lambda a, b: {"InstanceIds": [a.instance]}, not_found)
            for action in actions]


CASES = [
    # Lighthouse 2020-03-24: instances.
    Case("lighthouse", "DescribeInstances", "instance", lambda a, b: {"InstanceIds": [a.instance]}, None),
    Case("lighthouse", "DescribeInstances", "name",
         lambda a, b: {"Filters": [{"Name": "instance-name", "Values": [a.name]}]}, None, "by-name"),
    Case("lighthouse", "DescribeInstances", "tag",
         lambda a, b: {"Filters": [{"Name": "tag-key", "Values": [a.tag]}]}, None, "by-tag"),
    Case("lighthouse", "DescribeInstancesDeniedActions", "instance",
         lambda a, b: {"InstanceIds": [a.instance]}, LH_NOT_FOUND),
    Case("lighthouse", "DescribeResetInstanceBlueprints", "instance",
         lambda a, b: {"InstanceId": a.instance}, LH_NOT_FOUND),
    *_tencent_batches("lighthouse", ["StartInstances", "StopInstances", "RebootInstances", "IsolateInstances",
                                     "TerminateInstances"], LH_NOT_FOUND),
    Case("lighthouse", "RebootInstances", "instance",
         lambda a, b: {"InstanceIds": [b.running, a.instance]}, LH_NOT_FOUND, "with-own"),
    Case("lighthouse", "StopInstances", "instance",
         lambda a, b: {"InstanceIds": [b.running, a.instance]}, LH_NOT_FOUND, "with-own"),
    Case("lighthouse", "ResetInstance", "instance", lambda a, b: {"InstanceId": a.instance}, LH_NOT_FOUND),
    Case("lighthouse", "ResetInstance", "instance",
         lambda a, b: {"InstanceId": a.instance, "BlueprintId": LH_UBUNTU, "LoginConfiguration": LH_LOGIN},
         LH_NOT_FOUND, "new-blueprint"),
    Case("lighthouse", "ResetInstancesPassword", "instance",
         lambda a, b: {"InstanceIds": [a.instance], "Password": PASSWORD}, LH_NOT_FOUND),
    Case("lighthouse", "AssociateInstancesKeyPairs", "instance",
         lambda a, b: {"KeyIds": [b.key], "InstanceIds": [a.instance]}, LH_NOT_FOUND),
    Case("lighthouse", "DisassociateInstancesKeyPairs", "instance",
         lambda a, b: {"KeyIds": [b.key], "InstanceIds": [a.instance]}, LH_NOT_FOUND),
    # Lighthouse: key pairs.
    Case("lighthouse", "DescribeKeyPairs", "key", lambda a, b: {"KeyIds": [a.key]}, None),
    Case("lighthouse", "DescribeKeyPairs", "key",
         lambda a, b: {"Filters": [{"Name": "key-id", "Values": [a.key]}]}, None, "by-id-filter"),
    Case("lighthouse", "DescribeKeyPairs", "key_name",
         lambda a, b: {"Filters": [{"Name": "key-name", "Values": [a.key_name]}]}, None, "by-name"),
    Case("lighthouse", "DeleteKeyPairs", "key", lambda a, b: {"KeyIds": [a.key]}, LH_KEY_NOT_FOUND),
    Case("lighthouse", "AssociateInstancesKeyPairs", "key",
         lambda a, b: {"KeyIds": [a.key], "InstanceIds": [b.running]}, LH_KEY_NOT_FOUND, "their-key"),
    Case("lighthouse", "DisassociateInstancesKeyPairs", "key",
         lambda a, b: {"KeyIds": [a.key], "InstanceIds": [b.running]}, LH_KEY_NOT_FOUND, "their-key"),
    Case("lighthouse", "CreateInstances", "key",
         lambda a, b: {**LH_CREATE, "LoginConfiguration": {"KeyIds": [a.key]}},
         "ResourceNotFound.KeyPairNotFound", "their-key"),
    Case("lighthouse", "ResetInstance", "key",
         lambda a, b: {"InstanceId": b.running, "LoginConfiguration": {"KeyIds": [a.key]}},
         "ResourceNotFound.KeyPairNotFound", "their-key"),

    # CVM 2017-03-12: instances.
    Case("cvm", "DescribeInstances", "instance", lambda a, b: {"InstanceIds": [a.instance]}, None),
    Case("cvm", "DescribeInstances", "instance",
         lambda a, b: {"Filters": [{"Name": "instance-id", "Values": [a.instance]}]}, None, "by-id-filter"),
    Case("cvm", "DescribeInstances", "uuid",
         lambda a, b: {"Filters": [{"Name": "uuid", "Values": [a.uuid]}]}, None, "by-uuid"),
    Case("cvm", "DescribeInstances", "name",
         lambda a, b: {"Filters": [{"Name": "instance-name", "Values": [a.name]}]}, None, "by-name"),
    Case("cvm", "DescribeInstances", "tag",
         lambda a, b: {"Filters": [{"Name": "tag-key", "Values": [a.tag]}]}, None, "by-tag"),
    Case("cvm", "DescribeInstancesStatus", "instance", lambda a, b: {"InstanceIds": [a.instance]}, None),
    *_tencent_batches("cvm", ["StartInstances", "StopInstances", "RebootInstances", "TerminateInstances"],
                      CVM_NOT_FOUND),
    Case("cvm", "StopInstances", "instance",
         lambda a, b: {"InstanceIds": [a.instance], "StoppedMode": "STOP_CHARGING"}, CVM_NOT_FOUND, "stop-charging"),
    Case("cvm", "RebootInstances", "instance",
         lambda a, b: {"InstanceIds": [b.running, a.instance]}, CVM_NOT_FOUND, "with-own"),
    Case("cvm", "TerminateInstances", "instance",
         lambda a, b: {"InstanceIds": [b.running, a.instance]}, CVM_NOT_FOUND, "with-own"),
    Case("cvm", "ResetInstance", "instance", lambda a, b: {"InstanceId": a.instance}, CVM_NOT_FOUND),
    Case("cvm", "ResetInstance", "instance",
         lambda a, b: {"InstanceId": a.instance, "ImageId": CVM_UBUNTU, "LoginSettings": {"Password": PASSWORD}},
         CVM_NOT_FOUND, "new-image"),
    Case("cvm", "ResetInstancesPassword", "instance",
         lambda a, b: {"InstanceIds": [a.instance], "Password": "Abcdefg1!", "ForceStop": True}, CVM_NOT_FOUND),
    Case("cvm", "AssociateInstancesKeyPairs", "instance",
         lambda a, b: {"InstanceIds": [a.instance], "KeyIds": [b.key]}, CVM_NOT_FOUND),
    Case("cvm", "AssociateInstancesKeyPairs", "instance",
         lambda a, b: {"InstanceIds": [a.instance], "KeyIds": [b.key], "ForceStop": True}, CVM_NOT_FOUND,
         "force-stop"),
    Case("cvm", "DisassociateInstancesKeyPairs", "instance",
         lambda a, b: {"InstanceIds": [a.instance], "KeyIds": [b.key], "ForceStop": True}, CVM_NOT_FOUND),
    # CVM: key pairs.
    Case("cvm", "DescribeKeyPairs", "key", lambda a, b: {"KeyIds": [a.key]}, None),
    Case("cvm", "DescribeKeyPairs", "key_name",
         lambda a, b: {"Filters": [{"Name": "key-name", "Values": [a.key_name]}]}, None, "by-name"),
    Case("cvm", "DeleteKeyPairs", "key", lambda a, b: {"KeyIds": [a.key]}, "InvalidKeyPairId.NotFound"),
    Case("cvm", "AssociateInstancesKeyPairs", "key",
         lambda a, b: {"InstanceIds": [b.running], "KeyIds": [a.key], "ForceStop": True},
         "InvalidKeyPairId.NotFound", "their-key"),
    Case("cvm", "DisassociateInstancesKeyPairs", "key",
         lambda a, b: {"InstanceIds": [b.running], "KeyIds": [a.key], "ForceStop": True},
         "InvalidKeyPairId.NotFound", "their-key"),
    Case("cvm", "RunInstances", "key", lambda a, b: {**CVM_RUN, "LoginSettings": {"KeyIds": [a.key]}},
         "InvalidParameterValue.KeyPairNotFound", "their-key"),
    Case("cvm", "ResetInstance", "key",
         lambda a, b: {"InstanceId": b.running, "LoginSettings": {"KeyIds": [a.key]}},
         "InvalidParameterValue.KeyPairNotFound", "their-key"),
    # CVM: alice's private image.
    Case("cvm", "DescribeImages", "image", lambda a, b: {"ImageIds": [a.image]}, None),
    Case("cvm", "DescribeImages", "image",
         lambda a, b: {"Filters": [{"Name": "image-id", "Values": [a.image]}]}, None, "by-id-filter"),
    Case("cvm", "RunInstances", "image",
         lambda a, b: {**CVM_RUN, "ImageId": a.image, "LoginSettings": {"Password": PASSWORD}},
         "InvalidImageId.NotFound", "their-image"),
    Case("cvm", "ResetInstance", "image", lambda a, b: {"InstanceId": b.running, "ImageId": a.image},
         "InvalidImageId.NotFound", "their-image"),

    # Legacy API 2.0 (/v2/index.php), over the CVM instances.
    Case("legacy", "DescribeInstances", "instance", lambda a, b: {"instanceIds.0": a.instance}, None),
    Case("legacy", "DescribeInstances", "name", lambda a, b: {"searchWord": a.name}, None, "by-name"),
    Case("legacy", "ResetInstances", "instance", lambda a, b: {"instanceId": a.instance}, LEGACY_NOT_FOUND),
    Case("legacy", "ResetInstances", "instance",
         lambda a, b: {"instanceId": a.instance, "imageType": 2, "imageId": CVM_UBUNTU, "password": "Abc123!@#xyz"},
         LEGACY_NOT_FOUND, "new-image"),
    *[Case("legacy", action, "instance", lambda a, b: {"instanceIds.0": a.instance}, LEGACY_BATCH_NOT_FOUND)
      for action in ("StartInstances", "StopInstances", "RestartInstances")],
    Case("legacy", "DescribeImages", "image", lambda a, b: {"imageType": 1, "imageIds.0": a.image}, None),
    Case("legacy", "ResetInstances", "image",
         lambda a, b: {"instanceId": b.running, "imageType": 1, "imageId": a.image}, LEGACY_NOT_FOUND, "their-image"),

    # ZEC 2025-09-01: instances.
    Case("zec", "DescribeInstances", "instance", lambda a, b: {"instanceIds": [a.instance]}, None),
    Case("zec", "DescribeInstances", "name", lambda a, b: {"name": a.name}, None, "by-name"),
    Case("zec", "DescribeInstances", "tag", lambda a, b: {"tagKeys": [a.tag]}, None, "by-tag"),
    Case("zec", "DescribeInstancesStatus", "instance", lambda a, b: {"instanceIds": [a.instance]}, None),
    Case("zec", "ModifyInstancesAttribute", "instance",
         lambda a, b: {"instanceIds": [a.instance], "instanceName": "renamed-by-bob"}, ZEC_NOT_FOUND),
    *[Case("zec", action, "instance", lambda a, b: {"instanceIds": [a.instance]}, ZEC_NOT_FOUND)
      for action in ("StartInstances", "StopInstances", "RebootInstances", "ReleaseInstances")],
    Case("zec", "RebootInstances", "instance",
         lambda a, b: {"instanceIds": [b.running, a.instance]}, ZEC_NOT_FOUND, "with-own"),
    Case("zec", "StartInstances", "instance",
         lambda a, b: {"instanceIds": [b.stopped, a.instance]}, ZEC_NOT_FOUND, "with-own"),
    Case("zec", "ResetInstance", "instance", lambda a, b: {"instanceId": a.instance, "password": PASSWORD},
         ZEC_NOT_FOUND),
    Case("zec", "ResetInstances", "instance", lambda a, b: {"instanceIds": [a.instance], "password": PASSWORD},
         ZEC_NOT_FOUND),
    Case("zec", "ResetInstancePassword", "instance",
         lambda a, b: {"instanceId": a.instance, "password": PASSWORD}, ZEC_NOT_FOUND),
    Case("zec", "ResetInstancesPassword", "instance",
         lambda a, b: {"instanceIds": [a.instance], "password": PASSWORD}, ZEC_NOT_FOUND),
    # ZEC: alice's key pair (ccs in 2025) used with bob's instances.
    Case("ccs", "DescribeKeyPairs", "key", lambda a, b: {"keyIds": [a.key]}, None),
    Case("ccs", "DescribeKeyPairs", "key_name", lambda a, b: {"keyName": a.key_name}, None, "by-name"),
    Case("ccs", "DeleteKeyPairs", "key", lambda a, b: {"keyIds": [a.key]}, ZEC_KEY_NOT_FOUND),
    Case("ccs", "ModifyKeyPairAttribute", "key", lambda a, b: {"keyId": a.key, "keyDescription": "bob"},
         ZEC_KEY_NOT_FOUND),
    Case("zec", "CreateZecInstances", "key", lambda a, b: {**ZEC_CREATE, "keyId": a.key}, ZEC_KEY_NOT_FOUND,
         "their-key"),
    Case("zec", "ResetInstance", "key", lambda a, b: {"instanceId": b.stopped, "keyId": a.key}, ZEC_KEY_NOT_FOUND,
         "their-key"),
    # ZEC: alice's VPC and subnet.
    Case("zec", "DescribeVpcs", "vpc", lambda a, b: {"vpcIds": [a.vpc]}, None),
    Case("zec", "DescribeSubnets", "subnet", lambda a, b: {"subnetIds": [a.subnet]}, None),
    Case("zec", "DescribeSubnets", "vpc", lambda a, b: {"vpcIds": [a.vpc]}, None, "by-vpc"),
    Case("zec", "CreateSubnet", "vpc",
         lambda a, b: {"vpcId": a.vpc, "regionId": ZEC_REGION, "name": "bobs", "cidrBlock": "10.20.9.0/24"},
         "INVALID_VPC_NOT_FOUND", "their-vpc"),
    Case("zec", "CreateZecInstances", "subnet",
         lambda a, b: {**ZEC_CREATE, "subnetId": a.subnet, "password": PASSWORD}, "INVALID_SUBNET_NOT_FOUND",
         "their-subnet"),

    # ZEC 2024-04-01: the same records, key pairs on /api/v2/zec.
    Case("zec2024", "DescribeInstances", "instance", lambda a, b: {"instanceIds": [a.instance]}, None),
    Case("zec2024", "DescribeInstancesStatus", "instance", lambda a, b: {"instanceIds": [a.instance]}, None),
    Case("zec2024", "ModifyInstancesAttribute", "instance",
         lambda a, b: {"instanceIds": [a.instance], "instanceName": "renamed-by-bob"}, ZEC_NOT_FOUND),
    *[Case("zec2024", action, "instance", lambda a, b: {"instanceIds": [a.instance]}, ZEC_NOT_FOUND)
      for action in ("StartInstances", "StopInstances", "RebootInstances", "ReleaseInstances")],
    Case("zec2024", "RebootInstances", "instance",
         lambda a, b: {"instanceIds": [b.running, a.instance]}, ZEC_NOT_FOUND, "with-own"),
    Case("zec2024", "ResetInstance", "instance", lambda a, b: {"instanceId": a.instance, "password": PASSWORD},
         ZEC_NOT_FOUND),
    Case("zec2024", "ResetInstancePassword", "instance",
         lambda a, b: {"instanceId": a.instance, "password": PASSWORD}, ZEC_NOT_FOUND),
    Case("zec2024", "DescribeKeyPairs", "key", lambda a, b: {"keyIds": [a.key]}, None),
    Case("zec2024", "DeleteKeyPairs", "key", lambda a, b: {"keyIds": [a.key]}, ZEC_KEY_NOT_FOUND),
    Case("zec2024", "ModifyKeyPairAttribute", "key", lambda a, b: {"keyId": a.key, "keyDescription": "bob"},
         ZEC_KEY_NOT_FOUND),
    Case("zec2024", "ResetInstance", "key", lambda a, b: {"instanceId": b.stopped, "keyId": a.key},
         ZEC_KEY_NOT_FOUND, "their-key"),
    Case("zec2024", "DescribeVpcs", "vpc", lambda a, b: {"vpcIds": [a.vpc]}, None),
    Case("zec2024", "DescribeSubnets", "subnet", lambda a, b: {"subnetIds": [a.subnet]}, None),

    # KEC 2016-03-04: instances.
    Case("kec", "DescribeInstances", "instance", lambda a, b: numbered("InstanceId", [a.instance]), None),
    Case("kec", "DescribeInstances", "instance",
         lambda a, b: {"Filter.1.Name": "instance-id", "Filter.1.Value.1": a.instance}, None, "by-id-filter"),
    Case("kec", "DescribeInstances", "name", lambda a, b: {"Search": a.name}, None, "by-name"),
    *[Case("kec", action, "instance", lambda a, b: numbered("InstanceId", [a.instance]), KEC_NOT_FOUND)
      for action in ("StartInstances", "StopInstances", "RebootInstances", "TerminateInstances")],
    Case("kec", "RebootInstances", "instance",
         lambda a, b: numbered("InstanceId", [b.running, a.instance]), KEC_NOT_FOUND, "with-own"),
    Case("kec", "StartInstances", "instance",
         lambda a, b: numbered("InstanceId", [b.stopped, a.instance]), KEC_NOT_FOUND, "with-own"),
    Case("kec", "ModifyInstanceImage", "instance",
         lambda a, b: {"InstanceId": a.instance, "InstancePassword": "Passw0rdTest"}, KEC_NOT_FOUND),
    # KEC: alice's custom image and key.
    Case("kec", "DescribeImages", "image", lambda a, b: {"ImageId": a.image}, None),
    Case("kec", "RunInstances", "image", lambda a, b: {**kec_run(), "ImageId": a.image, "InstancePassword": "Passw0rdTest"},
         "ImageIdInvalidParameterValue", "their-image"),
    Case("kec", "ModifyInstanceImage", "image",
         lambda a, b: {"InstanceId": b.stopped, "ImageId": a.image, "InstancePassword": "Passw0rdTest"},
         "ImageIdInvalidParameterValue", "their-image"),
    Case("kec", "RunInstances", "key", lambda a, b: {**kec_run(), **numbered("KeyId", [a.key])},
         "KeyIdInvalidParameterValue", "their-key"),
    Case("kec", "ModifyInstanceImage", "key",
         lambda a, b: {"InstanceId": b.stopped, **numbered("KeyId", [a.key])}, "KeyIdInvalidParameterValue",
         "their-key"),
    # SKS 2015-11-01: key pairs.
    Case("sks", "DescribeKeys", "key", lambda a, b: numbered("KeyId", [a.key]), None),
    Case("sks", "DescribeKeys", "key",
         lambda a, b: {"Filter.1.Name": "key-id", "Filter.1.Value.1": a.key}, None, "by-id-filter"),
    Case("sks", "DescribeKeys", "key_name",
         lambda a, b: {"Filter.1.Name": "key-name", "Filter.1.Value.1": a.key_name}, None, "by-name"),
    Case("sks", "DeleteKey", "key", lambda a, b: {"KeyId": a.key}, "KeyIdInvalidParameterValue"),
    # VPC 2016-03-04: alice's VPC, subnet and security group.
    Case("vpc", "DescribeVpcs", "vpc", lambda a, b: numbered("VpcId", [a.vpc]), None),
    Case("vpc", "DescribeSubnets", "subnet", lambda a, b: numbered("SubnetId", [a.subnet]), None),
    Case("vpc", "DescribeSubnets", "subnet",
         lambda a, b: {"Filter.1.Name": "subnet-id", "Filter.1.Value.1": a.subnet}, None, "by-id-filter"),
    Case("vpc", "DescribeSubnets", "vpc",
         lambda a, b: {"Filter.1.Name": "vpc-id", "Filter.1.Value.1": a.vpc}, None, "by-vpc"),
    Case("vpc", "DescribeSecurityGroups", "group", lambda a, b: numbered("SecurityGroupId", [a.group]), None),
    Case("vpc", "DescribeSecurityGroups", "vpc",
         lambda a, b: {"Filter.1.Name": "vpc-id", "Filter.1.Value.1": a.vpc}, None, "by-vpc"),
    Case("vpc", "CreateSubnet", "vpc", lambda a, b: kec_subnet(a.vpc), "VpcNotFound", "their-vpc"),
    Case("vpc", "CreateSecurityGroup", "vpc", lambda a, b: {"VpcId": a.vpc}, "VpcNotFound", "their-vpc"),
    Case("vpc", "DeleteVpc", "vpc", lambda a, b: {"VpcId": a.vpc}, "VpcNotFound"),
    Case("vpc", "DeleteSubnet", "subnet", lambda a, b: {"SubnetId": a.subnet}, "SubnetNotFound"),
    Case("vpc", "DeleteSecurityGroup", "group", lambda a, b: {"SecurityGroupId": a.group}, "SecurityGroupNotFound"),
    # KEC: instances in alice's network, and her network named by bob.
    *[Case("kec", "DescribeInstances", probes, lambda a, b, f=name, p=probes: {"Filter.1.Name": f,
                                                                             "Filter.1.Value.1": getattr(a, p)},
           None, f"by-{name}") for name, probes in [("vpc-id", "vpc"), ("subnet-id", "subnet"),
                                                   ("network-interface.group-id", "group")]],
    Case("kec", "RunInstances", "subnet", lambda a, b: {**kec_run(), "SubnetId": a.subnet, "InstancePassword": "Passw0rdTest"},
         "InvalidParameterValue", "their-subnet"),
    Case("kec", "RunInstances", "group",
         lambda a, b: {**kec_run(), "SecurityGroupId.1": a.group, "InstancePassword": "Passw0rdTest"},
         "InvalidParameterValue", "their-group"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_another_accounts_resource_answers_as_one_that_never_existed(world, case):
    family = DIALECTS[case.dialect].family
    real, never, own = world.alice[family], world.fakes[family], world.bob[family]
    probed, unknown_id = getattr(real, case.probes), getattr(never, case.probes)
    theirs = world.call(case.dialect, "bob", case.action, case.params(real, own))
    unknown = world.call(case.dialect, "bob", case.action, case.params(never, own))
    assert (theirs.status, theirs.code) == (unknown.status, unknown.code), (theirs.text, unknown.text)
    assert theirs.code == case.expect, theirs.text
    assert normalised(theirs.body, probed) == normalised(unknown.body, unknown_id)
    if case.expect is None:
        assert theirs.status == 200 and probed not in theirs.text, theirs.text
        # The same listing as alice shows her resource: the case probes something real.
        assert probed in world.call(case.dialect, "alice", case.action, case.params(real, own)).text
    world.assert_untouched(family)


def test_the_table_covers_every_dialect_and_resource():
    covered = {(c.dialect, c.probes) for c in CASES}
    for dialect in DIALECTS:
        assert any(d == dialect for d, _ in covered), dialect
    for family, kinds in {"lighthouse": {"instance", "key"}, "cvm": {"instance", "key", "image"},
                          "zec": {"instance", "key", "vpc", "subnet"},
                          "kec": {"instance", "key", "image", "vpc", "subnet", "group"}}.items():
        probed = {k for d, k in covered if DIALECTS[d].family == family}
        assert kinds <= probed, (family, kinds - probed)


def test_a_legacy_batch_reports_another_accounts_instance_as_an_unknown_one(world):
    """The legacy API answers per instance: in one request, alice's id and a
    never-existing one get the same entry."""
    theirs, never = world.alice["cvm"].instance, world.fakes["cvm"].instance
    for action in ("StartInstances", "StopInstances", "RestartInstances"):
        answer = world.call("legacy", "bob", action, {"instanceIds.0": theirs, "instanceIds.1": never})
        assert answer.code == "OperationFail.AllResourceOpFailed/ResourceNotFound/ResourceNotFound", answer.text
        detail = answer.body["detail"]
        assert normalised(detail[theirs], theirs) == normalised(detail[never], never)
    world.assert_untouched("cvm")


# -- listings and catalogs ------------------------------------------------------------

LISTINGS = [
    ("lighthouse", "DescribeInstances", {"Limit": 100}),
    ("lighthouse", "DescribeKeyPairs", {"Limit": 100}),
    ("cvm", "DescribeInstances", {"Limit": 100}),
    ("cvm", "DescribeInstancesStatus", {"Limit": 100}),
    ("cvm", "DescribeKeyPairs", {"Limit": 100}),
    ("cvm", "DescribeImages", {"Limit": 100}),
    ("legacy", "DescribeInstances", {"limit": 100}),
    ("legacy", "DescribeImages", {"imageType": 1, "limit": 100}),
    ("zec", "DescribeInstances", {"pageSize": 1000}),
    ("zec", "DescribeInstancesStatus", {"pageSize": 1000}),
    ("zec", "DescribeVpcs", {"pageSize": 1000}),
    ("zec", "DescribeSubnets", {"pageSize": 1000}),
    ("ccs", "DescribeKeyPairs", {"pageSize": 1000}),
    ("zec2024", "DescribeInstances", {"pageSize": 1000}),
    ("zec2024", "DescribeKeyPairs", {"pageSize": 1000}),
    ("kec", "DescribeInstances", {"MaxResults": 1000}),
    ("kec", "DescribeImages", {}),
    ("vpc", "DescribeVpcs", {}),
    ("vpc", "DescribeSubnets", {}),
    ("vpc", "DescribeSecurityGroups", {}),
    ("sks", "DescribeKeys", {}),
]


def _secrets(world, family):
    """Everything of alice's in `family` that bob must never be shown."""
    a = world.alice[family]
    keys = ["instance", "name", "tag", "key", "key_name", "image", "uuid", "vpc", "subnet", "group"]
    values = [getattr(a, k) for k in keys if hasattr(a, k)]
    if family in ("cvm", "kec"):
        values += sorted(CVM_PRIVATE if family == "cvm" else KEC_PRIVATE)
    return values


@pytest.mark.parametrize("dialect,action,params", LISTINGS, ids=[f"{d}-{a}" for d, a, _ in LISTINGS])
def test_listings_never_show_another_accounts_resources(world, dialect, action, params):
    family = DIALECTS[dialect].family
    seen_by_bob = world.call(dialect, "bob", action, params)
    assert seen_by_bob.code is None, seen_by_bob.text
    leaked = [s for s in _secrets(world, family) if s in seen_by_bob.text]
    assert not leaked, (leaked, seen_by_bob.text)
    seen_by_alice = world.call(dialect, "alice", action, params).text
    assert any(s in seen_by_alice for s in _secrets(world, family)), "the listing shows alice her own"


def test_private_images_are_seen_by_their_owner_only(world):
    """The catalog's private images (CVM's golden image, KEC's custom ones)
    belong to the first declared account, alice; bob sees none of them."""
    assert CVM_PRIVATE and KEC_PRIVATE
    ids = lambda images, field: {i[field] for i in images}
    private = {"Filters": [{"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}], "Limit": 100}
    assert ids(world.ok("cvm", "alice", "DescribeImages", private)["ImageSet"], "ImageId") == CVM_PRIVATE
    assert world.ok("cvm", "bob", "DescribeImages", private)["ImageSet"] == []
    legacy_private = {"imageType": 1, "limit": 100}
    assert ids(world.ok("legacy", "alice", "DescribeImages", legacy_private)["imageSet"], "unImgId") == CVM_PRIVATE
    assert world.ok("legacy", "bob", "DescribeImages", legacy_private)["imageSet"] == []
    custom = {"IsPublic": "false"}
    assert ids(world.ok("kec", "alice", "DescribeImages", custom)["ImagesSet"], "ImageId") == KEC_PRIVATE
    assert world.ok("kec", "bob", "DescribeImages", custom)["ImagesSet"] == []
    # Lighthouse and ZEC catalogs hold public images only.
    assert not _owned_images(_catalog("tencent/lighthouse.catalog.json")) and not _owned_images(ZEC_CATALOG)


PUBLIC = [
    ("lighthouse", "DescribeRegions", {}),
    ("lighthouse", "DescribeZones", {}),
    ("lighthouse", "DescribeBundles", {"Limit": 100}),
    ("lighthouse", "DescribeBlueprints", {"Limit": 100}),
    ("cvm", "DescribeRegions", {}),
    ("cvm", "DescribeZones", {}),
    ("cvm", "DescribeInstanceTypeConfigs", {}),
    ("cvm", "DescribeImages", {"Filters": [{"Name": "image-type", "Values": ["PUBLIC_IMAGE"]}], "Limit": 100}),
    ("legacy", "DescribeImages", {"imageType": 2, "limit": 100}),
    ("zec", "DescribeRegions", {}),
    ("zec", "DescribeZones", {}),
    ("zec", "DescribeZoneInstanceConfigInfos", {"zoneId": ZEC_ZONE}),
    ("zec", "DescribeImages", {"zoneId": ZEC_ZONE, "pageSize": 100}),
    ("zec2024", "DescribeImages", {"zoneId": ZEC_ZONE, "pageSize": 100}),
    ("kec", "DescribeRegions", {}),
    ("kec", "DescribeAvailabilityZones", {}),
    ("kec", "DescribeImages", {"IsPublic": "true"}),
]


@pytest.mark.parametrize("dialect,action,params", PUBLIC, ids=[f"{d}-{a}" for d, a, _ in PUBLIC])
def test_the_public_catalog_is_the_same_for_both_accounts(world, dialect, action, params):
    mine = normalised(world.ok(dialect, "alice", action, params), "\0")
    theirs = normalised(world.ok(dialect, "bob", action, params), "\0")
    assert mine == theirs
    assert any(isinstance(v, list) and v for v in mine.values()), mine


def test_key_names_public_keys_and_idempotency_tokens_are_per_account(world):
    """Bob may reuse alice's key name, import her public key and send her
    ClientToken: nothing refuses him because of her, and he gets his own
    resources, never hers."""
    for family, a in world.alice.items():
        key = world.import_key(family, "bob", a.key_name, a.public_key)
        assert key != a.key
        # Bob's namesake would show in the by-name cases: it goes again.
        world.delete_key(family, "bob", key)
    for family in ("lighthouse", "cvm"):
        a = world.alice[family]
        iid = world.create(family, "bob", f"bob-{family}-{_tag()}", token=a.token)
        assert iid != a.instance
        assert world.state(family, "alice", iid) == [] and world.state(family, "bob", iid)
    for family in world.alice:
        world.assert_untouched(family)



SHARED_CREDENTIALS = {
    "key-id": ('kingsoft = { access_key = "AKLTSHAREDISO0001", secret_key = "alice-secret" }',
               'kingsoft = { access_key = "AKLTSHAREDISO0001", secret_key = "bob-secret" }'),
    "bearer-token": ('bearer_tokens = ["zl-token-shared-iso"]', 'bearer_tokens = ["zl-token-shared-iso"]'),
    # The first account always holds the development credentials.
    "development-key": ("", 'tencent = { secret_id = "AKIDSTRATUSDEVELOPMENT00000000000000", secret_key = "x" }'),
}


@pytest.mark.parametrize("alice_line,bob_line", SHARED_CREDENTIALS.values(), ids=SHARED_CREDENTIALS.keys())
def test_a_credential_declared_by_two_accounts_is_refused_at_start(alice_line, bob_line):
    """Requests made with it would land in one of the accounts: the other's
    users would see and change resources that are not theirs."""
    config = f'[[accounts]]\nname = "alice"\n{alice_line}\n[[accounts]]\nname = "bob"\n{bob_line}\n'
    with pytest.raises(AssertionError, match="declared by"):
        Server(speed=1000, config=config).stop()
