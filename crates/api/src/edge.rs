//! The edge: one listener for every vendor. It reads each request (within
//! the head and body limits), gives it a request id, recognises the dialect
//! it speaks and hands it over; what comes back is written out as is. A
//! request beyond a limit is answered here, in its dialect's envelope.

use crate::dialect::{self, Dialect, Head, Refusal};
use crate::limits;
use crate::request::{Headers, Outcome, RawRequest, Response};
use crate::{admin, kingsoft, qcloud_v2, tencent, zenlayer};
use bytes::{Bytes, BytesMut};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use stratus_engine::Engine;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A response body: whole, or streamed.
type Body = BoxBody<Bytes, Infallible>;

/// Limits of the edge.
#[derive(Clone)]
pub struct EdgeConfig {
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Time allowed to send the request headers.
    pub header_timeout: Duration,
    /// Time allowed to send the request body.
    pub body_timeout: Duration,
    /// Most connections served at once; others wait to be accepted.
    pub max_connections: usize,
    /// The token the admin API (`/_stratus/*`) requires as
    /// `Authorization: Bearer …` (`None`: open, for a loopback listener).
    pub admin_token: Option<String>,
    /// Serve HTTPS with this (`serve --tls`); `None`: plain HTTP.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for EdgeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeConfig")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
            admin_token: None,
            tls: None,
        }
    }
}

/// How much of a body over the limit is read on and dropped, so that a
/// client still sending it receives the refusal rather than a reset
/// connection. A body declaring more is refused at once.
const DRAIN_BYTES: u64 = 16 * 1024 * 1024;

/// Shared by every connection: the dialects, in the order they are asked
/// to claim a request (Zenlayer's path and header and the legacy path are
/// unambiguous; Tencent's markers win over Kingsoft's; Tencent takes any
/// other form request).
struct EdgeState {
    dialects: Vec<Arc<dyn Dialect>>,
    config: EdgeConfig,
}

/// Serves API requests on `listener` until the process ends; with
/// `admin_listener`, the admin API only there and the vendors' APIs only on
/// `listener`.
pub async fn serve(
    listener: TcpListener,
    admin_listener: Option<TcpListener>,
    engine: Arc<Engine>,
    config: EdgeConfig,
) -> std::io::Result<()> {
    let tencent =
        Arc::new(tencent::TencentDialect::new(Arc::clone(&engine)).map_err(std::io::Error::other)?);
    let vendors: Vec<Arc<dyn Dialect>> = vec![
        Arc::new(
            zenlayer::ZenlayerDialect::new(Arc::clone(&engine)).map_err(std::io::Error::other)?,
        ),
        Arc::new(qcloud_v2::QcloudV2Dialect::new(
            Arc::clone(&engine),
            Arc::clone(&tencent),
        )),
        tencent,
        Arc::new(
            kingsoft::KingsoftDialect::new(Arc::clone(&engine)).map_err(std::io::Error::other)?,
        ),
    ];
    let admin: Arc<dyn Dialect> = Arc::new(admin::AdminApi::new(
        Arc::clone(&engine),
        config.admin_token.clone(),
        vendors.clone(),
    ));
    match admin_listener {
        None => {
            let mut dialects = vec![admin];
            dialects.extend(vendors);
            accept(listener, EdgeState { dialects, config }).await
        }
        Some(admin_listener) => {
            let admin_state = EdgeState {
                dialects: vec![admin],
                config: config.clone(),
            };
            let mut dialects: Vec<Arc<dyn Dialect>> = vec![Arc::new(admin::HealthCheck)];
            dialects.extend(vendors);
            let vendor_state = EdgeState { dialects, config };
            tokio::try_join!(
                accept(listener, vendor_state),
                accept(admin_listener, admin_state)
            )
            .map(|_| ())
        }
    }
}

/// Accepts connections on `listener` and serves each with `state`'s dialects.
async fn accept(listener: TcpListener, state: EdgeState) -> std::io::Result<()> {
    let state = Arc::new(state);
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
        let tls = state.config.tls.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, req).await) }
            });
            // Beyond this hyper answers 431 itself; below it the dialect
            // answers (limits::MAX_HEADER_BYTES).
            let mut http = http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_header_size(limits::HARD_MAX_HEADER_BYTES);
            let served = match &tls {
                None => http.serve_connection(TokioIo::new(stream), service).await,
                Some(acceptor) => {
                    // A handshake gets the header timeout too.
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            http.serve_connection(TokioIo::new(stream), service).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => Ok(()),
                    }
                }
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
}

