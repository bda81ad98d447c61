//! The records the engine keeps: instances, operations, key pairs, messages
//! and idempotency tokens. Every record carries a `version` that the store
//! compares before it writes (compare-and-swap).

pub use crate::attributes::Attributes;
use crate::catalog::OsFamily;
use crate::clock::Timestamp;
pub use crate::compact_id::CompactId;
use crate::lifecycle::{LifecycleState, OperationKind};
use crate::name::Name;
use serde::{Deserialize, Serialize};

/// Lists read back at their length. A JSON array gives no length ahead, so
/// a decoded `Vec` grows to room for four: an instance's one private and one
/// public address and its one tag would hold 288 bytes of spare room between
/// them, for as long as the store keeps it.
mod tight {
    use serde::{Deserialize, Deserializer};

    pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        let mut list = Vec::deserialize(d)?;
        list.shrink_to_fit();
        Ok(list)
    }
}

/// An account name, as declared in the configuration.
pub type AccountName = String;

/// A disk attached to an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disk {
    pub id: String,
    /// Vendor disk type (e.g. a cloud SSD), as the product names it.
    pub disk_type: Name,
    pub size_gb: u32,
    /// Bumped every time the disk contents are replaced (a reinstall
    /// formats the system disk): proof that the old contents are gone.
    pub generation: u32,
}

/// How one may log in to an instance. The password is stored only as a
/// salted SHA-512 crypt hash and never returned by any API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginState {
    pub password_hash: Option<Box<str>>,
    #[serde(deserialize_with = "tight::vec")]
    pub key_ids: Vec<String>,
    /// The image's own login settings are kept (custom images).
    pub keep_image_login: bool,
}

/// A snapshot of a disk, kept as a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: String,
    pub disk_id: String,
    pub created_at: Timestamp,
    /// False once the disk it was taken of is no longer the instance's
    /// (a reinstall across OS families replaces the system disk).
    pub usable_for_rollback: bool,
}

/// How an instance is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChargeType {
    Prepaid,
    Postpaid,
    Spot,
}

/// A tag on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The latest operation of an instance, as the APIs report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatestOperation {
    pub operation_id: CompactId,
    /// The vendor action name that started it (e.g. the API name).
    pub action: Name,
    pub state: OperationState,
    pub request_id: CompactId,
    pub started_at: Timestamp,
    pub error_message: Option<Box<str>>,
}

/// A virtual machine, vendor-neutral.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub account: Name,
    /// The product key (its profile) this instance belongs to.
    pub product: Name,
    pub uuid: uuid::Uuid,
    pub region: Name,
    pub zone: Name,
    pub name: String,
    pub host_name: String,
    pub state: LifecycleState,
    /// Bundle or instance type.
    pub plan_id: Name,
    pub cpu: u32,
    pub memory_gb: u32,
    pub image_id: Name,
    pub os_name: Name,
    pub os_family: OsFamily,
    pub platform: Name,
    pub system_disk: Disk,
    #[serde(deserialize_with = "tight::vec")]
    pub data_disks: Vec<Disk>,
    pub login: LoginState,
    #[serde(deserialize_with = "tight::vec")]
    pub private_ips: Vec<String>,
    #[serde(deserialize_with = "tight::vec")]
    pub public_ips: Vec<String>,
    /// The VPC and subnet (empty outside one): few values that many
    /// instances share, so interned as the zone and image are.
    pub vpc_id: Name,
    pub subnet_id: Name,
    /// The security groups the instance is in (interned, as its VPC is).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "tight::vec"
    )]
    pub security_group_ids: Vec<Name>,
    pub bandwidth_mbps: u32,
    pub charge_type: ChargeType,
    pub renew_flag: Option<Name>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub isolated_at: Option<Timestamp>,
    #[serde(deserialize_with = "tight::vec")]
    pub tags: Vec<Tag>,
    pub user_data: Option<String>,
    /// Refuses termination until cleared.
    #[serde(default)]
    pub termination_protected: bool,
    /// A stopped pay-as-you-go instance no longer billed (until started).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub charging_stopped: bool,
    /// Snapshots of the system disk and whether they can still roll it back.
    #[serde(default, deserialize_with = "tight::vec")]
    pub snapshots: Vec<Snapshot>,
    /// Vendor attributes the engine keeps but does not interpret
    /// (project id, internet charge type, ...).
    #[serde(default)]
    pub attributes: Attributes,
    pub latest_operation: Option<LatestOperation>,
    /// What a driver doing real work observed of the machine (`None` under
    /// the simulated driver, which has no machine to observe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Box<Machine>>,
    /// Store version for compare-and-swap; bumped on every write.
    pub version: u64,
}

