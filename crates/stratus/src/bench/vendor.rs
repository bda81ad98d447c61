//! What differs between the products a benchmark can drive: how a request
//! is encoded and signed, how an answer reads, and the bodies of the
//! actions the phases send. One entry per product; the phases are shared.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::Method;
use serde_json::{json, Value};
use stratus_api::kingsoft::signature::{sigv4_signature, SigV4Authorization, SigV4Input};
use stratus_api::tencent::signature::sign_tc3;
use stratus_api::zenlayer::signature::{signature as zc2_signature, SignedParts};
use stratus_engine::clock::Timestamp;

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
const PASSWORD: &str = "Bench!Passw0rd";

/// A product a benchmark drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Product {
    /// Tencent Cloud Lighthouse (API 3.0, 2020-03-24).
    Lighthouse,
    /// Tencent Cloud CVM (API 3.0, 2017-03-12).
    Cvm,
    /// Zenlayer ZEC (2025-09-01).
    Zec,
    /// Kingsoft KEC (2016-03-04).
    Kec,
}

/// Who signs: the key id and secret.
#[derive(Debug, Clone)]
pub struct Signer {
    pub key_id: String,
    pub secret: String,
}

impl Product {
    /// The development credentials of the product's vendor.
    pub fn development_credentials(self) -> (&'static str, &'static str) {
        use crate::config::development::*;
        match self {
            Product::Lighthouse | Product::Cvm => (TENCENT_SECRET_ID, TENCENT_SECRET_KEY),
            Product::Zec => (ZENLAYER_ACCESS_KEY_ID, ZENLAYER_ACCESS_KEY_SECRET),
            Product::Kec => (KINGSOFT_ACCESS_KEY, KINGSOFT_SECRET_KEY),
        }
    }

