//! The Tencent Cloud legacy **API 2.0** dialect (`GET|POST /v2/index.php`
//! on `cvm.api.qcloud.com` / `image.api.qcloud.com`), specified in
//! `shared/spec/tencent-legacy-v2.md`: decoding ([`LegacyRequest::decode`]),
//! the signature ([`signature`]), parameters ([`params`]), the reply
//! envelope ([`envelope`]), the pipeline ([`dialect`]) and the CVM actions
//! ([`actions`], [`views`]) over the same instances as API 3.0.
//!
//! A request is handled in this order:
//! 1. [`LegacyRequest::decode`] — GET reads the query only, POST the body
//!    only (`application/x-www-form-urlencoded` or `multipart/form-data`),
//!    `+` is a space, empty values are kept, a repeated name is refused;
//! 2. [`params::CommonParams::is_legacy`] — with a `Version` the request
//!    belongs to the API 3.0-style action set (§4.0);
//! 3. look up `SecretId` (4104 when unknown), then
//!    [`LegacyRequest::verify_signature`] (4100) with the canonical host of
//!    the service ([`CVM_HOST`], [`IMAGE_HOST`]) as extra hosts;
//! 4. [`signature::check_timestamp`] and a nonce cache (4500);
//! 5. the action reads [`params::ActionParams`] (`str`, `int`, `array`, …;
//!    every [`params::ParamError`] is 4000) and answers with
//!    [`envelope::success`], [`envelope::async_task`], [`envelope::batch`]
//!    or [`envelope::error`] — always HTTP 200.
//!
//! # Pointing the official legacy Python client at Stratus
//!
//! Researched on `qcloudapi-sdk-python` 2.0.15 (`QcloudApi/qcloudapi.py`,
//! `modules/base.py`, `modules/cvm.py`, `modules/image.py`,
//! `common/request.py`, `common/sign.py`) and proven with a throwaway
//! `http.server` that captured the requests:
//!
//! - There is **no documented knob** for the host, scheme or port of `cvm`
//!   and `image`. Config keys read by `Base.__init__`: `secretId`,
//!   `secretKey`, `Region`, `Version`, `method` (GET/POST),
//!   `SignatureMethod`, `Token`, and `endpoint` — but `endpoint` is only
//!   used when the class has no `requestHost`, and `Cvm`/`Image` hard-code
//!   `requestHost = 'cvm.api.qcloud.com'` / `'image.api.qcloud.com'`
//!   (`QcloudApi('cvm', {'endpoint': '127.0.0.1:4590', …}).generateUrl(…)`
//!   still gives `https://cvm.api.qcloud.com/v2/index.php?…`).
//! - The transport is always HTTPS: `ApiRequest.__init__` creates
//!   `MyHTTPSConnection(requestHost)` (an `http.client.HTTPSConnection`; the
//!   only other input is the `https_proxy` environment variable, which
//!   tunnels with CONNECT to `requestHost:443` and verifies its TLS
//!   certificate). The path is the class attribute `requestUri =
//!   '/v2/index.php'`.
//! - The signed host is `requestHost` verbatim (`Sign.make(req_inter.host,
//!   req_inter.uri, …)`), port included; Python's `http.client` sends
//!   `Host: 127.0.0.1:PORT` for a non-default port. So the server must keep
//!   the port when it rebuilds the string ([`signature::signed_host`] only
//!   drops `:443`).
//!
//! The working recipe (no change to the package; runtime attributes only):
//!
//! ```python
//! import http.client
//! from QcloudApi.modules.cvm import Cvm          # or QcloudApi.modules.image.Image
//!
//! class LocalConn(http.client.HTTPConnection):   # stand-in for MyHTTPSConnection
//!     request_length = 0                         # ApiRequest reads conn.request_length
//!
//! svc = Cvm({'secretId': SID, 'secretKey': KEY, 'Region': 'ap-guangzhou', 'method': 'POST'})
//! svc.requestHost = '127.0.0.1:%d' % port        # signed as GET127.0.0.1:PORT/v2/index.php?…
//! svc.apiRequest.conn = LocalConn('127.0.0.1', port)   # plain HTTP
//! svc.call('DescribeInstances', {'instanceIds': ['ins-1'], 'limit': 20})   # -> raw body bytes
//! ```
//!
//! Through the `QcloudApi(module, config)` facade, which builds a new module
//! object per call, patch the classes instead:
//! `QcloudApi.common.request.MyHTTPSConnection = LocalConn` and
//! `Cvm.requestHost = Image.requestHost = '127.0.0.1:%d' % port`.
//! Captured: GET `/v2/index.php?…` and POST `/v2/index.php` (body
//! `application/x-www-form-urlencoded`), `Host: 127.0.0.1:PORT`, signature
//! valid over exactly that host. Swapping only the connection (leaving
//! `requestHost`) signs `cvm.api.qcloud.com` while sending
//! `Host: 127.0.0.1:PORT`; [`LegacyRequest::verify_signature`] accepts that
//! too when given [`CVM_HOST`]/[`IMAGE_HOST`] as extra hosts.

