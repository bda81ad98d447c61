//! Product profiles: the data that makes one product differ from another.
//! Which states allow which action, batch limits, the password policy,
//! whether a reinstall may switch OS family, id formats and rate limits.
//! Adding a product is adding a profile (and a catalog), not engine code.

use crate::catalog::OsFamily;
use crate::lifecycle::{LifecycleState, OperationKind};
use rand::Rng;
use std::collections::HashMap;

/// How a product spells its ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdStyle {
    /// `prefix` + `len` characters of `[a-z0-9]` (Tencent: `lhins-ruy9d2tw`).
    Prefixed { prefix: String, len: usize },
    /// A lower-case RFC 4122 UUID (Kingsoft).
    Uuid,
    /// A large decimal number (Zenlayer).
    Decimal { digits: usize },
    /// `prefix` + `len` characters of `[A-Za-z0-9]` (Zenlayer key ids).
    PrefixedMixedCase { prefix: String, len: usize },
}

impl IdStyle {
    /// A fresh random id in this style.
    pub fn generate(&self) -> String {
        let mut rng = rand::thread_rng();
        match self {
            IdStyle::Prefixed { prefix, len } => {
                const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                let tail: String = (0..*len)
                    .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
                    .collect();
                format!("{prefix}{tail}")
            }
            IdStyle::PrefixedMixedCase { prefix, len } => {
                const CHARS: &[u8] =
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
                let tail: String = (0..*len)
                    .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
                    .collect();
                format!("{prefix}{tail}")
            }
            IdStyle::Uuid => uuid::Uuid::new_v4().to_string(),
            IdStyle::Decimal { digits } => {
                let first = rng.gen_range(1..=9u8);
                let rest: String = (1..*digits)
                    .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                    .collect();
                format!("{first}{rest}")
            }
        }
    }

    /// True if `id` is well formed in this style.
    pub fn matches(&self, id: &str) -> bool {
        match self {
            IdStyle::Prefixed { prefix, len } => {
                id.strip_prefix(prefix.as_str()).is_some_and(|t| {
                    t.len() == *len
                        && t.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                })
            }
            IdStyle::PrefixedMixedCase { prefix, len } => id
                .strip_prefix(prefix.as_str())
                .is_some_and(|t| t.len() == *len && t.bytes().all(|b| b.is_ascii_alphanumeric())),
            IdStyle::Uuid => {
                id.len() == 36
                    && id.bytes().enumerate().all(|(i, b)| match i {
                        8 | 13 | 18 | 23 => b == b'-',
                        _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
                    })
            }
            IdStyle::Decimal { digits } => {
                id.len() == *digits && id.bytes().all(|b| b.is_ascii_digit())
            }
        }
    }
}

/// Id formats of the resources a product names.
#[derive(Debug, Clone)]
pub struct IdFormats {
    pub instance: IdStyle,
    pub image: IdStyle,
    pub key_pair: IdStyle,
    pub disk: IdStyle,
}

/// A password rule for one OS family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRule {
    pub min_len: usize,
    pub max_len: usize,
    /// How many of the four classes (lower, upper, digit, special) must appear.
    pub min_classes: usize,
    /// Classes that must all appear regardless of `min_classes`.
    pub required: Vec<CharClass>,
    /// The special characters accepted; any other non-alphanumeric character
    /// is refused unless `other_visible_ok`.
    pub specials: String,
    /// Other visible ASCII characters are accepted (and count as special).
    pub other_visible_ok: bool,
    pub forbid_leading_slash: bool,
}

/// A character class of a password rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharClass {
    Lower,
    Upper,
    Digit,
    Special,
}

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordViolation {
    #[error("the password must be {min} to {max} characters long")]
    Length { min: usize, max: usize },
    #[error("the password contains a character that is not allowed")]
    Character,
    #[error("the password must contain at least {0} kinds of characters (lower case, upper case, digits, special characters)")]
    Classes(usize),
    #[error("the password must not start with '/'")]
    LeadingSlash,
    #[error("a Windows password must not contain the user name")]
    ContainsUserName,
}

