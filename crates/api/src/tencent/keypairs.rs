//! Key pair actions of the Tencent API 3.0 products: CreateKeyPair,
//! ImportKeyPair, DescribeKeyPairs, DeleteKeyPairs and
//! (Dis)AssociateInstancesKeyPairs. Lighthouse and CVM share every line;
//! what differs is the table each product passes ([`KeyPairRules`]).
//! Parameters a product does not have never get here: the product's API
//! model refuses them first.

use super::envelope::ApiError;
use super::validate::{self, Codes, Filter, TagParam, TagSpec};
use super::{fields, parse, Call, Fields};
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::engine::{BatchAction, KeyPairQuery, KeyPairView};
use stratus_engine::model::Tag;
use stratus_engine::EngineError;

crate::actions! {
    /// The key pair actions, the same in every API 3.0 product.
    pub enum KeyPairAction {
        CreateKeyPair,
        ImportKeyPair,
        DescribeKeyPairs,
        DeleteKeyPairs,
        AssociateInstancesKeyPairs,
        DisassociateInstancesKeyPairs,
    }
}

impl KeyPairAction {
    /// True for the actions that name a missing key by its id
    /// (`KeyIdNotFound`) rather than as a key pair.
    pub fn names_key_ids(self) -> bool {
        !matches!(self, Self::CreateKeyPair | Self::ImportKeyPair)
    }
}

/// Serves a key pair action of a product whose actions are `A`.
pub async fn serve<A: Copy>(
    call: &Call<'_, A>,
    action: KeyPairAction,
    rules: &KeyPairRules<A>,
) -> Result<Fields, ApiError> {
    match action {
        KeyPairAction::CreateKeyPair => create(call, rules).await,
        KeyPairAction::ImportKeyPair => import(call, rules).await,
        KeyPairAction::DescribeKeyPairs => describe(call, rules).await,
        KeyPairAction::DeleteKeyPairs => delete(call, rules).await,
        KeyPairAction::AssociateInstancesKeyPairs => bind(call, rules, true).await,
        KeyPairAction::DisassociateInstancesKeyPairs => bind(call, rules, false).await,
    }
}

/// How one product's key pair actions differ.
#[derive(Debug, Clone, Copy)]
pub struct KeyPairRules<A> {
    pub codes: &'static Codes,
    /// Codes for a key name that is empty, too long, or has other
    /// characters than letters, digits and underscores.
    pub name_empty: &'static str,
    pub name_too_long: &'static str,
    pub name_illegal: &'static str,
    pub key_id: fn(&str, &str) -> Result<(), ApiError>,
    pub instance_id: fn(&str, &str) -> Result<(), ApiError>,
    /// DescribeKeyPairs filter names, and the most values one may have.
    pub filters: &'static [&'static str],
    pub filter_values: usize,
    /// Most key ids DeleteKeyPairs takes.
    pub delete_limit: usize,
    /// Whether binding keys to a running instance needs `ForceStop`.
    pub running_needs_force_stop: bool,
    pub view: fn(&KeyPairView, Option<&str>) -> Value,
    pub error: fn(&EngineError, A) -> ApiError,
}

impl<A: Copy> KeyPairRules<A> {
    fn engine_error<'a>(&'a self, call: &'a Call<'a, A>) -> impl Fn(EngineError) -> ApiError + 'a {
        move |e| (self.error)(&e, call.action)
    }

    fn key_name(&self, name: &str) -> Result<(), ApiError> {
        if name.is_empty() {
            return Err(ApiError::new(
                self.name_empty,
                "`KeyName` must not be empty.",
            ));
        }
        if name.chars().count() > 25 {
            return Err(ApiError::new(
                self.name_too_long,
                "`KeyName` is longer than 25 characters.",
            ));
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ApiError::new(
                self.name_illegal,
                "`KeyName` may contain only letters, digits and underscores.",
            ));
        }
        Ok(())
    }
}

/// The tags of a new key pair, as `Tags` (Lighthouse) or `TagSpecification`
/// (CVM) give them; and the project, which must be the default one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Labels {
    tags: Option<Vec<TagParam>>,
    tag_specification: Option<Vec<TagSpec>>,
    project_id: Option<i64>,
}

impl Labels {
    fn tags(self) -> Result<Vec<Tag>, ApiError> {
        if let Some(id) = self.project_id.filter(|id| *id != 0) {
            return Err(ApiError::new(
                "InvalidProjectId.NotFound",
                format!("The project {id} does not exist."),
            ));
        }
        let specified = self
            .tag_specification
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.resource_type == "keypair")
            .flat_map(|s| s.tags);
        Ok(self
            .tags
            .unwrap_or_default()
            .into_iter()
            .chain(specified)
            .map(Tag::from)
            .collect())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    key_name: String,
    #[serde(flatten)]
    labels: Labels,
}

