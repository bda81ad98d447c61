//! Requests as each vendor's official client sends them: the wire body of
//! an action's parameters, and the request signed with an account's
//! credential (TC3 for Lighthouse and CVM, ZC2 for ZEC, SigV4 for KEC),
//! and how an answer reads. The console's actions go through the dialects
//! this way, exactly as an API call would; `stratus bench` loads a server
//! with the same requests.

use crate::kingsoft::signature::{sigv4_signature, SigV4Authorization, SigV4Input};
use crate::tencent::signature::sign_tc3;
use crate::zenlayer::signature::{signature as zc2_signature, SignedParts};
use bytes::Bytes;
use serde_json::Value;
use std::sync::LazyLock;
use stratus_engine::clock::Timestamp;

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// A vendor API a client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Tencent Cloud Lighthouse (API 3.0, 2020-03-24).
    Lighthouse,
    /// Tencent Cloud CVM (API 3.0, 2017-03-12).
    Cvm,
    /// Zenlayer ZEC (2025-09-01).
    Zec,
    /// Kingsoft KEC (2016-03-04).
    Kec,
}

/// Who signs, in which region.
#[derive(Debug, Clone)]
pub struct Signer {
    pub key_id: String,
    pub secret: String,
    pub region: String,
}

/// A signed request: always a POST, to `path`, with these headers (names
/// in lower case, `host` included) and body.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    pub path: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// How an answer reads: its request id, and the vendor's code and message
/// if it is an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub request_id: String,
    pub error: Option<(String, String)>,
    /// The action's fields (of a success).
    pub response: Value,
}