mod actions;
pub mod dialect;
pub mod envelope;
pub mod params;
pub mod signature;
mod views;

pub use dialect::QcloudV2Dialect;

use crate::limits::{self, LimitError};
use crate::request::RawRequest;
use params::{normalize_name, ActionParams, CommonParams};
use signature::{SignatureError, Verified, VerifyInput};
use std::collections::HashSet;

/// The only path of the legacy API.
pub const PATH: &str = signature::PATH;
/// The service host of the legacy CVM instance actions.
pub const CVM_HOST: &str = "cvm.api.qcloud.com";
/// The service host of the legacy image actions (`DescribeImages`, also
/// served on [`CVM_HOST`]).
pub const IMAGE_HOST: &str = "image.api.qcloud.com";

/// Whether a request path is the legacy endpoint.
pub fn is_legacy_path(path: &str) -> bool {
    path == PATH
}

/// The HTTP method of a legacy request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Why a request could not be decoded; answered with 4000.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the method `{0}` is not supported; use GET or POST")]
    UnsupportedMethod(String),
    #[error("the content type `{0}` is not supported; use application/x-www-form-urlencoded or multipart/form-data")]
    UnsupportedContentType(String),
    #[error("the multipart body is malformed: {0}")]
    Multipart(String),
    #[error("the parameter `{0}` is given more than once")]
    DuplicateParameter(String),
    #[error(transparent)]
    Limit(#[from] LimitError),
}

/// A decoded legacy request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyRequest {
    pub method: Method,
    /// The `Host` header as received (empty when absent).
    pub host: String,
    /// Every parameter, decoded, names as sent, in wire order (`Signature`
    /// included): what the signature is verified over.
    pub pairs: Vec<(String, String)>,
    /// The common parameters (§1.3).
    pub common: CommonParams,
    /// The action's own parameters, names normalised (`_` → `.`).
    pub params: ActionParams,
}

impl LegacyRequest {
    /// Decodes a request: GET from the query (a body is ignored), POST from
    /// the body (a query is ignored, §1.2).
    pub fn decode(req: &RawRequest) -> Result<Self, DecodeError> {
        let method = match req.method.as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            other => return Err(DecodeError::UnsupportedMethod(other.to_string())),
        };
        let raw_pairs = match method {
            Method::Get => limits::form(req.query.as_bytes())?,
            Method::Post => decode_body(req.header("content-type").unwrap_or(""), &req.body)?,
        };
        // PHP ignored parameters without a name; so do we.
        let pairs: Vec<(String, String)> = raw_pairs
            .into_iter()
            .filter(|(k, _)| !k.is_empty())
            .collect();
        {
            let mut seen = HashSet::new();
            for (name, _) in &pairs {
                if !seen.insert(normalize_name(name)) {
                    return Err(DecodeError::DuplicateParameter(name.clone()));
                }
            }
        }
        Ok(Self {
            method,
            host: req.header("host").unwrap_or("").to_string(),
            common: CommonParams::from_pairs(&pairs),
            params: ActionParams::from_pairs(&pairs),
            pairs,
        })
    }

    /// Verifies the signature over the decoded parameters with the `Host`
    /// header, then each of `extra_hosts` (e.g. `&[CVM_HOST]`).
    pub fn verify_signature(
        &self,
        secret_key: &str,
        extra_hosts: &[&str],
    ) -> Result<Verified, SignatureError> {
        signature::verify(
            &VerifyInput {
                method: self.method.as_str(),
                host_header: &self.host,
                extra_hosts,
                params: &self.pairs,
            },
            secret_key,
        )
    }
}

