//! Fault rules, to test what clients do when the cloud misbehaves. A rule
//! matches a product, a vendor action, an account, a region and an
//! instance (each optional), fires with a probability, and may be limited
//! to a number of hits. What it does:
//! - with `error`: the request is answered at once with that code (and HTTP
//!   status, where the vendor uses them), in the vendor's envelope;
//! - with `latency_ms`: the request is answered that much later (alone, or
//!   before its `error`);
//! - with neither: a matching operation fails with `message`. That is
//!   decided when the operation is accepted and recorded on it, so a
//!   restart does not change an operation's fate.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::RwLock;
use std::time::Duration;

/// The error a rule answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedError {
    /// The vendor's error code (`RequestLimitExceeded`, `INVALID_…`, …).
    pub code: String,
    /// The HTTP status, for vendors whose errors carry one (ZEC, KEC);
    /// `None`: the vendor's usual status for a client error.
    #[serde(default)]
    pub status: Option<u16>,
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Product key to match; `None`: any product.
    #[serde(default)]
    pub product: Option<String>,
    /// Vendor action to match (e.g. `ResetInstance`); `None`: any.
    #[serde(default)]
    pub action: Option<String>,
    /// Account to match; `None`: any.
    #[serde(default)]
    pub account: Option<String>,
    /// Region the request names; `None`: any.
    #[serde(default)]
    pub region: Option<String>,
    /// Instance an operation is for (operation failures only); `None`: any.
    #[serde(default)]
    pub instance: Option<String>,
    /// Chance that a match fires, 0.0–1.0.
    #[serde(default = "always")]
    pub probability: f64,
    /// The error message.
    #[serde(default = "default_message")]
    pub message: String,
    /// Fires at most this many times; `None`: without limit.
    #[serde(default)]
    pub remaining: Option<u32>,
    /// Answer the request at once with this error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<InjectedError>,
    /// Answer the request this much later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// An operation failure: fail once the transitional state has been
    /// visible this many seconds (real ones, whatever the speed), instead
    /// of at the operation's usual end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seconds: Option<f64>,
}

fn always() -> f64 {
    1.0
}

fn default_message() -> String {
    "The operation failed (injected fault).".to_string()
}

impl Default for FaultRule {
    /// A rule that matches everything, always, without limit, failing
    /// operations with the default message (what `{}` means in JSON).
    fn default() -> Self {
        Self {
            product: None,
            action: None,
            account: None,
            region: None,
            instance: None,
            probability: always(),
            message: default_message(),
            remaining: None,
            error: None,
            latency_ms: None,
            after_seconds: None,
        }
    }
}

impl FaultRule {
    /// A rule that answers at the door (an error or a delay), rather than
    /// failing operations.
    pub fn at_door(&self) -> bool {
        self.error.is_some() || self.latency_ms.is_some()
    }
}

/// What a request or an operation is, as rules match it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    pub product: &'a str,
    pub action: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    /// The instance, for an operation (`None` at the door).
    pub instance: Option<&'a str>,
}

/// What the door rules decided for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DoorFault {
    /// Answer this much later.
    pub latency: Duration,
    /// Then answer with this error and message.
    pub error: Option<(InjectedError, String)>,
}

/// The rules in force.
#[derive(Debug, Default)]
pub struct Faults {
    rules: RwLock<Vec<FaultRule>>,
    /// A rule with a count fired since the rules were last saved.
    counted: std::sync::atomic::AtomicBool,
}

impl Faults {
    /// Rules from configuration.
    pub fn new(rules: Vec<FaultRule>) -> Self {
        Self {
            rules: RwLock::new(rules),
            counted: Default::default(),
        }
    }

