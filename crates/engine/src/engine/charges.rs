//! What prepaid purchases cost against an account's balance, when the
//! configuration gives it one and the product charges one (its
//! [`PrepaidPrices`]): a create pays the plan for the period, a reinstall
//! that grows a prepaid system disk pays the extra gigabytes until expiry.

use super::{Caller, Engine};
use crate::error::EngineError;
use crate::model::{ChargeType, Instance};
use crate::profile::PrepaidPrices;

impl Engine {
    /// Refuses a cost the caller's balance does not cover.
    fn charge(&self, caller: &Caller, cost: f64) -> Result<(), EngineError> {
        let balance = self
            .accounts
            .by_name(&caller.account)
            .and_then(|a| a.balance);
        match balance {
            Some(balance) if cost > balance => {
                Err(EngineError::InsufficientBalance { cost, balance })
            }
            _ => Ok(()),
        }
    }

    /// A prepaid create of `count` instances of a plan for `months`.
    pub(crate) fn charge_purchase(
        &self,
        caller: &Caller,
        prices: Option<PrepaidPrices>,
        hourly: f64,
        months: u32,
        count: u32,
    ) -> Result<(), EngineError> {
        let Some(prices) = prices else {
            return Ok(());
        };
        self.charge(
            caller,
            hourly * prices.hours_per_month * f64::from(months) * f64::from(count),
        )
    }

    /// A reinstall that grows a prepaid instance's system disk to `size_gb`.
    pub(crate) fn charge_disk_growth(
        &self,
        caller: &Caller,
        prices: Option<PrepaidPrices>,
        instance: &Instance,
        size_gb: u32,
    ) -> Result<(), EngineError> {
        let Some(prices) = prices else {
            return Ok(());
        };
        if instance.charge_type != ChargeType::Prepaid || size_gb <= instance.system_disk.size_gb {
            return Ok(());
        }
        let now = self.clock.now();
        let month_ms = 30.0 * 24.0 * 3600.0 * 1000.0;
        let months_left = instance
            .expires_at
            .map_or(1.0, |t| (t.0 - now.0).max(0) as f64 / month_ms)
            .ceil()
            .max(1.0);
        let extra = f64::from(size_gb - instance.system_disk.size_gb);
        self.charge(caller, extra * prices.disk_per_gb_month * months_left)
    }
}