/// A POST body by its content type, within the limits. No content type is
/// read as a form.
fn decode_body(content_type: &str, body: &[u8]) -> Result<Vec<(String, String)>, DecodeError> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "" | "application/x-www-form-urlencoded" => Ok(limits::form(body)?),
        "multipart/form-data" => {
            let fields = multipart::parse(body, &multipart::boundary(content_type)?)?;
            limits::check_pairs(&fields)?;
            Ok(fields)
        }
        _ => Err(DecodeError::UnsupportedContentType(media)),
    }
}

/// A small `multipart/form-data` reader (RFC 7578) for simple text fields,
/// as the legacy Java SDK sends them: one part per parameter,
/// `Content-Disposition: form-data; name="..."`, raw UTF-8 values, CRLF
/// line ends. Parts with a `filename` are uploads, which PHP kept out of
/// the parameters (`$_FILES`); they are skipped.
mod multipart {
    use super::DecodeError;

    fn bad(why: impl Into<String>) -> DecodeError {
        DecodeError::Multipart(why.into())
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        if needle.is_empty() || haystack.len() < needle.len() {
            return None;
        }
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    /// Splits `; key=value; key="quoted"` parameters (after a leading
    /// token), unquoting quoted strings. Keys are lower-cased.
    fn header_params(value: &str) -> Result<(String, Vec<(String, String)>), DecodeError> {
        let (head, mut rest) = match value.find(';') {
            Some(i) => (&value[..i], &value[i + 1..]),
            None => (value, ""),
        };
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            let eq = rest
                .find('=')
                .ok_or_else(|| bad("a header parameter has no value"))?;
            let key = rest[..eq].trim().to_ascii_lowercase();
            if key.is_empty() || key.contains(';') {
                return Err(bad("a header parameter has no name"));
            }
            rest = rest[eq + 1..].trim_start();
            let value = if let Some(quoted) = rest.strip_prefix('"') {
                let mut out = String::new();
                let mut chars = quoted.char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '"' => {
                            end = Some(i + 1);
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, escaped)) => out.push(escaped),
                            None => break,
                        },
                        c => out.push(c),
                    }
                }
                let end = end.ok_or_else(|| bad("a quoted header parameter is not closed"))?;
                rest = quoted[end..].trim_start();
                out
            } else {
                let stop = rest.find(';').unwrap_or(rest.len());
                let v = rest[..stop].trim().to_string();
                rest = &rest[stop..];
                v
            };
            params.push((key, value));
            match rest.strip_prefix(';') {
                Some(r) => rest = r,
                None if rest.trim().is_empty() => break,
                None => return Err(bad("header parameters must be separated by `;`")),
            }
        }
        Ok((head.trim().to_ascii_lowercase(), params))
    }

    /// The boundary of a `multipart/form-data` content type.
    pub(super) fn boundary(content_type: &str) -> Result<String, DecodeError> {
        let (_, params) = header_params(content_type)?;
        let boundary = params
            .into_iter()
            .find(|(k, _)| k == "boundary")
            .map(|(_, v)| v)
            .ok_or_else(|| bad("the content type has no boundary"))?;
        if boundary.is_empty()
            || boundary.len() > 70
            || boundary.bytes().any(|b| b == b'\r' || b == b'\n')
        {
            return Err(bad("the boundary must be 1 to 70 characters on one line"));
        }
        Ok(boundary)
    }

    /// The (name, value) fields of a body.
    pub(super) fn parse(body: &[u8], boundary: &str) -> Result<Vec<(String, String)>, DecodeError> {
        let delimiter = format!("--{boundary}").into_bytes();
        let mut next_delimiter = b"\r\n".to_vec();
        next_delimiter.extend_from_slice(&delimiter);
        // The first delimiter opens the body or follows a preamble line.
        let mut pos = if body.starts_with(&delimiter) {
            delimiter.len()
        } else {
            find(body, &next_delimiter)
                .map(|i| i + next_delimiter.len())
                .ok_or_else(|| bad("the boundary does not occur in the body"))?
        };
        let mut fields = Vec::new();
        loop {
            let rest = &body[pos..];
            if rest.starts_with(b"--") {
                return Ok(fields);
            }
            let padding = rest
                .iter()
                .take_while(|b| **b == b' ' || **b == b'\t')
                .count();
            if !rest[padding..].starts_with(b"\r\n") {
                return Err(bad("a boundary line is not followed by CRLF"));
            }
            let part_start = pos + padding + 2;
            let part = &body[part_start..];
            let (headers, content_start) = if part.starts_with(b"\r\n") {
                (&part[..0], part_start + 2)
            } else {
                let end = find(part, b"\r\n\r\n")
                    .ok_or_else(|| bad("a part's headers are not terminated"))?;
                (&part[..end], part_start + end + 4)
            };
            let content_len = find(&body[content_start..], &next_delimiter)
                .ok_or_else(|| bad("a part is not closed by the boundary"))?;
            let content = &body[content_start..content_start + content_len];
            pos = content_start + content_len + next_delimiter.len();
            if let Some(field) = field(headers, content)? {
                fields.push(field);
            }
        }
    }

    /// One part: `Some((name, value))` for a text field, `None` for a file.
    fn field(headers: &[u8], content: &[u8]) -> Result<Option<(String, String)>, DecodeError> {
        let headers =
            std::str::from_utf8(headers).map_err(|_| bad("a part's headers are not UTF-8"))?;
        let mut name = None;
        let mut is_file = false;
        for line in headers.split("\r\n") {
            if line.is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                return Err(bad("folded part headers are not supported"));
            }
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| bad("a part header has no `:`"))?;
            match key.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    let (kind, params) = header_params(value)?;
                    if kind != "form-data" {
                        return Err(bad("a part is not `form-data`"));
                    }
                    for (k, v) in params {
                        match k.as_str() {
                            "name" => name = Some(v),
                            "filename" | "filename*" => is_file = true,
                            _ => {}
                        }
                    }
                }
                "content-transfer-encoding" => {
                    let enc = value.trim().to_ascii_lowercase();
                    if !matches!(enc.as_str(), "7bit" | "8bit" | "binary") {
                        return Err(bad(format!(
                            "the transfer encoding `{enc}` is not supported"
                        )));
                    }
                }
                _ => {}
            }
        }
        let name = name.ok_or_else(|| bad("a part has no `Content-Disposition` name"))?;
        if is_file {
            return Ok(None);
        }
        let value = String::from_utf8(content.to_vec())
            .map_err(|_| bad(format!("the value of `{name}` is not UTF-8")))?;
        Ok(Some((name, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::signature::{Algorithm, Variant};
    use super::*;
    use bytes::Bytes;

    use super::signature::tests::{C1_QUERY, D1_BODY, E1_QUERY, F1_QUERY, G1_QUERY, KEY};

    fn request(method: &str, host: &str, query: &str, ct: Option<&str>, body: &[u8]) -> RawRequest {
        let mut headers = vec![("host".to_string(), host.to_string())];
        if let Some(ct) = ct {
            headers.push(("content-type".to_string(), ct.to_string()));
        }
        RawRequest {
            method: method.into(),
            path: PATH.into(),
            query: query.into(),
            headers: headers.into_iter().collect(),
            body: Bytes::copy_from_slice(body),
            request_id: "r-1".into(),
        }
    }

    fn get(query: &str) -> LegacyRequest {
        LegacyRequest::decode(&request("GET", CVM_HOST, query, None, b"")).expect("decodes")
    }

    #[test]
    fn c1_get_decodes_and_verifies() {
        let r = get(C1_QUERY);
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.common.action(), Ok("ResetInstances"));
        assert_eq!(r.common.region(), Some("gz"));
        assert_eq!(r.common.nonce_value(), Ok(12345));
        assert_eq!(r.common.timestamp_seconds(), Ok(1_500_000_000));
        assert_eq!(
            r.common.request_client.as_deref(),
            Some("SDK_PYTHON_2.0.15")
        );
        assert_eq!(
            r.common.signature.as_deref(),
            Some("l05X7D7iRtiR3uzcZbiU3AHNO8o=")
        );
        assert!(r.common.is_legacy());
        assert_eq!(r.params.required_str("instanceId"), Ok("ins-r8hr2upy"));
        assert_eq!(r.params.str("password"), Some("Abc123!@#xyz"));
        assert_eq!(r.params.int("rootSize"), Ok(Some(50)));
        assert_eq!(r.params.int("imageType"), Ok(Some(2)));
        assert_eq!(r.params.len(), 7);
        assert!(r.params.names().all(|n| !params::is_common(n)));
        let v = r.verify_signature(KEY, &[]).expect("C1");
        assert_eq!(v.algorithm, Algorithm::HmacSha1);
        assert_eq!(
            r.verify_signature("nope", &[]),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn d1_post_form_decodes_and_verifies() {
        // A query on a POST is ignored.
        let r = LegacyRequest::decode(&request(
            "POST",
            CVM_HOST,
            "instanceId=ins-evil",
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            D1_BODY.as_bytes(),
        ))
        .expect("decodes");
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.params.str("instanceId"), Some("ins-r8hr2upy"));
        assert_eq!(r.common.algorithm(), Algorithm::HmacSha256);
        assert_eq!(
            r.verify_signature(KEY, &[]).map(|v| v.algorithm),
            Ok(Algorithm::HmacSha256)
        );
        // Without a content type the body is still read as a form.
        let r = LegacyRequest::decode(&request("POST", CVM_HOST, "", None, D1_BODY.as_bytes()))
            .expect("decodes");
        assert!(r.verify_signature(KEY, &[]).is_ok());
    }

    #[test]
    fn get_ignores_a_body() {
        let r = LegacyRequest::decode(&request(
            "GET",
            CVM_HOST,
            E1_QUERY,
            Some("application/x-www-form-urlencoded"),
            b"instanceIds.2=ins-extra",
        ))
        .expect("decodes");
        assert_eq!(
            r.params.array("instanceIds"),
            Ok(vec!["ins-r8hr2upy", "ins-5d8a23rs"])
        );
        assert_eq!(r.params.int("limit"), Ok(Some(20)));
        assert!(r.verify_signature(KEY, &[]).is_ok());
    }

    #[test]
    fn f1_underscore_array() {
        let r = get(F1_QUERY);
        assert_eq!(r.params.array("instanceIds"), Ok(vec!["ins-r8hr2upy"]));
        // The wire name is kept for the signature.
        assert!(r.pairs.iter().any(|(k, _)| k == "instanceIds_0"));
        assert_eq!(
            r.verify_signature(KEY, &[]).map(|v| v.variant),
            Ok(Variant::PRIMARY)
        );
    }

    #[test]
    fn g1_plus_is_space_and_token() {
        let r = get(G1_QUERY);
        assert_eq!(r.params.str("instanceName"), Some("测试 实例+1"));
        assert_eq!(r.common.token(), Some("tok123"));
        assert!(r.verify_signature(KEY, &[]).is_ok());
    }

    #[test]
    fn empty_values_are_kept_and_empty_names_dropped() {
        let r = get("Region=&limit=&=orphan&Action=DescribeInstances&&");
        assert_eq!(r.common.region.as_deref(), Some(""));
        assert_eq!(r.params.str("limit"), Some(""));
        assert_eq!(r.pairs.len(), 3);
    }

    #[test]
    fn duplicates_are_refused_in_either_spelling() {
        for q in [
            "instanceId=a&instanceId=b",
            "instanceIds.0=a&instanceIds_0=b",
            "Action=A&Action=B",
        ] {
            assert!(
                matches!(
                    LegacyRequest::decode(&request("GET", CVM_HOST, q, None, b"")),
                    Err(DecodeError::DuplicateParameter(_))
                ),
                "{q}"
            );
        }
    }

    #[test]
    fn limits_are_answered_with_4000() {
        let many: String = (0..=limits::MAX_PARAMETERS)
            .map(|i| format!("p{i}=1&"))
            .collect();
        let got = LegacyRequest::decode(&request("GET", CVM_HOST, &many, None, b""));
        assert_eq!(got, Err(DecodeError::Limit(LimitError::TooManyParameters)));
        let got = LegacyRequest::decode(&request("POST", CVM_HOST, "", None, many.as_bytes()));
        assert_eq!(got, Err(DecodeError::Limit(LimitError::TooManyParameters)));
        let name = "n".repeat(limits::MAX_NAME_BYTES + 1);
        let body =
            format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\nv\r\n--b--");
        let got = LegacyRequest::decode(&request(
            "POST",
            CVM_HOST,
            "",
            Some("multipart/form-data; boundary=b"),
            body.as_bytes(),
        ));
        assert!(matches!(
            got,
            Err(DecodeError::Limit(LimitError::NameTooLong(_)))
        ));
        let e = envelope::LegacyError::from(DecodeError::Limit(LimitError::TooDeep));
        assert_eq!(e.code, envelope::Code::InvalidParameter);
    }

    #[test]
    fn other_methods_and_content_types_are_refused() {
        assert_eq!(
            LegacyRequest::decode(&request("PUT", CVM_HOST, "", None, b"")),
            Err(DecodeError::UnsupportedMethod("PUT".into()))
        );
        assert_eq!(
            LegacyRequest::decode(&request(
                "POST",
                CVM_HOST,
                "",
                Some("application/json"),
                b"{}"
            )),
            Err(DecodeError::UnsupportedContentType(
                "application/json".into()
            ))
        );
    }

    #[test]
    fn version_marks_the_new_action_set() {
        let r = get("Action=DescribeInstances&Version=2017-03-12");
        assert!(!r.common.is_legacy());
    }

    /// D1's parameters as the legacy Java SDK sends them: a CRLF before
    /// every delimiter, one part per parameter, raw values.
    fn java_multipart(boundary: &str, pairs: &[(String, String)]) -> Vec<u8> {
        let mut body = String::new();
        for (k, v) in pairs {
            body.push_str(&format!(
                "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}"
            ));
        }
        body.push_str(&format!("\r\n--{boundary}--\r\n"));
        body.into_bytes()
    }

    #[test]
    fn multipart_java_style_verifies() {
        let boundary = "---------------------------7d4a6d158c9";
        let pairs: Vec<(String, String)> = form_urlencoded::parse(D1_BODY.as_bytes())
            .into_owned()
            .collect();
        let body = java_multipart(boundary, &pairs);
        let r = LegacyRequest::decode(&request(
            "POST",
            CVM_HOST,
            "",
            Some(&format!("multipart/form-data; boundary={boundary}")),
            &body,
        ))
        .expect("decodes");
        assert_eq!(r.pairs, pairs);
        assert_eq!(r.params.str("password"), Some("Abc123!@#xyz"));
        assert_eq!(
            r.verify_signature(KEY, &[]).map(|v| v.algorithm),
            Ok(Algorithm::HmacSha256)
        );
    }

    #[test]
    fn multipart_details() {
        let ct = "Multipart/Form-Data; charset=utf-8; boundary=\"b-1\"";
        let body = concat!(
            "preamble\r\n",
            "--b-1\r\n",
            "content-disposition: form-data; name=\"instanceName\"\r\n",
            "Content-Type: text/plain; charset=UTF-8\r\n",
            "\r\n",
            "测试 a+b\r\nline two\r\n",
            "--b-1  \r\n",
            "Content-Disposition: form-data; name=\"Region\"\r\n",
            "\r\n",
            "\r\n",
            "--b-1\r\n",
            "Content-Disposition: form-data; name=\"entityFile\"; filename=\"a.txt\"\r\n",
            "Content-Type:text/plain\r\n",
            "\r\n",
            "file bytes\r\n",
            "--b-1\r\n",
            "Content-Disposition: form-data; name=quoted\\\"no; x=1\r\n",
            "\r\n",
            "v\r\n",
            "--b-1\r\n",
            "Content-Disposition: form-data; name=\"a\\\"b\"\r\n",
            "Content-Transfer-Encoding: 8bit\r\n",
            "\r\n",
            "--not-the-boundary\r\n",
            "--b-1--\r\n",
            "epilogue",
        );
        let r = LegacyRequest::decode(&request("POST", CVM_HOST, "", Some(ct), body.as_bytes()))
            .expect("decodes");
        assert_eq!(
            r.pairs,
            vec![
                (
                    "instanceName".to_string(),
                    "测试 a+b\r\nline two".to_string()
                ),
                ("Region".to_string(), String::new()),
                ("quoted\\\"no".to_string(), "v".to_string()),
                ("a\"b".to_string(), "--not-the-boundary".to_string()),
            ]
        );
    }

    #[test]
    fn malformed_multipart_is_refused() {
        let ok_part = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n";
        for (ct, body) in [
            ("multipart/form-data", format!("{ok_part}--b--")),
            ("multipart/form-data; boundary=", format!("{ok_part}--b--")),
            ("multipart/form-data; boundary=zz", format!("{ok_part}--b--")),
            ("multipart/form-data; boundary=b", ok_part.to_string()),
            ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--".to_string()),
            ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\nv\r\n--b--".to_string()),
            ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\nv\r\n--b--".to_string()),
            ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"x\"\r\nContent-Transfer-Encoding: base64\r\n\r\ndg==\r\n--b--".to_string()),
            ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"x\"".to_string()),
            ("multipart/form-data; boundary=b", "--bX\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--b--".to_string()),
            ("multipart/form-data; boundary=b", "--b\nContent-Disposition: form-data; name=\"x\"\n\nv\n--b--".to_string()),
            ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data;\r\n name=\"x\"\r\n\r\nv\r\n--b--".to_string()),
        ] {
            let got = LegacyRequest::decode(&request("POST", CVM_HOST, "", Some(ct), body.as_bytes()));
            assert!(matches!(got, Err(DecodeError::Multipart(_))), "{ct} {body:?}: {got:?}");
        }
        let long = format!("multipart/form-data; boundary={}", "x".repeat(71));
        assert!(matches!(
            LegacyRequest::decode(&request("POST", CVM_HOST, "", Some(&long), b"")),
            Err(DecodeError::Multipart(_))
        ));
        // Invalid UTF-8 in a value.
        let mut body = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n".to_vec();
        body.extend_from_slice(&[0xff, 0xfe]);
        body.extend_from_slice(b"\r\n--b--");
        assert!(matches!(
            LegacyRequest::decode(&request(
                "POST",
                CVM_HOST,
                "",
                Some("multipart/form-data; boundary=b"),
                &body
            )),
            Err(DecodeError::Multipart(_))
        ));
        // An empty body with a boundary has no delimiter at all.
        assert!(matches!(
            LegacyRequest::decode(&request(
                "POST",
                CVM_HOST,
                "",
                Some("multipart/form-data; boundary=b"),
                b""
            )),
            Err(DecodeError::Multipart(_))
        ));
    }

    #[test]
    fn canonical_host_as_extra_host() {
        // Signed for cvm.api.qcloud.com, received on 127.0.0.1:4590.
        let r = LegacyRequest::decode(&request("GET", "127.0.0.1:4590", C1_QUERY, None, b""))
            .expect("decodes");
        assert_eq!(r.verify_signature(KEY, &[]), Err(SignatureError::Mismatch));
        assert_eq!(
            r.verify_signature(KEY, &[CVM_HOST]).map(|v| v.host),
            Ok(CVM_HOST.to_string())
        );
    }

    #[test]
    fn legacy_path() {
        assert!(is_legacy_path("/v2/index.php"));
        assert!(!is_legacy_path("/"));
        assert!(!is_legacy_path("/v2/index.php/"));
    }
}
