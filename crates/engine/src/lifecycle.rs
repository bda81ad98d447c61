//! The instance lifecycle: every state, every operation kind, and the one table
//! of transitions between them. Products decide *which* source states they
//! accept for an action (see [`crate::profile::ProductProfile`]); this table
//! decides what an accepted action does to the instance. A transition that is
//! not in the table is a bug, never a data state.

use serde::{Deserialize, Serialize};

/// Where an instance is in its life. Vendor names are mapped by each dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LifecycleState {
    /// Being created.
    Pending,
    /// Creation failed; the instance can only be terminated.
    LaunchFailed,
    Running,
    Stopped,
    Starting,
    Stopping,
    Rebooting,
    /// The system disk is being replaced (reinstall / rebuild / reset).
    Reinstalling,
    /// Moving to the recycle bin (isolation).
    Isolating,
    /// In the recycle bin: stopped, awaiting destruction or restore.
    Isolated,
    /// Being destroyed.
    Terminating,
    /// Destroyed; kept only as a record, never listed.
    Terminated,
}

impl LifecycleState {
    /// States an instance passes through while an operation runs.
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            Self::Pending
                | Self::Starting
                | Self::Stopping
                | Self::Rebooting
                | Self::Reinstalling
                | Self::Isolating
                | Self::Terminating
        )
    }

    /// All states, for tables and exhaustive tests.
    pub const ALL: [LifecycleState; 12] = [
        Self::Pending,
        Self::LaunchFailed,
        Self::Running,
        Self::Stopped,
        Self::Starting,
        Self::Stopping,
        Self::Rebooting,
        Self::Reinstalling,
        Self::Isolating,
        Self::Isolated,
        Self::Terminating,
        Self::Terminated,
    ];
}

/// What an operation does. Each write action of every vendor is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OperationKind {
    Create,
    Start,
    Stop,
    Reboot,
    Reinstall,
    ResetPassword,
    AssociateKeys,
    DisassociateKeys,
    Isolate,
    Terminate,
}

impl OperationKind {
    /// All kinds, for tables and exhaustive tests.
    pub const ALL: [OperationKind; 10] = [
        Self::Create,
        Self::Start,
        Self::Stop,
        Self::Reboot,
        Self::Reinstall,
        Self::ResetPassword,
        Self::AssociateKeys,
        Self::DisassociateKeys,
        Self::Isolate,
        Self::Terminate,
    ];
}

/// Where an instance ends when an operation succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// A fixed state.
    At(LifecycleState),
    /// Back to the state it was in when the operation was accepted.
    Source,
}

/// The effect of one accepted operation on an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state shown while the operation runs (`None`: the state is kept).
    pub through: Option<LifecycleState>,
    /// Where the instance lands on success.
    pub on_success: Landing,
    /// Where the instance lands on failure.
    pub on_failure: Landing,
}

impl Transition {
    /// The state shown while the operation runs, given the source state.
    pub fn during(&self, source: LifecycleState) -> LifecycleState {
        self.through.unwrap_or(source)
    }

    /// The final state, given the source state and the outcome.
    pub fn landing(&self, source: LifecycleState, succeeded: bool) -> LifecycleState {
        match if succeeded {
            self.on_success
        } else {
            self.on_failure
        } {
            Landing::At(s) => s,
            Landing::Source => source,
        }
    }
}

/// The lifecycle table: the transition for `kind` from `source`, or `None` if
/// the pair is not a legal transition for any product.
pub fn transition(kind: OperationKind, source: LifecycleState) -> Option<Transition> {
    use Landing::{At, Source};
    use LifecycleState as S;
    use OperationKind as K;
    let t = |through, ok, failed| {
        Some(Transition {
            through,
            on_success: ok,
            on_failure: failed,
        })
    };
    match (kind, source) {
        // Creation starts from nothing; the engine uses Pending as the source.
        (K::Create, S::Pending) => t(None, At(S::Running), At(S::LaunchFailed)),
        (K::Start, S::Stopped) => t(Some(S::Starting), At(S::Running), Source),
        (K::Stop, S::Running) => t(Some(S::Stopping), At(S::Stopped), Source),
        (K::Reboot, S::Running) => t(Some(S::Rebooting), At(S::Running), Source),
        // A reinstall lands where the product says (kept or Running): the
        // engine passes the landing through `Reinstall` below.
        (K::Reinstall, S::Running | S::Stopped) => t(Some(S::Reinstalling), Source, Source),
        (K::ResetPassword, S::Running | S::Stopped) => t(None, Source, Source),
        (K::AssociateKeys | K::DisassociateKeys, S::Running | S::Stopped) => {
            t(None, Source, Source)
        }
        (K::Isolate, S::Running | S::Stopped | S::LaunchFailed) => {
            t(Some(S::Isolating), At(S::Isolated), Source)
        }
        (K::Terminate, S::Running | S::Stopped | S::Isolated | S::LaunchFailed) => {
            t(Some(S::Terminating), At(S::Terminated), Source)
        }
        _ => None,
    }
}

/// The transition of a reinstall for a product that always lands in
/// `landing` (e.g. Running) rather than back where it started.
pub fn reinstall_landing_at(landing: LifecycleState) -> Transition {
    Transition {
        through: Some(LifecycleState::Reinstalling),
        on_success: Landing::At(landing),
        on_failure: Landing::Source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitional_states_never_are_sources_or_landings_of_a_finished_operation() {
        for kind in OperationKind::ALL {
            for source in LifecycleState::ALL {
                let Some(t) = transition(kind, source) else {
                    continue;
                };
                if kind != OperationKind::Create {
                    assert!(!source.is_transitional(), "{kind:?} from {source:?}");
                }
                for ok in [true, false] {
                    let end = t.landing(source, ok);
                    assert!(
                        !end.is_transitional(),
                        "{kind:?} from {source:?} lands in {end:?}"
                    );
                }
                if let Some(through) = t.through {
                    assert!(
                        through.is_transitional(),
                        "{kind:?} passes through {through:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn nothing_leaves_terminated() {
        for kind in OperationKind::ALL {
            assert!(transition(kind, LifecycleState::Terminated).is_none());
        }
    }

    #[test]
    fn reboot_passes_through_rebooting_and_returns_running() {
        let t = transition(OperationKind::Reboot, LifecycleState::Running).expect("legal");
        assert_eq!(t.during(LifecycleState::Running), LifecycleState::Rebooting);
        assert_eq!(
            t.landing(LifecycleState::Running, true),
            LifecycleState::Running
        );
    }

    #[test]
    fn reinstall_keeps_the_source_state_by_default() {
        let t = transition(OperationKind::Reinstall, LifecycleState::Stopped).expect("legal");
        assert_eq!(
            t.landing(LifecycleState::Stopped, true),
            LifecycleState::Stopped
        );
        let t = reinstall_landing_at(LifecycleState::Running);
        assert_eq!(
            t.landing(LifecycleState::Stopped, true),
            LifecycleState::Running
        );
    }
}
