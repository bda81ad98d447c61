//! `GET /_stratus/events`: the event stream as Server-Sent Events. Each
//! event is `id: SEQ` and one `data:` line of JSON ([`Event`]); filters
//! `account`, `product`, `instance`; a client that reconnects with
//! `Last-Event-ID` (or `?after=SEQ`) first gets what it missed that the
//! store still knows, then the live stream, nothing twice.

use crate::request::{RawRequest, Response};
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use stratus_engine::events::{Event, EventFilter};
use stratus_engine::Engine;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

/// A comment line this often keeps proxies and clients from timing out.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Opens a stream for `req`.
pub async fn stream(engine: &Arc<Engine>, req: &RawRequest) -> Response {
    let get = |k: &str| req.query_value(k);
    let filter = EventFilter {
        account: get("account"),
        product: get("product"),
        instance: get("instance"),
    };
    let after = match req
        .header("last-event-id")
        .map(str::to_string)
        .or_else(|| get("after"))
    {
        None => None,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(seq) => Some(seq),
            Err(_) => return super::error(400, "Last-Event-ID (or after) must be an event number"),
        },
    };
    // Watch first, then read what was missed: an event committed between
    // the two is in both, and sent once.
    let (_, mut live) = engine.events().watch(None);
    let missed = match after {
        Some(seq) => match engine.events_after(seq).await {
            Ok(events) => events,
            Err(e) => return super::error(503, &format!("the store cannot be read: {e}")),
        },
        None => Vec::new(),
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let sent: HashSet<u64> = missed.iter().map(|e| e.seq).collect();
        for e in missed.iter().filter(|e| filter.matches(e)) {
            if tx.send(frame(e)).await.is_err() {
                return;
            }
        }
        loop {
            let next = tokio::time::timeout(KEEP_ALIVE, live.recv()).await;
            let chunk = match next {
                Err(_) => Bytes::from_static(b": keep-alive\n\n"),
                Ok(Ok(e)) if sent.contains(&e.seq) || !filter.matches(&e) => continue,
                Ok(Ok(e)) => frame(&e),
                // Too slow a reader: say how many it missed and go on.
                Ok(Err(RecvError::Lagged(n))) => {
                    Bytes::from(format!("event: lagged\ndata: {{\"missed\":{n}}}\n\n"))
                }
                Ok(Err(RecvError::Closed)) => return,
            };
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
    });
    Response {
        status: 200,
        content_type: "text/event-stream",
        headers: vec![("cache-control", "no-cache".to_string())],
        // Sent at once, so a client knows the stream is open.
        body: Bytes::from_static(b": stratus events\n\n"),
        stream: Some(rx),
        outcome: None,
    }
}

/// One event in the SSE wire format.
fn frame(e: &Event) -> Bytes {
    let data = serde_json::to_string(e).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("id: {}\ndata: {data}\n\n", e.seq))
}
