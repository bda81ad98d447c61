//! Request parameters against the vendor's own API model. The schemas in
//! `catalog/tencent/*.schema.json` come from tccli's `api.json`; with them a
//! flattened GET/form request (`Filters.0.Values.0=...`) is rebuilt into
//! typed JSON, and unknown, missing and mistyped parameters are named.
//! [`flat`] and [`json`] decode a request's parameters within the generic
//! [`limits`](crate::limits).

use super::envelope::ApiError;
use crate::limits::{self, JsonError, LimitError};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// One member of a request structure.
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    pub name: String,
    /// `string`, `int`, `uint`, `bool`, `float`, `list` or `object`.
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    /// Element type of a list, or structure name of an object/list of objects.
    pub item: Option<String>,
}

/// A product's request schemas.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiSchema {
    pub service: String,
    pub version: String,
    /// Action name → request structure name.
    pub actions: HashMap<String, String>,
    pub objects: HashMap<String, Vec<Member>>,
}

/// A parameter that does not fit the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("the parameter `{0}` is not recognized")]
    Unknown(String),
    #[error("the parameter `{0}` is missing")]
    Missing(String),
    #[error("the parameter `{0}` is invalid: {1}")]
    Invalid(String, String),
    #[error("The request body is not valid JSON: {0}")]
    Syntax(String),
    #[error(transparent)]
    Limit(#[from] LimitError),
}

impl ParamError {
    /// The API 3.0 error code (spec §2.3, step 5).
    pub fn code(&self) -> &'static str {
        match self {
            ParamError::Unknown(_) => "UnknownParameter",
            ParamError::Missing(_) => "MissingParameter",
            ParamError::Invalid(..) | ParamError::Syntax(_) => "InvalidParameter",
            ParamError::Limit(l) if l.is_request_size() => "RequestSizeLimitExceeded",
            ParamError::Limit(l) if l.is_value() => "InvalidParameterValue",
            ParamError::Limit(_) => "InvalidParameter",
        }
    }
}

impl From<JsonError> for ParamError {
    fn from(e: JsonError) -> Self {
        match e {
            JsonError::Limit(l) => ParamError::Limit(l),
            JsonError::Syntax(s) => ParamError::Syntax(s),
        }
    }
}

