//! Instance state names of the Tencent API 3.0 products (Lighthouse and
//! CVM name them alike): one table for both.

use stratus_engine::lifecycle::LifecycleState as S;

/// The API 3.0 name of a lifecycle state.
pub fn state_name(state: S) -> &'static str {
    match state {
        S::Pending => "PENDING",
        S::LaunchFailed => "LAUNCH_FAILED",
        S::Running => "RUNNING",
        S::Stopped => "STOPPED",
        S::Starting => "STARTING",
        S::Stopping => "STOPPING",
        S::Rebooting => "REBOOTING",
        S::Reinstalling => "RESETTING",
        S::Isolating | S::Isolated => "SHUTDOWN",
        S::Terminating => "TERMINATING",
        S::Terminated => "TERMINATED",
    }
}

/// The lifecycle states an API 3.0 state name stands for.
pub fn states_named(name: &str) -> Vec<S> {
    S::ALL
        .into_iter()
        .filter(|s| state_name(*s) == name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_name_that_maps_back_to_it() {
        for s in S::ALL {
            assert!(states_named(state_name(s)).contains(&s), "{s:?}");
        }
        assert_eq!(states_named("SHUTDOWN"), vec![S::Isolating, S::Isolated]);
        assert!(states_named("NONSENSE").is_empty());
    }
}
