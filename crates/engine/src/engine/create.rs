//! Creating instances: placement, plan and image checks, login settings,
//! idempotency tokens and dry runs.

use super::login_plan::LoginRequest;
use super::{Caller, Engine};
use crate::catalog::OsFamily;
use crate::error::EngineError;
use crate::lifecycle::{transition, LifecycleState, OperationKind};
use crate::model::{ChargeType, ClientToken, Disk, Instance, OperationPlan, Tag};
use crate::name::Name;
use crate::ports::{Change, WriteSet};
use rand::Rng;
use std::sync::Arc;

/// What a create request asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSpec {
    /// Zones to place instances in, round-robin; empty: any zone of the region.
    pub zones: Vec<String>,
    pub plan_id: String,
    pub image_id: String,
    pub count: u32,
    /// Name of the instances; with several, `-1`, `-2`, ... are appended.
    pub name: Option<String>,
    /// Names chosen by the dialect, one per instance (overrides `name`).
    pub names: Vec<String>,
    /// Public bandwidth (defaults to the plan's); 0 means no public address.
    pub bandwidth_mbps: Option<u32>,
    pub login: LoginRequest,
    pub charge_type: ChargeType,
    /// Prepaid period in months.
    pub period_months: Option<u32>,
    pub renew_flag: Option<String>,
    pub client_token: Option<String>,
    pub dry_run: bool,
    pub tags: Vec<Tag>,
    pub host_name: Option<String>,
    pub user_data: Option<String>,
    /// System disk size (defaults to the plan's).
    pub system_disk_gb: Option<u32>,
    /// System disk type (defaults to the plan's).
    pub system_disk_type: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    /// The subnet's address block, which private addresses are drawn from
    /// (`None`: a private address anywhere in 10.0.0.0/8).
    pub private_block: Option<super::networks::Ipv4Block>,
    /// Data disks: (disk type, size in GB).
    pub data_disks: Vec<(String, u32)>,
    pub termination_protected: bool,
    /// The security groups the instances join.
    pub security_group_ids: Vec<String>,
    /// Vendor attributes kept on the instance.
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl CreateSpec {
    /// A request for `count` instances of a plan and an image, paid as
    /// `charge_type`; everything else left to the plan and the engine. A
    /// dialect sets what its product carries with struct update syntax.
    pub fn new(plan_id: String, image_id: String, count: u32, charge_type: ChargeType) -> Self {
        CreateSpec {
            zones: Vec::new(),
            plan_id,
            image_id,
            count,
            name: None,
            names: Vec::new(),
            bandwidth_mbps: None,
            login: LoginRequest::default(),
            charge_type,
            period_months: None,
            renew_flag: None,
            client_token: None,
            dry_run: false,
            tags: Vec::new(),
            host_name: None,
            user_data: None,
            system_disk_gb: None,
            system_disk_type: None,
            vpc_id: None,
            subnet_id: None,
            private_block: None,
            data_disks: Vec::new(),
            termination_protected: false,
            security_group_ids: Vec::new(),
            attributes: Default::default(),
        }
    }
}

