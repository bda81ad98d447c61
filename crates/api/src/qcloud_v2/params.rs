//! Parameters of a legacy API 2.0 request: the common parameters (names
//! starting with an upper-case letter, spec §1.3) and the action's own
//! (lower camelCase, §4), with typed getters and the `name.<int>` array
//! convention of §1.4.
//!
//! Action parameter names are normalised on the way in: every `_` becomes
//! `.`, so `instanceIds_0` and `instanceIds.0` are the same parameter — the
//! signature already treats them so, and the original PHP server saw both
//! as one name. Values are never rewritten.

use super::signature::Algorithm;
use std::borrow::Cow;

/// The common parameters every legacy client may send. Each is kept as
/// received (an empty value stays `Some("")`); the helpers below give the
/// typed and "empty means absent" views.
pub const COMMON_NAMES: [&str; 11] = [
    "Action",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Token",
    "Version",
    "RequestClient",
    "RequestSource",
];

/// Whether `name` (exactly as sent) is one of [`COMMON_NAMES`].
pub fn is_common(name: &str) -> bool {
    COMMON_NAMES.contains(&name)
}

/// An action parameter name as the dialect compares it: `_` read as `.`.
pub fn normalize_name(name: &str) -> Cow<'_, str> {
    if name.contains('_') {
        Cow::Owned(name.replace('_', "."))
    } else {
        Cow::Borrowed(name)
    }
}

/// A parameter that is missing, malformed or not expected. Every variant
/// is answered with code 4000 (`InvalidParameter`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("the parameter `{0}` is required")]
    Missing(String),
    #[error("the parameter `{name}` must be an integer, got `{value}`")]
    NotAnInteger { name: String, value: String },
    #[error("the parameter `{name}` must be a non-negative integer, got `{value}`")]
    NotAnUnsignedInteger { name: String, value: String },
    #[error("the parameter `{0}` is not a valid array element name (expected `name.<index>`)")]
    BadArrayIndex(String),
    #[error("the array `{name}` has no element `{name}.{index}`: indices must be consecutive from 0 or 1")]
    ArrayGap { name: String, index: usize },
    #[error("the parameter `{0}` is not recognized")]
    Unknown(String),
}

/// The common parameters of a request (§1.3), as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommonParams {
    pub action: Option<String>,
    pub region: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub secret_id: Option<String>,
    pub signature: Option<String>,
    pub signature_method: Option<String>,
    pub token: Option<String>,
    pub version: Option<String>,
    pub request_client: Option<String>,
    pub request_source: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

impl CommonParams {
    /// Picks the common parameters out of decoded pairs (names compared exactly).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut c = CommonParams::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "Action" => &mut c.action,
                "Region" => &mut c.region,
                "Timestamp" => &mut c.timestamp,
                "Nonce" => &mut c.nonce,
                "SecretId" => &mut c.secret_id,
                "Signature" => &mut c.signature,
                "SignatureMethod" => &mut c.signature_method,
                "Token" => &mut c.token,
                "Version" => &mut c.version,
                "RequestClient" => &mut c.request_client,
                "RequestSource" => &mut c.request_source,
                _ => continue,
            };
            *slot = Some(value.clone());
        }
        c
    }

    /// `Action`, required and non-empty.
    pub fn action(&self) -> Result<&str, ParamError> {
        non_empty(&self.action).ok_or_else(|| ParamError::Missing("Action".into()))
    }

    /// `SecretId`, required and non-empty.
    pub fn secret_id(&self) -> Result<&str, ParamError> {
        non_empty(&self.secret_id).ok_or_else(|| ParamError::Missing("SecretId".into()))
    }

    /// `Region`, if sent with a value (the PHP SDK may send `Region=`).
    pub fn region(&self) -> Option<&str> {
        non_empty(&self.region)
    }

    /// `Token`, if sent with a value.
    pub fn token(&self) -> Option<&str> {
        non_empty(&self.token)
    }

    /// `Timestamp` as Unix seconds (required).
    pub fn timestamp_seconds(&self) -> Result<i64, ParamError> {
        let raw = self
            .timestamp
            .as_deref()
            .ok_or_else(|| ParamError::Missing("Timestamp".into()))?;
        parse_int("Timestamp", raw)
    }

    /// `Nonce` as an unsigned 64-bit integer (required). Java clients may
    /// send 0 and Python ones up to 2^63−1 (§1.3).
    pub fn nonce_value(&self) -> Result<u64, ParamError> {
        let raw = self
            .nonce
            .as_deref()
            .ok_or_else(|| ParamError::Missing("Nonce".into()))?;
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParamError::NotAnUnsignedInteger {
                name: "Nonce".into(),
                value: raw.to_string(),
            });
        }
        raw.parse().map_err(|_| ParamError::NotAnUnsignedInteger {
            name: "Nonce".into(),
            value: raw.to_string(),
        })
    }

    /// The HMAC the signature uses: SHA-256 iff `SignatureMethod` is exactly
    /// `HmacSHA256`, SHA-1 otherwise (absent or any other value).
    pub fn algorithm(&self) -> Algorithm {
        Algorithm::from_param(self.signature_method.as_deref())
    }

    /// True when the request belongs to the legacy action set: no `Version`
    /// (or an empty one). With a `Version` the old gateway dispatched to the
    /// API 3.0-style actions instead (§4.0).
    pub fn is_legacy(&self) -> bool {
        non_empty(&self.version).is_none()
    }
}

