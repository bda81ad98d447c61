//! Kingsoft parameters: one flat map built from the query and the form body,
//! read back as scalars, `.N` lists (any index base, gaps allowed, ordered
//! by number), `Filter.N.Name[.M]` / `Filter.N.Value.M` filters and `.N.`
//! structures. The Python SDK's `SystemDisk_DiskSize` spelling is read as
//! `SystemDisk.DiskSize`. Booleans are accepted in any case. [`decode`]
//! reads the pairs of a request within the generic [`limits`].

use super::envelope::ApiError;
use super::errors::Code;
use crate::limits::{self, LimitError};
use std::collections::BTreeMap;

/// Parameters every request may carry beside the action's own (the legacy
/// signature's included); they are not the action's business.
const COMMON: [&str; 12] = [
    "Action",
    "Version",
    "Service",
    "SdkVersion",
    "Region",
    "Accesskey",
    "AccessKey",
    "Language",
    "Timestamp",
    "SignatureVersion",
    "SignatureMethod",
    "Signature",
];

/// Structures whose members the Python SDK joins with `_` instead of `.`.
const UNDERSCORE_PREFIXES: [&str; 2] = ["SystemDisk_", "InstanceConfigure_"];

/// A parameter that cannot be read as its action expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("the parameter {0} is not recognized")]
    Unknown(String),
    #[error("the parameter {0} is malformed: {1}")]
    Malformed(String, &'static str),
}

impl ParamError {
    /// The parameter's name.
    pub fn name(&self) -> &str {
        match self {
            ParamError::Unknown(n) | ParamError::Malformed(n, _) => n,
        }
    }
}

/// The pairs of a request: the query, then the form body of a POST whose
/// content type is a form or absent; the limits count both together.
pub fn decode(
    method: &str,
    content_type: Option<&str>,
    query: &str,
    body: &[u8],
) -> Result<Vec<(String, String)>, LimitError> {
    let mut pairs = limits::form(query.as_bytes())?;
    let form = content_type.is_none_or(|c| c.starts_with("application/x-www-form-urlencoded"));
    if method == "POST" && form {
        limits::read_form(body, &mut pairs)?;
    }
    Ok(pairs)
}

/// The Kingsoft answer to a request beyond a limit: `InvalidParameterValue`
/// for one value out of range, `InvalidParameter` otherwise (as for a body
/// over the size limit).
pub fn limit_error(e: &LimitError) -> ApiError {
    let code = if e.is_value() {
        Code::InvalidParameterValue
    } else {
        Code::InvalidParameter
    };
    code.message(format!("{e}."))
}

/// One `Filter.N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// An action's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Name → value; a repeated name keeps its first value.
    map: BTreeMap<String, String>,
}

/// True if `key` is `pattern` with each `N` standing for a decimal index.
fn matches_pattern(key: &str, pattern: &str) -> bool {
    let (mut k, mut p) = (key.split('.'), pattern.split('.'));
    loop {
        match (k.next(), p.next()) {
            (None, None) => return true,
            (Some(seg), Some("N")) => {
                if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_digit()) {
                    return false;
                }
            }
            (Some(seg), Some(pat)) if seg == pat => {}
            _ => return false,
        }
    }
}

fn index_of(segment: &str) -> Option<u64> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