impl PasswordRule {
    /// Checks `password` against this rule.
    pub fn check(&self, password: &str) -> Result<(), PasswordViolation> {
        let len = password.chars().count();
        if len < self.min_len || len > self.max_len {
            return Err(PasswordViolation::Length {
                min: self.min_len,
                max: self.max_len,
            });
        }
        if self.forbid_leading_slash && password.starts_with('/') {
            return Err(PasswordViolation::LeadingSlash);
        }
        let mut seen = [false; 4];
        for c in password.chars() {
            let class = if c.is_ascii_lowercase() {
                CharClass::Lower
            } else if c.is_ascii_uppercase() {
                CharClass::Upper
            } else if c.is_ascii_digit() {
                CharClass::Digit
            } else if self.specials.contains(c) || (self.other_visible_ok && c.is_ascii_graphic()) {
                CharClass::Special
            } else {
                return Err(PasswordViolation::Character);
            };
            seen[class as usize] = true;
        }
        let count = seen.iter().filter(|s| **s).count();
        if count < self.min_classes || self.required.iter().any(|c| !seen[*c as usize]) {
            return Err(PasswordViolation::Classes(
                self.min_classes.max(self.required.len()),
            ));
        }
        Ok(())
    }

    /// A random password that satisfies this rule.
    pub fn generate(&self) -> String {
        const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
        const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
        const DIGIT: &[u8] = b"23456789";
        let mut rng = rand::thread_rng();
        let specials: Vec<char> = self.specials.chars().filter(|c| *c != '/').collect();
        let len = self.min_len.max(16).min(self.max_len);
        let mut out: Vec<char> = Vec::with_capacity(len);
        let pick =
            |set: &[u8], rng: &mut rand::rngs::ThreadRng| set[rng.gen_range(0..set.len())] as char;
        out.push(pick(LOWER, &mut rng));
        out.push(pick(UPPER, &mut rng));
        out.push(pick(DIGIT, &mut rng));
        if !specials.is_empty() {
            out.push(specials[rng.gen_range(0..specials.len())]);
        }
        while out.len() < len {
            out.push(match rng.gen_range(0..3) {
                0 => pick(LOWER, &mut rng),
                1 => pick(UPPER, &mut rng),
                _ => pick(DIGIT, &mut rng),
            });
        }
        // Shuffle, keeping a letter first so no rule about the first character bites.
        for i in (2..out.len()).rev() {
            let j = rng.gen_range(1..=i);
            out.swap(i, j);
        }
        out.into_iter().collect()
    }
}

/// Password rules per OS family.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub linux: PasswordRule,
    pub windows: PasswordRule,
}

impl PasswordPolicy {
    /// The rule for an OS family.
    pub fn rule(&self, family: OsFamily) -> &PasswordRule {
        match family {
            OsFamily::Linux => &self.linux,
            OsFamily::Windows => &self.windows,
        }
    }
}

/// Which instances a terminate sends to the recycle bin before it destroys
/// them (a second terminate destroys one that is there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecycleBin {
    /// None: a terminate destroys (products that isolate with an action of
    /// their own, like Lighthouse's IsolateInstances).
    Unused,
    /// Prepaid instances (CVM); a batch may then not mix prepaid instances
    /// with others.
    Prepaid,
    /// Every instance that was deployed; one that failed to deploy is
    /// destroyed at once (ZEC's ReleaseInstances).
    Deployed,
}

impl RecycleBin {
    /// Whether a terminate of `instance` moves it to the bin instead.
    pub fn takes(self, instance: &crate::model::Instance) -> bool {
        use crate::lifecycle::LifecycleState as S;
        let outside = instance.state != S::Isolated;
        match self {
            Self::Unused => false,
            Self::Prepaid => outside && instance.charge_type == crate::model::ChargeType::Prepaid,
            Self::Deployed => outside && instance.state != S::LaunchFailed,
        }
    }
}

/// How a product charges prepaid instances against an account's balance
/// (when the configuration gives the account one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrepaidPrices {
    /// A month of the plan's hourly price is this many hours.
    pub hours_per_month: f64,
    /// A gigabyte more of system disk, per month left before expiry.
    pub disk_per_gb_month: f64,
}

