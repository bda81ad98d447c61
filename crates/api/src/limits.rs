//! Generic limits on what a request may carry, whatever its vendor: header
//! count and size, parameter count, name and value lengths, list lengths and
//! nesting depth. Each dialect's decoder applies them before it builds
//! anything from the input and answers a [`LimitError`] with its vendor's
//! invalid-parameter code. Per-action limits (at most 100 ids, …) stay with
//! the actions; the caps here lie above every documented one, so those keep
//! their specific codes, and bound what no action checks.

/// Most header fields a request may carry (the official SDKs send about a
/// dozen). Between this and hyper's own cap of 100 the dialect answers;
/// beyond that hyper answers `431` before any dialect sees the request.
pub const MAX_HEADER_COUNT: usize = 64;

/// Largest request head (request line and header fields), in bytes:
/// Tencent documents 32 KB as the largest GET request. Up to
/// [`HARD_MAX_HEADER_BYTES`] the dialect answers; beyond, hyper's `431`.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The head size at which hyper stops reading and answers `431` itself.
pub const HARD_MAX_HEADER_BYTES: usize = 64 * 1024;

/// Most parameters in a request: form or query pairs, or the values in a
/// JSON body (every member and list item). The largest documented request,
/// Lighthouse `DescribeInstances` with 10 filters of 100 values, has about
/// 1 030.
pub const MAX_PARAMETERS: usize = 2048;

/// Longest parameter name (a JSON member name, or a flattened name such as
/// `Filters.0.Values.12`), in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// Longest string value, in bytes as sent. The longest documented value is
/// `UserData` (16 KB before base64, about 22 KB after).
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// Longest number or literal in a JSON body, in bytes: more digits than any
/// 64-bit number or float needs.
pub const MAX_SCALAR_BYTES: usize = 64;

/// Most items in one list: ten times the largest documented batch (100 ids,
/// 100 filter values). In flattened names an index is at most this.
pub const MAX_LIST_ITEMS: usize = 1000;

/// Deepest nesting of a JSON body (objects and lists) or of a flattened
/// name (dot-separated segments). serde_json stops at 128; the deepest
/// documented request structure has fewer than 8 levels.
pub const MAX_DEPTH: usize = 32;

/// A request beyond one of the limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("the request carries more than {MAX_HEADER_COUNT} header fields")]
    TooManyHeaders,
    #[error("the request line and headers exceed {MAX_HEADER_BYTES} bytes")]
    HeadersTooLarge,
    #[error("the request carries more than {MAX_PARAMETERS} parameters")]
    TooManyParameters,
    #[error("the parameter name `{0}` is longer than {MAX_NAME_BYTES} bytes")]
    NameTooLong(String),
    /// What is too long, and its limit in bytes.
    #[error("{0} is longer than {1} bytes")]
    ValueTooLong(String, usize),
    #[error("{0} has more than {MAX_LIST_ITEMS} items")]
    TooManyItems(String),
    #[error("the parameters are nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// No vendor accepts a NUL character in a parameter, and PostgreSQL
    /// cannot store one in text: refused at the door, not by the store.
    #[error("{0} contains a NUL character")]
    NulCharacter(String),
}

impl LimitError {
    /// True for limits on the request's size (headers), as opposed to its
    /// parameters; vendors answer those with their request-size code.
    pub fn is_request_size(&self) -> bool {
        matches!(self, Self::TooManyHeaders | Self::HeadersTooLarge)
    }

    /// True when one value is out of range (too long, too many items), as
    /// opposed to the request's shape; vendors that tell the two apart
    /// answer these with their invalid-value code.
    pub fn is_value(&self) -> bool {
        matches!(
            self,
            Self::ValueTooLong(..) | Self::TooManyItems(_) | Self::NulCharacter(_)
        )
    }
}

/// A name as quoted in an error: its start, since it may be huge or hostile.
fn quote(name: &str) -> String {
    const SHOWN: usize = 64;
    match name.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_string(),
    }
}

/// Checks the request head: `count` header fields and `bytes` of request
/// line and headers.
pub fn check_head(count: usize, bytes: usize) -> Result<(), LimitError> {
    if count > MAX_HEADER_COUNT {
        return Err(LimitError::TooManyHeaders);
    }
    if bytes > MAX_HEADER_BYTES {
        return Err(LimitError::HeadersTooLarge);
    }
    Ok(())
}

