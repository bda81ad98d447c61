"""Authentication edges of every signing front, table-driven (issue 6, item 3).

Each front is one object (a `HeaderSigned` or `ParamSigned` subclass) that
signs a raw request by hand (no SDK: the point is to send what an SDK never
would) and reads the vendor's answer as (HTTP status, error code or None).
Each edge case is one `Case` that asks the front for a request with one
thing wrong: wrong secret, unknown key id, malformed Authorization (garbage,
wrong algorithm, a part missing), no Authorization, no timestamp, timestamp
too old / too new / at the 64-bit limit, signed headers without Host or
Content-Type, body or Host changed after signing. A front's `expect` table
gives, for every case, the documented answer (../shared/spec/), success, or
why the case does not apply. A new front joins by adding an object with its
table; a new edge by adding a `Case` and one line per table
(`test_every_front_decides_every_case` insists). The `control` case (a good
request succeeds) proves each signer right, so refusals are not vacuous.

Fronts: Tencent TC3-HMAC-SHA256 on Lighthouse and on CVM, the API 3.0 v1
`Signature` parameter, the legacy API 2.0 (`/v2/index.php`), Zenlayer
ZC2-HMAC-SHA256, Kingsoft SigV4 and Kingsoft's legacy `Signature` form.

Also: with `--config` declaring custom secrets for all three vendors, the
server log (at trace level) never shows a secret key, a bearer token, a
password or a private key, whatever is sent (good and bad signatures,
explicit and generated passwords, a password reset, key imports).
"""
import base64
import hashlib
import hmac
import json
import pathlib
import secrets
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable

import pytest
import requests

from harness import ROOT, Server, wait_until

FORM = "application/x-www-form-urlencoded"

TENCENT_ID, TENCENT_KEY = "AKIDSTRATUSDEVELOPMENT00000000000000", "stratus-development-secret-key-tencent"
ZENLAYER_ID, ZENLAYER_KEY = "STRATUSDEVELOPMENTZENLAYER", "stratus-development-secret-key-zenlayer"
KINGSOFT_ID, KINGSOFT_KEY = "AKLTSTRATUSDEVELOPMENT0000000", "stratus-development-secret-key-kingsoft"

KEC_CATALOG = json.loads((ROOT / "catalog" / "kingsoft" / "kec.catalog.json").read_text())
ZEC_CATALOG = json.loads((ROOT / "catalog" / "zenlayer" / "zec.catalog.json").read_text())


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


@dataclass
class Wire:
    """One HTTP request exactly as it will be sent (the Host header included)."""
    path: str
    headers: dict
    body: bytes

    def send(self, server):
        return requests.post(f"http://{server.endpoint}{self.path}", data=self.body, headers=self.headers,
                             timeout=10)


class NotApplicable:
    """A case that has no meaning for a front (say why)."""

    def __init__(self, reason):
        self.reason = reason


OK = (200, None)
# Every front accepts a good request, and one signed a minute inside its window.
GOOD_REQUESTS = {"control": OK, "clock_skew_within_window": OK}


# -- fronts signed in an Authorization header ---------------------------------

class HeaderSigned:
    """`<ALG> Credential=..., SignedHeaders=a;b, Signature=hex` over a
    canonical request `POST / "" headers names sha256(body)`, which TC3, ZC2
    and SigV4 share; subclasses give the routing headers, the scope and the
    key."""
    algorithm = ""
    timestamp_header = ""
    content_type = "application/json"
    signed_headers = ("content-type", "host")
    window = 300
    path = "/"

    def fields(self, action, params):
        """What the body carries (the action travels in a header)."""
        return params

    def encode(self, fields):
        return json.dumps(fields).encode()

    def decode(self, body):
        return json.loads(body)

    def extra_headers(self, body):
        return {}

    def build(self, server, action=None, params=None, *, key_id=None, secret=None, ts=None, omit=(),
              signed=None, algorithm=None, garbage=False, ts_text=None):
        """A signed request; `omit` names parts to leave out (`authorization`,
        `credential`, `signed_headers`, `signature`, `timestamp`), `signed`
        replaces the signed-header list (the signature is still correct over
        it), `algorithm` the algorithm name, `garbage` the whole header,
        `ts_text` the timestamp sent (after signing)."""
        key_id, secret = key_id or self.key_id, secret or self.secret
        ts = int(time.time()) if ts is None else int(ts)
        action = action or self.probe_action
        body = self.encode(self.fields(action, self.probe_params if params is None else params))
        headers = {"Content-Type": self.content_type, "Host": server.endpoint, **self.routing_headers(action),
                   self.timestamp_header: self.timestamp_value(ts), **self.extra_headers(body)}
        names = list(self.signed_headers if signed is None else signed)
        lower = {k.lower(): v for k, v in headers.items()}
        canonical = "\n".join(["POST", "/", "", "".join(f"{n}:{lower[n].strip()}\n" for n in names),
                               ";".join(names), sha256_hex(body)])
        to_sign = self.string_to_sign(ts, sha256_hex(canonical.encode()))
        signature = hmac.new(self.signing_key(secret, ts), to_sign.encode(), hashlib.sha256).hexdigest()
        parts = {"credential": f"Credential={self.credential(key_id, ts)}",
                 "signed_headers": f"SignedHeaders={';'.join(names)}",
                 "signature": f"Signature={signature}"}
        value = f"{algorithm or self.algorithm} " + ", ".join(v for k, v in parts.items() if k not in omit)
        if "authorization" not in omit:
            headers["Authorization"] = "garbage" if garbage else value
        if ts_text is not None:
            headers[self.timestamp_header] = ts_text
        if "timestamp" in omit:
            del headers[self.timestamp_header]
        return Wire(self.path, headers, body)

    def change_body(self, wire):
        """The body after signing with one field changed."""
        fields = self.decode(wire.body)
        name, value = self.tamper
        fields[name] = value
        wire.body = self.encode(fields)


