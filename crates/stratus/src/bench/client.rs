//! One signed HTTP/1.1 keep-alive connection to the server under test.
//! Every worker owns exactly one [`Conn`]; every request is signed afresh.
//! Several servers (nodes of one cluster) share the connections in turn.

use super::vendor::{Product, Signer};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::TcpStream;

#[derive(Debug)]
pub struct Target {
    pub product: Product,
    /// `host:port` of each server, used both to connect and as the (signed)
    /// `Host` header.
    pub authorities: Vec<String>,
    pub signer: Signer,
    /// How many connections were opened: the next goes to the next server.
    opened: AtomicUsize,
}

impl Target {
    /// A target from `http://host[:port][/]` URLs, comma-separated.
    pub fn new(product: Product, urls: &str, key_id: &str, secret: &str) -> Result<Self, String> {
        Ok(Self {
            product,
            authorities: urls
                .split(',')
                .map(|u| authority(u.trim()))
                .collect::<Result<_, _>>()?,
            signer: Signer {
                key_id: key_id.to_string(),
                secret: secret.to_string(),
                region: product.region().to_string(),
            },
            opened: AtomicUsize::new(0),
        })
    }

    /// The server the next connection goes to, round-robin.
    fn next_authority(&self) -> String {
        let i = self.opened.fetch_add(1, Ordering::Relaxed);
        self.authorities[i % self.authorities.len()].clone()
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
    /// HTTP 200 with no error in the response.
    Ok,
    /// The instance was still busy with an earlier operation.
    Busy,
    /// Any other answer.
    Failed,
}

/// A response: status and body, read the way its product writes them.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
    pub product: Product,
}

impl Reply {
    /// Classifies the reply.
    pub fn outcome(&self) -> Outcome {
        match self.error_code() {
            None if self.status == 200 => Outcome::Ok,
            Some(code) if self.product.busy_codes().contains(&code.as_str()) => Outcome::Busy,
            _ => Outcome::Failed,
        }
    }

    /// The vendor error code, if the body carries one.
    pub fn error_code(&self) -> Option<String> {
        self.product.error_code(self.status, &self.body)
    }

    /// The action fields of a successful reply.
    pub fn response(&self) -> Result<serde_json::Value, String> {
        if self.outcome() != Outcome::Ok {
            return Err(format!(
                "HTTP {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            ));
        }
        let v: serde_json::Value = serde_json::from_slice(&self.body)
            .map_err(|e| format!("the response is not JSON: {e}"))?;
        Ok(self.product.response(v))
    }
}

/// One keep-alive connection.
/// The pseudo-action of the health check.
pub const HEALTH: &str = "_stratus/health";

pub struct Conn {
    target: Arc<Target>,
    /// The server this connection talks to.
    authority: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    /// Connects to the next server and performs the HTTP/1.1 handshake.
    pub async fn open(target: Arc<Target>) -> Result<Self, String> {
        let authority = target.next_authority();
        Self::connect(target, authority).await
    }

    async fn connect(target: Arc<Target>, authority: String) -> Result<Self, String> {
        let stream = TcpStream::connect(&authority)
            .await
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {authority} failed: {e}"))?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes.
            let _ = connection.await;
        });
        Ok(Self {
            target,
            authority,
            sender,
        })
    }

    /// The product this connection talks to.
    pub fn product(&self) -> Product {
        self.target.product
    }

    /// Reconnects after a transport error.
    pub async fn reopen(&mut self) -> Result<(), String> {
        *self = Self::connect(Arc::clone(&self.target), self.authority.clone()).await?;
        Ok(())
    }

    /// Sends one signed action with an encoded body ([`HEALTH`]: the
    /// server's own unsigned health check, the no-op every figure is read
    /// against).
    pub async fn call(&mut self, action: &str, body: Bytes) -> Result<Reply, String> {
        let request = if action == HEALTH {
            hyper::Request::get(format!("http://{}/_stratus/health", self.authority))
                .header("host", self.authority.as_str())
                .body(Full::new(Bytes::new()))
                .map_err(|e| e.to_string())?
        } else {
            self.signed(action, body)?
        };
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
            product: self.target.product,
        })
    }

    /// Sends an action whose body is `value`, and returns its `Response`
    /// object, or an error describing any other answer.
    pub async fn call_json(
        &mut self,
        action: &str,
        value: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let body = self.target.product.encode(value);
        self.call(action, body)
            .await?
            .response()
            .map_err(|e| format!("{action}: {e}"))
    }

    fn signed(&self, action: &str, body: Bytes) -> Result<hyper::Request<Full<Bytes>>, String> {
        let t = &self.target;
        t.product.request(&self.authority, &t.signer, action, body)
    }
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
            product: Product::Lighthouse,
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
