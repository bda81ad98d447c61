//! The configuration file (`--config FILE`, TOML) and the built-in
//! development accounts used when it declares none.

use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use stratus_engine::accounts::{Account, Credential};

/// Development credentials: with no configuration they belong to the
/// account `default`; with one, to the first account it declares.
pub mod development {
    pub const TENCENT_SECRET_ID: &str = "AKIDSTRATUSDEVELOPMENT00000000000000";
    pub const TENCENT_SECRET_KEY: &str = "stratus-development-secret-key-tencent";
    pub const ZENLAYER_ACCESS_KEY_ID: &str = "STRATUSDEVELOPMENTZENLAYER";
    pub const ZENLAYER_ACCESS_KEY_SECRET: &str = "stratus-development-secret-key-zenlayer";
    pub const KINGSOFT_ACCESS_KEY: &str = "AKLTSTRATUSDEVELOPMENT0000000";
    pub const KINGSOFT_SECRET_KEY: &str = "stratus-development-secret-key-kingsoft";
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub accounts: Vec<AccountEntry>,
    /// Fault rules in force from the start (see `/_stratus/faults`).
    #[serde(default)]
    pub faults: Vec<stratus_engine::faults::FaultRule>,
    /// Image files behind vendor image ids (the QEMU driver).
    #[serde(default)]
    pub images: Vec<stratus_driver::qemu::ImageFile>,
    /// The QEMU driver's settings.
    #[serde(default)]
    pub qemu: stratus_driver::qemu::QemuSettings,
    /// The token the admin API requires (`--admin-token` overrides it).
    #[serde(default)]
    pub admin_token: Option<String>,
}

/// One `[[accounts]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    pub name: String,
    pub tencent: Option<TencentKey>,
    pub zenlayer: Option<ZenlayerKey>,
    pub kingsoft: Option<KingsoftKey>,
    #[serde(default)]
    pub bearer_tokens: Vec<String>,
    pub balance: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TencentKey {
    pub secret_id: String,
    pub secret_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZenlayerKey {
    pub access_key_id: String,
    pub access_key_secret: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KingsoftKey {
    pub access_key: String,
    pub secret_key: String,
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// The parser's own message quotes the offending line, which may hold a
    /// secret: only its position and message are kept.
    #[error("{path} is not valid at line {line}, column {column}: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Reads a configuration file.
pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start).min(text.len());
        let before = text.get(..offset).unwrap_or_default();
        ConfigError::Parse {
            path: path.display().to_string(),
            line: before.matches('\n').count() + 1,
            column: before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1,
            message: e.message().to_string(),
        }
    })
}

fn credential(scheme: &str, key_id: &str, secret: &str) -> Credential {
    Credential {
        scheme: scheme.to_string(),
        key_id: key_id.to_string(),
        secret: secret.to_string(),
    }
}

fn development_credentials() -> Vec<Credential> {
    use development::*;
    vec![
        credential("tencent", TENCENT_SECRET_ID, TENCENT_SECRET_KEY),
        credential(
            "zenlayer",
            ZENLAYER_ACCESS_KEY_ID,
            ZENLAYER_ACCESS_KEY_SECRET,
        ),
        credential("kingsoft", KINGSOFT_ACCESS_KEY, KINGSOFT_SECRET_KEY),
    ]
}

/// The accounts of a configuration: declared ones (the first also holding
/// the development credentials), or the built-in `default`.
pub fn accounts(file: &ConfigFile) -> Result<Vec<Account>, ConfigError> {
    if file.accounts.is_empty() {
        return Ok(vec![Account {
            name: "default".to_string(),
            credentials: development_credentials(),
            bearer_tokens: Vec::new(),
            balance: None,
        }]);
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, entry) in file.accounts.iter().enumerate() {
        if entry.name.is_empty() || !seen.insert(entry.name.clone()) {
            return Err(ConfigError::Invalid(format!(
                "account names must be unique and non-empty (entry {})",
                i + 1
            )));
        }
        let mut credentials = Vec::new();
        if let Some(t) = &entry.tencent {
            credentials.push(credential("tencent", &t.secret_id, &t.secret_key));
        }
        if let Some(z) = &entry.zenlayer {
            credentials.push(credential(
                "zenlayer",
                &z.access_key_id,
                &z.access_key_secret,
            ));
        }
        if let Some(k) = &entry.kingsoft {
            credentials.push(credential("kingsoft", &k.access_key, &k.secret_key));
        }
        if i == 0 {
            credentials.extend(development_credentials());
        }
        out.push(Account {
            name: entry.name.clone(),
            credentials,
            bearer_tokens: entry.bearer_tokens.clone(),
            balance: entry.balance,
        });
    }
    check_credentials_have_one_owner(&out)?;
    Ok(out)
}