class Tc3(HeaderSigned):
    """Tencent API 3.0, TC3-HMAC-SHA256 (tencent-api3.md §2.1): HTTP 200
    and `Response.Error.Code` for every refusal, a 300 s window."""
    algorithm = "TC3-HMAC-SHA256"
    timestamp_header = "X-TC-Timestamp"
    key_id, secret = TENCENT_ID, TENCENT_KEY
    unknown_key_id = "AKIDNOBODY00000000000000000000000000"
    wrong_algorithm = "TC3-HMAC-SHA1"
    probe_action = "DescribeInstances"
    probe_params = {"Limit": 1}
    tamper = ("Limit", 2)

    def __init__(self, service, version):
        self.service, self.version = service, version
        self.name = f"tencent-tc3-{service}"
        invalid = (200, "AuthFailure.InvalidAuthorization")
        failure = (200, "AuthFailure.SignatureFailure")
        expire = (200, "AuthFailure.SignatureExpire")
        self.expect = {
            **GOOD_REQUESTS,
            "wrong_secret": failure,
            "unknown_key_id": (200, "AuthFailure.SecretIdNotFound"),
            "auth_garbage": invalid,
            "auth_wrong_algorithm": invalid,
            "auth_without_credential": invalid,
            "auth_without_signed_headers": invalid,
            "auth_without_signature": invalid,
            "no_authorization": invalid,
            "no_timestamp": (200, "MissingParameter"),
            "timestamp_too_old": expire,
            "timestamp_too_new": expire,
            "timestamp_at_the_integer_limit": expire,
            # Tencent makes content-type and host mandatory signed headers.
            "signed_headers_without_host": invalid,
            "signed_headers_without_content_type": invalid,
            "body_changed_after_signing": failure,
            "host_changed_after_signing": failure,
        }

    def routing_headers(self, action):
        return {"X-TC-Action": action, "X-TC-Version": self.version, "X-TC-Region": "ap-guangzhou"}

    def timestamp_value(self, ts):
        return str(ts)

    def scope(self, ts):
        return f"{time.strftime('%Y-%m-%d', time.gmtime(ts))}/{self.service}/tc3_request"

    def credential(self, key_id, ts):
        return f"{key_id}/{self.scope(ts)}"

    def string_to_sign(self, ts, canonical_hash):
        return f"TC3-HMAC-SHA256\n{ts}\n{self.scope(ts)}\n{canonical_hash}"

    def signing_key(self, secret, ts):
        date = time.strftime("%Y-%m-%d", time.gmtime(ts))
        return hmac256(hmac256(hmac256(("TC3" + secret).encode(), date), self.service), "tc3_request")

    def outcome(self, r):
        return tencent_outcome(r)