/// Checks one flattened parameter: name length, nesting (dot-separated
/// segments) and list indices (numeric segments), and the value's length.
pub fn check_pair(name: &str, value: &str) -> Result<(), LimitError> {
    if name.len() > MAX_NAME_BYTES {
        return Err(LimitError::NameTooLong(quote(name)));
    }
    if value.len() > MAX_STRING_BYTES {
        let what = format!("the value of `{}`", quote(name));
        return Err(LimitError::ValueTooLong(what, MAX_STRING_BYTES));
    }
    if name.contains('\0') || value.contains('\0') {
        let what = format!("the parameter `{}`", quote(&name.replace('\0', "\\0")));
        return Err(LimitError::NulCharacter(what));
    }
    let mut depth = 0;
    for (i, segment) in name.split('.').enumerate() {
        depth += 1;
        if depth > MAX_DEPTH {
            return Err(LimitError::TooDeep);
        }
        // A numeric segment after the first is a list index.
        let is_index = i > 0 && !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
        if is_index
            && segment
                .parse::<usize>()
                .ok()
                .is_none_or(|n| n > MAX_LIST_ITEMS)
        {
            return Err(LimitError::TooManyItems(format!(
                "the list of `{}`",
                quote(name)
            )));
        }
    }
    Ok(())
}

/// Checks pairs decoded elsewhere (multipart fields): their count and each
/// pair.
pub fn check_pairs(pairs: &[(String, String)]) -> Result<(), LimitError> {
    if pairs.len() > MAX_PARAMETERS {
        return Err(LimitError::TooManyParameters);
    }
    pairs.iter().try_for_each(|(k, v)| check_pair(k, v))
}

/// Decodes `application/x-www-form-urlencoded` bytes (a body or a query
/// string) onto `pairs`, checking each pair and the running count as it
/// goes, so that a hostile input is refused before it is all allocated.
pub fn read_form(raw: &[u8], pairs: &mut Vec<(String, String)>) -> Result<(), LimitError> {
    for (name, value) in form_urlencoded::parse(raw) {
        if pairs.len() >= MAX_PARAMETERS {
            return Err(LimitError::TooManyParameters);
        }
        check_pair(&name, &value)?;
        pairs.push((name.into_owned(), value.into_owned()));
    }
    Ok(())
}

/// [`read_form`] into a new list.
pub fn form(raw: &[u8]) -> Result<Vec<(String, String)>, LimitError> {
    let mut pairs = Vec::new();
    read_form(raw, &mut pairs)?;
    Ok(pairs)
}

/// An open JSON container while scanning.
struct Open {
    is_object: bool,
    /// Items so far (lists only).
    items: usize,
    /// In an object: the next string is a member name.
    expect_name: bool,
}

/// The state of [`check_json`]'s scan.
#[derive(Default)]
struct Scan {
    open: Vec<Open>,
    /// Members and list items so far, at any depth.
    values: usize,
}

impl Scan {
    /// Counts one more value: a member name, or an item of the innermost
    /// list (the root is neither).
    fn count(&mut self, is_member: bool) -> Result<(), LimitError> {
        let Some(top) = self.open.last_mut() else {
            return Ok(());
        };
        if !is_member && top.is_object {
            // A member's value was counted with its name.
            return Ok(());
        }
        self.values += 1;
        if self.values > MAX_PARAMETERS {
            return Err(LimitError::TooManyParameters);
        }
        if !top.is_object {
            top.items += 1;
            if top.items > MAX_LIST_ITEMS {
                return Err(LimitError::TooManyItems("a list in the body".into()));
            }
        }
        Ok(())
    }

    /// True when the next string is a member name.
    fn expects_name(&self) -> bool {
        self.open
            .last()
            .is_some_and(|t| t.is_object && t.expect_name)
    }
}

/// Checks a JSON body against the limits in one pass over its bytes,
/// without building it, so that serde_json only ever decodes a bounded
/// document. It does not validate the syntax (the decoder after it does);
/// on malformed input it stops or goes on scanning, but never fails for
/// anything but a limit.
pub fn check_json(body: &[u8]) -> Result<(), LimitError> {
    let mut scan = Scan::default();
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        match b {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while let Some(&c) = body.get(j) {
                    match c {
                        b'\\' if body.get(j + 1..j + 6) == Some(b"u0000") => {
                            return Err(LimitError::NulCharacter("a string in the body".into()));
                        }
                        b'\\' => j += 2,
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                let len = j.min(body.len()) - start;
                if scan.expects_name() {
                    if let Some(top) = scan.open.last_mut() {
                        top.expect_name = false;
                    }
                    scan.count(true)?;
                    if len > MAX_NAME_BYTES {
                        let shown = String::from_utf8_lossy(&body[start..start + MAX_NAME_BYTES]);
                        return Err(LimitError::NameTooLong(quote(&shown)));
                    }
                } else {
                    scan.count(false)?;
                    if len > MAX_STRING_BYTES {
                        let what = "a string in the body".into();
                        return Err(LimitError::ValueTooLong(what, MAX_STRING_BYTES));
                    }
                }
                i = j + 1;
            }
            b'{' | b'[' => {
                scan.count(false)?;
                if scan.open.len() >= MAX_DEPTH {
                    return Err(LimitError::TooDeep);
                }
                scan.open.push(Open {
                    is_object: b == b'{',
                    items: 0,
                    expect_name: b == b'{',
                });
                i += 1;
            }
            b'}' | b']' => {
                scan.open.pop();
                i += 1;
            }
            b',' => {
                if let Some(top) = scan.open.last_mut() {
                    top.expect_name = top.is_object;
                }
                i += 1;
            }
            b':' | b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            _ => {
                // A number or literal: one token up to the next delimiter.
                let start = i;
                while body.get(i).is_some_and(|c| !b",:[]{}\" \t\r\n".contains(c)) {
                    i += 1;
                }
                scan.count(false)?;
                if i - start > MAX_SCALAR_BYTES {
                    let what = "a number in the body".into();
                    return Err(LimitError::ValueTooLong(what, MAX_SCALAR_BYTES));
                }
            }
        }
    }
    Ok(())
}