impl Instance {
    /// A minimal running Linux instance (other crates' tests build on it).
    #[doc(hidden)]
    pub fn example(id: &str, account: &str, product: &str, region: &str) -> Self {
        use crate::catalog::OsFamily;
        Instance {
            id: id.into(),
            account: account.into(),
            product: product.into(),
            uuid: Default::default(),
            region: region.into(),
            zone: "z".into(),
            name: "n".into(),
            host_name: "h".into(),
            state: LifecycleState::Running,
            plan_id: "p".into(),
            cpu: 1,
            memory_gb: 1,
            image_id: "img".into(),
            os_name: "os".into(),
            os_family: OsFamily::Linux,
            platform: "p".into(),
            system_disk: Disk {
                id: "d".into(),
                disk_type: "t".into(),
                size_gb: 1,
                generation: 1,
            },
            data_disks: vec![],
            login: LoginState::default(),
            private_ips: vec![],
            public_ips: vec![],
            vpc_id: Name::default(),
            subnet_id: Name::default(),
            security_group_ids: Vec::new(),
            bandwidth_mbps: 0,
            charge_type: ChargeType::Prepaid,
            renew_flag: None,
            created_at: Timestamp(0),
            expires_at: None,
            isolated_at: None,
            tags: vec![],
            user_data: None,
            termination_protected: false,
            charging_stopped: false,
            snapshots: vec![],
            attributes: Default::default(),
            latest_operation: None,
            machine: None,
            version: 1,
        }
    }
}

/// A network endpoint on a host (e.g. where a machine's SSH port is reached).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

/// The facts a driver observed of the real machine behind an instance; the
/// engine records them and never decides anything from them but the power
/// state it reconciles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// The node (host) the machine lives on; only that node operates it.
    #[serde(default)]
    pub node: Option<String>,
    /// Where the guest's SSH port is forwarded.
    #[serde(default)]
    pub ssh: Option<Endpoint>,
    /// The host process running the machine, while it runs.
    #[serde(default)]
    pub pid: Option<u32>,
    /// The file the machine's serial console is written to.
    #[serde(default)]
    pub console_log: Option<String>,
    /// The system disk file and its virtual size in bytes.
    #[serde(default)]
    pub disk_path: Option<String>,
    #[serde(default)]
    pub disk_bytes: u64,
    /// How many times the driver booted the machine.
    #[serde(default)]
    pub boots: u32,
    /// Why the machine stopped on its own, when it did.
    #[serde(default)]
    pub stopped_reason: Option<String>,
}

impl Instance {
    /// True while an operation accepted for this instance has not finished.
    pub fn has_operation_in_flight(&self) -> bool {
        self.latest_operation
            .as_ref()
            .is_some_and(|op| op.state == OperationState::Operating)
    }
}

/// Progress of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OperationState {
    Operating,
    Success,
    Failed,
}

/// What an operation carries to apply when it completes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OperationPlan {
    /// Nothing beyond the state change.
    StateOnly,
    /// A reinstall: new image, new login, a freshly formatted system disk.
    Reinstall(Box<ReinstallPlan>),
    /// A new password (hash only).
    Password { password_hash: String },
    /// Key pairs to bind or unbind.
    Keys { key_ids: Vec<String> },
    /// A stop that also stops billing (pay-as-you-go instances only).
    StopCharging,
}