class Zc2(HeaderSigned):
    """Zenlayer ZC2-HMAC-SHA256 (zenlayer.md §2): the secret is the HMAC key,
    `content-type;host` always signed; every refusal is 401
    AUTHFAILURE_SIGNATURE_FAILURE (§3.3), a 300 s window (§2.2)."""
    algorithm = "ZC2-HMAC-SHA256"
    timestamp_header = "x-zc-timestamp"
    key_id, secret = ZENLAYER_ID, ZENLAYER_KEY
    unknown_key_id = "NOBODYZENLAYER0001"
    wrong_algorithm = "ZC2-HMAC-SHA1"
    probe_action = "DescribeInstancesStatus"
    probe_params = {"pageSize": 5}
    tamper = ("pageSize", 6)

    def __init__(self, service="zec", version="2025-09-01"):
        self.service, self.version = service, version
        self.path = f"/api/v2/{service}"
        self.name = "zenlayer-zc2"
        refused = (401, "AUTHFAILURE_SIGNATURE_FAILURE")
        self.expect = {
            **GOOD_REQUESTS,
            "wrong_secret": refused,
            "unknown_key_id": refused,
            "auth_garbage": refused,
            "auth_wrong_algorithm": refused,
            "auth_without_credential": refused,
            "auth_without_signed_headers": refused,
            "auth_without_signature": refused,
            "no_authorization": refused,
            "no_timestamp": refused,
            "timestamp_too_old": refused,
            "timestamp_too_new": refused,
            "timestamp_at_the_integer_limit": refused,
            # `content-type;host` is the only list the SDKs sign (§2).
            "signed_headers_without_host": refused,
            "signed_headers_without_content_type": refused,
            "body_changed_after_signing": refused,
            "host_changed_after_signing": refused,
        }

    def routing_headers(self, action):
        return {"x-zc-action": action, "x-zc-version": self.version, "x-zc-service": self.service,
                "x-zc-signature-method": "ZC2-HMAC-SHA256"}

    def timestamp_value(self, ts):
        return str(ts)

    def credential(self, key_id, ts):
        return key_id

    def string_to_sign(self, ts, canonical_hash):
        return f"ZC2-HMAC-SHA256\n{ts}\n{canonical_hash}"

    def signing_key(self, secret, ts):
        return secret.encode()

    def outcome(self, r):
        body = r.json()
        assert body["requestId"], body
        if r.status_code == 200:
            return 200, None if "response" in body else "<no response>"
        return r.status_code, body["code"]


class SigV4(HeaderSigned):
    """Kingsoft AWS SigV4 (kingsoft.md §2.1), signed as the Python SDK signs:
    `content-type;host;x-amz-content-sha256;x-amz-date`; a ±15 min window;
    AWS-style codes and statuses (§3)."""
    algorithm = "AWS4-HMAC-SHA256"
    timestamp_header = "x-amz-date"
    content_type = FORM
    signed_headers = ("content-type", "host", "x-amz-content-sha256", "x-amz-date")
    window = 15 * 60
    key_id, secret = KINGSOFT_ID, KINGSOFT_KEY
    unknown_key_id = "AKLTNOBODY0000000000000"
    wrong_algorithm = "AWS4-HMAC-SHA1"
    probe_action = "DescribeInstances"
    probe_params = {"MaxResults": "10"}
    tamper = ("MaxResults", "20")
    region = "cn-beijing-6"

    def __init__(self, service="kec", version="2016-03-04", probe_action=None):
        self.service, self.version = service, version
        self.name = "kingsoft-sigv4" if service == "kec" else f"kingsoft-sigv4-{service}"
        # The VPC service shares KEC's version: its scope says which is meant.
        self.probe_action = probe_action or self.probe_action
        incomplete = (400, "IncompleteSignature")
        mismatch = (403, "SignatureDoesNotMatch")
        expired = (403, "RequestExpired")
        self.expect = {
            **GOOD_REQUESTS,
            "wrong_secret": mismatch,
            "unknown_key_id": (403, "InvalidAccessKeyId"),
            "auth_garbage": incomplete,
            "auth_wrong_algorithm": incomplete,
            "auth_without_credential": incomplete,
            "auth_without_signed_headers": incomplete,
            "auth_without_signature": incomplete,
            "no_authorization": (403, "MissingAuthenticationToken"),
            "no_timestamp": (403, "MissingAuthenticationToken"),
            "timestamp_too_old": expired,
            "timestamp_too_new": expired,
            "timestamp_at_the_integer_limit": incomplete,  # not YYYYMMDD'T'HHMMSS'Z'
            # SigV4 requires `host`; kscore does not sign Content-Type (§2.1).
            "signed_headers_without_host": mismatch,
            "signed_headers_without_content_type": OK,
            "body_changed_after_signing": mismatch,
            "host_changed_after_signing": mismatch,
        }

    def fields(self, action, params):
        return {"Action": action, "Version": self.version, **params}

    def encode(self, fields):
        return urllib.parse.urlencode(fields).encode()

    def decode(self, body):
        return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))

    def extra_headers(self, body):
        return {"x-amz-content-sha256": sha256_hex(body)}

    def routing_headers(self, action):
        return {"Accept": "application/json"}

    def timestamp_value(self, ts):
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))

    def scope(self, ts):
        return f"{time.strftime('%Y%m%d', time.gmtime(ts))}/{self.region}/{self.service}/aws4_request"

    def credential(self, key_id, ts):
        return f"{key_id}/{self.scope(ts)}"

    def string_to_sign(self, ts, canonical_hash):
        return f"AWS4-HMAC-SHA256\n{self.timestamp_value(ts)}\n{self.scope(ts)}\n{canonical_hash}"

    def signing_key(self, secret, ts):
        key = hmac256(("AWS4" + secret).encode(), time.strftime("%Y%m%d", time.gmtime(ts)))
        for part in (self.region, self.service, "aws4_request"):
            key = hmac256(key, part)
        return key

    def outcome(self, r):
        return kingsoft_outcome(r)