impl Params {
    /// The action's parameters from the merged query and body pairs.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if COMMON.contains(&k.as_str()) {
                continue;
            }
            let key = match UNDERSCORE_PREFIXES.iter().find(|p| k.starts_with(*p)) {
                Some(p) => format!("{}.{}", &p[..p.len() - 1], &k[p.len()..]),
                None => k.clone(),
            };
            map.entry(key).or_insert_with(|| v.clone());
        }
        Self { map }
    }

    /// Refuses any parameter that matches none of `allowed` (patterns such
    /// as `InstanceId.N` or `Filter.N.Value.N`).
    pub fn check_known(&self, allowed: &[&str]) -> Result<(), ParamError> {
        for key in self.map.keys() {
            if !allowed.iter().any(|p| matches_pattern(key, p)) {
                return Err(ParamError::Unknown(key.clone()));
            }
        }
        Ok(())
    }

    /// A scalar; an empty value counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A scalar that must be given.
    pub fn required(&self, name: &str) -> Option<&str> {
        self.get(name)
    }

    /// An integer.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ParamError> {
        self.get(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ParamError::Malformed(name.to_string(), "expected an integer"))
            })
            .transpose()
    }

    /// A boolean, in any case (`True`, `true`, `TRUE`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ParamError> {
        self.get(name)
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ParamError::Malformed(
                    name.to_string(),
                    "expected true or false",
                )),
            })
            .transpose()
    }

    /// `name.N` values ordered by N (any base, gaps allowed); a bare `name`
    /// counts as one more value, first.
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut out: Vec<(Option<u64>, String)> = Vec::new();
        if let Some(v) = self.get(name) {
            out.push((None, v.to_string()));
        }
        let prefix = format!("{name}.");
        for (k, v) in self.map.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break;
            };
            if let Some(i) = index_of(rest) {
                if !v.is_empty() {
                    out.push((Some(i), v.clone()));
                }
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, v)| v).collect()
    }

    /// `prefix.N.Member` structures, ordered by N: each a member → value map.
    pub fn structs(&self, prefix: &str) -> Vec<BTreeMap<String, String>> {
        let mut by_index: BTreeMap<u64, BTreeMap<String, String>> = BTreeMap::new();
        let head = format!("{prefix}.");
        for (k, v) in self.map.range(head.clone()..) {
            let Some(rest) = k.strip_prefix(&head) else {
                break;
            };
            if let Some((index, member)) = rest.split_once('.') {
                if let Some(i) = index_of(index) {
                    by_index
                        .entry(i)
                        .or_default()
                        .insert(member.to_string(), v.clone());
                }
            }
        }
        by_index.into_values().collect()
    }

    /// `Filter.N.Name` (or `Filter.N.Name.M`) with `Filter.N.Value.M`.
    pub fn filters(&self) -> Result<Vec<Filter>, ParamError> {
        let mut out = Vec::new();
        for (i, members) in self.structs("Filter").into_iter().enumerate() {
            let indexed = |field: &str| -> Vec<(u64, String)> {
                let mut v: Vec<(u64, String)> = members
                    .iter()
                    .filter_map(|(k, v)| {
                        let rest = k.strip_prefix(field)?.strip_prefix('.')?;
                        Some((index_of(rest)?, v.clone()))
                    })
                    .collect();
                v.sort();
                v
            };
            let name = members
                .get("Name")
                .cloned()
                .or_else(|| indexed("Name").into_iter().next().map(|(_, v)| v))
                .ok_or_else(|| {
                    ParamError::Malformed(format!("Filter.{i}.Name"), "a filter needs a name")
                })?;
            let mut values: Vec<String> = indexed("Value").into_iter().map(|(_, v)| v).collect();
            if let Some(v) = members.get("Value") {
                values.insert(0, v.clone());
            }
            out.push(Filter { name, values });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(raw: &[(&str, &str)]) -> Params {
        let pairs: Vec<(String, String)> = raw
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::from_pairs(&pairs)
    }

    #[test]
    fn decoding_within_the_limits() {
        let half = "InstanceId.1=a&".repeat(limits::MAX_PARAMETERS / 2);
        let got = decode("POST", None, &half, half.as_bytes());
        assert_eq!(got.map(|p| p.len()), Ok(limits::MAX_PARAMETERS));
        // Query and body count together.
        let body = format!("{half}X=1");
        assert_eq!(
            decode(
                "POST",
                Some("application/x-www-form-urlencoded"),
                &half,
                body.as_bytes()
            ),
            Err(LimitError::TooManyParameters)
        );
        // A GET or a JSON POST reads the query only.
        assert!(decode("GET", None, "Action=A", body.as_bytes()).is_ok());
        assert!(decode("POST", Some("application/json"), "", body.as_bytes()).is_ok());
        let e = limit_error(&LimitError::TooManyParameters);
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        let e = decode("GET", None, "InstanceId.5000=a", b"").expect_err("index");
        let e = limit_error(&e);
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameterValue"));
    }

    #[test]
    fn lists_take_any_base_and_order_by_number() {
        let p = params(&[
            ("InstanceId.10", "c"),
            ("InstanceId.2", "b"),
            ("InstanceId.0", "a"),
        ]);
        assert_eq!(p.list("InstanceId"), vec!["a", "b", "c"]);
        let p = params(&[("KeyId.1", "x"), ("KeyId.3", "y")]);
        assert_eq!(p.list("KeyId"), vec!["x", "y"]);
        let p = params(&[("KeyId", "only")]);
        assert_eq!(p.list("KeyId"), vec!["only"]);
    }

    #[test]
    fn filters_accept_both_name_spellings() {
        let p = params(&[
            ("Filter.0.Name", "instance-state.name"),
            ("Filter.0.Value.1", "stopped"),
            ("Filter.0.Value.0", "active"),
            ("Filter.1.Name.0", "availability-zone-name"),
            ("Filter.1.Value.1", "cn-beijing-6a"),
        ]);
        assert_eq!(
            p.filters().expect("filters"),
            vec![
                Filter {
                    name: "instance-state.name".into(),
                    values: vec!["active".into(), "stopped".into()]
                },
                Filter {
                    name: "availability-zone-name".into(),
                    values: vec!["cn-beijing-6a".into()]
                },
            ]
        );
        assert!(params(&[("Filter.1.Value.1", "x")]).filters().is_err());
    }

    #[test]
    fn underscore_aliases_and_common_parameters() {
        let p = params(&[
            ("SystemDisk_DiskSize", "50"),
            ("SystemDisk_DiskType", "SSD3.0"),
            ("Action", "ModifyInstanceImage"),
            ("Accesskey", "AKLT"),
        ]);
        assert_eq!(p.int("SystemDisk.DiskSize"), Ok(Some(50)));
        assert_eq!(p.get("SystemDisk.DiskType"), Some("SSD3.0"));
        assert_eq!(p.get("Action"), None);
        assert!(p
            .check_known(&["SystemDisk.DiskSize", "SystemDisk.DiskType"])
            .is_ok());
        assert_eq!(
            p.check_known(&["SystemDisk.DiskSize"]),
            Err(ParamError::Unknown("SystemDisk.DiskType".into()))
        );
    }

    #[test]
    fn booleans_in_any_case_and_patterns() {
        let p = params(&[
            ("ForceReboot", "True"),
            ("ForceStop", "FALSE"),
            ("X", "yes"),
        ]);
        assert_eq!(p.bool("ForceReboot"), Ok(Some(true)));
        assert_eq!(p.bool("ForceStop"), Ok(Some(false)));
        assert!(p.bool("X").is_err());
        assert!(matches_pattern("Filter.3.Value.12", "Filter.N.Value.N"));
        assert!(!matches_pattern("Filter.x.Value.1", "Filter.N.Value.N"));
        assert!(!matches_pattern("InstanceId", "InstanceId.N"));
        let s = params(&[("DataDisk.1.Type", "SSD3.0"), ("DataDisk.1.Size", "20")]);
        assert_eq!(
            s.structs("DataDisk")[0].get("Size").map(String::as_str),
            Some("20")
        );
    }
}