/// Everything that makes one product's behaviour its own.
#[derive(Debug, Clone)]
pub struct ProductProfile {
    /// The product key (`lighthouse`, `cvm`, ...).
    pub key: String,
    pub ids: IdFormats,
    /// The source states each action accepts. An action absent here is not
    /// offered by the product.
    pub allowed_states: HashMap<OperationKind, Vec<LifecycleState>>,
    /// Most ids in one batch request.
    pub batch_limit: usize,
    pub passwords: PasswordPolicy,
    /// A stricter policy for resetting a password, where the product has
    /// one (CVM's ResetInstancesPassword); `None`: `passwords`.
    pub reset_passwords: Option<PasswordPolicy>,
    /// Whether a reinstall may move between Linux and Windows.
    pub reinstall_may_switch_family: bool,
    /// Where a reinstall lands (`None`: the state it started from).
    pub reinstall_lands_in: Option<LifecycleState>,
    /// Which instances a terminate moves to the recycle bin first
    /// (destroying only those already there).
    pub recycle_bin: RecycleBin,
    /// What a prepaid purchase costs against an account's balance (`None`:
    /// the product does not charge one).
    pub prepaid_prices: Option<PrepaidPrices>,
    /// Whether key pairs may be used on Windows.
    pub keys_on_windows: bool,
    /// Most key pairs bound to one instance.
    pub max_keys_per_instance: usize,
    /// Requests per second per account, by vendor action name.
    pub rate_limits: HashMap<String, u32>,
    /// The prefix of generated instance names when none is given.
    pub default_instance_name: String,
    /// Default user name by OS family (for messages).
    pub default_user_linux: String,
    pub default_user_windows: String,
}

impl ProductProfile {
    /// True if `kind` may start from `state` on this product.
    pub fn allows(&self, kind: OperationKind, state: LifecycleState) -> bool {
        self.allowed_states
            .get(&kind)
            .is_some_and(|states| states.contains(&state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux_rule() -> PasswordRule {
        PasswordRule {
            min_len: 8,
            max_len: 30,
            min_classes: 3,
            required: vec![],
            specials: "()`~!@#$%^&*-+=_|{}[]:;'<>,.?/".into(),
            other_visible_ok: false,
            forbid_leading_slash: true,
        }
    }

    #[test]
    fn password_rule_checks_length_classes_and_characters() {
        let r = linux_rule();
        assert!(r.check("Passw0rd!").is_ok());
        assert_eq!(
            r.check("Pa0!"),
            Err(PasswordViolation::Length { min: 8, max: 30 })
        );
        assert_eq!(r.check("password1"), Err(PasswordViolation::Classes(3)));
        assert_eq!(r.check("/Passw0rd"), Err(PasswordViolation::LeadingSlash));
        assert_eq!(r.check("Passw0rd é"), Err(PasswordViolation::Character));
        assert!(r.check(&"Aa1!".repeat(8)).is_err());
    }

    #[test]
    fn generated_passwords_satisfy_their_rule() {
        let r = linux_rule();
        for _ in 0..200 {
            let p = r.generate();
            assert!(r.check(&p).is_ok(), "{p}");
        }
    }

    #[test]
    fn id_styles_generate_what_they_match() {
        let styles = [
            IdStyle::Prefixed {
                prefix: "lhins-".into(),
                len: 8,
            },
            IdStyle::PrefixedMixedCase {
                prefix: "key-".into(),
                len: 8,
            },
            IdStyle::Uuid,
            IdStyle::Decimal { digits: 19 },
        ];
        for s in &styles {
            for _ in 0..50 {
                let id = s.generate();
                assert!(s.matches(&id), "{s:?} {id}");
            }
        }
        let lh = &styles[0];
        assert!(!lh.matches("lhins-12"));
        assert!(!lh.matches("lhins-ABCDEFGH"));
        assert!(!lh.matches("ins-abcdefgh"));
        assert!(!IdStyle::Uuid.matches("98284100-F6D1-4bbf-886a-1b0765024738"));
    }
}