# -- fronts signed in a `Signature` parameter ---------------------------------

class ParamSigned:
    """A form POST whose parameters carry the key id, the timestamp and the
    signature; nothing is in the headers, so the header-list cases do not
    apply."""
    path = "/"
    window = 300
    signature_param = "Signature"
    no_header_list = {name: NotApplicable("no signed-header list: the signature covers the parameters")
                      for name in ("auth_without_signed_headers", "signed_headers_without_host",
                                   "signed_headers_without_content_type")}

    def build(self, server, action=None, params=None, *, key_id=None, secret=None, ts=None, omit=(),
              signed=None, algorithm=None, garbage=False, ts_text=None):
        """As `HeaderSigned.build`; `credential` drops the key id parameter,
        `authorization` both it and the signature, `algorithm` claims another
        signature method (the signature itself stays HMAC-SHA256), `ts_text`
        is sent and signed as the timestamp."""
        assert signed is None, "no signed-header list here"
        key_id, secret = key_id or self.key_id, secret or self.secret
        ts = int(time.time()) if ts is None else int(ts)
        p = self.common(action or self.probe_action, key_id, ts)
        p.update(self.probe_params if params is None else params)
        if {"credential", "authorization"} & set(omit):
            del p[self.key_param]
        if ts_text is not None:
            p[self.timestamp_param] = ts_text
        if "timestamp" in omit:
            del p[self.timestamp_param]
        if algorithm:
            p[self.method_param] = algorithm
        p = {k: str(v) for k, v in p.items()}
        signature = "garbage" if garbage else self.sign(p, secret, server.endpoint)
        if not {"signature", "authorization"} & set(omit):
            p[self.signature_param] = signature
        return Wire(self.path, {"Content-Type": FORM, "Host": server.endpoint},
                    urllib.parse.urlencode(p).encode())

    def change_body(self, wire):
        fields = dict(urllib.parse.parse_qsl(wire.body.decode(), keep_blank_values=True))
        name, value = self.tamper
        fields[name] = value
        wire.body = urllib.parse.urlencode(fields).encode()


def tencent_v1_source(host, path, params):
    """`POST<host><path>?k=v&...`: decoded values, sorted by name with `_`
    read as `.` (tencent-api3.md §2.2, tencent-legacy-v2.md §2.1)."""
    pairs = sorted((k.replace("_", "."), v) for k, v in params.items())
    return f"POST{host}{path}?" + "&".join(f"{k}={v}" for k, v in pairs)


