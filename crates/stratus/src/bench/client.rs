//! One signed HTTP/1.1 keep-alive connection to the server under test.
//! Every worker owns exactly one [`Conn`]; every request is signed afresh.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::Method;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use stratus_api::tencent::signature::sign_tc3;
use tokio::net::TcpStream;

/// The Lighthouse API version every request names.
const REGION: &str = "ap-guangzhou";

const JSON: &str = "application/json";

/// The Tencent API 3.0 product a benchmark drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Product {
    Lighthouse,
    Cvm,
}

impl Product {
    /// The signing service name.
    pub fn service(self) -> &'static str {
        match self {
            Product::Lighthouse => "lighthouse",
            Product::Cvm => "cvm",
        }
    }

    fn version(self) -> &'static str {
        match self {
            Product::Lighthouse => "2020-03-24",
            Product::Cvm => "2017-03-12",
        }
    }

    /// The codes that mean "still busy with the previous operation".
    fn busy_codes(self) -> &'static [&'static str] {
        match self {
            Product::Lighthouse => &[
                "UnsupportedOperation.LatestOperationUnfinished",
                "OperationDenied.InstanceOperationInProgress",
            ],
            Product::Cvm => &[
                "UnsupportedOperation.InstanceStateRebooting",
                "OperationDenied.InstanceOperationInProgress",
            ],
        }
    }

    /// The create action and its body for `count` instances.
    pub fn create(self, count: usize) -> (&'static str, serde_json::Value) {
        match self {
            Product::Lighthouse => (
                "CreateInstances",
                serde_json::json!({
                    "BundleId": "bundle_gen_01",
                    "BlueprintId": "lhbp-c76k3m2a",
                    "InstanceCount": count,
                    "InstanceChargePrepaid": {"Period": 1},
                    "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "Bench!Passw0rd"},
                }),
            ),
            Product::Cvm => (
                "RunInstances",
                serde_json::json!({
                    "Placement": {"Zone": "ap-guangzhou-3"},
                    "ImageId": "img-l8og963d",
                    "InstanceType": "S5.MEDIUM4",
                    "InstanceCount": count,
                    "LoginSettings": {"Password": "Bench!Passw0rd"},
                }),
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    pub product: Product,
    /// `host:port`, used both to connect and as the (signed) `Host` header.
    pub authority: String,
    pub secret_id: String,
    pub secret_key: String,
}

impl Target {
    /// A target from an `http://host[:port][/]` URL.
    pub fn new(
        product: Product,
        url: &str,
        secret_id: &str,
        secret_key: &str,
    ) -> Result<Self, String> {
        Ok(Self {
            product,
            authority: authority(url)?,
            secret_id: secret_id.to_string(),
            secret_key: secret_key.to_string(),
        })
    }
}

/// `host:port` of an `http://` URL (port 80 when absent).
fn authority(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--target must be an http:// URL, not `{url}`"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("--target `{url}` names no host"));
    }
    let has_port = match host.rfind(':') {
        Some(i) => !host[i..].contains(']'),
        None => false,
    };
    Ok(if has_port {
        host.to_string()
    } else {
        format!("{host}:80")
    })
}

/// How the server answered one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// HTTP 200 with no `Error` in the response.
    Ok,
    /// The instance was still busy with an earlier operation.
    Busy,
    /// Any other answer.
    Failed,
}

/// A response: status and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
    /// The product's codes for "still busy".
    pub busy: &'static [&'static str],
}

impl Reply {
    /// Classifies the reply.
    pub fn outcome(&self) -> Outcome {
        if self.status == 200 && !contains(&self.body, b"\"Error\"") {
            Outcome::Ok
        } else if self
            .error_code()
            .is_some_and(|c| self.busy.contains(&c.as_str()))
        {
            Outcome::Busy
        } else {
            Outcome::Failed
        }
    }

    /// `Response.Error.Code`, if the body carries one.
    pub fn error_code(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        v.pointer("/Response/Error/Code")?
            .as_str()
            .map(str::to_string)
    }

