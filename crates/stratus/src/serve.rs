//! `stratus serve`: open the store, build the engine with every product,
//! recover operations in flight, and listen. With `--store postgres://…`
//! several nodes share one database: each sweeps for operations a dead
//! node left behind, and rate limits are counted in the database.

use crate::config::{self, development};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use stratus_api::EdgeConfig;
use stratus_driver::{QemuConfig, QemuDriver, SimDriver};
use stratus_engine::accounts::Accounts;
use stratus_engine::clock::{Clock, SystemClock};
use stratus_engine::ports::{Admission, Driver, Store};
use stratus_engine::ratelimit::RateLimiter;
use stratus_engine::Engine;
use stratus_store::{PostgresStore, SqliteStore};

/// Flags of `stratus serve` (a stable contract: extend, do not rename).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4590")]
    pub listen: String,
    /// Serve the admin API (`/_stratus/*`, `/metrics`, the console) on this
    /// address only, and the vendors' APIs only on `--listen`.
    #[arg(long, value_name = "ADDRESS")]
    pub admin_listen: Option<String>,
    /// Directory of the SQLite database and state.
    #[arg(long, default_value = "./.stratus")]
    pub data: PathBuf,
    /// Keep everything in memory; write nothing.
    #[arg(long, conflicts_with = "store")]
    pub ephemeral: bool,
    /// A PostgreSQL database shared by every node
    /// (`postgres://user[:password]@host[:port]/database`, no TLS) instead
    /// of SQLite under `--data`.
    #[arg(long, value_name = "URL", conflicts_with = "data")]
    pub store: Option<String>,
    /// With `--store`: seconds after an operation's deadline before another
    /// node takes it over (its own node has died), and how long a takeover
    /// claim holds.
    #[arg(long, default_value_t = 2.0)]
    pub operation_lease: f64,
    /// Configuration file (TOML) declaring accounts.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Divide every simulated duration by this factor.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long, default_value = "info")]
    pub log_level: tracing::Level,
    /// Serve HTTPS, with certificates for the vendors' real host names
    /// from a CA Stratus keeps under `<data>/tls/` (`stratus env` says how
    /// to trust it), or `--tls-cert`/`--tls-key`.
    #[arg(long)]
    pub tls: bool,
    /// With `--tls`: where Stratus keeps its CA (default `<data>/tls`).
    #[arg(long, requires = "tls", value_name = "DIR")]
    pub tls_dir: Option<PathBuf>,
    /// With `--tls`: the certificate chain to serve (PEM).
    #[arg(long, requires = "tls", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// With `--tls`: its private key (PEM).
    #[arg(long, requires = "tls", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Start from this state snapshot (`stratus state export`): it replaces
    /// whatever the store holds.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Log lines as text, or as one JSON object each (with the request id
    /// on every line logged while serving a request).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds a client may take to send a request's headers (also how long
    /// an idle keep-alive connection is kept) and, separately, its body;
    /// a slower connection is closed.
    #[arg(long, default_value_t = 30.0)]
    pub request_timeout: f64,
    /// Most connections served at once; further ones wait to be accepted.
    #[arg(long, default_value_t = 4096)]
    pub max_connections: usize,
    /// What runs the instances: `sim` (timers) or `qemu` (real VMs; images
    /// from the configuration's `[[images]]`).
    #[arg(long, value_enum, default_value_t = DriverChoice::Sim)]
    pub driver: DriverChoice,
    /// With `--driver qemu`: where the VMs' directories are kept (default:
    /// `vms` under `--data`).
    #[arg(long)]
    pub vm_dir: Option<PathBuf>,
    /// This node's name, recorded on the machines it hosts (default: the
    /// host name). Several nodes on one database need distinct names.
    #[arg(long)]
    pub node: Option<String>,
    /// With `--driver qemu` and `--store`: seconds of silence after which
    /// another node is taken as gone (its machines are then shown stopped).
    #[arg(long, default_value_t = 10.0)]
    pub node_timeout: f64,
    /// The token the admin API (`/_stratus/*`, but the health check)
    /// requires as `Authorization: Bearer …`. Without one the admin API is
    /// open, which is allowed only on a loopback address.
    #[arg(long, env = "STRATUS_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// On SIGTERM, seconds to wait for operations in flight to finish; those
    /// still running stay recorded and resume at the next start.
    #[arg(long, default_value_t = 30.0)]
    pub drain_timeout: f64,
}

/// The drivers `--driver` chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverChoice {
    Sim,
    Qemu,
}

/// An opened store, with the rate-limit counter that goes with it.
pub struct OpenStore {
    pub store: Arc<dyn Store>,
    pub limiter: Arc<dyn Admission>,
    /// Shared by several nodes (PostgreSQL).
    pub shared: bool,
}

