//! ZEC instance actions, each a short translation from the request to
//! engine commands and back.
//!
//! Batch semantics (StartInstances, StopInstances, RebootInstances,
//! ResetInstances, ReleaseInstances), following seed 002 and spec §4.3,
//! whose responses list "the instance IDs that failed":
//! - the request itself is checked first (1–100 ids, no duplicates); every
//!   id must name one of the caller's instances, or the whole request fails
//!   with 404 `INVALID_INSTANCE_NOT_FOUND` and nothing changes (an id that
//!   does not exist cannot "fail to restart");
//! - then each instance is tried on its own (one engine operation each):
//!   one in the recycle bin is refused with `OPERATION_DENIED_INSTANCE_RECYCLED`,
//!   one in the wrong state with `OPERATION_DENIED_INSTANCE_STATUS` (or
//!   the action's NOT_RUNNING / NOT_STOPPED code);
//! - if at least one instance was accepted the answer is 200 and
//!   `instanceIds` lists the refused ones (`[]` when none); if every
//!   instance was refused the request fails with the first refusal's code,
//!   so a single-instance request gets exactly the documented error.

use super::envelope::ApiError;
use super::errors::{invalid, missing, Code};
use super::profile::{self, attr, DEFAULT_BANDWIDTH_MBPS, DISK_CATEGORIES, DISK_CATEGORY_DEFAULT};
use super::{fields, validate, views, Call, Fields};
pub use crate::actions::Power;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use stratus_engine::engine::{
    BatchAction, CreateSpec, InstanceChanges, LoginRequest, ReinstallSpec,
};
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::model::{ChargeType, Instance, Tag};
use stratus_engine::ports::{InstanceFilter, InstanceOrder, InstanceQuery, Page};
use stratus_engine::{Caller, EngineError};

/// `password` and `keyId` as the engine wants them: one or the other, or
/// neither (a random password is then sent to the account's inbox).
fn login(password: Option<String>, key_id: Option<String>) -> Result<LoginRequest, ApiError> {
    let key_id = key_id.filter(|k| !k.is_empty());
    if password.is_some() && key_id.is_some() {
        return Err(
            Code::PasswordKeyConflict.message("Pass either `password` or `keyId`, not both.")
        );
    }
    Ok(LoginRequest {
        password,
        key_ids: key_id.into_iter().collect(),
        keep_image_login: false,
    })
}