class TencentV1(ParamSigned):
    """Tencent API 3.0 with the v1 `Signature` parameter (HmacSHA256) on `/`
    (tencent-api3.md §2.2): same AuthFailure codes as TC3, HTTP 200."""
    name = "tencent-v1-lighthouse"
    key_id, secret = TENCENT_ID, TENCENT_KEY
    unknown_key_id = "AKIDNOBODY00000000000000000000000000"
    key_param, timestamp_param, method_param = "SecretId", "Timestamp", "SignatureMethod"
    wrong_algorithm = "HmacSHA512"
    probe_action = "DescribeInstances"
    probe_params = {"Limit": 1}
    tamper = ("Limit", "2")

    def __init__(self):
        failure = (200, "AuthFailure.SignatureFailure")
        expire = (200, "AuthFailure.SignatureExpire")
        self.expect = {
            **GOOD_REQUESTS,
            **self.no_header_list,
            "wrong_secret": failure,
            "unknown_key_id": (200, "AuthFailure.SecretIdNotFound"),
            "auth_garbage": failure,
            # Only HmacSHA1 and HmacSHA256 exist (§2.2).
            "auth_wrong_algorithm": (200, "InvalidParameterValue"),
            "auth_without_credential": (200, "MissingParameter"),
            "auth_without_signature": (200, "AuthFailure.InvalidAuthorization"),
            "no_authorization": (200, "AuthFailure.InvalidAuthorization"),
            "no_timestamp": (200, "MissingParameter"),
            "timestamp_too_old": expire,
            "timestamp_too_new": expire,
            "timestamp_at_the_integer_limit": expire,
            "body_changed_after_signing": failure,
            "host_changed_after_signing": failure,
        }

    def common(self, action, key_id, ts):
        return {"Action": action, "Version": "2020-03-24", "Region": "ap-guangzhou", "Timestamp": ts,
                "Nonce": secrets.randbelow(2**31) + 1, "SecretId": key_id, "SignatureMethod": "HmacSHA256"}

    def sign(self, params, secret, host):
        digest = hmac.new(secret.encode(), tencent_v1_source(host, "/", params).encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def outcome(self, r):
        return tencent_outcome(r)


class QcloudV2(ParamSigned):
    """Tencent legacy API 2.0 on `/v2/index.php` (tencent-legacy-v2.md §2):
    HTTP 200 and `{code, message, codeDesc}`; 4100 bad signature, 4104
    unknown SecretId, 4500 timestamp out of the window, 4000 a missing
    parameter (§3.3, §5)."""
    name = "tencent-legacy-v2"
    path = "/v2/index.php"
    key_id, secret = TENCENT_ID, TENCENT_KEY
    unknown_key_id = "AKIDNOBODY00000000000000000000000000"
    key_param, timestamp_param, method_param = "SecretId", "Timestamp", "SignatureMethod"
    # Any method but HmacSHA256 means HmacSHA1 (§1.3): an HmacSHA256
    # signature claimed as another method does not verify.
    wrong_algorithm = "HmacSHA512"
    probe_action = "DescribeInstances"
    probe_params = {"limit": 1}
    tamper = ("limit", "2")

    def __init__(self):
        self.expect = {
            **GOOD_REQUESTS,
            **self.no_header_list,
            "wrong_secret": (200, 4100),
            "unknown_key_id": (200, 4104),
            "auth_garbage": (200, 4100),
            "auth_wrong_algorithm": (200, 4100),
            "auth_without_credential": (200, 4000),
            "auth_without_signature": (200, 4100),
            # SecretId is looked up first; without it the request is incomplete.
            "no_authorization": (200, 4000),
            "no_timestamp": (200, 4000),
            "timestamp_too_old": (200, 4500),
            "timestamp_too_new": (200, 4500),
            "timestamp_at_the_integer_limit": (200, 4500),
            "body_changed_after_signing": (200, 4100),
            "host_changed_after_signing": (200, 4100),
        }

    def common(self, action, key_id, ts):
        return {"Action": action, "Region": "gz", "Timestamp": ts, "Nonce": secrets.randbelow(2**31) + 1,
                "SecretId": key_id, "SignatureMethod": "HmacSHA256"}

    def sign(self, params, secret, host):
        source = tencent_v1_source(host, self.path, params)
        return base64.b64encode(hmac.new(secret.encode(), source.encode(), hashlib.sha256).digest()).decode()

    def outcome(self, r):
        assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
        body = r.json()
        assert isinstance(body["code"], int) and "codeDesc" in body, body
        return r.status_code, None if body["code"] == 0 else body["code"]


class KingsoftLegacy(ParamSigned):
    """Kingsoft's legacy `Signature` parameter (kingsoft.md §2.4): hex
    HMAC-SHA256 over the sorted, RFC 3986-encoded parameters, an ISO
    `Timestamp`. It signs no header, so the Host is not covered."""
    name = "kingsoft-legacy"
    window = 15 * 60
    key_id, secret = KINGSOFT_ID, KINGSOFT_KEY
    unknown_key_id = "AKLTNOBODY0000000000000"
    key_param, timestamp_param, method_param = "Accesskey", "Timestamp", "SignatureMethod"
    probe_action = "DescribeInstances"
    probe_params = {"MaxResults": "10"}
    tamper = ("MaxResults", "20")

    def __init__(self, service="kec", probe_action=None):
        self.service = service
        if service != "kec":
            self.name = f"kingsoft-legacy-{service}"
        self.probe_action = probe_action or self.probe_action
        mismatch = (403, "SignatureDoesNotMatch")
        expired = (403, "RequestExpired")
        self.expect = {
            **GOOD_REQUESTS,
            **self.no_header_list,
            "wrong_secret": mismatch,
            "unknown_key_id": (403, "InvalidAccessKeyId"),
            "auth_garbage": mismatch,
            "auth_wrong_algorithm": NotApplicable("HMAC-SHA256 is the only method (§2.4)"),
            "auth_without_credential": (400, "MissingParameter"),
            "auth_without_signature": (403, "MissingAuthenticationToken"),
            "no_authorization": (403, "MissingAuthenticationToken"),
            "no_timestamp": (400, "MissingParameter"),
            "timestamp_too_old": expired,
            "timestamp_too_new": expired,
            "timestamp_at_the_integer_limit": (400, "InvalidParameterValue"),  # not an ISO time
            "body_changed_after_signing": mismatch,
            "host_changed_after_signing": NotApplicable("the legacy form signs no header, the Host included"),
        }

    def common(self, action, key_id, ts):
        return {"Accesskey": key_id, "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)),
                "SignatureVersion": "1.0", "SignatureMethod": "HMAC-SHA256", "Region": "cn-beijing-6",
                "Service": self.service, "Action": action, "Version": "2016-03-04"}

    def sign(self, params, secret, host):
        def enc(s):
            return urllib.parse.quote(s, safe="-_.~")
        source = "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in params.items()))
        return hmac.new(secret.encode(), source.encode(), hashlib.sha256).hexdigest()

    def outcome(self, r):
        return kingsoft_outcome(r)


def tencent_outcome(r):
    """API 3.0 transport rules (tencent-api3.md §1.4): HTTP 200, Content-Type
    exactly application/json, a RequestId, the code in `Response.Error`."""
    assert r.headers.get("Content-Type") == "application/json", r.headers
    body = r.json()["Response"]
    assert body["RequestId"], body
    return r.status_code, body.get("Error", {}).get("Code")


def kingsoft_outcome(r):
    """`{RequestId, Error: {Type, Code, Message}}` with a 4xx status (kingsoft.md §3)."""
    body = r.json()
    assert body.get("RequestId"), body
    if "Error" in body:
        assert body["Error"]["Type"] == "Sender" and body["Error"]["Message"], body
        return r.status_code, body["Error"]["Code"]
    return r.status_code, None


# -- the edge cases -------------------------------------------------------------

@dataclass
class Case:
    name: str
    make: Callable


def changed_body(d, server):
    wire = d.build(server)
    d.change_body(wire)
    return wire


def changed_host(d, server):
    wire = d.build(server)
    wire.headers["Host"] = f"tampered.example:{server.port}"
    return wire


def without(names, name):
    return [n for n in names if n != name]


CASES = [
    Case("control", lambda d, s: d.build(s)),
    Case("clock_skew_within_window", lambda d, s: d.build(s, ts=time.time() - d.window + 60)),
    Case("wrong_secret", lambda d, s: d.build(s, secret="not-" + d.secret)),
    Case("unknown_key_id", lambda d, s: d.build(s, key_id=d.unknown_key_id)),
    Case("auth_garbage", lambda d, s: d.build(s, garbage=True)),
    Case("auth_wrong_algorithm", lambda d, s: d.build(s, algorithm=d.wrong_algorithm)),
    Case("auth_without_credential", lambda d, s: d.build(s, omit={"credential"})),
    Case("auth_without_signed_headers", lambda d, s: d.build(s, omit={"signed_headers"})),
    Case("auth_without_signature", lambda d, s: d.build(s, omit={"signature"})),
    Case("no_authorization", lambda d, s: d.build(s, omit={"authorization"})),
    Case("no_timestamp", lambda d, s: d.build(s, omit={"timestamp"})),
    Case("timestamp_too_old", lambda d, s: d.build(s, ts=time.time() - d.window - 120)),
    Case("timestamp_too_new", lambda d, s: d.build(s, ts=time.time() + d.window + 120)),
    # The smallest 64-bit integer: `now - ts` must not overflow (a panic, no answer).
    Case("timestamp_at_the_integer_limit", lambda d, s: d.build(s, ts_text=str(-2**63))),
    Case("signed_headers_without_host", lambda d, s: d.build(s, signed=without(d.signed_headers, "host"))),
    Case("signed_headers_without_content_type",
         lambda d, s: d.build(s, signed=without(d.signed_headers, "content-type"))),
    Case("body_changed_after_signing", changed_body),
    Case("host_changed_after_signing", changed_host),
]

DIALECTS = [
    Tc3("lighthouse", "2020-03-24"),
    Tc3("cvm", "2017-03-12"),
    TencentV1(),
    QcloudV2(),
    Zc2(),
    SigV4(),
    SigV4(service="vpc", probe_action="DescribeSubnets"),
    KingsoftLegacy(),
    KingsoftLegacy(service="vpc", probe_action="DescribeSubnets"),
]


def edge_params():
    for d in DIALECTS:
        for case in CASES:
            expected = d.expect[case.name]
            if not isinstance(expected, NotApplicable):
                yield pytest.param(d, case, expected, id=f"{d.name}-{case.name}")


@pytest.fixture(scope="module")
def server():
    s = Server(speed=200)
    yield s
    s.stop()


def test_every_front_decides_every_case():
    names = {c.name for c in CASES}
    assert len(names) == len(CASES)
    for d in DIALECTS:
        assert set(d.expect) == names, d.name
        assert all(e.reason for e in d.expect.values() if isinstance(e, NotApplicable)), d.name
        assert d.expect["control"] == OK, "the control case proves the signer right"


@pytest.mark.parametrize("dialect,case,expected", list(edge_params()))
def test_auth_edge(server, dialect, case, expected):
    r = case.make(dialect, server).send(server)
    assert dialect.outcome(r) == expected, r.text


# -- secrets and passwords never appear in logs ---------------------------------

def public_key(kind):
    d = tempfile.mkdtemp(prefix="stratus-key-")
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "stratus-test", "-f", f"{d}/k"]
                   + (["-b", "2048"] if kind == "rsa" else []), check=True)
    return pathlib.Path(f"{d}/k.pub").read_text().strip()