impl From<ParamError> for ApiError {
    fn from(e: ParamError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

/// The flattened parameters of a request: the query of a GET, the form
/// body of a POST that is not JSON, none for a JSON POST (see [`json`]).
pub fn flat(
    method: &str,
    is_json: bool,
    query: &str,
    body: &[u8],
) -> Result<Vec<(String, String)>, ParamError> {
    let pairs = if method == "GET" {
        limits::form(query.as_bytes())?
    } else if is_json {
        Vec::new()
    } else {
        limits::form(body)?
    };
    Ok(pairs)
}

/// A JSON request body (only whitespace is `{}`), checked against the
/// limits before it is decoded.
pub fn json(body: &[u8]) -> Result<Value, ParamError> {
    limits::json(body).map_err(ParamError::from)
}

const SCALARS: [&str; 5] = ["string", "int", "uint", "bool", "float"];

/// Where a value sits in a request (`A.0.B`), spelled out only for an
/// error: checking a valid request builds no strings.
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    Member(&'a At<'a>, &'a str),
    Item(&'a At<'a>, usize),
}

impl At<'_> {
    fn spelled(&self) -> String {
        let mut out = String::new();
        self.spell(&mut out);
        out
    }

    fn spell(&self, out: &mut String) {
        let (parent, part): (&At<'_>, &dyn std::fmt::Display) = match self {
            At::Root => return,
            At::Member(parent, name) => (parent, name),
            At::Item(parent, i) => (parent, i),
        };
        parent.spell(out);
        if !out.is_empty() {
            out.push('.');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{part}");
    }
}

impl ApiSchema {
    /// Parses an embedded schema.
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The request structure of an action, if the product offers it.
    pub fn request(&self, action: &str) -> Option<&str> {
        self.actions.get(action).map(String::as_str)
    }

    /// Checks a JSON request body against the action's request structure.
    pub fn validate(&self, structure: &str, value: &Value) -> Result<(), ParamError> {
        let Value::Object(map) = value else {
            return Err(ParamError::Invalid(
                "body".into(),
                "the request body must be a JSON object".into(),
            ));
        };
        self.check_object(structure, map, &At::Root)
    }

    fn check_object(
        &self,
        structure: &str,
        map: &Map<String, Value>,
        path: &At<'_>,
    ) -> Result<(), ParamError> {
        let members = self
            .objects
            .get(structure)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for key in map.keys() {
            if !members.iter().any(|m| &m.name == key) {
                return Err(ParamError::Unknown(At::Member(path, key).spelled()));
            }
        }
        for m in members {
            let here = At::Member(path, &m.name);
            match map.get(&m.name) {
                None | Some(Value::Null) => {
                    if m.required {
                        return Err(ParamError::Missing(here.spelled()));
                    }
                }
                Some(v) => self.check_value(&m.kind, m.item.as_deref(), v, &here)?,
            }
        }
        Ok(())
    }

    fn check_value(
        &self,
        kind: &str,
        item: Option<&str>,
        v: &Value,
        path: &At<'_>,
    ) -> Result<(), ParamError> {
        let bad = |what: &str| {
            Err(ParamError::Invalid(
                path.spelled(),
                format!("expected {what}"),
            ))
        };
        match kind {
            "string" => {
                if v.is_string() {
                    Ok(())
                } else {
                    bad("a string")
                }
            }
            "int" => {
                if v.is_i64() || v.is_u64() {
                    Ok(())
                } else {
                    bad("an integer")
                }
            }
            "uint" => {
                if v.is_u64() {
                    Ok(())
                } else {
                    bad("a non-negative integer")
                }
            }
            "bool" => {
                if v.is_boolean() {
                    Ok(())
                } else {
                    bad("a boolean")
                }
            }
            "float" => {
                if v.is_number() {
                    Ok(())
                } else {
                    bad("a number")
                }
            }
            "list" => {
                let Value::Array(items) = v else {
                    return bad("an array");
                };
                let item = item.unwrap_or("string");
                for (i, x) in items.iter().enumerate() {
                    let p = At::Item(path, i);
                    if SCALARS.contains(&item) {
                        self.check_value(item, None, x, &p)?;
                    } else {
                        let Value::Object(m) = x else {
                            return Err(ParamError::Invalid(
                                p.spelled(),
                                "expected an object".into(),
                            ));
                        };
                        self.check_object(item, m, &p)?;
                    }
                }
                Ok(())
            }
            "object" => {
                let Value::Object(m) = v else {
                    return bad("an object");
                };
                self.check_object(item.unwrap_or(""), m, path)
            }
            _ => Ok(()),
        }
    }

    /// Rebuilds typed JSON from flattened pairs (`A.0.B=x`), then validates it.
    pub fn unflatten(
        &self,
        structure: &str,
        pairs: &[(String, String)],
    ) -> Result<Value, ParamError> {
        let mut root = Node::Object(BTreeMap::new());
        for (key, value) in pairs {
            let segments: Vec<&str> = key.split('.').collect();
            self.place(&mut root, structure, &segments, value, key)?;
        }
        let value = root.into_value();
        self.validate(structure, &value)?;
        Ok(value)
    }

    fn place(
        &self,
        node: &mut Node,
        structure: &str,
        segs: &[&str],
        raw: &str,
        key: &str,
    ) -> Result<(), ParamError> {
        let Some((name, rest)) = segs.split_first() else {
            return Err(ParamError::Unknown(key.to_string()));
        };
        let members = self
            .objects
            .get(structure)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let member = members
            .iter()
            .find(|m| m.name == *name)
            .ok_or_else(|| ParamError::Unknown(key.to_string()))?;
        let Node::Object(fields) = node else {
            return Err(ParamError::Invalid(
                key.to_string(),
                "conflicting parameter shapes".into(),
            ));
        };
        match member.kind.as_str() {
            "list" => {
                let (index, rest) = rest.split_first().ok_or_else(|| {
                    ParamError::Invalid(key.to_string(), "expected an index".into())
                })?;
                let index: usize = index.parse().map_err(|_| {
                    ParamError::Invalid(key.to_string(), "expected a numeric index".into())
                })?;
                let list = fields
                    .entry(member.name.clone())
                    .or_insert_with(|| Node::List(BTreeMap::new()));
                let Node::List(items) = list else {
                    return Err(ParamError::Invalid(
                        key.to_string(),
                        "conflicting parameter shapes".into(),
                    ));
                };
                let item = member.item.as_deref().unwrap_or("string");
                if SCALARS.contains(&item) {
                    if !rest.is_empty() {
                        return Err(ParamError::Unknown(key.to_string()));
                    }
                    items.insert(index, Node::Scalar(scalar(item, raw, key)?));
                    Ok(())
                } else {
                    let child = items
                        .entry(index)
                        .or_insert_with(|| Node::Object(BTreeMap::new()));
                    self.place(child, item, rest, raw, key)
                }
            }
            "object" => {
                let child = fields
                    .entry(member.name.clone())
                    .or_insert_with(|| Node::Object(BTreeMap::new()));
                self.place(child, member.item.as_deref().unwrap_or(""), rest, raw, key)
            }
            kind => {
                if !rest.is_empty() {
                    return Err(ParamError::Unknown(key.to_string()));
                }
                fields.insert(member.name.clone(), Node::Scalar(scalar(kind, raw, key)?));
                Ok(())
            }
        }
    }
}

/// A partly rebuilt parameter tree.
enum Node {
    Scalar(Value),
    Object(BTreeMap<String, Node>),
    /// Items by index; gaps are closed in index order.
    List(BTreeMap<usize, Node>),
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Scalar(v) => v,
            Node::Object(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (k, v.into_value())).collect())
            }
            Node::List(m) => Value::Array(m.into_values().map(Node::into_value).collect()),
        }
    }
}