fn bool_text(b: bool) -> String {
    b.to_string()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SystemDisk {
    disk_size: Option<i64>,
    disk_category: Option<String>,
    bursting_enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataDisk {
    disk_size: Option<i64>,
    disk_amount: Option<i64>,
    disk_category: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstanceOptions {
    nested_virtualization: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    zone_id: Option<String>,
    image_id: Option<String>,
    instance_type: Option<String>,
    instance_count: Option<i64>,
    subnet_id: Option<String>,
    time_zone: Option<String>,
    instance_name: Option<String>,
    nic_network_type: Option<String>,
    password: Option<String>,
    key_id: Option<String>,
    system_disk: Option<SystemDisk>,
    data_disks: Option<Vec<DataDisk>>,
    security_group_id: Option<String>,
    placement_group_id: Option<String>,
    enable_agent: Option<bool>,
    enable_ip_forward: Option<bool>,
    internet_charge_type: Option<String>,
    bandwidth: Option<i64>,
    resource_group_id: Option<String>,
    tags: Option<Value>,
    user_data: Option<String>,
    instance_options: Option<InstanceOptions>,
}

fn disk_category(c: Option<String>) -> Result<String, ApiError> {
    let c = c.unwrap_or_else(|| DISK_CATEGORY_DEFAULT.to_string());
    if !DISK_CATEGORIES.contains(&c.as_str()) {
        return Err(invalid(format!(
            "The disk category `{c}` is not one of {DISK_CATEGORIES:?}."
        )));
    }
    Ok(c)
}

/// Tags as `{"tags": [{key, value}]}` (the SDK) or a bare array (the CLI).
fn parse_tags(v: Option<Value>) -> Result<Vec<Tag>, ApiError> {
    #[derive(Deserialize)]
    struct T {
        key: String,
        value: Option<String>,
    }
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(mut o)) => o.remove("tags").unwrap_or(Value::Array(Vec::new())),
        Some(other) => other,
    };
    let list: Vec<T> =
        serde_json::from_value(list).map_err(|e| invalid(format!("`tags` is malformed: {e}")))?;
    let mut out: Vec<Tag> = Vec::new();
    for t in list {
        let value = t.value.unwrap_or_default();
        if !(1..=64).contains(&t.key.chars().count()) || value.chars().count() > 64 {
            return Err(invalid(
                "Tag keys must be 1-64 characters and values at most 64.",
            ));
        }
        if out.iter().any(|o| o.key == t.key) {
            return Err(invalid(format!("The tag key `{}` is given twice.", t.key)));
        }
        out.push(Tag { key: t.key, value });
    }
    Ok(out)
}

/// CreateZecInstances: placed in a zone and a subnet of its region;
/// `DEPLOYING` until the driver is done, then `RUNNING`.
pub async fn create(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: CreateRequest = call.parse()?;
    let product = call.product()?;
    let catalog = &product.catalog;
    let zone_id = validate::required(&r.zone_id, "zoneId")?.to_string();
    let image_id = validate::required(&r.image_id, "imageId")?.to_string();
    let plan_id = validate::required(&r.instance_type, "instanceType")?.to_string();
    let subnet_id = validate::required(&r.subnet_id, "subnetId")?.to_string();
    let (region, _) = catalog.zone(&zone_id).ok_or_else(|| {
        Code::ZoneNotFound.message(format!("The specified zoneId `{zone_id}` is not found."))
    })?;
    if catalog.plan(&plan_id).is_none() {
        return Err(Code::InstanceTypeNotFound
            .message(format!("The instance type `{plan_id}` is not found.")));
    }
    let image = catalog
        .image(&image_id, &call.caller.account)
        .ok_or_else(|| {
            Code::ImageNotFound.message(format!("The image `{image_id}` is not found."))
        })?;
    let subnet = super::network::subnet(call, &subnet_id)
        .await?
        .filter(|s| s.region == region.id)
        .ok_or_else(|| {
            Code::SubnetNotFound.message(format!(
                "The subnet `{subnet_id}` is not found in the region {} of zone {zone_id}.",
                region.id
            ))
        })?;
    let count = r.instance_count.unwrap_or(1);
    if !(1..=100).contains(&count) {
        return Err(invalid("`instanceCount` must be 1 to 100."));
    }
    let names = validate::instance_names(
        r.instance_name
            .as_deref()
            .unwrap_or(profile::DEFAULT_INSTANCE_NAME),
        count as usize,
    )?;
    let system = r.system_disk.unwrap_or(SystemDisk {
        disk_size: None,
        disk_category: None,
        bursting_enabled: None,
    });
    let system_size = system
        .disk_size
        .unwrap_or_else(|| i64::from(image.required_disk_gb.max(20)));
    if !(20..=2048).contains(&system_size) {
        return Err(invalid("`systemDisk.diskSize` must be 20 to 2048 GiB."));
    }
    if system_size < i64::from(image.size_gb.max(image.required_disk_gb)) {
        return Err(Code::ImageSizeExceed.message(format!(
            "Image size ({} GiB) exceeds the storage space of the system disk ({system_size} GiB).",
            image.size_gb.max(image.required_disk_gb)
        )));
    }
    let system_category = disk_category(system.disk_category)?;
    let data = r.data_disks.unwrap_or_default();
    if data.len() > 1 {
        return Err(invalid("`dataDisks` takes at most one entry."));
    }
    let mut data_disks = Vec::new();
    for d in data {
        let size = d.disk_size.ok_or_else(|| missing("dataDisks.diskSize"))?;
        let amount = d.disk_amount.unwrap_or(1);
        if !(20..=32000).contains(&size) || !(1..=10).contains(&amount) {
            return Err(invalid("`dataDisks` takes 20-32000 GiB and 1-10 disks."));
        }
        let category = disk_category(d.disk_category)?;
        data_disks.extend((0..amount).map(|_| (category.clone(), size as u32)));
    }
    if let Some(t) = &r.nic_network_type {
        if !profile::NIC_NETWORK_TYPES.contains(&t.as_str()) {
            return Err(invalid(format!("`nicNetworkType` `{t}` is not supported.")));
        }
    }
    let bandwidth = match &r.internet_charge_type {
        None => 0,
        Some(t) if profile::INTERNET_CHARGE_TYPES.contains(&t.as_str()) => {
            let b = r.bandwidth.unwrap_or(i64::from(DEFAULT_BANDWIDTH_MBPS));
            if !(1..=10000).contains(&b) {
                return Err(invalid("`bandwidth` must be 1 to 10000 Mbps."));
            }
            b as u32
        }
        Some(t) => {
            return Err(invalid(format!(
                "`internetChargeType` `{t}` is not supported."
            )))
        }
    };
    let mut attributes = BTreeMap::new();
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            attributes.insert(k.to_string(), v);
        }
    };
    set(
        attr::TIME_ZONE,
        Some(
            r.time_zone
                .unwrap_or_else(|| profile::DEFAULT_TIME_ZONE.to_string()),
        ),
    );
    set(
        attr::NIC_NETWORK_TYPE,
        Some(r.nic_network_type.unwrap_or_else(|| "Auto".to_string())),
    );
    set(
        attr::ENABLE_AGENT,
        Some(bool_text(r.enable_agent.unwrap_or(true))),
    );
    set(
        attr::ENABLE_IP_FORWARD,
        Some(bool_text(r.enable_ip_forward.unwrap_or(false))),
    );
    set(attr::PLACEMENT_GROUP_ID, r.placement_group_id);
    set(
        attr::RESOURCE_GROUP_ID,
        Some(
            r.resource_group_id
                .unwrap_or_else(|| profile::RESOURCE_GROUP_ID.to_string()),
        ),
    );
    set(
        attr::BURSTING,
        Some(bool_text(system.bursting_enabled.unwrap_or(false))),
    );
    set(
        attr::NESTED_VIRTUALIZATION,
        Some(bool_text(
            r.instance_options
                .and_then(|o| o.nested_virtualization)
                .unwrap_or(false),
        )),
    );
    set(attr::INTERNET_CHARGE_TYPE, r.internet_charge_type);
    let spec = CreateSpec {
        zones: vec![zone_id],
        names,
        bandwidth_mbps: Some(bandwidth),
        login: login(r.password, r.key_id)?,
        tags: parse_tags(r.tags)?,
        user_data: r.user_data,
        system_disk_gb: Some(system_size as u32),
        system_disk_type: Some(system_category),
        vpc_id: Some(subnet.vpc_id.clone()),
        subnet_id: Some(subnet.id.clone()),
        private_block: stratus_engine::engine::Ipv4Block::parse(&subnet.cidr_block),
        data_disks,
        security_group_ids: r.security_group_id.into_iter().collect(),
        attributes,
        ..CreateSpec::new(plan_id, image_id, count as u32, ChargeType::Postpaid)
    };
    let caller = Caller {
        region: region.id.clone(),
        ..call.caller.clone()
    };
    let ids = call
        .engine
        .create_instances(&caller, spec)
        .await
        .map_err(|e| call.engine_error(e))?;
    let mut instances = Vec::with_capacity(ids.len());
    for id in &ids {
        let disks: Vec<String> = match call.engine.instance(&call.caller, id).await {
            Ok(i) => i.data_disks.into_iter().map(|d| d.id).collect(),
            Err(_) => Vec::new(),
        };
        instances.push(json!({"instanceId": id, "diskIdSet": disks}));
    }
    let now = call.engine.clock().now();
    let order = format!(
        "{}{:06}",
        now.utc_date().replace('-', ""),
        now.unix_seconds().rem_euclid(1_000_000)
    );
    Ok(fields([
        ("orderNumber", json!(order)),
        ("instanceIdSet", json!(ids)),
        ("instances", Value::Array(instances)),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagFilter {
    key: String,
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRequest {
    instance_ids: Option<Vec<String>>,
    zone_id: Option<String>,
    image_id: Option<String>,
    instance_type: Option<String>,
    instance_type_series: Option<String>,
    ipv4_address: Option<String>,
    ipv6_address: Option<String>,
    status: Option<String>,
    name: Option<String>,
    page_size: Option<i64>,
    page_num: Option<i64>,
    resource_group_id: Option<String>,
    tag_keys: Option<Vec<String>>,
    tags: Option<Vec<TagFilter>>,
}

/// The page of the caller's instances that `filters` select, newest first.
async fn listing(
    call: &Call<'_>,
    filters: Vec<InstanceFilter>,
    (offset, limit): (usize, usize),
) -> Result<Page<Arc<Instance>>, ApiError> {
    let query = InstanceQuery {
        account: call.caller.account.clone(),
        product: call.caller.product.clone(),
        region: None,
        filters,
        order: InstanceOrder::CreatedDesc,
        offset,
        limit,
    };
    call.engine
        .describe_instances(&query)
        .await
        .map_err(|e| call.engine_error(e))
}

/// A listing's answer: the total and the page's views, rendered straight
/// from the records.
fn page_fields<V: serde::Serialize>(total: usize, views: &[V]) -> Fields {
    let mut answer = fields([("totalCount", json!(total))]);
    answer.insert_views("dataSet", views);
    answer
}

/// DescribeInstances: every filter of the spec; an unknown id simply
/// matches nothing (200 with an empty `dataSet`).
pub async fn describe(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DescribeRequest = call.parse()?;
    let ids = r.instance_ids.unwrap_or_default();
    validate::optional_ids(&ids, "instanceIds")?;
    let paging = validate::page(r.page_num, r.page_size)?;
    let mut filters = Vec::new();
    if !ids.is_empty() {
        filters.push(InstanceFilter::Ids(ids));
    }
    if let Some(z) = r.zone_id {
        filters.push(InstanceFilter::Zones(vec![z]));
    }
    if let Some(i) = r.image_id {
        filters.push(InstanceFilter::Images(vec![i]));
    }
    if let Some(t) = r.instance_type {
        filters.push(InstanceFilter::Plans(vec![t]));
    }
    if let Some(series) = r.instance_type_series {
        let product = call.product()?;
        let plans = product
            .catalog
            .plans
            .iter()
            .filter(|p| p.id.starts_with(&format!("{series}.")) || p.family == series)
            .map(|p| p.id.clone())
            .collect();
        filters.push(InstanceFilter::Plans(plans));
    }
    if r.ipv6_address.is_some() {
        // No instance has an IPv6 address here.
        filters.push(InstanceFilter::Ids(Vec::new()));
    }
    if let Some(s) = r.status {
        filters.push(InstanceFilter::States(profile::states_named(&s)));
    }
    if let Some(n) = r.name {
        filters.push(InstanceFilter::NameContains(vec![n]));
    }
    if let Some(g) = r.resource_group_id {
        filters.push(InstanceFilter::Attribute {
            key: attr::RESOURCE_GROUP_ID.to_string(),
            values: vec![g],
        });
    }
    let tag_keys = r.tag_keys.unwrap_or_default();
    let tags = r.tags.unwrap_or_default();
    if tag_keys.len() > 20 || tags.len() > 20 {
        return Err(invalid(
            "At most 20 tag keys and 20 tags may be used as filters.",
        ));
    }
    if !tag_keys.is_empty() {
        filters.push(InstanceFilter::TagKeys(tag_keys));
    }
    for t in tags {
        match t.value {
            Some(v) => filters.push(InstanceFilter::Tag {
                key: t.key,
                values: vec![v],
            }),
            None => filters.push(InstanceFilter::TagKeys(vec![t.key])),
        }
    }
    if let Some(ip) = r.ipv4_address {
        filters.push(InstanceFilter::Ips(vec![ip]));
    }
    let page = listing(call, filters, paging).await?;
    let views: Vec<_> = page
        .items
        .iter()
        .map(|i| views::instance(i, call.facts, call.version))
        .collect();
    Ok(page_fields(page.total, &views))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusRequest {
    instance_ids: Option<Vec<String>>,
    page_size: Option<i64>,
    page_num: Option<i64>,
    resource_group_id: Option<String>,
}

/// DescribeInstancesStatus.
pub async fn describe_status(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: StatusRequest = call.parse()?;
    let ids = r.instance_ids.unwrap_or_default();
    validate::optional_ids(&ids, "instanceIds")?;
    let paging = validate::page(r.page_num, r.page_size)?;
    let mut filters = Vec::new();
    if !ids.is_empty() {
        filters.push(InstanceFilter::Ids(ids));
    }
    if let Some(g) = r.resource_group_id {
        filters.push(InstanceFilter::Attribute {
            key: attr::RESOURCE_GROUP_ID.to_string(),
            values: vec![g],
        });
    }
    let page = listing(call, filters, paging).await?;
    let statuses: Vec<Value> = page
        .items
        .iter()
        .map(|i| json!({"instanceId": i.id, "instanceStatus": profile::state_name(i.state)}))
        .collect();
    Ok(page_fields(page.total, &statuses))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModifyRequest {
    instance_ids: Option<Vec<String>>,
    instance_name: Option<String>,
}

/// ModifyInstancesAttribute: a new name (up to 64 characters), all or none.
pub async fn modify(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ModifyRequest = call.parse()?;
    let ids = r.instance_ids.unwrap_or_default();
    validate::batch_ids(&ids, "instanceIds")?;
    let name = validate::required(&r.instance_name, "instanceName")?.to_string();
    validate::instance_name(&name, 64)?;
    let changes = InstanceChanges {
        name: Some(name),
        attributes: BTreeMap::new(),
    };
    call.engine
        .modify_instances(&call.caller, &ids, &changes)
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(Fields::new())
}

/// The caller's instances named by `ids`; any unknown id fails the request.
async fn require_all(call: &Call<'_>, ids: &[String]) -> Result<Vec<Instance>, ApiError> {
    validate::batch_ids(ids, "instanceIds")?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(
            call.engine
                .instance(&call.caller, id)
                .await
                .map_err(|e| call.engine_error(e))?,
        );
    }
    Ok(out)
}

/// The outcome of a batch tried instance by instance (see the module
/// header): the refused ids, or the first refusal if nothing was accepted.
fn settle(
    call: &Call<'_>,
    outcomes: Vec<(String, Result<(), EngineError>)>,
) -> Result<Fields, ApiError> {
    let accepted = outcomes.iter().any(|(_, r)| r.is_ok());
    let mut failed = Vec::new();
    let mut first = None;
    for (id, outcome) in outcomes {
        if let Err(e) = outcome {
            first.get_or_insert(e);
            failed.push(id);
        }
    }
    match first {
        Some(e) if !accepted => Err(call.engine_error(e)),
        _ => Ok(fields([("instanceIds", json!(failed))])),
    }
}

/// Starts `pick`'s action on each instance as its own operation (`None`:
/// the instance joins what is already under way), then settles.
async fn one_by_one(
    call: &Call<'_>,
    instances: Vec<Instance>,
    pick: impl Fn(&Instance) -> Option<BatchAction>,
) -> Result<Fields, ApiError> {
    let mut outcomes = Vec::with_capacity(instances.len());
    for i in instances {
        let outcome = match pick(&i) {
            None => Ok(()),
            Some(action) => call
                .engine
                .batch(&call.caller, action, std::slice::from_ref(&i.id))
                .await
                .map(|_| ()),
        };
        outcomes.push((i.id, outcome));
    }
    settle(call, outcomes)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PowerRequest {
    instance_ids: Option<Vec<String>>,
    force_shutdown: Option<bool>,
    force_reboot: Option<bool>,
}

/// StartInstances (`BOOTING`), StopInstances (`STOPPING`) and
/// RebootInstances (`REBOOT`), each back to `RUNNING` or `STOPPED`.
/// `forceReboot` (2025) also accepts an instance already `BOOTING` or in
/// `REBOOT`: it joins the restart under way, which ends `RUNNING` (one
/// operation at a time per instance), so nothing new is started for it.
pub async fn power(call: &Call<'_>, power: Power) -> Result<Fields, ApiError> {
    let r: PowerRequest = call.parse()?;
    let ids = r.instance_ids.unwrap_or_default();
    let instances = require_all(call, &ids).await?;
    let (action, force) = match power {
        Power::Start => (BatchAction::Start, false),
        Power::Stop => (
            BatchAction::Stop {
                hard: r.force_shutdown.unwrap_or(false),
                stop_charging: false,
            },
            false,
        ),
        Power::Reboot => {
            let force = call.is_2025() && r.force_reboot.unwrap_or(false);
            (BatchAction::Reboot { hard: force }, force)
        }
    };
    one_by_one(call, instances, |i| {
        let joins = force
            && matches!(
                i.state,
                LifecycleState::Starting | LifecycleState::Rebooting
            );
        (!joins).then(|| action.clone())
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetRequest {
    instance_id: Option<String>,
    instance_ids: Option<Vec<String>>,
    image_id: Option<String>,
    password: Option<String>,
    key_id: Option<String>,
    timezone: Option<String>,
    enable_agent: Option<bool>,
    instance_name: Option<String>,
    user_data: Option<String>,
}

/// What a reset changes besides the disk: name, time zone, agent.
fn reset_changes(call: &Call<'_>, r: &ResetRequest) -> Result<InstanceChanges, ApiError> {
    let mut changes = InstanceChanges::default();
    if call.is_2025() {
        if let Some(n) = &r.instance_name {
            validate::instance_name(n, 63)?;
            changes.name = Some(n.clone());
        }
    }
    if let Some(t) = &r.timezone {
        changes
            .attributes
            .insert(attr::TIME_ZONE.to_string(), t.clone());
    }
    if let Some(a) = r.enable_agent {
        changes
            .attributes
            .insert(attr::ENABLE_AGENT.to_string(), bool_text(a));
    }
    Ok(changes)
}

/// Reinstalls one instance (seed 000): only `STOPPED` and not in the
/// recycle bin; `REBUILDING` at once, then `RUNNING` (the profile's
/// landing). The image defaults to the current one, may not change the OS
/// type and must fit the system disk.
async fn reinstall_one(
    call: &Call<'_>,
    id: &str,
    r: &ResetRequest,
    changes: &InstanceChanges,
) -> Result<(), EngineError> {
    let spec = ReinstallSpec {
        image_id: r.image_id.clone().filter(|i| !i.is_empty()),
        login: LoginRequest {
            password: r.password.clone(),
            key_ids: r
                .key_id
                .clone()
                .filter(|k| !k.is_empty())
                .into_iter()
                .collect(),
            keep_image_login: false,
        },
        system_disk_gb: None,
        host_name: None,
        user_data: if call.is_2025() {
            r.user_data.clone()
        } else {
            None
        },
        system_disk_type: None,
        // The new name and attributes commit with the reinstall itself.
        changes: changes.clone(),
        rules: None,
    };
    call.engine.reinstall(&call.caller, id, spec).await?;
    Ok(())
}

/// ResetInstance (seed 000).
pub async fn reset(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ResetRequest = call.parse()?;
    let id = validate::required(&r.instance_id, "instanceId")?.to_string();
    login(r.password.clone(), r.key_id.clone())?;
    let changes = reset_changes(call, &r)?;
    reinstall_one(call, &id, &r, &changes)
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(Fields::new())
}

/// ResetInstances (2025): ResetInstance for each instance, with the batch
/// semantics of the module header.
pub async fn reset_many(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ResetRequest = call.parse()?;
    let ids = r.instance_ids.clone().unwrap_or_default();
    let instances = require_all(call, &ids).await?;
    login(r.password.clone(), r.key_id.clone())?;
    let changes = reset_changes(call, &r)?;
    let mut outcomes = Vec::with_capacity(instances.len());
    for i in instances {
        let outcome = reinstall_one(call, &i.id, &r, &changes).await;
        outcomes.push((i.id, outcome));
    }
    settle(call, outcomes)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetPasswordRequest {
    instance_id: Option<String>,
    instance_ids: Option<Vec<String>>,
    password: Option<String>,
}

/// ResetInstancePassword (and the older `ResetInstancesPassword` form with
/// `instanceIds`): through the guest agent, so the instance must be running.
pub async fn reset_password(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ResetPasswordRequest = call.parse()?;
    let ids = match (r.instance_id, r.instance_ids) {
        (Some(id), _) => vec![id],
        (None, Some(ids)) => ids,
        (None, None) => return Err(missing("instanceId")),
    };
    validate::batch_ids(&ids, "instanceIds")?;
    let password = validate::required(&r.password, "password")?.to_string();
    call.engine
        .batch(
            &call.caller,
            BatchAction::ResetPassword {
                password,
                user_name: None,
                allow_running: true,
            },
            &ids,
        )
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(Fields::new())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseRequest {
    instance_ids: Option<Vec<String>>,
    depend_resource: Option<bool>,
}

/// ReleaseInstances: a first release moves an instance to the recycle bin
/// (`RECYCLE`); releasing it again (or one that failed to deploy) purges it.
pub async fn release(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ReleaseRequest = call.parse()?;
    // Disks and addresses go with the instance; nothing else holds them.
    let _ = r.depend_resource;
    let ids = r.instance_ids.unwrap_or_default();
    let instances = require_all(call, &ids).await?;
    // The engine decides, on the state it commits against: the recycle
    // bin first, then destroyed (the profile's `RecycleBin::Deployed`).
    one_by_one(call, instances, |_| Some(BatchAction::Terminate)).await
}