/// Everything a reinstall changes, decided when it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReinstallPlan {
    pub image_id: Name,
    pub os_name: Name,
    pub os_family: OsFamily,
    pub platform: Name,
    pub login: LoginState,
    pub system_disk_size_gb: u32,
    /// A new system disk id when the OS family changes (the old disk and its
    /// snapshots are no longer the instance's).
    pub new_system_disk_id: Option<String>,
    pub host_name: Option<String>,
    pub user_data: Option<String>,
    /// A new type for the system disk (`None`: the type is kept).
    #[serde(default)]
    pub system_disk_type: Option<Name>,
}

/// One asynchronous change to one instance. Durable from the moment its
/// request is acknowledged until it completes, and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub account: AccountName,
    pub instance_id: String,
    pub kind: OperationKind,
    /// The vendor action name that started it.
    pub action: String,
    pub request_id: String,
    pub state: OperationState,
    /// The instance state when the operation was accepted.
    pub source_state: LifecycleState,
    pub plan: OperationPlan,
    pub started_at: Timestamp,
    /// When the driver said it would be done.
    pub deadline: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub error_message: Option<String>,
    /// A failure decided by a fault rule when the operation was accepted.
    #[serde(default)]
    pub injected_failure: Option<String>,
    /// Power off or reset without asking the guest (the vendors' force or
    /// hard flags on stop and reboot).
    #[serde(default)]
    pub hard: bool,
    /// The node that hosts the machine and alone runs this operation
    /// (`None`: any node may, as under the simulated driver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub version: u64,
}

/// An SSH key pair. The private key is never stored: it is returned once,
/// by the call that generated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPair {
    pub id: String,
    pub account: AccountName,
    pub product: String,
    pub name: String,
    pub public_key: String,
    pub fingerprint: String,
    pub description: String,
    pub created_at: Timestamp,
    pub tags: Vec<Tag>,
    pub version: u64,
}

/// What the cloud would send by mail or internal message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub account: AccountName,
    pub kind: MessageKind,
    pub instance_id: String,
    /// The generated password, in clear: this *is* the mail the user gets.
    pub password: String,
    pub subject: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// Why a message was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    GeneratedPassword,
}

/// What a network record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetworkKind {
    Vpc,
    Subnet,
    /// A security group of a VPC (`vpc_id`); instances name it.
    SecurityGroup,
    /// A network that was deleted: listed nowhere, its id never reissued.
    /// (The Store port has no delete; a deletion is this write, checked
    /// against the record's version like any other.)
    Deleted,
}

/// A network an account created (a VPC, a subnet or a security group of
/// one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub id: String,
    pub account: AccountName,
    pub product: String,
    pub kind: NetworkKind,
    pub name: String,
    pub cidr_block: String,
    /// Where it lives, as its dialect places it: a region, or the
    /// availability zone of a zonal subnet (KEC). Dialects that need
    /// neither leave it empty (ZEC VPCs are global).
    pub region: Option<String>,
    /// The VPC a subnet or a security group belongs to.
    pub vpc_id: Option<String>,
    pub created_at: Timestamp,
    pub version: u64,
}

