//! The request as received, and the response a dialect produces. Dialects
//! see raw bytes (signatures are verified over them), never hyper types.

use bytes::Bytes;

/// A request as it arrived, body fully read.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    /// The raw query string after `?` (not decoded), or empty.
    pub query: String,
    /// Header names lower-cased, values as received, in order (duplicates kept).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The id of this request, fresh per request.
    pub request_id: String,
}

impl RawRequest {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query string decoded into pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// A response to send.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Response {
    /// A JSON response with the given status and exact content type.
    pub fn json(status: u16, content_type: &'static str, body: &serde_json::Value) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: Bytes::from(serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec())),
        }
    }
}