    /// Whether a rule with a count fired since this was last asked (its
    /// new count should be saved for the other nodes).
    pub fn take_counted(&self) -> bool {
        self.counted
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    /// The rules in force.
    pub fn list(&self) -> Vec<FaultRule> {
        match self.rules.read() {
            Ok(r) => r.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replaces the rules.
    pub fn replace(&self, rules: Vec<FaultRule>) {
        match self.rules.write() {
            Ok(mut r) => *r = rules,
            Err(p) => *p.into_inner() = rules,
        }
    }

    /// Fires the first rule of the right sort (`door`) that matches
    /// `target`, counting it down; its outcome is `fired`'s.
    fn fire<T>(
        &self,
        target: &Target<'_>,
        door: bool,
        fired: impl Fn(&FaultRule) -> T,
    ) -> Option<T> {
        // Nothing to decide: no lock held for writing on the hot path.
        if !self.list_has(door) {
            return None;
        }
        let mut rules = match self.rules.write() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        let mut rng = rand::thread_rng();
        let same = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        for rule in rules.iter_mut() {
            let matches = rule.at_door() == door
                && same(&rule.product, target.product)
                && same(&rule.action, target.action)
                && same(&rule.account, target.account)
                && same(&rule.region, target.region)
                && rule
                    .instance
                    .as_deref()
                    .is_none_or(|w| target.instance == Some(w))
                && rule.remaining != Some(0);
            if matches && rng.gen_bool(rule.probability.clamp(0.0, 1.0)) {
                if let Some(n) = rule.remaining.as_mut() {
                    *n -= 1;
                    self.counted
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                }
                crate::metrics::registry().count(
                    "stratus_faults_fired_total",
                    "Fault rules that fired, by product and action.",
                    &[("product", target.product), ("action", target.action)],
                    1,
                );
                return Some(fired(rule));
            }
        }
        None
    }

    fn list_has(&self, door: bool) -> bool {
        match self.rules.read() {
            Ok(r) => r.iter().any(|rule| rule.at_door() == door),
            Err(p) => p.into_inner().iter().any(|rule| rule.at_door() == door),
        }
    }

    /// Whether an operation for `target` should fail, why, and when (after
    /// how long, if the rule says).
    pub fn decide_operation(&self, target: &Target<'_>) -> Option<(String, Option<Duration>)> {
        self.fire(target, false, |rule| {
            let after = rule
                .after_seconds
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64);
            (rule.message.clone(), after)
        })
    }

    /// Whether `product`'s `action` should fail, and why (any account,
    /// region and instance): the dialects that answer a fault at once.
    pub fn decide(&self, product: &str, action: &str) -> Option<String> {
        self.decide_operation(&Target {
            product,
            action,
            ..Target::default()
        })
        .map(|(message, _)| message)
    }

    /// What the door rules do to a request for `target`.
    pub fn at_door(&self, target: &Target<'_>) -> Option<DoorFault> {
        self.fire(target, true, |rule| DoorFault {
            latency: Duration::from_millis(rule.latency_ms.unwrap_or(0)),
            error: rule
                .error
                .clone()
                .map(|error| (error, rule.message.clone())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_fires_for_its_action_only_and_counts_down() {
        let f = Faults::new(vec![FaultRule {
            product: Some("p".into()),
            action: Some("ResetInstance".into()),
            message: "disk gone".into(),
            remaining: Some(1),
            ..rule()
        }]);
        assert_eq!(f.decide("p", "RebootInstances"), None);
        assert_eq!(f.decide("q", "ResetInstance"), None);
        assert_eq!(f.decide("p", "ResetInstance").as_deref(), Some("disk gone"));
        assert_eq!(f.decide("p", "ResetInstance"), None, "used up");
    }

    fn rule() -> FaultRule {
        let parsed: FaultRule = serde_json::from_str("{}").expect("every field has a default");
        assert_eq!(parsed, FaultRule::default());
        parsed
    }

    #[test]
    fn door_rules_match_account_and_region_and_leave_operations_alone() {
        let f = Faults::new(vec![FaultRule {
            account: Some("alice".into()),
            region: Some("r1".into()),
            error: Some(InjectedError {
                code: "InternalError".into(),
                status: Some(503),
            }),
            latency_ms: Some(20),
            message: "down".into(),
            ..rule()
        }]);
        let at = |account, region| Target {
            product: "p",
            action: "DescribeInstances",
            account,
            region,
            instance: None,
        };
        assert_eq!(f.at_door(&at("bob", "r1")), None);
        assert_eq!(f.at_door(&at("alice", "r2")), None);
        assert_eq!(
            f.decide_operation(&at("alice", "r1")),
            None,
            "not an operation rule"
        );
        let fired = f.at_door(&at("alice", "r1")).expect("fires");
        assert_eq!(fired.latency, Duration::from_millis(20));
        assert_eq!(
            fired.error.map(|(e, m)| (e.code, e.status, m)),
            Some(("InternalError".into(), Some(503), "down".into()))
        );
    }

    #[test]
    fn an_operation_rule_can_name_its_instance() {
        let f = Faults::new(vec![FaultRule {
            instance: Some("i-2".into()),
            ..rule()
        }]);
        let op = |instance| Target {
            product: "p",
            action: "RebootInstances",
            account: "a",
            region: "r",
            instance: Some(instance),
        };
        assert_eq!(f.decide_operation(&op("i-1")), None);
        assert_eq!(
            f.decide_operation(&op("i-2")).map(|(_, after)| after),
            Some(None)
        );
        let later = Faults::new(vec![FaultRule {
            after_seconds: Some(1.5),
            ..rule()
        }]);
        assert_eq!(
            later.decide_operation(&op("i-1")).map(|(_, after)| after),
            Some(Some(Duration::from_millis(1500)))
        );
    }
}