impl OpenStore {
    /// PostgreSQL at `url`, or SQLite under `data` (in memory if `ephemeral`).
    pub async fn open(
        url: Option<&str>,
        data: &std::path::Path,
        ephemeral: bool,
    ) -> Result<Self, String> {
        match url {
            Some(url) => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err("--store takes a postgres:// URL".into());
                }
                let store = PostgresStore::connect(url)
                    .await
                    .map_err(|e| e.to_string())?;
                let limiter = Arc::new(store.admission());
                Ok(Self {
                    store: Arc::new(store),
                    limiter,
                    shared: true,
                })
            }
            None => {
                let store = if ephemeral {
                    SqliteStore::open(None)
                } else {
                    std::fs::create_dir_all(data)
                        .map_err(|e| format!("cannot create {}: {e}", data.display()))?;
                    SqliteStore::open(Some(&data.join("stratus.db")))
                }
                .map_err(|e| e.to_string())?;
                Ok(Self {
                    store: Arc::new(store),
                    limiter: Arc::new(RateLimiter::default()),
                    shared: false,
                })
            }
        }
    }
}

/// Takes the fault rules other nodes saved, every second.
async fn refresh_faults(engine: Arc<Engine>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        if let Err(e) = engine.load_fault_rules().await {
            tracing::warn!(error = %e, "reading the fault rules failed");
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Runs the server until it is stopped.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    let logs = tracing_subscriber::fmt()
        .with_max_level(args.log_level)
        .with_writer(std::io::stderr)
        .with_target(false);
    match args.log_format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err("--speed must be a positive number".into());
    }
    let file = match &args.config {
        Some(path) => config::load(path).map_err(|e| e.to_string())?,
        None => config::ConfigFile::default(),
    };
    let accounts = config::accounts(&file).map_err(|e| e.to_string())?;
    let lease = Duration::try_from_secs_f64(args.operation_lease)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or("--operation-lease must be a positive number of seconds")?;
    let OpenStore {
        store,
        limiter,
        shared,
    } = OpenStore::open(args.store.as_deref(), &args.data, args.ephemeral).await?;
    if let Some(path) = &args.state {
        let imported = crate::state::import(store.as_ref(), path).await?;
        tracing::info!(records = imported, path = %path.display(), "started from a state snapshot");
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let node_name = args.node.clone().unwrap_or_else(host_name);
    let node_timeout = Duration::try_from_secs_f64(args.node_timeout)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or("--node-timeout must be a positive number of seconds")?;
    let driver: Arc<dyn Driver> = match args.driver {
        DriverChoice::Sim => Arc::new(SimDriver::new(args.speed, Arc::clone(&clock))),
        DriverChoice::Qemu => {
            let vm_dir = args.vm_dir.clone().unwrap_or_else(|| args.data.join("vms"));
            let config = QemuConfig {
                vm_dir,
                images: file.images.clone(),
                settings: file.qemu.clone(),
                node: node_name.clone(),
            };
            Arc::new(QemuDriver::open(config).await?)
        }
    };
    let first_account = accounts.first().map(|a| a.name.clone()).unwrap_or_default();
    let mut products = vec![
        stratus_api::tencent::lighthouse::product()
            .map_err(|e| format!("the Lighthouse catalog is invalid: {e}"))?,
        stratus_api::tencent::cvm::product()
            .map_err(|e| format!("the CVM catalog is invalid: {e}"))?,
        stratus_api::kingsoft::product().map_err(|e| e.to_string())?,
        stratus_api::zenlayer::product().map_err(|e| format!("the ZEC catalog is invalid: {e}"))?,
    ];
    for p in &mut products {
        p.catalog.assign_first_owner(&first_account);
    }
    let engine = Engine::with_admission(
        store,
        driver,
        clock,
        Accounts::new(accounts),
        products,
        limiter,
    );
    // Rules saved through the admin API outlive a restart and reach every
    // node; the configuration's apply until some are saved.
    engine.faults().replace(file.faults);
    engine.load_fault_rules().await.map_err(|e| e.to_string())?;
    if shared {
        tokio::spawn(refresh_faults(Arc::clone(&engine)));
    }
    engine.set_claim_lease(lease);
    if engine.drives_real_machines() {
        // Machines live on nodes: this one runs the operations of its own.
        engine.set_node(&node_name, node_timeout);
        engine.heartbeat().await.map_err(|e| e.to_string())?;
    }
    let recovered = if shared {
        // Other nodes may be running the operations in flight: take over
        // only those overdue by a lease, now and from then on.
        let recovered = engine
            .sweep_overdue(lease)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(sweep(Arc::clone(&engine), lease));
        recovered
            + engine
                .run_hosted_operations()
                .await
                .map_err(|e| e.to_string())?
    } else {
        engine.recover().await.map_err(|e| e.to_string())?
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let admin_listener = match &args.admin_listen {
        None => None,
        Some(at) => Some(
            tokio::net::TcpListener::bind(at)
                .await
                .map_err(|e| format!("cannot listen on {at} for the admin API: {e}"))?,
        ),
    };
    let admin_address = match &admin_listener {
        None => address,
        Some(l) => l.local_addr().map_err(|e| e.to_string())?,
    };
    let admin_token = args
        .admin_token
        .clone()
        .or_else(|| file.admin_token.clone())
        .filter(|t| !t.is_empty());
    check_admin_token(admin_token.as_deref(), admin_address, engine.accounts())?;
    tracing::info!(%address, recovered, ephemeral = args.ephemeral, shared, speed = args.speed, "stratus is serving");
    println!("stratus listening on http://{address}");
    if admin_listener.is_some() {
        println!("stratus admin API on http://{admin_address}");
    }
    println!(
        "development credentials (account `{first_account}`): tencent SecretId={} SecretKey={}",
        development::TENCENT_SECRET_ID,
        development::TENCENT_SECRET_KEY
    );
    println!(
        "development credentials (account `{first_account}`): kingsoft AccessKey={} SecretKey={}",
        development::KINGSOFT_ACCESS_KEY,
        development::KINGSOFT_SECRET_KEY
    );
    println!(
        "development credentials (account `{first_account}`): zenlayer AccessKeyId={} AccessKeyPassword={}",
        development::ZENLAYER_ACCESS_KEY_ID,
        development::ZENLAYER_ACCESS_KEY_SECRET
    );
    let request_timeout = std::time::Duration::try_from_secs_f64(args.request_timeout)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or("--request-timeout must be a positive number of seconds")?;
    if args.max_connections == 0 {
        return Err("--max-connections must be at least 1".into());
    }
    let edge = EdgeConfig {
        max_body_bytes: args.max_body_bytes,
        header_timeout: request_timeout,
        body_timeout: request_timeout,
        max_connections: args.max_connections,
        admin_token,
        tls: if args.tls {
            let dir = args
                .tls_dir
                .clone()
                .unwrap_or_else(|| args.data.join("tls"));
            Some(crate::tls::acceptor(
                args.tls_cert.as_deref(),
                args.tls_key.as_deref(),
                &dir,
            )?)
        } else {
            None
        },
    };
    let drain_timeout = Duration::try_from_secs_f64(args.drain_timeout)
        .map_err(|_| "--drain-timeout must be a number of seconds")?;
    if engine.drives_real_machines() {
        tokio::spawn(reconcile(Arc::clone(&engine), shared));
    }
    tokio::select! {
        served = stratus_api::serve(listener, admin_listener, Arc::clone(&engine), edge) => served.map_err(|e| e.to_string()),
        _ = shutdown_signal() => {
            let running = engine.drain(drain_timeout).await;
            tracing::info!(left_in_flight = running, "stopping");
            Ok(())
        }
    }
}

/// The admin API is open only where nobody else can reach it: a listener
/// on another address needs a token, and the token must be nobody's vendor
/// credential (so it can never sign a vendor request, nor one open the
/// admin API).
fn check_admin_token(
    token: Option<&str>,
    address: std::net::SocketAddr,
    accounts: &Accounts,
) -> Result<(), String> {
    match token {
        None if !address.ip().is_loopback() => Err(format!(
            "refusing to serve the admin API on {address} without a token: set --admin-token \
             (or STRATUS_ADMIN_TOKEN, or admin_token in the configuration), or listen on a loopback address"
        )),
        None => Ok(()),
        Some(token) => {
            let vendor = accounts.all().iter().any(|a| {
                a.bearer_tokens.iter().any(|t| t == token)
                    || a.credentials.iter().any(|c| c.secret == token || c.key_id == token)
            });
            if vendor {
                return Err("the admin token is also a vendor credential of an account: choose another".into());
            }
            Ok(())
        }
    }
}

/// The machine's host name, as the kernel knows it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Keeps the books of real machines, twice a second: machines that stopped
/// on their own; with several nodes, this node's heartbeat, the operations
/// other nodes accepted for its machines, and the nodes that are gone.
async fn reconcile(engine: Arc<Engine>, shared: bool) {
    let mut every = tokio::time::interval(Duration::from_millis(500));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = engine.reconcile().await {
            tracing::warn!(error = %e, "reconciling machines failed");
        }
        if !shared {
            continue;
        }
        let rounds = [
            engine.heartbeat().await.map(|()| 0),
            engine.run_hosted_operations().await,
            engine.reap_gone_nodes().await,
        ];
        for round in rounds {
            if let Err(e) = round {
                tracing::warn!(error = %e, "keeping the nodes' books failed");
            }
        }
    }
}

/// Takes over overdue operations every half lease, for as long as the node
/// runs.
async fn sweep(engine: Arc<Engine>, lease: Duration) {
    let mut every = tokio::time::interval(lease / 2);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = engine.sweep_overdue(lease).await {
            tracing::warn!(error = %e, "sweeping overdue operations failed");
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