async fn handle(state: &EdgeState, req: hyper::Request<Incoming>) -> hyper::Response<Body> {
    let started = std::time::Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    // The request line: method, target (absolute or origin form), version.
    let target = parts
        .uri
        .authority()
        .map_or(0, |a| a.as_str().len() + "http://".len())
        + path.len()
        + query.len()
        + 1;
    let mut head_bytes = method.len() + target + "  HTTP/1.1\r\n".len();
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    head_bytes += header_bytes + parts.headers.len() * ": \r\n".len();
    let mut headers = Headers::with_capacity(parts.headers.len(), header_bytes);
    for (k, v) in &parts.headers {
        headers.push(k.as_str(), &String::from_utf8_lossy(v.as_bytes()));
    }
    let early = dialect::recognise(
        &state.dialects,
        &Head {
            path: &path,
            headers: &headers,
            query: &query,
            form: b"",
        },
    );
    let mut raw = RawRequest {
        method,
        path,
        query,
        headers,
        body: Bytes::new(),
        request_id,
    };
    let head = limits::check_head(parts.headers.len(), head_bytes);
    let read = match head {
        Ok(()) => read_body(body, state.config.max_body_bytes, state.config.body_timeout).await,
        Err(e) => Err(Refusal::Limit(e)),
    };
    raw.body = match read {
        Ok(b) => b,
        // Refused in the envelope of the dialect the head speaks (a form
        // body's markers are not known yet).
        Err(refusal) => {
            return into_hyper(match early {
                Some(d) => d.refuse(&raw, &refusal),
                None => admin::refusal_error(&refusal),
            })
        }
    };
    let head = Head {
        path: &raw.path,
        headers: &raw.headers,
        query: &raw.query,
        form: &raw.body,
    };
    let form = if head.is_form() { &raw.body[..] } else { b"" };
    let dialect = dialect::recognise(&state.dialects, &Head { form, ..head });
    let span = tracing::info_span!("request", request_id = %raw.request_id);
    let response = match dialect {
        Some(d) => tracing::Instrument::instrument(d.serve(&raw), span).await,
        None => admin::error(
            400,
            "unrecognised request: no vendor signature, action header or /_stratus/ path",
        ),
    };
    if let Some(o) = &response.outcome {
        record(o, started.elapsed());
    }
    into_hyper(response)
}

/// Reads a body of at most `max` bytes within `timeout`. A longer one is
/// read on and dropped, up to [`DRAIN_BYTES`] more, then refused.
async fn read_body(mut body: Incoming, max: usize, timeout: Duration) -> Result<Bytes, Refusal> {
    let max = max as u64;
    let drain_limit = max.saturating_add(DRAIN_BYTES);
    // An absurd Content-Length is refused before anything is read.
    if body.size_hint().lower() > drain_limit {
        return Err(Refusal::BodyTooLarge);
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut received: u64 = 0;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            // Once over the limit, the answer is that, however it ends.
            _ if received > max => return Err(Refusal::BodyTooLarge),
            Ok(Some(Err(_))) => return Err(Refusal::BodyUnreadable),
            Err(_) => return Err(Refusal::BodyTimedOut),
        };
        // Trailers carry nothing a dialect reads.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        received = received.saturating_add(data.len() as u64);
        if received > drain_limit {
            return Err(Refusal::BodyTooLarge);
        }
        if received <= max {
            chunks.push(data);
        } else {
            chunks.clear();
        }
    }
    if received > max {
        return Err(Refusal::BodyTooLarge);
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => {
            let mut all = BytesMut::with_capacity(received as usize);
            chunks.iter().for_each(|c| all.extend_from_slice(c));
            all.freeze()
        }
    })
}

/// Counts a vendor request and its latency.
pub(crate) fn record(o: &Outcome, took: Duration) {
    let metrics = stratus_engine::metrics::registry();
    metrics.count(
        "stratus_requests_total",
        "Vendor requests, by vendor, product, action and outcome code.",
        &[
            ("vendor", o.vendor),
            ("product", &o.product),
            ("action", &o.action),
            ("code", &o.code),
        ],
        1,
    );
    metrics.observe(
        "stratus_request_duration_seconds",
        "How long vendor requests took, read to answered.",
        &[
            ("vendor", o.vendor),
            ("product", &o.product),
            ("action", &o.action),
        ],
        took.as_secs_f64(),
    );
}

fn into_hyper(r: Response) -> hyper::Response<Body> {
    let mut builder = hyper::Response::builder()
        .status(r.status)
        .header("content-type", r.content_type);
    for (k, v) in &r.headers {
        builder = builder.header(*k, v.as_str());
    }
    let body = match r.stream {
        None => Full::new(r.body).boxed(),
        // The head, then each chunk as the producer sends it.
        Some(rx) => {
            let head = futures_util::stream::iter([Ok::<_, Infallible>(Frame::data(r.body))]);
            let rest = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|chunk| (Ok::<_, Infallible>(Frame::data(chunk)), rx))
            });
            StreamBody::new(futures_util::StreamExt::chain(head, rest)).boxed()
        }
    };
    builder
        .body(body)
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::from_static(b"{}")).boxed()))
}