    /// The parsed `Response` object of a successful reply.
    pub fn response(&self) -> Result<serde_json::Value, String> {
        if self.outcome() != Outcome::Ok {
            return Err(format!(
                "HTTP {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            ));
        }
        let mut v: serde_json::Value = serde_json::from_slice(&self.body)
            .map_err(|e| format!("the response is not JSON: {e}"))?;
        Ok(v.get_mut("Response")
            .map(serde_json::Value::take)
            .unwrap_or_default())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One keep-alive connection.
pub struct Conn {
    target: Arc<Target>,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    /// Connects and performs the HTTP/1.1 handshake.
    pub async fn open(target: Arc<Target>) -> Result<Self, String> {
        let stream = TcpStream::connect(&target.authority)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", target.authority))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {} failed: {e}", target.authority))?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes.
            let _ = connection.await;
        });
        Ok(Self { target, sender })
    }

    /// Reconnects after a transport error.
    /// The product this connection talks to.
    pub fn product(&self) -> Product {
        self.target.product
    }

    pub async fn reopen(&mut self) -> Result<(), String> {
        *self = Self::open(Arc::clone(&self.target)).await?;
        Ok(())
    }

    /// Sends one signed Lighthouse action with a JSON body.
    pub async fn call(&mut self, action: &str, body: Bytes) -> Result<Reply, String> {
        let request = self.signed(action, body)?;
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection lost: {e}"))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("response body failed: {e}"))?
            .to_bytes();
        Ok(Reply {
            status,
            body,
            busy: self.target.product.busy_codes(),
        })
    }

    /// Sends an action whose body is `value`, and returns its `Response`
    /// object, or an error describing any other answer.
    pub async fn call_json(
        &mut self,
        action: &str,
        value: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let body = serde_json::to_vec(value).map_err(|e| e.to_string())?;
        self.call(action, Bytes::from(body))
            .await?
            .response()
            .map_err(|e| format!("{action}: {e}"))
    }

    fn signed(&self, action: &str, body: Bytes) -> Result<hyper::Request<Full<Bytes>>, String> {
        let t = &self.target;
        let timestamp = unix_now();
        let authorization = sign_tc3(
            &t.secret_id,
            &t.secret_key,
            t.product.service(),
            timestamp,
            &t.authority,
            JSON,
            &body,
        );
        hyper::Request::builder()
            .method(Method::POST)
            .uri("/")
            .header(HOST, t.authority.as_str())
            .header(CONTENT_TYPE, JSON)
            .header("X-TC-Action", action)
            .header("X-TC-Version", t.product.version())
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", REGION)
            .header(AUTHORIZATION, authorization)
            .body(Full::new(body))
            .map_err(|e| format!("cannot build the request: {e}"))
    }
}

/// Seconds since the epoch.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_of_urls() {
        assert_eq!(
            authority("http://127.0.0.1:4590").as_deref(),
            Ok("127.0.0.1:4590")
        );
        assert_eq!(
            authority("http://localhost/").as_deref(),
            Ok("localhost:80")
        );
        assert_eq!(authority("http://[::1]:9/x").as_deref(), Ok("[::1]:9"));
        assert!(authority("https://x").is_err());
        assert!(authority("http://").is_err());
    }

    #[test]
    fn outcomes() {
        let reply = |status, body: &'static str| Reply {
            status,
            body: Bytes::from_static(body.as_bytes()),
            busy: Product::Lighthouse.busy_codes(),
        };
        assert_eq!(
            reply(200, r#"{"Response":{"RequestId":"x"}}"#).outcome(),
            Outcome::Ok
        );
        assert_eq!(
            reply(200, r#"{"Response":{"Error":{"Code":"UnsupportedOperation.LatestOperationUnfinished"}}}"#).outcome(),
            Outcome::Busy
        );
        assert_eq!(
            reply(200, r#"{"Response":{"Error":{"Code":"InternalError"}}}"#).outcome(),
            Outcome::Failed
        );
        assert_eq!(reply(500, "{}").outcome(), Outcome::Failed);
    }
}
