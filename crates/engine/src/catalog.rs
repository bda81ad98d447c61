//! The catalog: what a product sells. Regions and zones, plans (bundles or
//! instance types) and images. Catalogs are data, loaded from `catalog/` by
//! the product that owns them; the engine only reads them.

use serde::{Deserialize, Serialize};

/// Operating-system family: a reinstall may or may not cross it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    Linux,
    Windows,
}

/// A region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub id: String,
    pub name: String,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default)]
    pub mainland: bool,
    pub zones: Vec<Zone>,
}

/// An availability zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub id: String,
    pub name: String,
    /// A sold-out zone refuses new capacity.
    #[serde(default)]
    pub sold_out: bool,
}

fn yes() -> bool {
    true
}

/// A plan: a bundle (Lighthouse) or an instance type (CVM, ZEC, KEC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub cpu: u32,
    pub memory_gb: u32,
    pub system_disk_gb: u32,
    pub system_disk_type: String,
    #[serde(default)]
    pub bandwidth_mbps: u32,
    #[serde(default)]
    pub monthly_traffic_gb: u32,
    #[serde(default = "yes")]
    pub supports_linux: bool,
    #[serde(default = "yes")]
    pub supports_windows: bool,
    #[serde(default = "yes")]
    pub available: bool,
    /// Price per month (prepaid) or per hour (postpaid), in the product's currency.
    #[serde(default)]
    pub price: f64,
    #[serde(default)]
    pub family: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub label: String,
}

impl Plan {
    /// True if this plan can run an image of `family`.
    pub fn supports(&self, family: OsFamily) -> bool {
        match family {
            OsFamily::Linux => self.supports_linux,
            OsFamily::Windows => self.supports_windows,
        }
    }
}

/// Availability of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageState {
    Normal,
    Syncing,
    Offline,
    CreateFailed,
}

/// Where an image comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    /// A plain operating system from the vendor.
    PureOs,
    /// An operating system with an application stack.
    App,
    /// An operating system prepared for containers.
    Docker,
    /// Made by the account (custom image).
    Private,
    /// Shared with the account by another.
    Shared,
}

/// An image (blueprint on Lighthouse).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub id: String,
    pub name: String,
    pub os_name: String,
    pub platform: String,
    pub os_family: OsFamily,
    pub kind: ImageKind,
    pub state: ImageState,
    #[serde(default = "x86_64")]
    pub architecture: String,
    pub required_disk_gb: u32,
    pub required_memory_gb: u32,
    /// The image's own size.
    pub size_gb: u32,
    #[serde(default)]
    pub display_title: String,
    #[serde(default)]
    pub display_version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub default_user: String,
    /// Creation time, ISO 8601.
    #[serde(default)]
    pub created: String,
    /// Owning account for private images; `None` for the public catalog.
    #[serde(default)]
    pub owner: Option<String>,
    /// Vendor fields the engine does not interpret (e.g. a marketplace URL).
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Image {
    /// True if the image may be used to create or reinstall.
    pub fn is_usable(&self) -> bool {
        self.state == ImageState::Normal
    }

    /// True if `account` may see this image.
    pub fn visible_to(&self, account: &str) -> bool {
        self.owner.as_deref().is_none_or(|o| o == account)
    }
}

/// One product's catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub regions: Vec<Region>,
    pub plans: Vec<Plan>,
    pub images: Vec<Image>,
}

impl Catalog {
    /// A region by id.
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }

    /// A zone by id, with its region.
    pub fn zone(&self, id: &str) -> Option<(&Region, &Zone)> {
        self.regions
            .iter()
            .find_map(|r| r.zones.iter().find(|z| z.id == id).map(|z| (r, z)))
    }

    /// Gives images owned by `@first` (a catalog convention) to `account`,
    /// the first account of the server.
    pub fn assign_first_owner(&mut self, account: &str) {
        for image in &mut self.images {
            if image.owner.as_deref() == Some("@first") {
                image.owner = Some(account.to_string());
            }
        }
    }

    /// A plan by id.
    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// An image by id, if `account` may see it.
    pub fn image(&self, id: &str, account: &str) -> Option<&Image> {
        self.images
            .iter()
            .find(|i| i.id == id && i.visible_to(account))
    }
}

fn x86_64() -> String {
    "x86_64".to_string()
}