    /// The codes that mean "still busy with the previous operation".
    pub fn busy_codes(self) -> &'static [&'static str] {
        match self {
            Product::Lighthouse => &[
                "UnsupportedOperation.LatestOperationUnfinished",
                "OperationDenied.InstanceOperationInProgress",
            ],
            Product::Cvm => &[
                "UnsupportedOperation.InstanceStateRebooting",
                "OperationDenied.InstanceOperationInProgress",
            ],
            Product::Zec => &["OPERATION_DENIED_INSTANCE_STATUS"],
            Product::Kec => &[
                "InstanceStateNotSupportedReboot",
                "InstanceStateNotSupported",
            ],
        }
    }

    /// The error code of an answer, if it is an error. A success is told
    /// without parsing its body: the client shares the machine with the
    /// server, and parsing every 30 KB listing would slow both.
    pub fn error_code(self, status: u16, body: &[u8]) -> Option<String> {
        let pointer = match self {
            Product::Lighthouse | Product::Cvm if contains(body, b"\"Error\"") => {
                "/Response/Error/Code"
            }
            Product::Zec if status != 200 => "/code",
            Product::Kec if status != 200 => "/Error/Code",
            _ => return None,
        };
        let v: Value = serde_json::from_slice(body).ok()?;
        v.pointer(pointer)?.as_str().map(str::to_string)
    }

    /// The action fields of a successful answer.
    pub fn response(self, mut v: Value) -> Value {
        match self {
            Product::Lighthouse | Product::Cvm => {
                v.get_mut("Response").map(Value::take).unwrap_or_default()
            }
            Product::Zec => v.get_mut("response").map(Value::take).unwrap_or_default(),
            Product::Kec => v,
        }
    }

    /// The wire body of parameters (JSON, or a flattened form for KEC).
    pub fn encode(self, params: &Value) -> Bytes {
        match self {
            Product::Kec => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                flatten(&mut form, "", params);
                Bytes::from(form.finish())
            }
            _ => Bytes::from(serde_json::to_vec(params).unwrap_or_else(|_| b"{}".to_vec())),
        }
    }

    /// The create action and its parameters for `count` instances.
    pub fn create(self, count: usize) -> (&'static str, Value) {
        match self {
            Product::Lighthouse => (
                "CreateInstances",
                json!({"BundleId": "bundle_gen_01", "BlueprintId": "lhbp-c76k3m2a", "InstanceCount": count,
                       "InstanceChargePrepaid": {"Period": 1}, "Tags": [{"Key": "bench", "Value": "scale"}],
                       "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": PASSWORD}}),
            ),
            Product::Cvm => (
                "RunInstances",
                json!({"Placement": {"Zone": "ap-guangzhou-3"}, "ImageId": "img-l8og963d", "InstanceType": "S5.MEDIUM4",
                       "InstanceCount": count, "LoginSettings": {"Password": PASSWORD},
                       "TagSpecification": [{"ResourceType": "instance", "Tags": [{"Key": "bench", "Value": "scale"}]}]}),
            ),
            Product::Zec => (
                "CreateZecInstances",
                json!({"zoneId": "asia-east-1a", "imageId": "ubuntu2404_20240712", "instanceType": "z2a.cpu.2",
                       "subnetId": "1272168087751233112", "instanceCount": count, "password": PASSWORD}),
            ),
            Product::Kec => (
                "RunInstances",
                json!({"ImageId": "IMG-908921b0-7406-5721-bbc1-38e1dc1f7575", "InstanceType": "N3.2B",
                       "MaxCount": count, "MinCount": count, "SubnetId": "cbc4a7bd-2136-53a4-9d48-218f9d5e6e2a",
                       "SecurityGroupId": ["f5f7220b-5bb5-53ce-a5e5-b1ec50e95bb0"],
                       "ChargeType": "HourlyInstantSettlement", "InstancePassword": "Bench1Passw0rd"}),
            ),
        }
    }

    /// How many instances a create answer names.
    pub fn created(self, response: &Value) -> usize {
        let key = match self {
            Product::Lighthouse | Product::Cvm => "InstanceIdSet",
            Product::Zec => "instanceIdSet",
            Product::Kec => "InstancesSet",
        };
        response
            .get(key)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    /// Parameters of one listing page.
    pub fn page(self, offset: usize, limit: usize) -> Value {
        match self {
            Product::Lighthouse | Product::Cvm => json!({"Offset": offset, "Limit": limit}),
            Product::Zec => json!({"pageNum": offset / limit.max(1) + 1, "pageSize": limit}),
            Product::Kec => json!({"Marker": offset, "MaxResults": limit.max(5)}),
        }
    }

    /// The total and the (id, state) pairs of a listing page.
    pub fn listed(self, response: &Value) -> (usize, Vec<(String, String)>) {
        let (total, set, id, state) = match self {
            Product::Lighthouse | Product::Cvm => {
                ("TotalCount", "InstanceSet", "/InstanceId", "/InstanceState")
            }
            Product::Zec => ("totalCount", "dataSet", "/instanceId", "/status"),
            Product::Kec => (
                "InstanceCount",
                "InstancesSet",
                "/InstanceId",
                "/InstanceState/Name",
            ),
        };
        let total = response.get(total).and_then(Value::as_u64).unwrap_or(0) as usize;
        let items = response
            .get(set)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| {
                        Some((
                            i.pointer(id)?.as_str()?.to_string(),
                            i.pointer(state)?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        (total, items)
    }

    /// The state name of a running instance.
    pub fn running(self) -> &'static str {
        match self {
            Product::Kec => "active",
            _ => "RUNNING",
        }
    }

    /// Parameters naming one instance (DescribeInstances, RebootInstances).
    pub fn one_instance(self, id: &str) -> Value {
        match self {
            Product::Lighthouse | Product::Cvm => json!({"InstanceIds": [id]}),
            Product::Zec => json!({"instanceIds": [id]}),
            Product::Kec => json!({"InstanceId": [id]}),
        }
    }

    /// Parameters of a page of 20 instances.
    pub fn twenty(self) -> Value {
        self.page(0, 20)
    }

    /// A page of 20 running instances carrying the bench's tag (the tag
    /// `setup` gives them), where the product filters by state and tag.
    pub fn filtered(self) -> Option<Value> {
        match self {
            Product::Lighthouse | Product::Cvm => {
                Some(json!({"Offset": 0, "Limit": 20, "Filters": [
                {"Name": "instance-state", "Values": ["RUNNING"]},
                {"Name": "tag-key", "Values": ["bench"]}]}))
            }
            Product::Zec | Product::Kec => None,
        }
    }

    /// A signed request for `action` with an encoded `body`.
    pub fn request(
        self,
        authority: &str,
        signer: &Signer,
        action: &str,
        body: Bytes,
    ) -> Result<hyper::Request<Full<Bytes>>, String> {
        let now = unix_now();
        let builder = hyper::Request::builder()
            .method(Method::POST)
            .header(HOST, authority);
        let built = match self {
            Product::Lighthouse | Product::Cvm => {
                let (service, version) = if self == Product::Cvm {
                    ("cvm", "2017-03-12")
                } else {
                    ("lighthouse", "2020-03-24")
                };
                let authorization = sign_tc3(
                    &signer.key_id,
                    &signer.secret,
                    service,
                    now,
                    authority,
                    JSON,
                    &body,
                );
                builder
                    .uri("/")
                    .header(CONTENT_TYPE, JSON)
                    .header("X-TC-Action", action)
                    .header("X-TC-Version", version)
                    .header("X-TC-Timestamp", now.to_string())
                    .header("X-TC-Region", "ap-guangzhou")
                    .header(AUTHORIZATION, authorization)
                    .body(Full::new(body))
            }
            Product::Zec => {
                let timestamp = now.to_string();
                let parts = SignedParts {
                    content_type: JSON,
                    host: authority,
                    timestamp: &timestamp,
                    body: &body,
                };
                let signature = zc2_signature(&signer.secret, &parts);
                builder
                    .uri("/api/v2/zec")
                    .header(CONTENT_TYPE, JSON)
                    .header("x-zc-action", action)
                    .header("x-zc-version", "2025-09-01")
                    .header("x-zc-service", "zec")
                    .header("x-zc-signature-method", "ZC2-HMAC-SHA256")
                    .header("x-zc-timestamp", timestamp)
                    .header(
                        AUTHORIZATION,
                        format!(
                            "ZC2-HMAC-SHA256 Credential={}, SignedHeaders=content-type;host, Signature={signature}",
                            signer.key_id
                        ),
                    )
                    .body(Full::new(body))
            }
            Product::Kec => {
                let mut form = format!("Action={action}&Version=2016-03-04");
                if !body.is_empty() {
                    form.push('&');
                    form.push_str(&String::from_utf8_lossy(&body));
                }
                let plain = Timestamp(now * 1000).plain_datetime();
                let amz_date = format!(
                    "{}T{}Z",
                    &plain[..10].replace('-', ""),
                    &plain[11..].replace(':', "")
                );
                let mut auth = SigV4Authorization {
                    access_key: signer.key_id.clone(),
                    date: amz_date[..8].to_string(),
                    region: "cn-beijing-6".to_string(),
                    service: "kec".to_string(),
                    signed_headers: "content-type;host;x-amz-date".to_string(),
                    signature: String::new(),
                };
                let headers = [
                    ("content-type".to_string(), FORM.to_string()),
                    ("host".to_string(), authority.to_string()),
                    ("x-amz-date".to_string(), amz_date.clone()),
                ];
                let input = SigV4Input {
                    method: "POST",
                    path: "/",
                    query: "",
                    headers: &headers,
                    body: form.as_bytes(),
                    amz_date: &amz_date,
                };
                auth.signature =
                    sigv4_signature(&signer.secret, &auth, &input).map_err(|e| e.to_string())?;
                builder
                    .uri("/")
                    .header(CONTENT_TYPE, FORM)
                    .header("Accept", JSON)
                    .header("x-amz-date", amz_date)
                    .header(
                        AUTHORIZATION,
                        format!(
                            "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
                            auth.access_key, auth.date, auth.region, auth.service, auth.signed_headers, auth.signature
                        ),
                    )
                    .body(Full::new(Bytes::from(form)))
            }
        };
        built.map_err(|e| format!("cannot build the request: {e}"))
    }
}

/// KEC's flattening: objects `A.B`, lists `A.1`, `A.2` (1-based).
fn flatten(form: &mut form_urlencoded::Serializer<'_, String>, prefix: &str, v: &Value) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(map) => map.iter().for_each(|(k, v)| flatten(form, &key(k), v)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(form, &key(&(i + 1).to_string()), v)),
        Value::String(s) => {
            form.append_pair(prefix, s);
        }
        other => {
            form.append_pair(prefix, &other.to_string());
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Seconds since the epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kec_bodies_are_flattened_one_based() {
        let body = Product::Kec.encode(&json!({"InstanceId": ["a", "b"], "MaxResults": 20}));
        assert_eq!(
            body,
            Bytes::from("InstanceId.1=a&InstanceId.2=b&MaxResults=20")
        );
    }

    #[test]
    fn answers_read_per_product() {
        assert_eq!(
            Product::Zec.error_code(403, br#"{"requestId":"T1","code":"OPERATION_DENIED_INSTANCE_STATUS","message":"m"}"#).as_deref(),
            Some("OPERATION_DENIED_INSTANCE_STATUS")
        );
        assert_eq!(Product::Zec.error_code(200, br#"{"response":{}}"#), None);
        assert_eq!(
            Product::Kec
                .error_code(
                    400,
                    br#"{"RequestId":"r","Error":{"Code":"InstanceNotFound"}}"#
                )
                .as_deref(),
            Some("InstanceNotFound")
        );
        let (total, items) = Product::Kec.listed(&json!({"InstanceCount": 1, "InstancesSet": [{"InstanceId": "i", "InstanceState": {"Name": "active"}}]}));
        assert_eq!(
            (total, items),
            (1, vec![("i".to_string(), "active".to_string())])
        );
    }
}