impl Engine {
    /// Creates instances; they show as Pending until the driver is done.
    /// Returns their ids (the same ids again for a repeated client token).
    pub async fn create_instances(
        self: &Arc<Self>,
        caller: &Caller,
        spec: CreateSpec,
    ) -> Result<Vec<String>, EngineError> {
        let product = self.product(&caller.product)?.clone();
        let (profile, catalog) = (&product.profile, &product.catalog);
        if let Some(token) = &spec.client_token {
            if let Some(seen) = self
                .store
                .client_token(&caller.account, &caller.product, token)
                .await?
            {
                return Ok(seen.instance_ids);
            }
        }
        let region = catalog
            .region(&caller.region)
            .filter(|r| r.available)
            .ok_or_else(|| EngineError::RegionNotFound(caller.region.clone()))?;
        for z in &spec.zones {
            let zone = region
                .zones
                .iter()
                .find(|candidate| &candidate.id == z)
                .ok_or_else(|| EngineError::ZoneNotFound(z.clone()))?;
            if zone.sold_out {
                return Err(EngineError::ZoneSoldOut(z.clone()));
            }
        }
        let zones: Vec<String> = if spec.zones.is_empty() {
            region
                .zones
                .iter()
                .filter(|z| !z.sold_out)
                .map(|z| z.id.clone())
                .collect()
        } else {
            spec.zones.clone()
        };
        if zones.is_empty() {
            return Err(EngineError::ZoneSoldOut(region.id.clone()));
        }
        let plan = catalog
            .plan(&spec.plan_id)
            .ok_or_else(|| EngineError::PlanNotFound(spec.plan_id.clone()))?;
        if !plan.available {
            return Err(EngineError::PlanUnavailable(plan.id.clone()));
        }
        let image = catalog
            .image(&spec.image_id, &caller.account)
            .ok_or_else(|| EngineError::ImageNotFound(spec.image_id.clone()))?;
        if !image.is_usable() {
            return Err(EngineError::ImageUnavailable(image.id.clone()));
        }
        let disk_gb = spec.system_disk_gb.unwrap_or(plan.system_disk_gb);
        if !plan.supports(image.os_family)
            || plan.memory_gb < image.required_memory_gb
            || disk_gb < image.required_disk_gb
        {
            return Err(EngineError::PlanImageMismatch {
                plan: plan.id.clone(),
                image: image.id.clone(),
            });
        }
        let login = self
            .resolve_login(caller, profile, image.os_family, &spec.login)
            .await?;
        if spec.charge_type == ChargeType::Prepaid {
            self.charge_purchase(
                caller,
                profile.prepaid_prices,
                plan.price,
                spec.period_months.unwrap_or(1),
                spec.count,
            )?;
        }
        if spec.dry_run {
            return Err(EngineError::DryRunPassed);
        }

        let now = self.clock.now();
        let expires_at = match (spec.charge_type, spec.period_months) {
            (ChargeType::Prepaid, Some(months)) => Some(now.after(std::time::Duration::from_secs(
                u64::from(months) * 30 * 24 * 3600,
            ))),
            _ => None,
        };
        let user = match image.os_family {
            OsFamily::Linux => profile.default_user_linux.as_str(),
            OsFamily::Windows => profile.default_user_windows.as_str(),
        };
        let base_name = spec
            .name
            .clone()
            .unwrap_or_else(|| profile.default_instance_name.clone());
        let bandwidth = spec.bandwidth_mbps.unwrap_or(plan.bandwidth_mbps);
        let mut writes = WriteSet::new();
        // The subnet, VPC and groups the instances join cannot be deleted
        // under them: the commit checks their versions.
        let networks: Vec<&str> = [spec.vpc_id.as_deref(), spec.subnet_id.as_deref()]
            .into_iter()
            .flatten()
            .chain(spec.security_group_ids.iter().map(String::as_str))
            .collect();
        self.guard_networks(caller, &networks, &mut writes).await?;
        let mut items = Vec::new();
        let mut ids = Vec::new();
        let source = LifecycleState::Pending;
        let create = transition(OperationKind::Create, source).ok_or_else(|| {
            EngineError::Internal("creation missing from the lifecycle table".into())
        })?;
        for n in 0..spec.count {
            let id = self
                .fresh_instance_id(&caller.account, &profile.ids.instance, &ids)
                .await?;
            // A generated password is each instance's own.
            let login = if n > 0 && login.generated_password.is_some() {
                self.resolve_login(caller, profile, image.os_family, &spec.login)
                    .await?
            } else {
                login.clone()
            };
            let name = if let Some(n) = spec.names.get(n as usize) {
                n.clone()
            } else if spec.count > 1 {
                format!("{base_name}-{}", n + 1)
            } else {
                base_name.clone()
            };
            let instance = Instance {
                id: id.clone(),
                account: Name::new(&caller.account),
                product: Name::new(&caller.product),
                uuid: uuid::Uuid::new_v4(),
                region: Name::new(&region.id),
                zone: Name::new(&zones[n as usize % zones.len()]),
                host_name: spec.host_name.clone().unwrap_or_else(|| id.clone()),
                name,
                state: source,
                plan_id: Name::new(&plan.id),
                cpu: plan.cpu,
                memory_gb: plan.memory_gb,
                image_id: Name::new(&image.id),
                os_name: Name::new(&image.os_name),
                os_family: image.os_family,
                platform: Name::new(&image.platform),
                system_disk: Disk {
                    id: profile.ids.disk.generate(),
                    disk_type: Name::new(
                        spec.system_disk_type
                            .as_deref()
                            .unwrap_or(&plan.system_disk_type),
                    ),
                    size_gb: disk_gb,
                    generation: 1,
                },
                data_disks: spec
                    .data_disks
                    .iter()
                    .map(|(disk_type, size_gb)| Disk {
                        id: profile.ids.disk.generate(),
                        disk_type: Name::new(disk_type),
                        size_gb: *size_gb,
                        generation: 1,
                    })
                    .collect(),
                login: login.login.clone(),
                private_ips: vec![spec
                    .private_block
                    .map_or_else(private_ip, |b| b.random_host().to_string())],
                public_ips: if bandwidth > 0 {
                    vec![public_ip()]
                } else {
                    Vec::new()
                },
                vpc_id: Name::new(spec.vpc_id.as_deref().unwrap_or_default()),
                subnet_id: Name::new(spec.subnet_id.as_deref().unwrap_or_default()),
                bandwidth_mbps: bandwidth,
                charge_type: spec.charge_type,
                renew_flag: spec.renew_flag.as_deref().map(Name::new),
                created_at: now,
                expires_at,
                isolated_at: None,
                tags: spec.tags.clone(),
                user_data: spec.user_data.clone(),
                termination_protected: spec.termination_protected,
                charging_stopped: false,
                snapshots: Vec::new(),
                security_group_ids: spec
                    .security_group_ids
                    .iter()
                    .map(|g| Name::new(g))
                    .collect(),
                attributes: spec.attributes.iter().collect(),
                latest_operation: None,
                machine: None,
                version: 0,
            };
            if let Some(message) = login.message(caller, &id, user, now) {
                writes.push(Change::Message(message));
            }
            items.push((
                instance,
                OperationKind::Create,
                OperationPlan::StateOnly,
                create,
            ));
            ids.push(id);
        }
        if let Some(token) = &spec.client_token {
            writes.push(Change::ClientToken(ClientToken {
                account: caller.account.clone(),
                product: caller.product.clone(),
                token: token.clone(),
                instance_ids: ids.clone(),
                created_at: now,
            }));
        }
        match self.accept_operations(caller, false, items, writes).await {
            Ok(_) => Ok(ids),
            // The same token raced in from another request: answer as it did.
            Err(EngineError::ConcurrentModification(_)) if spec.client_token.is_some() => {
                let token = spec.client_token.as_deref().unwrap_or_default();
                match self
                    .store
                    .client_token(&caller.account, &caller.product, token)
                    .await?
                {
                    Some(seen) => Ok(seen.instance_ids),
                    None => Err(EngineError::ConcurrentModification(token.to_string())),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// Draws of an instance id before giving up: with the vendors' formats a
/// draw is taken about once in a million at a million instances.
const ID_DRAWS: usize = 64;

impl Engine {
    /// A random id in the product's format that no live instance of the
    /// account holds and this request has not drawn already. Ids are drawn
    /// at random from the vendor's format (Lighthouse: 8 characters of
    /// `[a-z0-9]`), so over a fill to a million instances a repeat is
    /// likely; it is drawn again instead of failing the request.
    async fn fresh_instance_id(
        &self,
        account: &str,
        style: &crate::profile::IdStyle,
        drawn: &[String],
    ) -> Result<String, EngineError> {
        for _ in 0..ID_DRAWS {
            let id = style.generate();
            if !drawn.contains(&id) && self.store.instance(account, &id).await?.is_none() {
                return Ok(id);
            }
        }
        Err(EngineError::Internal(format!(
            "no free instance id in {ID_DRAWS} draws"
        )))
    }
}

fn private_ip() -> String {
    let mut r = rand::thread_rng();
    format!(
        "10.{}.{}.{}",
        r.gen_range(0..=255),
        r.gen_range(0..=255),
        r.gen_range(2..=254)
    )
}

fn public_ip() -> String {
    let mut r = rand::thread_rng();
    let first = [43u8, 49, 101, 119, 129, 150, 162][r.gen_range(0..7)];
    format!(
        "{first}.{}.{}.{}",
        r.gen_range(0..=255),
        r.gen_range(0..=255),
        r.gen_range(2..=254)
    )
}
