//! Reinstalling an instance: a new (or the same) image on a freshly
//! formatted system disk, with new login settings.

use super::attributes::InstanceChanges;
use super::login_plan::LoginRequest;
use super::{Caller, Engine};
use crate::catalog::{Image, OsFamily};
use crate::error::{EngineError, ProductRefusal};
use crate::lifecycle::OperationKind;
use crate::model::{Instance, OperationPlan, ReinstallPlan};
use crate::name::Name;
use crate::ports::{Change, WriteSet};
use crate::profile::ProductProfile;
use std::sync::Arc;

/// A product's own rules for a reinstall, beside the engine's: the engine
/// runs them on the very instance and image it commits against (so nothing
/// changes between the check and the commit), after its own state check,
/// and they may refine the request from what they see (a disk type kept,
/// the login an image carries). A refusal is the dialect's answer.
#[derive(Clone)]
pub struct ProductRules(Arc<ReinstallRule>);

/// A product's rule for a reinstall (see [`ProductRules`]).
type ReinstallRule =
    dyn Fn(&Instance, &Image, &mut ReinstallSpec) -> Result<(), ProductRefusal> + Send + Sync;

impl ProductRules {
    /// Rules from a function of the instance, the image and the request.
    pub fn new(
        rules: impl Fn(&Instance, &Image, &mut ReinstallSpec) -> Result<(), ProductRefusal>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        Self(Arc::new(rules))
    }
}

impl std::fmt::Debug for ProductRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProductRules(..)")
    }
}

impl PartialEq for ProductRules {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What a reinstall request asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReinstallSpec {
    /// The new image; `None` keeps the current one.
    pub image_id: Option<String>,
    pub login: LoginRequest,
    /// A new system disk size (it may only grow).
    pub system_disk_gb: Option<u32>,
    pub host_name: Option<String>,
    pub user_data: Option<String>,
    /// A new type for the system disk (`None`: the type is kept), for
    /// products whose reinstall may change it.
    pub system_disk_type: Option<String>,
    /// Name and vendor attributes changed at once, in the same commit that
    /// accepts the reinstall.
    pub changes: InstanceChanges,
    /// The product's own rules, run in the engine's read.
    pub rules: Option<ProductRules>,
}

/// An image and whether the instance may be reinstalled with it.
#[derive(Debug, Clone)]
pub struct ReinstallCandidate {
    pub image: Image,
    /// `None` if resettable, else the reason it is not.
    pub refusal: Option<EngineError>,
}

impl Engine {
    /// Why `image` cannot go on `instance` (with a system disk of `disk_gb`).
    pub fn check_image_fits(
        &self,
        profile: &ProductProfile,
        instance: &Instance,
        image: &Image,
        disk_gb: u32,
    ) -> Result<(), EngineError> {
        if !image.is_usable() {
            return Err(EngineError::ImageUnavailable(image.id.clone()));
        }
        if image.os_family != instance.os_family && !profile.reinstall_may_switch_family {
            return Err(EngineError::OsFamilySwitch);
        }
        if image.size_gb > disk_gb {
            return Err(EngineError::ImageExceedsDisk {
                image_gb: image.size_gb,
                disk_gb,
            });
        }
        if instance.memory_gb < image.required_memory_gb || disk_gb < image.required_disk_gb {
            return Err(EngineError::ImageRequirementsNotMet(format!(
                "the image needs {} GB of memory and a {} GB system disk; the instance has {} GB and {} GB",
                image.required_memory_gb, image.required_disk_gb, instance.memory_gb, disk_gb
            )));
        }
        if let Some(plan) = self
            .product(&instance.product)?
            .catalog
            .plan(&instance.plan_id)
        {
            if !plan.supports(image.os_family) {
                return Err(EngineError::ImageRequirementsNotMet(format!(
                    "the plan {} does not support this operating system",
                    plan.id
                )));
            }
        }
        Ok(())
    }