fn parse_int(name: &str, raw: &str) -> Result<i64, ParamError> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParamError::NotAnInteger {
            name: name.to_string(),
            value: raw.to_string(),
        });
    }
    raw.parse().map_err(|_| ParamError::NotAnInteger {
        name: name.to_string(),
        value: raw.to_string(),
    })
}

/// The action's own parameters: every decoded pair that is not a common
/// parameter, names normalised (`_` → `.`), in wire order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionParams {
    pairs: Vec<(String, String)>,
}

impl ActionParams {
    /// From decoded pairs: common parameters left out, names normalised.
    /// The pairs must not repeat a normalised name (the decoder refuses that).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        Self {
            pairs: pairs
                .iter()
                .filter(|(n, _)| !is_common(n))
                .map(|(n, v)| (normalize_name(n).into_owned(), v.clone()))
                .collect(),
        }
    }

    /// Number of action parameters.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when the action got no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The normalised names, in wire order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(n, _)| n.as_str())
    }

    /// The normalised (name, value) pairs, in wire order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The raw value of `name` (either spelling), empty values included.
    pub fn str(&self, name: &str) -> Option<&str> {
        let name = normalize_name(name);
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a required string parameter (present, may be empty).
    pub fn required_str(&self, name: &str) -> Result<&str, ParamError> {
        self.str(name)
            .ok_or_else(|| ParamError::Missing(normalize_name(name).into_owned()))
    }

    /// An optional integer parameter: `Ok(None)` when absent, an error
    /// naming the parameter and value when it is not a decimal integer
    /// (an empty value is not an integer).
    pub fn int(&self, name: &str) -> Result<Option<i64>, ParamError> {
        match self.str(name) {
            None => Ok(None),
            Some(raw) => parse_int(&normalize_name(name), raw).map(Some),
        }
    }

    /// An optional integer parameter with a default.
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, ParamError> {
        Ok(self.int(name)?.unwrap_or(default))
    }

    /// A required integer parameter.
    pub fn required_int(&self, name: &str) -> Result<i64, ParamError> {
        self.int(name)?
            .ok_or_else(|| ParamError::Missing(normalize_name(name).into_owned()))
    }

    /// The elements of the array `name` (`name.0`, `name.1`, … or `name_0`, …),
    /// ordered by their integer index. Indices must be canonical decimals
    /// (no leading zeros) and consecutive from 0 (legacy actions) or from 1
    /// (API 3.0-style examples on the same endpoint). Absent array: empty.
    /// Deeper keys (`name.0.sub`) are not elements and are left alone.
    pub fn array(&self, name: &str) -> Result<Vec<&str>, ParamError> {
        let name = normalize_name(name);
        let mut elements: Vec<(usize, &str)> = Vec::new();
        for (key, value) in &self.pairs {
            let Some(index) = key
                .strip_prefix(name.as_ref())
                .and_then(|rest| rest.strip_prefix('.'))
            else {
                continue;
            };
            if index.contains('.') {
                continue;
            }
            let canonical = !index.is_empty()
                && index.bytes().all(|b| b.is_ascii_digit())
                && (index == "0" || !index.starts_with('0'));
            let parsed = if canonical {
                index.parse::<usize>().ok()
            } else {
                None
            };
            match parsed {
                Some(i) => elements.push((i, value.as_str())),
                None => return Err(ParamError::BadArrayIndex(key.clone())),
            }
        }
        elements.sort_by_key(|(i, _)| *i);
        let start = match elements.first() {
            None => return Ok(Vec::new()),
            Some((first, _)) if *first <= 1 => *first,
            Some(_) => {
                return Err(ParamError::ArrayGap {
                    name: name.into_owned(),
                    index: 0,
                })
            }
        };
        for (offset, (i, _)) in elements.iter().enumerate() {
            if *i != start + offset {
                return Err(ParamError::ArrayGap {
                    name: name.into_owned(),
                    index: start + offset,
                });
            }
        }
        Ok(elements.into_iter().map(|(_, v)| v).collect())
    }

    /// Refuses any parameter that is neither one of `scalars` nor an element
    /// `name.<int>` of one of `arrays` (names given in dotted form).
    pub fn check_known(&self, scalars: &[&str], arrays: &[&str]) -> Result<(), ParamError> {
        for key in self.names() {
            let is_scalar = scalars.iter().any(|s| normalize_name(s) == key);
            let is_element = arrays.iter().any(|a| {
                key.strip_prefix(normalize_name(a).as_ref())
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
            });
            if !is_scalar && !is_element {
                return Err(ParamError::Unknown(key.to_string()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn common_and_action_params_are_split() {
        let p = pairs(&[
            ("Action", "DescribeInstances"),
            ("Region", ""),
            ("Nonce", "0"),
            ("Timestamp", "1500000000"),
            ("RequestClient", "SDK_JAVA_2.0.5"),
            ("instanceIds_0", "ins-a"),
            ("limit", "20"),
        ]);
        let c = CommonParams::from_pairs(&p);
        assert_eq!(c.action(), Ok("DescribeInstances"));
        assert_eq!(c.region, Some(String::new()));
        assert_eq!(c.region(), None);
        assert_eq!(c.nonce_value(), Ok(0));
        assert_eq!(c.timestamp_seconds(), Ok(1_500_000_000));
        assert_eq!(c.request_client.as_deref(), Some("SDK_JAVA_2.0.5"));
        assert_eq!(c.algorithm(), Algorithm::HmacSha1);
        assert!(c.is_legacy());
        assert_eq!(c.secret_id(), Err(ParamError::Missing("SecretId".into())));
        let a = ActionParams::from_pairs(&p);
        assert_eq!(a.names().collect::<Vec<_>>(), ["instanceIds.0", "limit"]);
        assert_eq!(a.str("instanceIds.0"), Some("ins-a"));
        assert_eq!(a.str("instanceIds_0"), Some("ins-a"));
    }

    #[test]
    fn version_switches_off_legacy_dispatch() {
        let c = CommonParams::from_pairs(&pairs(&[("Version", "2017-03-12")]));
        assert!(!c.is_legacy());
        let c = CommonParams::from_pairs(&pairs(&[("Version", "")]));
        assert!(c.is_legacy());
    }

    #[test]
    fn nonce_and_timestamp_errors_are_clear() {
        let c = CommonParams::from_pairs(&pairs(&[
            ("Nonce", "-1"),
            ("Timestamp", "12x"),
            ("SignatureMethod", "HmacSHA256"),
        ]));
        assert!(matches!(
            c.nonce_value(),
            Err(ParamError::NotAnUnsignedInteger { .. })
        ));
        assert_eq!(
            c.timestamp_seconds().map_err(|e| e.to_string()),
            Err("the parameter `Timestamp` must be an integer, got `12x`".to_string())
        );
        assert_eq!(c.algorithm(), Algorithm::HmacSha256);
        let big = CommonParams::from_pairs(&pairs(&[("Nonce", "9223372036854775807")]));
        assert_eq!(big.nonce_value(), Ok(9_223_372_036_854_775_807));
        assert_eq!(
            CommonParams::default().nonce_value(),
            Err(ParamError::Missing("Nonce".into()))
        );
    }

    #[test]
    fn typed_getters() {
        let a = ActionParams::from_pairs(&pairs(&[
            ("limit", "20"),
            ("offset", "-3"),
            ("rootSize", "fifty"),
            ("empty", ""),
            ("imageId", "img-31tjrtph"),
        ]));
        assert_eq!(a.int("limit"), Ok(Some(20)));
        assert_eq!(a.int("offset"), Ok(Some(-3)));
        assert_eq!(a.int("missing"), Ok(None));
        assert_eq!(a.int_or("missing", 7), Ok(7));
        assert_eq!(
            a.int("rootSize").map_err(|e| e.to_string()),
            Err("the parameter `rootSize` must be an integer, got `fifty`".to_string())
        );
        assert!(matches!(
            a.int("empty"),
            Err(ParamError::NotAnInteger { .. })
        ));
        assert_eq!(
            a.required_int("imageType"),
            Err(ParamError::Missing("imageType".into()))
        );
        assert_eq!(a.required_str("imageId"), Ok("img-31tjrtph"));
        assert_eq!(a.str("empty"), Some(""));
        assert!(matches!(
            a.int("imageId"),
            Err(ParamError::NotAnInteger { .. })
        ));
        let huge = ActionParams::from_pairs(&pairs(&[("n", "99999999999999999999")]));
        assert!(matches!(
            huge.int("n"),
            Err(ParamError::NotAnInteger { .. })
        ));
    }

    #[test]
    fn arrays_are_ordered_by_integer_index() {
        let mut list = Vec::new();
        for i in (0..12).rev() {
            list.push((format!("instanceIds.{i}"), format!("ins-{i}")));
        }
        list.push(("instanceIds.0.sub".into(), "ignored".into()));
        list.push(("instanceIdsX".into(), "other".into()));
        let a = ActionParams::from_pairs(&list);
        let got = a.array("instanceIds").expect("array");
        let want: Vec<String> = (0..12).map(|i| format!("ins-{i}")).collect();
        assert_eq!(got, want);
        assert_eq!(a.array("lanIps"), Ok(Vec::new()));
    }

    #[test]
    fn arrays_accept_one_based_and_underscore_names() {
        let a = ActionParams::from_pairs(&pairs(&[
            ("InstanceIds.2", "b"),
            ("InstanceIds.1", "a"),
            ("lanIps_0", "10.0.0.1"),
            ("lanIps_1", "10.0.0.2"),
        ]));
        assert_eq!(a.array("InstanceIds"), Ok(vec!["a", "b"]));
        assert_eq!(a.array("lanIps"), Ok(vec!["10.0.0.1", "10.0.0.2"]));
        assert_eq!(a.array("lanIps_"), Ok(Vec::new()));
    }

    #[test]
    fn arrays_refuse_gaps_and_odd_indices() {
        let gap = ActionParams::from_pairs(&pairs(&[("ids.0", "a"), ("ids.2", "c")]));
        assert_eq!(
            gap.array("ids"),
            Err(ParamError::ArrayGap {
                name: "ids".into(),
                index: 1
            })
        );
        let late = ActionParams::from_pairs(&pairs(&[("ids.2", "c")]));
        assert_eq!(
            late.array("ids"),
            Err(ParamError::ArrayGap {
                name: "ids".into(),
                index: 0
            })
        );
        for bad in [
            "ids.01",
            "ids.",
            "ids.x",
            "ids.-1",
            "ids.99999999999999999999999",
        ] {
            let a = ActionParams::from_pairs(&pairs(&[(bad, "v")]));
            assert_eq!(
                a.array("ids"),
                Err(ParamError::BadArrayIndex(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_parameters_are_named() {
        let a = ActionParams::from_pairs(&pairs(&[
            ("instanceIds_0", "a"),
            ("forceStop", "1"),
            ("Language", "zh-CN"),
        ]));
        assert_eq!(
            a.check_known(&["forceStop"], &["instanceIds"]),
            Err(ParamError::Unknown("Language".into()))
        );
        assert_eq!(
            a.check_known(&["forceStop", "Language"], &["instanceIds"]),
            Ok(())
        );
    }
}
