//! What differs between the products a benchmark can drive: how a request
//! is encoded and signed, how an answer reads, and the bodies of the
//! actions the phases send. One entry per product; the phases are shared.

use bytes::Bytes;
use http_body_util::Full;
use hyper::Method;
use serde_json::{json, Value};
use stratus_api::client::Service;
pub use stratus_api::client::Signer;

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

impl Product {
    /// The region the benchmark's requests name.
    pub fn region(self) -> &'static str {
        match self {
            Product::Lighthouse | Product::Cvm => "ap-guangzhou",
            Product::Zec => "asia-east-1",
            Product::Kec => "cn-beijing-6",
        }
    }

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

    /// How the product's client signs and reads (shared with the console).
    pub fn service(self) -> Service {
        match self {
            Product::Lighthouse => Service::Lighthouse,
            Product::Cvm => Service::Cvm,
            Product::Zec => Service::Zec,
            Product::Kec => Service::Kec,
        }
    }

    /// The error code of an answer, if it is an error.
    pub fn error_code(self, status: u16, body: &[u8]) -> Option<String> {
        self.service().error_code(status, body)
    }

    /// The action fields of a successful answer.
    pub fn response(self, v: Value) -> Value {
        self.service().response(v)
    }

    /// The wire body of parameters (JSON, or a flattened form for KEC).
    pub fn encode(self, params: &Value) -> Bytes {
        self.service().encode(params)
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

    /// A page of running instances carrying the bench's tag (the tag
    /// `setup` gives them), where the product filters by state and tag.
    pub fn filtered(self, offset: usize, limit: usize) -> Option<Value> {
        match self {
            Product::Lighthouse | Product::Cvm => {
                Some(json!({"Offset": offset, "Limit": limit, "Filters": [
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
        let signed = self
            .service()
            .sign(authority, signer, action, body, unix_now())?;
        let mut builder = hyper::Request::builder()
            .method(Method::POST)
            .uri(signed.path);
        for (name, value) in &signed.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(signed.body))
            .map_err(|e| format!("cannot build the request: {e}"))
    }
}

/// Seconds since the epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