def password():
    """Fits every vendor's rule (8-16 characters, upper, lower, digit, `!`)."""
    return f"Pw{secrets.token_hex(4)}!Xy9"


def test_secrets_and_passwords_never_appear_in_logs():
    tc_id, tc_key = "AKIDVAULT000000000000000000000000000", "tc-" + secrets.token_hex(16)
    zl_id, zl_key = "VAULTZENLAYER0001", "zl-" + secrets.token_hex(16)
    ks_id, ks_key = "AKLTVAULT00000000000000", "ks-" + secrets.token_hex(16)
    token = "zl-token-" + secrets.token_hex(16)
    config = f"""
[[accounts]]
name = "vault"
balance = 1000.0
bearer_tokens = ["{token}"]
tencent = {{ secret_id = "{tc_id}", secret_key = "{tc_key}" }}
zenlayer = {{ access_key_id = "{zl_id}", access_key_secret = "{zl_key}" }}
kingsoft = {{ access_key = "{ks_id}", secret_key = "{ks_key}" }}
"""
    secret_strings = [tc_key, zl_key, ks_key, token]
    lighthouse, cvm, v2 = Tc3("lighthouse", "2020-03-24"), Tc3("cvm", "2017-03-12"), QcloudV2()
    zec, ccs = Zc2(), Zc2(service="ccs")
    kec, sks = SigV4(), SigV4(service="sks", version="2015-11-01")
    creds = {lighthouse: (tc_id, tc_key), cvm: (tc_id, tc_key), v2: (tc_id, tc_key), zec: (zl_id, zl_key),
             ccs: (zl_id, zl_key), kec: (ks_id, ks_key), sks: (ks_id, ks_key)}

    s = Server(speed=200, config=config, extra=("--log-level", "trace"))
    try:
        def call(d, action, params, **kw):
            key_id, secret = creds[d]
            r = d.build(s, action, params, key_id=key_id, secret=secret, **kw).send(s)
            assert d.outcome(r) == OK, (action, r.text)
            return r.json()

        def refused(d, action, params):
            """The same call signed with a wrong secret: refused, password and all."""
            key_id, secret = creds[d]
            r = d.build(s, action, params, key_id=key_id, secret=secret + "-wrong").send(s)
            assert d.outcome(r)[1] is not None, r.text

        # Lighthouse: explicit password, generated password, reset, key import.
        pw = [password() for _ in range(8)]
        secret_strings += pw
        create = {"BundleId": "bundle_gen_01", "BlueprintId": "lhbp-c76k3m2a", "InstanceChargePrepaid": {"Period": 1},
                  "InstanceCount": 1}
        login = {"LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": pw[0]}}
        refused(lighthouse, "CreateInstances", {**create, **login})
        lh_id = call(lighthouse, "CreateInstances", {**create, **login})["Response"]["InstanceIdSet"][0]
        generated_for = call(lighthouse, "CreateInstances", create)["Response"]["InstanceIdSet"][0]
        mails = wait_until(lambda: [m["password"] for m in s.messages("vault") if m["instance_id"] == generated_for],
                           what="the generated password to be mailed")
        secret_strings += mails

        def lh_state():
            found = call(lighthouse, "DescribeInstances", {"InstanceIds": [lh_id]})["Response"]["InstanceSet"]
            return found[0]["InstanceState"] == "RUNNING"
        wait_until(lh_state, interval=0.05, what="the Lighthouse instance to run")
        refused(lighthouse, "ResetInstancesPassword", {"InstanceIds": [lh_id], "Password": pw[1]})
        call(lighthouse, "ResetInstancesPassword", {"InstanceIds": [lh_id], "Password": pw[1]})
        call(lighthouse, "ImportKeyPair", {"KeyName": "vaultkey", "PublicKey": public_key("ed25519")})

        # CVM: RunInstances with a password, then the legacy ResetInstances.
        run = {"Placement": {"Zone": "ap-guangzhou-3"}, "ImageId": "img-l8og963d", "InstanceType": "S5.MEDIUM4",
               "InstanceCount": 1, "InstanceChargeType": "POSTPAID_BY_HOUR", "LoginSettings": {"Password": pw[2]}}
        cvm_id = call(cvm, "RunInstances", run)["Response"]["InstanceIdSet"][0]

        def cvm_state():
            found = call(cvm, "DescribeInstances", {"InstanceIds": [cvm_id]})["Response"]["InstanceSet"]
            return found[0]["InstanceState"] == "RUNNING"
        wait_until(cvm_state, interval=0.05, what="the CVM instance to run")
        refused(v2, "ResetInstances", {"instanceId": cvm_id, "password": pw[3]})
        call(v2, "ResetInstances", {"instanceId": cvm_id, "password": pw[3]})

        # Zenlayer: create with a password, reset it, import a key, a bearer call.
        subnet = next(x["id"] for x in ZEC_CATALOG["zec"]["subnets"] if x["region"] == "asia-east-1")
        zcreate = {"zoneId": "asia-east-1a", "imageId": "ubuntu2404_20240712", "instanceType": "z2a.cpu.2",
                   "subnetId": subnet, "instanceCount": 1, "password": pw[4]}
        refused(zec, "CreateZecInstances", zcreate)
        zl_iid = call(zec, "CreateZecInstances", zcreate)["response"]["instanceIdSet"][0]

        def zl_state():
            found = call(zec, "DescribeInstancesStatus", {"instanceIds": [zl_iid]})["response"]["dataSet"]
            return found and found[0]["instanceStatus"] == "RUNNING"
        wait_until(zl_state, interval=0.05, what="the ZEC instance to run")
        refused(zec, "ResetInstancePassword", {"instanceId": zl_iid, "password": pw[5]})
        call(zec, "ResetInstancePassword", {"instanceId": zl_iid, "password": pw[5]})
        call(ccs, "ImportKeyPair", {"keyName": "vaultkey", "publicKey": public_key("ed25519")})
        bearer = requests.post(f"http://{s.endpoint}/api/v2/zec", data=b"{}", timeout=10, headers={
            "Content-Type": "application/json", "x-zc-action": "DescribeZones", "x-zc-version": "2025-09-01",
            "x-zc-service": "zec", "Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200, bearer.text
        wrong_bearer = requests.post(f"http://{s.endpoint}/api/v2/zec", data=b"{}", timeout=10, headers={
            "Content-Type": "application/json", "x-zc-action": "DescribeZones", "x-zc-version": "2025-09-01",
            "x-zc-service": "zec", "Authorization": f"Bearer {token}x"})
        assert wrong_bearer.status_code == 401, wrong_bearer.text

        # Kingsoft: RunInstances with a password, a created and an imported key.
        vpc = SigV4(service="vpc")
        creds[vpc] = (ks_id, ks_key)
        subnet = next(x["SubnetId"] for x in call(vpc, "DescribeSubnets", {})["SubnetSet"]
                      if x["AvailabilityZoneName"] == "cn-beijing-6a")
        group = call(vpc, "DescribeSecurityGroups", {})["SecurityGroupSet"][0]["SecurityGroupId"]
        image = next(i["id"] for i in KEC_CATALOG["images"] if i["name"] == "CentOS-7.9 64位")
        krun = {"ImageId": image, "InstanceType": "N3.2B", "MaxCount": "1", "MinCount": "1", "SubnetId": subnet,
                "ChargeType": "HourlyInstantSettlement", "SecurityGroupId.1": group, "InstancePassword": pw[6]}
        refused(kec, "RunInstances", krun)
        call(kec, "RunInstances", krun)
        private = call(sks, "CreateKey", {"KeyName": "vaultmade"})["PrivateKey"]
        body_lines = [line for line in private.splitlines() if line and not line.startswith("-----")]
        assert body_lines, private
        secret_strings += body_lines[len(body_lines) // 2: len(body_lines) // 2 + 1]
        call(sks, "ImportKey", {"KeyName": "vaultkey", "PublicKey": public_key("rsa")})
        legacy = KingsoftLegacy()
        r = legacy.build(s, "RunInstances", {**krun, "InstancePassword": pw[7]}, key_id=ks_id, secret=ks_key).send(s)
        assert legacy.outcome(r) == OK, r.text
    finally:
        s.stop()

    log = s.log_text()
    assert "request refused" in log, "debug logging was on: refusals are logged (without secrets)"
    leaked = [x for x in secret_strings if x in log]
    assert not leaked, f"secrets in the server log: {leaked}\n{log[-3000:]}"