    /// Accepts a reinstall of one instance, with its immediate changes, in
    /// one commit. Returns the operation id.
    pub async fn reinstall(
        self: &Arc<Self>,
        caller: &Caller,
        instance_id: &str,
        mut spec: ReinstallSpec,
    ) -> Result<String, EngineError> {
        let product = self.product(&caller.product)?.clone();
        let (profile, catalog) = (&product.profile, &product.catalog);
        let instance = self.instance(caller, instance_id).await?;
        let transition = self.check_can_start(profile, &instance, OperationKind::Reinstall)?;
        let image_id = spec
            .image_id
            .clone()
            .unwrap_or_else(|| instance.image_id.to_string());
        let image = catalog
            .image(&image_id, &caller.account)
            .ok_or_else(|| EngineError::ImageNotFound(image_id.clone()))?;
        if let Some(rules) = spec.rules.take() {
            (rules.0)(&instance, image, &mut spec).map_err(EngineError::Refused)?;
        }
        let disk_gb = match spec.system_disk_gb {
            Some(requested) if requested < instance.system_disk.size_gb => {
                return Err(EngineError::DiskShrink {
                    current: instance.system_disk.size_gb,
                    requested,
                })
            }
            Some(requested) => requested,
            None => instance.system_disk.size_gb,
        };
        self.check_image_fits(profile, &instance, image, disk_gb)?;
        self.charge_disk_growth(caller, profile.prepaid_prices, &instance, disk_gb)?;
        let login = self
            .resolve_login(caller, profile, image.os_family, &spec.login)
            .await?;
        let user = match image.os_family {
            OsFamily::Linux => profile.default_user_linux.as_str(),
            OsFamily::Windows => profile.default_user_windows.as_str(),
        };
        let mut writes = WriteSet::new();
        if let Some(m) = login.message(caller, &instance.id, user, self.clock.now()) {
            writes.push(Change::Message(m));
        }
        let plan = ReinstallPlan {
            image_id: Name::new(&image.id),
            os_name: Name::new(&image.os_name),
            os_family: image.os_family,
            platform: Name::new(&image.platform),
            login: login.login,
            system_disk_size_gb: disk_gb,
            new_system_disk_id: (image.os_family != instance.os_family)
                .then(|| profile.ids.disk.generate()),
            host_name: spec.host_name,
            user_data: spec.user_data,
            system_disk_type: spec.system_disk_type.as_deref().map(Name::new),
        };
        let mut instance = instance;
        spec.changes.apply(&mut instance);
        let ops = self
            .accept_operations(
                caller,
                false,
                vec![(
                    instance,
                    OperationKind::Reinstall,
                    OperationPlan::Reinstall(Box::new(plan)),
                    transition,
                )],
                writes,
            )
            .await?;
        ops.into_iter()
            .next()
            .map(|o| o.id)
            .ok_or_else(|| EngineError::Internal("no operation recorded".into()))
    }

    /// Every image the caller can see, with whether `instance_id` may be
    /// reinstalled with it.
    pub async fn reinstall_candidates(
        &self,
        caller: &Caller,
        instance_id: &str,
    ) -> Result<Vec<ReinstallCandidate>, EngineError> {
        let product = self.product(&caller.product)?.clone();
        let instance = self.instance(caller, instance_id).await?;
        Ok(product
            .catalog
            .images
            .iter()
            .filter(|i| i.visible_to(&caller.account))
            .map(|image| ReinstallCandidate {
                image: image.clone(),
                refusal: self
                    .check_image_fits(
                        &product.profile,
                        &instance,
                        image,
                        instance.system_disk.size_gb,
                    )
                    .err(),
            })
            .collect())
    }
}

impl Engine {
    /// Takes a snapshot of an instance's system disk (kept as a record).
    pub async fn take_snapshot(
        &self,
        account: &str,
        instance_id: &str,
    ) -> Result<crate::model::Snapshot, EngineError> {
        let instance = self
            .store
            .instance(account, instance_id)
            .await?
            .ok_or_else(|| EngineError::InstanceNotFound(instance_id.to_string()))?;
        let snapshot = crate::model::Snapshot {
            id: format!("snap-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            disk_id: instance.system_disk.id.clone(),
            created_at: self.clock.now(),
            usable_for_rollback: true,
        };
        let mut next = instance.clone();
        next.snapshots.push(snapshot.clone());
        next.version = instance.version + 1;
        let mut writes = WriteSet::new();
        writes.push(Change::Instance {
            record: Box::new(next),
            expect: crate::ports::Expect::Version(instance.version),
        });
        self.store.commit(writes).await?;
        Ok(snapshot)
    }

    /// Whether `password` opens the instance now (as a login would).
    pub async fn password_opens(
        &self,
        account: &str,
        instance_id: &str,
        password: &str,
    ) -> Result<bool, EngineError> {
        let instance = self
            .store
            .instance(account, instance_id)
            .await?
            .ok_or_else(|| EngineError::InstanceNotFound(instance_id.to_string()))?;
        Ok(instance
            .login
            .password_hash
            .as_deref()
            .is_some_and(|h| crate::login::verify_password(password, h)))
    }
}