fn scalar(kind: &str, raw: &str, key: &str) -> Result<Value, ParamError> {
    let bad = |what: &str| ParamError::Invalid(key.to_string(), format!("expected {what}"));
    Ok(match kind {
        "int" => Value::from(raw.trim().parse::<i64>().map_err(|_| bad("an integer"))?),
        "uint" => Value::from(
            raw.trim()
                .parse::<u64>()
                .map_err(|_| bad("a non-negative integer"))?,
        ),
        "float" => Value::from(raw.trim().parse::<f64>().map_err(|_| bad("a number"))?),
        "bool" => match raw.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("a boolean")),
        },
        _ => Value::String(raw.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ApiSchema {
        ApiSchema::parse(include_str!(
            "../../../../catalog/tencent/lighthouse-2020-03-24.schema.json"
        ))
        .expect("schema")
    }

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rebuilds_nested_lists_and_types() {
        let s = schema();
        let v = s
            .unflatten(
                "DescribeInstancesRequest",
                &pairs(&[
                    ("Filters.0.Name", "zone"),
                    ("Filters.0.Values.1", "b"),
                    ("Filters.0.Values.0", "a"),
                    ("Limit", "5"),
                ]),
            )
            .expect("ok");
        assert_eq!(
            v,
            json!({"Filters": [{"Name": "zone", "Values": ["a", "b"]}], "Limit": 5})
        );
    }

    #[test]
    fn booleans_in_any_case() {
        let s = schema();
        let v = s
            .unflatten(
                "CreateInstancesRequest",
                &pairs(&[
                    ("BundleId", "b"),
                    ("BlueprintId", "p"),
                    ("InstanceChargePrepaid.Period", "1"),
                    ("DryRun", "True"),
                ]),
            )
            .expect("ok");
        assert_eq!(v["DryRun"], json!(true));
    }

    #[test]
    fn decoding_within_the_limits() {
        let many = "Limit=1&".repeat(limits::MAX_PARAMETERS + 1);
        let e = flat("GET", false, &many, b"").expect_err("too many");
        assert_eq!(e, ParamError::Limit(LimitError::TooManyParameters));
        assert_eq!(e.code(), "InvalidParameter");
        // A POST form reads the body, not the query; a JSON POST neither.
        assert!(flat("POST", false, &many, b"Limit=1").is_ok());
        assert!(flat("POST", true, "", many.as_bytes()).is_ok_and(|p| p.is_empty()));
        let long = format!("UserData={}", "A".repeat(limits::MAX_STRING_BYTES + 1));
        let e = flat("POST", false, "", long.as_bytes()).expect_err("too long");
        assert_eq!(e.code(), "InvalidParameterValue");
        let deep = format!("{{\"Filters\":{}{}}}", "[".repeat(33), "]".repeat(33));
        let e = json(deep.as_bytes()).expect_err("too deep");
        assert_eq!(
            (e.code(), e),
            ("InvalidParameter", ParamError::Limit(LimitError::TooDeep))
        );
        let e = json(b"{\"Limit\":").expect_err("syntax");
        assert_eq!(e.code(), "InvalidParameter");
        assert!(e
            .to_string()
            .starts_with("The request body is not valid JSON"));
        assert_eq!(json(b" "), Ok(json!({})));
        let e = ApiError::from(ParamError::from(LimitError::HeadersTooLarge));
        assert_eq!(e.code, "RequestSizeLimitExceeded");
    }

    #[test]
    fn names_unknown_missing_and_invalid_parameters() {
        let s = schema();
        assert_eq!(
            s.unflatten(
                "ResetInstanceRequest",
                &pairs(&[("InstanceId", "x"), ("Bogus", "1")])
            ),
            Err(ParamError::Unknown("Bogus".into()))
        );
        assert_eq!(
            s.unflatten("ResetInstanceRequest", &[]),
            Err(ParamError::Missing("InstanceId".into()))
        );
        assert!(matches!(
            s.unflatten("DescribeInstancesRequest", &pairs(&[("Limit", "ten")])),
            Err(ParamError::Invalid(..))
        ));
        assert_eq!(
            s.validate(
                "ResetInstanceRequest",
                &json!({"InstanceId": "x", "LoginConfiguration": {"Nope": 1}})
            ),
            Err(ParamError::Unknown("LoginConfiguration.Nope".into()))
        );
        assert_eq!(
            s.validate("DescribeInstancesRequest", &json!({"Limit": "1"})),
            Err(ParamError::Invalid(
                "Limit".into(),
                "expected an integer".into()
            ))
        );
        // A path through a list names the item by its place.
        assert_eq!(
            s.validate(
                "DescribeInstancesRequest",
                &json!({"Filters": [{"Name": "zone", "Values": ["a"]}, {"Name": "x", "Values": [1]}]})
            ),
            Err(ParamError::Invalid(
                "Filters.1.Values.0".into(),
                "expected a string".into()
            ))
        );
        assert!(matches!(
            s.validate("DescribeInstancesRequest", &json!([])),
            Err(ParamError::Invalid(..))
        ));
    }
}
