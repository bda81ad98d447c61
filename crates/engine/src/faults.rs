//! Fault rules: make chosen operations fail, to test what clients do when
//! the cloud says FAILED. A rule matches a product and a vendor action (or
//! any), fires with a probability, and may be limited to a number of hits.
//! The decision is taken when an operation is accepted and recorded on it,
//! so a restart does not change an operation's fate.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::RwLock;

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Product key to match; `None`: any product.
    #[serde(default)]
    pub product: Option<String>,
    /// Vendor action to match (e.g. `ResetInstance`); `None`: any write.
    #[serde(default)]
    pub action: Option<String>,
    /// Chance that a matching operation fails, 0.0–1.0.
    #[serde(default = "always")]
    pub probability: f64,
    /// The error message the operation reports.
    #[serde(default = "default_message")]
    pub message: String,
    /// Fires at most this many times; `None`: without limit.
    #[serde(default)]
    pub remaining: Option<u32>,
}

fn always() -> f64 {
    1.0
}

fn default_message() -> String {
    "The operation failed (injected fault).".to_string()
}

/// The rules in force.
#[derive(Debug, Default)]
pub struct Faults {
    rules: RwLock<Vec<FaultRule>>,
}

impl Faults {
    /// Rules from configuration.
    pub fn new(rules: Vec<FaultRule>) -> Self {
        Self {
            rules: RwLock::new(rules),
        }
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

    /// Whether an operation of `action` on `product` should fail, and why.
    pub fn decide(&self, product: &str, action: &str) -> Option<String> {
        let mut rules = match self.rules.write() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        let mut rng = rand::thread_rng();
        for rule in rules.iter_mut() {
            let matches = rule.product.as_deref().is_none_or(|p| p == product)
                && rule.action.as_deref().is_none_or(|a| a == action)
                && rule.remaining != Some(0);
            if matches && rng.gen_bool(rule.probability.clamp(0.0, 1.0)) {
                if let Some(n) = rule.remaining.as_mut() {
                    *n -= 1;
                }
                crate::metrics::registry().count(
                    "stratus_faults_fired_total",
                    "Fault rules that fired, by product and action.",
                    &[("product", product), ("action", action)],
                    1,
                );
                return Some(rule.message.clone());
            }
        }
        None
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
            probability: 1.0,
            message: "disk gone".into(),
            remaining: Some(1),
        }]);
        assert_eq!(f.decide("p", "RebootInstances"), None);
        assert_eq!(f.decide("q", "ResetInstance"), None);
        assert_eq!(f.decide("p", "ResetInstance").as_deref(), Some("disk gone"));
        assert_eq!(f.decide("p", "ResetInstance"), None, "used up");
    }
}
