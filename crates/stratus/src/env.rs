//! `stratus env <tencent|zenlayer|kingsoft>`: how to point a vendor's
//! official clients at this server without changing their code: the shell
//! exports they read, a tccli profile, Python and Node snippets, and the
//! Terraform provider block with its endpoint overrides, for the
//! development account or a named one of `--config`.

use crate::config;
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Which vendor's clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Vendor {
    Tencent,
    Zenlayer,
    Kingsoft,
}

/// Flags of `stratus env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    pub vendor: Vendor,
    /// The account whose credentials to use (default: the first declared,
    /// which holds the development credentials).
    #[arg(long)]
    pub account: Option<String>,
    /// The configuration file the server runs with (its accounts).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Where the server listens.
    #[arg(long, default_value = "127.0.0.1:4590")]
    pub listen: String,
    /// The server's data directory (where `serve --tls` keeps its CA).
    #[arg(long, default_value = "./.stratus")]
    pub data: PathBuf,
    /// Where `serve --tls --tls-dir DIR` keeps its CA (default `<data>/tls`).
    #[arg(long)]
    pub tls_dir: Option<PathBuf>,
}

/// Prints the settings.
pub fn run(args: EnvArgs) -> Result<(), String> {
    let file = match &args.config {
        Some(path) => config::load(path).map_err(|e| e.to_string())?,
        None => config::ConfigFile::default(),
    };
    let accounts = config::accounts(&file).map_err(|e| e.to_string())?;
    let account = match &args.account {
        Some(name) => accounts
            .iter()
            .find(|a| &a.name == name)
            .ok_or_else(|| format!("no account `{name}` in the configuration"))?,
        None => accounts
            .first()
            .ok_or("the configuration declares no account")?,
    };
    let scheme = match args.vendor {
        Vendor::Tencent => stratus_api::tencent::SCHEME,
        Vendor::Zenlayer => stratus_api::zenlayer::SCHEME,
        Vendor::Kingsoft => stratus_api::kingsoft::SCHEME,
    };
    let credential = account
        .credentials
        .iter()
        .find(|c| c.scheme == scheme)
        .ok_or_else(|| format!("the account `{}` has no {scheme} credentials", account.name))?;
    let ca = args
        .tls_dir
        .clone()
        .unwrap_or_else(|| args.data.join("tls"))
        .join("ca.pem");
    let ca = ca.exists().then(|| ca.display().to_string());
    let text = match args.vendor {
        Vendor::Tencent => tencent(&args.listen, &credential.key_id, &credential.secret),
        Vendor::Zenlayer => zenlayer(&args.listen, &credential.key_id, &credential.secret),
        Vendor::Kingsoft => kingsoft(&args.listen, &credential.key_id, &credential.secret),
    };
    print!(
        "# Stratus at http://{} as account `{}`\n{text}",
        args.listen, account.name
    );
    if let Some(ca) = ca {
        let hosts = crate::tls::HOSTS
            .iter()
            .filter(|h| !h.starts_with('*') && **h != "localhost")
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "\n# TLS (serve --tls): trust Stratus's CA\nexport SSL_CERT_FILE={ca}\nexport REQUESTS_CA_BUNDLE={ca}\nexport NODE_EXTRA_CA_CERTS={ca}\n# the Tencent SDKs and tccli verify with certifi's bundle: cat {ca} >> \"$(python3 -m certifi)\"\n# hosts-file line (the vendors' names, on this machine; add the service names you use)\n# 127.0.0.1 {hosts} lighthouse.tencentcloudapi.com cvm.tencentcloudapi.com"
        );
    }
    Ok(())
}

fn tencent(listen: &str, id: &str, key: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"
# Shell: the SDKs and tccli read these
export TENCENTCLOUD_SECRET_ID={id}
export TENCENTCLOUD_SECRET_KEY={key}
export TENCENTCLOUD_REGION=ap-guangzhou

# tccli: the endpoint per product (plain HTTP needs the scheme in it)
tccli configure set lighthouse.endpoint http://{listen} cvm.endpoint http://{listen}
# or per call: tccli lighthouse DescribeInstances --endpoint http://{listen}

# Python (tencentcloud-sdk-python)
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.lighthouse.v20200324 import lighthouse_client
profile = ClientProfile(httpProfile=HttpProfile(endpoint="{listen}", protocol="http"))
client = lighthouse_client.LighthouseClient(credential.Credential("{id}", "{key}"), "ap-guangzhou", profile)

# Node (tencentcloud-sdk-nodejs): it signs the vendor's host name, so run `serve --tls`,
// resolve lighthouse.tencentcloudapi.com to Stratus and trust its CA (NODE_EXTRA_CA_CERTS)
const tencentcloud = require("tencentcloud-sdk-nodejs");
const client = new tencentcloud.lighthouse.v20200324.Client({{
  credential: {{ secretId: "{id}", secretKey: "{key}" }},
  region: "ap-guangzhou",
}});

# Legacy API 2.0 (qcloudapi-sdk-python): it signs the vendor's host name; see the README

# Terraform (untested here: the provider cannot be fetched on this machine)
provider "tencentcloud" {{
  secret_id  = "{id}"
  secret_key = "{key}"
  region     = "ap-guangzhou"
  protocol   = "HTTP"
  domain     = "{listen}"
}}
"#
    );
    s
}

fn zenlayer(listen: &str, id: &str, key: &str) -> String {
    format!(
        r#"
# Shell: Terraform reads these (the Python SDK reads no endpoint from the environment)
export ZENLAYERCLOUD_ACCESS_KEY_ID={id}
export ZENLAYERCLOUD_ACCESS_KEY_PASSWORD={key}
export ZENLAYERCLOUD_DOMAIN={listen}
export ZENLAYERCLOUD_SCHEME=http

# Python (zenlayercloud-sdk-python): a bare host:port and scheme="http"
from zenlayercloud.common.config import Config
from zenlayercloud.common.credential import Credential
from zenlayercloud.zec.v20250901 import models, zec_client
client = zec_client.ZecClient(Credential("{id}", "{key}"), Config(scheme="http", domain="{listen}"))

# Terraform (untested here: the provider cannot be fetched on this machine)
provider "zenlayercloud" {{
  access_key_id       = "{id}"
  access_key_password = "{key}"
  domain              = "{listen}"
  scheme              = "http"
}}
"#
    )
}

fn kingsoft(listen: &str, id: &str, key: &str) -> String {
    format!(
        r#"
# Shell: the SDK and Terraform read these
export KSYUN_ACCESS_KEY={id}
export KSYUN_SECRET_KEY={key}
export KSYUN_REGION=cn-beijing-6

# Python (kingsoftcloud-sdk-python)
from ksyun.common import credential
from ksyun.common.profile.client_profile import ClientProfile
from ksyun.common.profile.http_profile import HttpProfile
from ksyun.client.kec.v20160304 import client as kec_client, models as kec_models
profile = ClientProfile(httpProfile=HttpProfile(endpoint="{listen}", protocol="http"))
client = kec_client.KecClient(credential.Credential("{id}", "{key}"), "cn-beijing-6", profile)

# Terraform (untested here: the provider cannot be fetched on this machine)
provider "ksyun" {{
  access_key = "{id}"
  secret_key = "{key}"
  region     = "cn-beijing-6"
  endpoint   = "{listen}"
  use_ssl    = false
}}
"#
    )
}