/// A remembered idempotency token and the instances its request created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientToken {
    pub account: AccountName,
    pub product: String,
    pub token: String,
    pub instance_ids: Vec<String>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Lighthouse instance as the store wrote it before names became thin
    /// pointers, ids compact and attributes a list: the stored JSON must not
    /// change by a byte.
    const STORED: &str = r#"{"id":"lhins-0a40xv6k","account":"default","product":"lighthouse","uuid":"e2118e1f-ed9e-48ae-8326-ea86b40a0c0d","region":"ap-guangzhou","zone":"ap-guangzhou-3","name":"Unnamed-1","host_name":"lhins-0a40xv6k","state":"Running","plan_id":"bundle_gen_01","cpu":1,"memory_gb":2,"image_id":"lhbp-c76k3m2a","os_name":"CentOS 7.6 64bit","os_family":"linux","platform":"CENTOS","system_disk":{"id":"lhdisk-ko1p2otk","disk_type":"CLOUD_SSD","size_gb":50,"generation":1},"data_disks":[{"id":"lhdisk-data0001","disk_type":"CLOUD_PREMIUM","size_gb":20,"generation":1}],"login":{"password_hash":"$6$bUBdBPLIKaeurfWp$G8z/ier/78b7.Pjh9fC/lkFD0E3gW3lsIYcFXPWmWDpwBmqtizooH0i6CKZKwCaDb4KPU/w7BVSHv.pAEOAmV0","key_ids":["lhkp-1"],"keep_image_login":false},"private_ips":["10.79.224.68"],"public_ips":["49.212.250.139"],"vpc_id":"vpc-1","subnet_id":"subnet-1","security_group_ids":["sg-1","sg-2"],"bandwidth_mbps":4,"charge_type":"Prepaid","renew_flag":"NOTIFY_AND_MANUAL_RENEW","created_at":1796322576720,"expires_at":1798914576720,"isolated_at":null,"tags":[{"key":"bench","value":"scale"}],"user_data":"I2Nsb3VkLWNvbmZpZw==","termination_protected":false,"snapshots":[{"id":"snap-1","disk_id":"lhdisk-ko1p2otk","created_at":1796322576720,"usable_for_rollback":true}],"attributes":{"cvm.project_id":"0","kec.mac":"fa:16:3e:00:00:01"},"latest_operation":{"operation_id":"01a23d2b-5ea2-764c-a2a2-a8975963d23b","action":"RebootInstances","state":"Failed","request_id":"req-from-a-test","started_at":1796322582178,"error_message":"the machine did not answer"},"version":30}"#;

    #[test]
    fn a_stored_instance_reads_back_and_writes_the_same_bytes() {
        let decoded: Instance = serde_json::from_str(STORED).expect("decodes");
        assert_eq!(serde_json::to_string(&decoded).expect("encodes"), STORED);
        let latest = decoded.latest_operation.as_ref().expect("latest");
        assert_eq!(latest.request_id, *"req-from-a-test");
        assert_eq!(decoded.attributes.get("kec.mac"), Some("fa:16:3e:00:00:01"));
    }

    #[test]
    fn a_decoded_instance_keeps_no_spare_room_in_its_lists() {
        let decoded: Instance = serde_json::from_str(STORED).expect("decodes");
        let spare = |capacity: usize, len: usize| capacity - len;
        let login = &decoded.login;
        let lists = [
            spare(decoded.data_disks.capacity(), decoded.data_disks.len()),
            spare(login.key_ids.capacity(), login.key_ids.len()),
            spare(decoded.private_ips.capacity(), decoded.private_ips.len()),
            spare(decoded.public_ips.capacity(), decoded.public_ips.len()),
            spare(
                decoded.security_group_ids.capacity(),
                decoded.security_group_ids.len(),
            ),
            spare(decoded.tags.capacity(), decoded.tags.len()),
            spare(decoded.snapshots.capacity(), decoded.snapshots.len()),
        ];
        assert_eq!(lists, [0; 7]);
    }

    /// The SQLite mirror keeps each live instance in an `Arc`: two 8-byte
    /// counts before the record. The server's allocator (mimalloc) steps
    /// from its 640-byte size class to 768 bytes here, so a record past 624
    /// bytes costs 128 more per instance, a million times over: grow it only
    /// knowingly (names are one pointer, rarely set strings are boxed).
    #[test]
    fn a_shared_instance_fits_mimallocs_640_byte_size_class() {
        let record = std::mem::size_of::<Instance>();
        assert!(16 + record <= 640, "Instance is {record} bytes");
    }
}