/// Decodes a JSON body after [`check_json`]. Only whitespace is `{}`.
pub fn json(body: &[u8]) -> Result<serde_json::Value, JsonError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    check_json(body)?;
    serde_json::from_slice(body).map_err(|e| JsonError::Syntax(e.to_string()))
}

/// Why a JSON body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error("The request body is not valid JSON: {0}")]
    Syntax(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn head_count_and_size() {
        assert_eq!(check_head(MAX_HEADER_COUNT, MAX_HEADER_BYTES), Ok(()));
        assert_eq!(
            check_head(MAX_HEADER_COUNT + 1, 10),
            Err(LimitError::TooManyHeaders)
        );
        assert_eq!(
            check_head(3, MAX_HEADER_BYTES + 1),
            Err(LimitError::HeadersTooLarge)
        );
        assert!(LimitError::HeadersTooLarge.is_request_size());
    }

    #[test]
    fn parameter_count() {
        let at_limit = "a=1&".repeat(MAX_PARAMETERS);
        assert_eq!(
            form(at_limit.as_bytes()).map(|p| p.len()),
            Ok(MAX_PARAMETERS)
        );
        let over = format!("{at_limit}b=2");
        assert_eq!(form(over.as_bytes()), Err(LimitError::TooManyParameters));
        // Query and body together count once.
        let mut pairs = form(at_limit.as_bytes()).unwrap_or_default();
        assert_eq!(
            read_form(b"x=1", &mut pairs),
            Err(LimitError::TooManyParameters)
        );
        let many: Vec<(String, String)> = (0..=MAX_PARAMETERS)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        assert_eq!(check_pairs(&many), Err(LimitError::TooManyParameters));
    }

    #[test]
    fn name_and_value_length() {
        let name = "n".repeat(MAX_NAME_BYTES);
        assert_eq!(check_pair(&name, "v"), Ok(()));
        let long = format!("{name}x");
        assert!(
            matches!(check_pair(&long, "v"), Err(LimitError::NameTooLong(shown)) if shown.len() < 100)
        );
        let value = "v".repeat(MAX_STRING_BYTES);
        assert_eq!(check_pair("UserData", &value), Ok(()));
        assert_eq!(
            check_pair("UserData", &format!("{value}v")),
            Err(LimitError::ValueTooLong(
                "the value of `UserData`".into(),
                MAX_STRING_BYTES
            ))
        );
        // Multi-byte names are cut on a character boundary.
        let wide = "测".repeat(MAX_NAME_BYTES);
        assert!(matches!(
            check_pair(&wide, ""),
            Err(LimitError::NameTooLong(_))
        ));
    }

    #[test]
    fn flattened_indices_and_depth() {
        assert_eq!(check_pair("Filters.9.Values.1000", "x"), Ok(()));
        assert_eq!(
            check_pair("Filters.0.Values.1001", "x"),
            Err(LimitError::TooManyItems(
                "the list of `Filters.0.Values.1001`".into()
            ))
        );
        assert!(check_pair("InstanceId.99999999999999999999999", "x").is_err());
        // A leading numeric segment is a name, not an index.
        assert_eq!(check_pair("12345", "x"), Ok(()));
        let deep = vec!["a"; MAX_DEPTH].join(".");
        assert_eq!(check_pair(&deep, "x"), Ok(()));
        assert_eq!(
            check_pair(&format!("{deep}.a"), "x"),
            Err(LimitError::TooDeep)
        );
    }

    #[test]
    fn json_depth() {
        assert_eq!(check_json(nested(MAX_DEPTH).as_bytes()), Ok(()));
        assert_eq!(
            check_json(nested(MAX_DEPTH + 1).as_bytes()),
            Err(LimitError::TooDeep)
        );
        // Far deeper than serde_json's own limit: refused by the scan, not
        // by recursion.
        assert_eq!(
            check_json(nested(100_000).as_bytes()),
            Err(LimitError::TooDeep)
        );
        let objects = format!(
            "{}{}",
            "{\"a\":".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(check_json(objects.as_bytes()), Err(LimitError::TooDeep));
        // Brackets inside strings do not count.
        let quoted = format!("{{\"a\":\"{}\"}}", "[".repeat(1000));
        assert_eq!(check_json(quoted.as_bytes()), Ok(()));
    }

    #[test]
    fn json_list_items_and_values() {
        let list = |n: usize| format!("{{\"InstanceIds\":[{}]}}", vec!["\"i\""; n].join(","));
        assert_eq!(check_json(list(MAX_LIST_ITEMS).as_bytes()), Ok(()));
        assert!(matches!(
            check_json(list(MAX_LIST_ITEMS + 1).as_bytes()),
            Err(LimitError::TooManyItems(_))
        ));
        let numbers = format!("[{}]", vec!["1"; MAX_LIST_ITEMS + 1].join(","));
        assert!(matches!(
            check_json(numbers.as_bytes()),
            Err(LimitError::TooManyItems(_))
        ));
        // Many lists within their own limit still count towards the values.
        let lists: Vec<String> = (0..3)
            .map(|i| format!("\"l{i}\":[{}]", vec!["1"; 800].join(",")))
            .collect();
        let body = format!("{{{}}}", lists.join(","));
        assert_eq!(
            check_json(body.as_bytes()),
            Err(LimitError::TooManyParameters)
        );
        let members: Vec<String> = (0..=MAX_PARAMETERS)
            .map(|i| format!("\"k{i}\":1"))
            .collect();
        let body = format!("{{{}}}", members.join(","));
        assert_eq!(
            check_json(body.as_bytes()),
            Err(LimitError::TooManyParameters)
        );
    }

    #[test]
    fn nul_characters_are_refused_in_forms_and_json() {
        assert!(matches!(
            check_pair("InstanceId.1", "a\0b"),
            Err(LimitError::NulCharacter(_))
        ));
        assert!(matches!(
            check_pair("Name\0", "x"),
            Err(LimitError::NulCharacter(_))
        ));
        assert!(matches!(
            check_json(br#"{"instanceIds": ["\u0000"]}"#),
            Err(LimitError::NulCharacter(_))
        ));
        assert!(check_pair("InstanceName", "a b").is_ok());
        // An escaped backslash followed by `u0000` is text, not a NUL.
        assert!(check_json(br#"{"name": "\\u0000"}"#).is_ok());
        assert!(LimitError::NulCharacter("x".into()).is_value());
    }

    #[test]
    fn json_string_and_scalar_lengths() {
        let name = "k".repeat(MAX_NAME_BYTES + 1);
        assert!(matches!(
            check_json(format!("{{\"{name}\":1}}").as_bytes()),
            Err(LimitError::NameTooLong(_))
        ));
        // A long string is a value, not a name.
        let value = "v".repeat(MAX_NAME_BYTES + 1);
        assert_eq!(
            check_json(format!("{{\"k\":\"{value}\"}}").as_bytes()),
            Ok(())
        );
        let huge = "v".repeat(MAX_STRING_BYTES + 1);
        assert!(matches!(
            check_json(format!("{{\"k\":\"{huge}\"}}").as_bytes()),
            Err(LimitError::ValueTooLong(..))
        ));
        // Escaped quotes do not end a string.
        assert_eq!(check_json(br#"{"k":"a\"b","l":[1]}"#), Ok(()));
        let digits = "9".repeat(MAX_SCALAR_BYTES + 1);
        assert!(matches!(
            check_json(format!("{{\"n\":{digits}}}").as_bytes()),
            Err(LimitError::ValueTooLong(..))
        ));
    }

    #[test]
    fn json_decoding() {
        assert_eq!(json(b" \n"), Ok(serde_json::json!({})));
        assert_eq!(
            json(br#"{"a":[1,2]}"#),
            Ok(serde_json::json!({"a": [1, 2]}))
        );
        assert!(matches!(json(b"{\"a\":"), Err(JsonError::Syntax(_))));
        assert!(matches!(json(b"\xff\xfe"), Err(JsonError::Syntax(_))));
        assert_eq!(
            json(nested(200).as_bytes()),
            Err(JsonError::Limit(LimitError::TooDeep))
        );
        // Unterminated strings and stray closers only end the scan.
        let odd: [&[u8]; 5] = [b"\"abc", b"]]]}}}", b"{\"a\\", b"\\", b"{,,,:::}"];
        for bad in odd {
            assert!(check_json(bad).is_ok());
        }
    }
}
