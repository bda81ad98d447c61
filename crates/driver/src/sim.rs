//! The simulated driver: every operation takes a realistic, jittered time
//! (create 30–60 s, start/stop 10–20 s, reboot 20–40 s, reinstall 60–120 s),
//! divided by the speed factor. It never writes the store: the engine asks
//! it how long an operation takes, records the deadline, and waits on it.

use async_trait::async_trait;
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use stratus_engine::clock::Clock;
use stratus_engine::lifecycle::OperationKind;
use stratus_engine::model::{Instance, Machine};
use stratus_engine::ports::{Driver, DriverError, DriverTask};

/// Default duration range of each operation kind, in seconds.
pub fn default_range(kind: OperationKind) -> (f64, f64) {
    match kind {
        OperationKind::Create => (30.0, 60.0),
        OperationKind::Start | OperationKind::Stop => (10.0, 20.0),
        OperationKind::Reboot => (20.0, 40.0),
        OperationKind::Reinstall => (60.0, 120.0),
        OperationKind::ResetPassword => (10.0, 20.0),
        OperationKind::AssociateKeys | OperationKind::DisassociateKeys => (5.0, 10.0),
        OperationKind::Isolate => (5.0, 10.0),
        OperationKind::Terminate => (10.0, 20.0),
    }
}

/// The simulated driver.
pub struct SimDriver {
    /// The factor, as `f64` bits: changed at run time (`PUT /_stratus/speed`).
    speed: AtomicU64,
    /// Fixed durations per kind, set at run time (the speed does not apply).
    fixed: std::sync::RwLock<std::collections::HashMap<OperationKind, Duration>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SimDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDriver")
            .field("speed", &self.current_speed())
            .finish()
    }
}

impl SimDriver {
    /// A driver whose durations are divided by `speed` (≥ a tiny positive value).
    pub fn new(speed: f64, clock: Arc<dyn Clock>) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Self {
            speed: AtomicU64::new(speed.to_bits()),
            fixed: Default::default(),
            clock,
        }
    }

    fn current_speed(&self) -> f64 {
        f64::from_bits(self.speed.load(Ordering::Relaxed))
    }
}

#[async_trait]
impl Driver for SimDriver {
    fn duration(&self, kind: OperationKind, _instance: &Instance) -> Duration {
        let fixed = match self.fixed.read() {
            Ok(f) => f.get(&kind).copied(),
            Err(p) => p.into_inner().get(&kind).copied(),
        };
        if let Some(d) = fixed {
            return d;
        }
        let (lo, hi) = default_range(kind);
        let seconds = rand::thread_rng().gen_range(lo..=hi) / self.current_speed();
        Duration::from_secs_f64(seconds)
    }

    fn set_speed(&self, speed: f64) -> bool {
        if speed.is_finite() && speed > 0.0 {
            self.speed.store(speed.to_bits(), Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    fn speed(&self) -> Option<f64> {
        Some(self.current_speed())
    }

    fn set_duration(&self, kind: OperationKind, duration: Option<Duration>) -> bool {
        let mut fixed = match self.fixed.write() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        };
        match duration {
            Some(d) => fixed.insert(kind, d),
            None => fixed.remove(&kind),
        };
        true
    }

    async fn execute(&self, task: DriverTask<'_>) -> Result<Option<Machine>, DriverError> {
        // The deadline was recorded when the operation was accepted, so a
        // restarted server finishes on time, or at once if it has passed.
        let wait = task.operation.deadline.remaining_from(self.clock.now());
        tokio::time::sleep(wait).await;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_engine::clock::SystemClock;

    #[test]
    fn durations_fall_in_the_scaled_range() {
        let d = SimDriver::new(100.0, Arc::new(SystemClock));
        let dummy: Instance = sample_instance();
        for kind in OperationKind::ALL {
            let (lo, hi) = default_range(kind);
            for _ in 0..20 {
                let t = d.duration(kind, &dummy).as_secs_f64();
                assert!(
                    t >= lo / 100.0 - 1e-9 && t <= hi / 100.0 + 1e-9,
                    "{kind:?} {t}"
                );
            }
        }
    }

    fn sample_instance() -> Instance {
        Instance::example("i", "a", "p", "r")
    }
}