/// CreateKeyPair: the private key is in this response and nowhere else.
async fn create<A: Copy>(call: &Call<'_, A>, rules: &KeyPairRules<A>) -> Result<Fields, ApiError> {
    let r: CreateRequest = parse(call)?;
    rules.key_name(&r.key_name)?;
    let tags = r.labels.tags()?;
    let (key, private_key) = call
        .engine
        .create_key_pair(&call.caller, &r.key_name, tags)
        .await
        .map_err(rules.engine_error(call))?;
    let view = KeyPairView {
        key_pair: key,
        instance_ids: Vec::new(),
    };
    Ok(fields([(
        "KeyPair",
        (rules.view)(&view, Some(&private_key)),
    )]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportRequest {
    key_name: String,
    public_key: String,
    #[serde(flatten)]
    labels: Labels,
}

/// ImportKeyPair.
async fn import<A: Copy>(call: &Call<'_, A>, rules: &KeyPairRules<A>) -> Result<Fields, ApiError> {
    let r: ImportRequest = parse(call)?;
    rules.key_name(&r.key_name)?;
    let tags = r.labels.tags()?;
    let key = call
        .engine
        .import_key_pair(&call.caller, &r.key_name, &r.public_key, tags)
        .await
        .map_err(rules.engine_error(call))?;
    Ok(fields([("KeyId", json!(key.id))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRequest {
    key_ids: Option<Vec<String>>,
    offset: Option<i64>,
    limit: Option<i64>,
    filters: Option<Vec<Filter>>,
}

/// DescribeKeyPairs (never returns private keys).
async fn describe<A: Copy>(
    call: &Call<'_, A>,
    rules: &KeyPairRules<A>,
) -> Result<Fields, ApiError> {
    let r: DescribeRequest = parse(call)?;
    let codes = rules.codes;
    let mut ids = r.key_ids.unwrap_or_default();
    let filters = r.filters.unwrap_or_default();
    codes.not_both(!ids.is_empty(), !filters.is_empty(), "KeyIds")?;
    codes.ids(&ids, 100, "KeyIds", rules.key_id)?;
    codes.filters(&filters, rules.filters, rules.filter_values)?;
    let (offset, limit) = codes.page(r.offset, r.limit)?;
    let mut names = Vec::new();
    let mut other = Vec::new();
    for f in filters {
        match f.name.as_str() {
            "key-id" => ids.extend(f.values),
            "key-name" => names.extend(f.values),
            _ => other.push(f),
        }
    }
    let query = KeyPairQuery::all(ids, names);
    let page = call
        .engine
        .key_pairs(&call.caller, &query)
        .await
        .map_err(rules.engine_error(call))?;
    let matching: Vec<&KeyPairView> = page
        .items
        .iter()
        .filter(|k| other.iter().all(|f| filter_matches(f, &k.key_pair.tags)))
        .collect();
    Ok(fields([
        ("TotalCount", json!(matching.len())),
        (
            "KeyPairSet",
            Value::Array(
                matching
                    .into_iter()
                    .skip(offset)
                    .take(limit)
                    .map(|k| (rules.view)(k, None))
                    .collect(),
            ),
        ),
    ]))
}

fn filter_matches(f: &Filter, tags: &[Tag]) -> bool {
    match f.name.as_str() {
        // Every key pair here is in the default project.
        "project-id" => f.values.iter().any(|v| v == "0"),
        _ => validate::tag_filter_matches(f, tags),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    key_ids: Vec<String>,
}

/// DeleteKeyPairs (keys bound to instances are refused).
async fn delete<A: Copy>(call: &Call<'_, A>, rules: &KeyPairRules<A>) -> Result<Fields, ApiError> {
    let r: DeleteRequest = parse(call)?;
    rules
        .codes
        .ids(&r.key_ids, rules.delete_limit, "KeyIds", rules.key_id)?;
    call.engine
        .delete_key_pairs(&call.caller, &r.key_ids)
        .await
        .map_err(rules.engine_error(call))?;
    Ok(Fields::new())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BindRequest {
    key_ids: Vec<String>,
    instance_ids: Vec<String>,
    force_stop: Option<bool>,
    associate_type: Option<String>,
    disassociate_type: Option<String>,
    username: Option<String>,
}

/// AssociateInstancesKeyPairs and DisassociateInstancesKeyPairs.
async fn bind<A: Copy>(
    call: &Call<'_, A>,
    rules: &KeyPairRules<A>,
    associate: bool,
) -> Result<Fields, ApiError> {
    let r: BindRequest = parse(call)?;
    rules
        .codes
        .ids(&r.instance_ids, 100, "InstanceIds", rules.instance_id)?;
    rules.codes.ids(&r.key_ids, 100, "KeyIds", rules.key_id)?;
    for t in [&r.associate_type, &r.disassociate_type]
        .into_iter()
        .flatten()
    {
        if t != "ONLINE" && t != "OFFLINE" {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("The type must be ONLINE or OFFLINE, not `{t}`."),
            ));
        }
    }
    if r.username.as_ref().is_some_and(|u| u.chars().count() > 64) {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            "`Username` is longer than 64 characters.",
        ));
    }
    // The engine refuses a running instance where the product needs ForceStop.
    let allow_running = !rules.running_needs_force_stop || r.force_stop.unwrap_or(false);
    let action = if associate {
        BatchAction::AssociateKeys {
            key_ids: r.key_ids,
            allow_running,
        }
    } else {
        BatchAction::DisassociateKeys {
            key_ids: r.key_ids,
            allow_running,
        }
    };
    call.engine
        .batch(&call.caller, action, &r.instance_ids)
        .await
        .map_err(rules.engine_error(call))?;
    Ok(Fields::new())
}
