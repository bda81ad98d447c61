//! The request as received, and the response a dialect produces. Dialects
//! see raw bytes (signatures are verified over them), never hyper types.
//! Also the one check of a signed request's timestamp against the clock.

use bytes::Bytes;

/// A request's headers: names lower-cased, values as received (as UTF-8,
/// lossily), in order, duplicates kept. Held in one buffer: copying each
/// header into two strings of its own cost every request about a
/// microsecond of allocations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    text: String,
    /// Each header's name and value, as the ends of its name and value in
    /// `text` (the name starts where the previous value ends).
    ends: Vec<(usize, usize)>,
}

impl Headers {
    /// Room for `count` headers of `bytes` in all.
    pub fn with_capacity(count: usize, bytes: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(count),
        }
    }

    /// Adds a header; its name is lower-cased.
    pub fn push(&mut self, name: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(name);
        self.text[start..].make_ascii_lowercase();
        let name_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((name_end, self.text.len()));
    }

    /// The headers, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, value_end)| {
            let header = (&self.text[start..name_end], &self.text[name_end..value_end]);
            start = value_end;
            header
        })
    }

    /// The first value of a header (name in lower case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Self {
        let mut headers = Headers::default();
        for (name, value) in pairs {
            headers.push(name.as_ref(), value.as_ref());
        }
        headers
    }
}

/// A request as it arrived, body fully read.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    /// The raw query string after `?` (not decoded), or empty.
    pub query: String,
    /// Header names lower-cased, values as received, in order (duplicates kept).
    pub headers: Headers,
    pub body: Bytes,
    /// The id of this request, fresh per request.
    pub request_id: String,
}

impl RawRequest {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The first non-empty value of query parameter `name`, decoded.
    pub fn query_value(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.into_owned())
    }

    /// The query string decoded into pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// A response to send.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
    /// A body sent as it is produced, after `body` (Server-Sent Events);
    /// it ends when the sender is dropped.
    pub stream: Option<tokio::sync::mpsc::Receiver<Bytes>>,
    /// What the request was, for metrics (set by vendor dialects).
    pub outcome: Option<Box<Outcome>>,
}

/// What a vendor request was and how it ended: the labels of its metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub vendor: &'static str,
    /// Empty until the request names one its credentials may use.
    pub product: String,
    pub action: String,
    /// The vendor's error code, or `OK`.
    pub code: String,
}

impl Outcome {
    /// A request of `vendor`, nothing known of it yet.
    pub fn of(vendor: &'static str) -> Self {
        Self {
            vendor,
            ..Self::default()
        }
    }

    /// Once the request is answered: `code` (`None`: it succeeded).
    pub fn ended(mut self, code: Option<&str>) -> Self {
        self.code = code.unwrap_or("OK").to_string();
        self
    }
}

impl Response {
    /// The same response, labelled for metrics.
    pub fn with_outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(Box::new(outcome));
        self
    }

    /// A JSON response with the given status and exact content type.
    pub fn json(status: u16, content_type: &'static str, body: &serde_json::Value) -> Self {
        Self::json_text(
            status,
            content_type,
            serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()),
        )
    }

    /// A JSON answer already written.
    pub fn json_text(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: Bytes::from(body),
            stream: None,
            outcome: None,
        }
    }
}

/// Whether a signed request's timestamp (Unix seconds, whatever the client
/// sent) is more than `window_seconds` away from `now`. `abs_diff` cannot
/// overflow, unlike `now - sent` with `sent` near `i64::MIN`.
pub fn outside_window(now: i64, sent: i64, window_seconds: i64) -> bool {
    now.abs_diff(sent) > window_seconds.unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_keep_their_order_and_duplicates_with_names_lower_cased() {
        let headers: Headers = [
            ("Host", "example.com"),
            ("X-Amz-Date", "20240115T083000Z"),
            ("x-tag", "a"),
            ("X-TAG", ""),
            ("content-type", "application/json; charset=utf-8"),
        ]
        .into_iter()
        .collect();
        assert_eq!(headers.len(), 5);
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [
                ("host", "example.com"),
                ("x-amz-date", "20240115T083000Z"),
                ("x-tag", "a"),
                ("x-tag", ""),
                ("content-type", "application/json; charset=utf-8"),
            ]
        );
        assert_eq!(headers.get("x-tag"), Some("a"), "the first of duplicates");
        assert_eq!(
            headers.get("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            headers.get("X-Tag"),
            None,
            "names are asked for in lower case"
        );
        assert_eq!(headers.get("accept"), None);
        assert!(Headers::default().is_empty());
    }

    #[test]
    fn the_window_holds_either_way_for_any_timestamp() {
        let now = 1_795_427_003;
        assert!(!outside_window(now, now - 300, 300));
        assert!(!outside_window(now, now + 300, 300));
        assert!(outside_window(now, now - 301, 300));
        assert!(outside_window(now, now + 301, 300));
        assert!(outside_window(now, i64::MIN, 300));
        assert!(outside_window(now, i64::MAX, 300));
    }
}