/// Refuses a key id (per scheme) or a bearer token that two accounts
/// declare: requests made with it would land in one of them, so the other
/// account's users would see and change resources that are not theirs.
fn check_credentials_have_one_owner(accounts: &[Account]) -> Result<(), ConfigError> {
    let mut keys: HashMap<(&str, &str), &str> = HashMap::new();
    let mut tokens: HashMap<&str, &str> = HashMap::new();
    for a in accounts {
        for c in &a.credentials {
            let owner = *keys
                .entry((c.scheme.as_str(), c.key_id.as_str()))
                .or_insert(a.name.as_str());
            if owner != a.name {
                let hint = if development_credentials()
                    .iter()
                    .any(|d| d.scheme == c.scheme && d.key_id == c.key_id)
                {
                    " (the first account holds the development credentials)"
                } else {
                    ""
                };
                return Err(ConfigError::Invalid(format!(
                    "the {} key id `{}` is declared by both `{owner}` and `{}`{hint}: a credential belongs to one account",
                    c.scheme, c.key_id, a.name
                )));
            }
        }
        for t in &a.bearer_tokens {
            let owner = *tokens.entry(t.as_str()).or_insert(a.name.as_str());
            if owner != a.name {
                return Err(ConfigError::Invalid(format!(
                    "a bearer token of `{}` is declared by `{owner}` too: a token belongs to one account",
                    a.name
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_error_names_the_place_but_never_quotes_the_line() {
        let dir = std::env::temp_dir().join(format!("stratus-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("broken.toml");
        std::fs::write(
            &path,
            "[[accounts]]\nname = \"alice\"\ntencent = { secret_id = \"AKIDX\", secret_key = \"TopSecret123\" \n",
        )
        .expect("write");
        let message = load(&path).expect_err("invalid").to_string();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(message.contains("line 3"), "{message}");
        assert!(!message.contains("TopSecret123"), "{message}");
    }

    #[test]
    fn no_accounts_means_the_default_development_account() {
        let a = accounts(&ConfigFile::default()).expect("ok");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].name, "default");
        assert!(a[0]
            .credentials
            .iter()
            .any(|c| c.key_id == development::TENCENT_SECRET_ID));
    }

    #[test]
    fn the_first_declared_account_holds_the_development_credentials() {
        let file: ConfigFile = toml::from_str(
            r#"
            [[accounts]]
            name = "alice"
            tencent = { secret_id = "AKIDALICE", secret_key = "a" }
            [[accounts]]
            name = "bob"
            tencent = { secret_id = "AKIDBOB", secret_key = "b" }
            "#,
        )
        .expect("parses");
        let a = accounts(&file).expect("ok");
        assert!(a[0]
            .credentials
            .iter()
            .any(|c| c.key_id == development::TENCENT_SECRET_ID));
        assert!(!a[1]
            .credentials
            .iter()
            .any(|c| c.key_id == development::TENCENT_SECRET_ID));
    }

    #[test]
    fn duplicate_names_and_unknown_keys_are_refused() {
        let dup: ConfigFile =
            toml::from_str("[[accounts]]\nname = \"a\"\n[[accounts]]\nname = \"a\"\n")
                .expect("parses");
        assert!(accounts(&dup).is_err());
        assert!(toml::from_str::<ConfigFile>("[[accounts]]\nname = \"a\"\nsecret = 1\n").is_err());
    }

    fn refusal(text: &str) -> Option<String> {
        let file: ConfigFile = toml::from_str(text).expect("parses");
        accounts(&file).err().map(|e| e.to_string())
    }

    #[test]
    fn a_credential_declared_by_two_accounts_is_refused() {
        let shared_key = r#"
            [[accounts]]
            name = "alice"
            kingsoft = { access_key = "AKLTSHARED", secret_key = "a" }
            [[accounts]]
            name = "bob"
            kingsoft = { access_key = "AKLTSHARED", secret_key = "b" }
            "#;
        let e = refusal(shared_key).expect("refused");
        assert!(
            e.contains("AKLTSHARED") && e.contains("`alice`") && e.contains("`bob`"),
            "{e}"
        );
        let shared_token = r#"
            [[accounts]]
            name = "alice"
            bearer_tokens = ["zl-token-0001"]
            [[accounts]]
            name = "bob"
            bearer_tokens = ["zl-token-0001"]
            "#;
        let e = refusal(shared_token).expect("refused");
        assert!(!e.contains("zl-token-0001"), "a token is a secret: {e}");
        let development = format!(
            "[[accounts]]\nname = \"alice\"\n[[accounts]]\nname = \"bob\"\n\
             tencent = {{ secret_id = \"{}\", secret_key = \"x\" }}\n",
            development::TENCENT_SECRET_ID
        );
        let e = refusal(&development).expect("refused");
        assert!(e.contains("development credentials"), "{e}");
        // The first account may name the development credentials itself.
        let own = format!(
            "[[accounts]]\nname = \"alice\"\n\
             tencent = {{ secret_id = \"{}\", secret_key = \"{}\" }}\n",
            development::TENCENT_SECRET_ID,
            development::TENCENT_SECRET_KEY
        );
        assert_eq!(refusal(&own), None);
    }
}
