//! The edge: one listener for every vendor. It reads each request (with a
//! body limit), gives it a request id, recognises the dialect it speaks and
//! hands it over; what comes back is written out as is.

use crate::request::{RawRequest, Response};
use crate::{admin, kingsoft, qcloud_v2, tencent, zenlayer};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use stratus_engine::Engine;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Limits of the edge.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Time allowed to send the request headers.
    pub header_timeout: Duration,
    /// Time allowed to send the request body.
    pub body_timeout: Duration,
    /// Most connections served at once; others wait to be accepted.
    pub max_connections: usize,
}

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// The dialects a request can speak.
enum Dialect {
    Admin,
    Tencent,
    QcloudV2,
    Kingsoft,
    Zenlayer,
    Unknown,
}

/// Which dialect a request speaks, from its path, headers, query and (once
/// read; empty before) body. Zenlayer's `/api/v2/` path or `x-zc-action`
/// header come first (no other vendor uses them); then Tencent's own markers (`X-TC-Action`, TC3,
/// `SecretId`) win; then Kingsoft's (SigV4, `X-Amz-Date`, `X-Action`, a
/// KEC/SKS `Version`, the legacy `Accesskey`); any other form request is
/// left to Tencent, whose v1 errors explain what is missing.
fn recognise(path: &str, headers: &[(String, String)], query: &str, body: &[u8]) -> Dialect {
    if path.starts_with("/_stratus/") {
        return Dialect::Admin;
    }
    if zenlayer::recognises(path, headers) {
        return Dialect::Zenlayer;
    }
    if qcloud_v2::is_legacy_path(path) {
        return Dialect::QcloudV2;
    }
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let form =
        header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let secret_id = |raw: &[u8]| form_urlencoded::parse(raw).any(|(k, _)| k == "SecretId");
    if header("x-tc-action").is_some()
        || header("authorization").is_some_and(|a| a.starts_with("TC3-"))
        || secret_id(query.as_bytes())
        || (form && secret_id(body))
    {
        return Dialect::Tencent;
    }
    if kingsoft::recognises(headers, query, if form { body } else { b"" }) {
        return Dialect::Kingsoft;
    }
    if form {
        return Dialect::Tencent;
    }
    Dialect::Unknown
}

/// Shared by every connection.
struct EdgeState {
    engine: Arc<Engine>,
    tencent: tencent::TencentDialect,
    qcloud_v2: qcloud_v2::QcloudV2Dialect,
    kingsoft: kingsoft::KingsoftDialect,
    zenlayer: zenlayer::ZenlayerDialect,
    config: EdgeConfig,
}

/// Serves API requests on `listener` until the process ends.
pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    config: EdgeConfig,
) -> std::io::Result<()> {
    let state = Arc::new(EdgeState {
        tencent: tencent::TencentDialect::new(Arc::clone(&engine)),
        qcloud_v2: qcloud_v2::QcloudV2Dialect::new(Arc::clone(&engine)),
        kingsoft: kingsoft::KingsoftDialect::new(Arc::clone(&engine)),
        zenlayer: zenlayer::ZenlayerDialect::new(Arc::clone(&engine)),
        engine,
        config,
    });
    let slots = Arc::new(Semaphore::new(state.config.max_connections));
    loop {
        let permit = match Arc::clone(&slots).acquire_owned().await {
            Ok(p) => p,
            Err(_) => return Ok(()),
        };
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let header_timeout = state.config.header_timeout;
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, req).await) }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
}

async fn handle(state: &EdgeState, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let dialect = recognise(&path, &headers, &query, b"");
    let read = tokio::time::timeout(
        state.config.body_timeout,
        Limited::new(body, state.config.max_body_bytes).collect(),
    )
    .await;
    let timed_out = read.is_err();
    let read = read.unwrap_or_else(|_| Err("the request body was not received in time".into()));
    let body = match read {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let raw = RawRequest {
                method,
                path,
                query,
                headers,
                body: Bytes::new(),
                request_id,
            };
            let response = match dialect {
                Dialect::Tencent => state.tencent.body_error(&raw, too_large),
                Dialect::QcloudV2 => {
                    qcloud_v2::envelope::error(&qcloud_v2::envelope::LegacyError::new(
                        qcloud_v2::envelope::Code::InvalidParameter,
                        "The request body is too large or could not be read.",
                    ))
                }
                Dialect::Kingsoft => state.kingsoft.body_error(&raw, too_large),
                Dialect::Zenlayer => state.zenlayer.body_error(&raw, too_large),
                _ if too_large => admin::error(413, "the request body is too large"),
                _ if timed_out => admin::error(408, "the request body was not received in time"),
                _ => admin::error(400, "the request body could not be read"),
            };
            return into_hyper(response);
        }
    };
    let dialect = match dialect {
        Dialect::Admin => Dialect::Admin,
        _ => recognise(&path, &headers, &query, &body),
    };
    let raw = RawRequest {
        method,
        path,
        query,
        headers,
        body,
        request_id,
    };
    let response = match dialect {
        Dialect::Admin => admin::handle(&state.engine, &raw).await,
        Dialect::Tencent => state.tencent.handle(&raw).await,
        Dialect::QcloudV2 => state.qcloud_v2.handle(&raw, &state.tencent).await,
        Dialect::Kingsoft => state.kingsoft.handle(&raw).await,
        Dialect::Zenlayer => state.zenlayer.handle(&raw).await,
        Dialect::Unknown => admin::error(
            400,
            "unrecognised request: no vendor signature, action header or /_stratus/ path",
        ),
    };
    into_hyper(response)
}

fn into_hyper(r: Response) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder()
        .status(r.status)
        .header("content-type", r.content_type);
    for (k, v) in &r.headers {
        builder = builder.header(*k, v.as_str());
    }
    builder
        .body(Full::new(r.body))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::from_static(b"{}"))))
}