impl Service {
    /// The credential scheme (the configuration's table) the vendor signs with.
    pub fn scheme(self) -> &'static str {
        match self {
            Self::Lighthouse | Self::Cvm => "tencent",
            Self::Zec => "zenlayer",
            Self::Kec => "kingsoft",
        }
    }

    /// The wire body of parameters (JSON, or KEC's flattened form).
    pub fn encode(self, params: &Value) -> Bytes {
        match self {
            Self::Kec => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                flatten(&mut form, "", params);
                Bytes::from(form.finish())
            }
            _ => Bytes::from(serde_json::to_vec(params).unwrap_or_else(|_| b"{}".to_vec())),
        }
    }

    /// `action` with an encoded `body`, signed by `signer` at `now` (seconds
    /// since the epoch) for a server reached as `host`.
    pub fn sign(
        self,
        host: &str,
        signer: &Signer,
        action: &str,
        body: Bytes,
        now: i64,
    ) -> Result<SignedRequest, String> {
        let header = |k: &str, v: &str| (k.to_string(), v.to_string());
        Ok(match self {
            Self::Lighthouse | Self::Cvm => {
                let (service, version) = if self == Self::Cvm {
                    ("cvm", "2017-03-12")
                } else {
                    ("lighthouse", "2020-03-24")
                };
                let authorization = sign_tc3(
                    &signer.key_id,
                    &signer.secret,
                    service,
                    now,
                    host,
                    JSON,
                    &body,
                );
                SignedRequest {
                    path: "/",
                    headers: vec![
                        header("host", host),
                        header("content-type", JSON),
                        header("x-tc-action", action),
                        header("x-tc-version", version),
                        header("x-tc-timestamp", &now.to_string()),
                        header("x-tc-region", &signer.region),
                        header("authorization", &authorization),
                    ],
                    body,
                }
            }
            Self::Zec => {
                let timestamp = now.to_string();
                let parts = SignedParts {
                    content_type: JSON,
                    host,
                    timestamp: &timestamp,
                    body: &body,
                };
                let signature = zc2_signature(&signer.secret, &parts);
                let authorization = format!(
                    "ZC2-HMAC-SHA256 Credential={}, SignedHeaders=content-type;host, Signature={signature}",
                    signer.key_id
                );
                SignedRequest {
                    path: "/api/v2/zec",
                    headers: vec![
                        header("host", host),
                        header("content-type", JSON),
                        header("x-zc-action", action),
                        header("x-zc-version", "2025-09-01"),
                        header("x-zc-service", "zec"),
                        header("x-zc-signature-method", "ZC2-HMAC-SHA256"),
                        header("x-zc-timestamp", &timestamp),
                        header("authorization", &authorization),
                    ],
                    body,
                }
            }
            Self::Kec => {
                let mut form = format!("Action={action}&Version=2016-03-04");
                if !body.is_empty() {
                    form.push('&');
                    form.push_str(&String::from_utf8_lossy(&body));
                }
                let plain = Timestamp(now.saturating_mul(1000)).plain_datetime();
                let amz_date = format!(
                    "{}T{}Z",
                    &plain[..10].replace('-', ""),
                    &plain[11..].replace(':', "")
                );
                let mut auth = SigV4Authorization {
                    access_key: signer.key_id.clone(),
                    date: amz_date[..8].to_string(),
                    region: signer.region.clone(),
                    service: "kec".to_string(),
                    signed_headers: "content-type;host;x-amz-date".to_string(),
                    signature: String::new(),
                };
                let signed = [
                    header("content-type", FORM),
                    header("host", host),
                    header("x-amz-date", &amz_date),
                ];
                let signed_as_received: crate::request::Headers = signed.iter().cloned().collect();
                let input = SigV4Input {
                    method: "POST",
                    path: "/",
                    query: "",
                    headers: &signed_as_received,
                    body: form.as_bytes(),
                    amz_date: &amz_date,
                };
                auth.signature =
                    sigv4_signature(&signer.secret, &auth, &input).map_err(|e| e.to_string())?;
                let authorization = format!(
                    "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
                    auth.access_key, auth.date, auth.region, auth.service, auth.signed_headers, auth.signature
                );
                let mut headers = signed.to_vec();
                headers.push(header("accept", JSON));
                headers.push(header("authorization", &authorization));
                SignedRequest {
                    path: "/",
                    headers,
                    body: Bytes::from(form),
                }
            }
        })
    }

    /// The error code of an answer, if it is an error. A success is told
    /// without parsing its body (a benchmark's client shares the machine
    /// with the server, and parsing every listing would slow both).
    pub fn error_code(self, status: u16, body: &[u8]) -> Option<String> {
        // Only an answer holding the text `"Error"` (the envelope's key, or
        // a string that is exactly that word) is parsed to read the code:
        // a page is 30 KB, searched by a vectorised searcher built once.
        static ERROR_KEY: LazyLock<memchr::memmem::Finder<'static>> =
            LazyLock::new(|| memchr::memmem::Finder::new(b"\"Error\""));
        let tencent_error = || ERROR_KEY.find(body).is_some();
        let pointer = match self {
            Self::Lighthouse | Self::Cvm if tencent_error() => "/Response/Error/Code",
            Self::Zec if status != 200 => "/code",
            Self::Kec if status != 200 => "/Error/Code",
            _ => return None,
        };
        let v: Value = serde_json::from_slice(body).ok()?;
        v.pointer(pointer)?.as_str().map(str::to_string)
    }

    /// The action fields of a successful answer.
    pub fn response(self, mut v: Value) -> Value {
        match self {
            Self::Lighthouse | Self::Cvm => {
                v.get_mut("Response").map(Value::take).unwrap_or_default()
            }
            Self::Zec => v.get_mut("response").map(Value::take).unwrap_or_default(),
            Self::Kec => v,
        }
    }

    /// An answer read whole.
    pub fn answer(self, status: u16, body: &[u8]) -> Answer {
        let v: Value = serde_json::from_slice(body).unwrap_or_default();
        let text = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (request_id, error) = match self {
            Self::Lighthouse | Self::Cvm => (
                text("/Response/RequestId"),
                v.pointer("/Response/Error").map(|_| {
                    (
                        text("/Response/Error/Code"),
                        text("/Response/Error/Message"),
                    )
                }),
            ),
            Self::Zec => (
                text("/requestId"),
                (status != 200).then(|| (text("/code"), text("/message"))),
            ),
            Self::Kec => (
                text("/RequestId"),
                (status != 200).then(|| (text("/Error/Code"), text("/Error/Message"))),
            ),
        };
        let response = if error.is_none() {
            self.response(v)
        } else {
            Value::Null
        };
        Answer {
            request_id,
            error,
            response,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kec_bodies_are_flattened_one_based() {
        let body = Service::Kec.encode(&json!({"InstanceId": ["a", "b"], "MaxResults": 20}));
        assert_eq!(
            body,
            Bytes::from("InstanceId.1=a&InstanceId.2=b&MaxResults=20")
        );
    }

    #[test]
    fn answers_read_per_service() {
        assert_eq!(
            Service::Zec.error_code(403, br#"{"requestId":"T1","code":"OPERATION_DENIED_INSTANCE_STATUS","message":"m"}"#).as_deref(),
            Some("OPERATION_DENIED_INSTANCE_STATUS")
        );
        assert_eq!(Service::Zec.error_code(200, br#"{"response":{}}"#), None);
        assert_eq!(
            Service::Lighthouse
                .error_code(200, br#"{"Response":{"Error":{"Code":"LimitExceeded"}}}"#)
                .as_deref(),
            Some("LimitExceeded")
        );
        // A name that reads "Error" is a string, its quotes escaped.
        assert_eq!(
            Service::Lighthouse.error_code(
                200,
                br#"{"Response":{"InstanceSet":[{"InstanceName":"\"Error\""}]}}"#
            ),
            None
        );
        assert_eq!(
            Service::Kec
                .error_code(
                    400,
                    br#"{"RequestId":"r","Error":{"Code":"InstanceNotFound"}}"#
                )
                .as_deref(),
            Some("InstanceNotFound")
        );
        assert_eq!(
            Service::Cvm.answer(
                200,
                br#"{"Response":{"RequestId":"r1","Error":{"Code":"C","Message":"M"}}}"#
            ),
            Answer {
                request_id: "r1".into(),
                error: Some(("C".into(), "M".into())),
                response: Value::Null,
            }
        );
        let ok = Service::Zec.answer(200, br#"{"requestId":"r2","response":{"a":1}}"#);
        assert_eq!(
            (ok.request_id.as_str(), ok.error, ok.response),
            ("r2", None, json!({"a": 1}))
        );
    }
}
