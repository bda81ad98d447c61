//! The event stream: every committed change, published once in commit
//! order with a sequence number, for watchers (the admin API's
//! `/_stratus/events`, the web console, test harnesses).
//!
//! The store publishes: SQLite from its writer thread as each group
//! commits; PostgreSQL from the `events` table every node writes in its
//! commit transactions and tails while someone listens. The hub keeps the
//! latest events so that a watcher can resume from the last one it saw.

use crate::clock::Timestamp;
use crate::model::{Instance, Operation};
use crate::ports::Change;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An instance was written: created, changed state, changed otherwise.
    Instance,
    /// An operation was accepted or finished.
    Operation,
    /// A message reached an account's inbox.
    Message,
    /// A key pair was created, changed or deleted.
    KeyPair,
    /// A network was created or deleted.
    Network,
    /// A fault rule fired.
    Fault,
}

/// One published change. The fields beyond `seq`, `at`, `account`,
/// `product` and `kind` are there when the kind has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at: Timestamp,
    pub account: String,
    pub product: String,
    pub kind: EventKind,
    /// The instance concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The instance's state (the engine's name, upper case), or the
    /// operation's (`OPERATING`, `SUCCESS`, `FAILED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The operation, key pair, message or network id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The operation's kind (`REBOOT`, ...), the action of a fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// An operation's failure, a fault's message, `deleted` for a key pair
    /// or network that is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An engine name in the stream's upper case (`Running` → `RUNNING`,
/// `ResetPassword` → `RESET_PASSWORD`).
pub fn upper(name: &impl std::fmt::Debug) -> String {
    let debug = format!("{name:?}");
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

impl Event {
    fn new(kind: EventKind, account: &str, product: &str, at: Timestamp) -> Self {
        Self {
            seq: 0,
            at,
            account: account.to_string(),
            product: product.to_string(),
            kind,
            instance: None,
            state: None,
            id: None,
            action: None,
            detail: None,
        }
    }

    /// The event a committed change publishes (`None`: not one watchers
    /// see, like a remembered client token); `seq` is set by the hub.
    pub fn of(change: &Change, at: Timestamp) -> Option<Self> {
        match change {
            Change::Instance { record, .. } => Some(Self::of_instance(record, at)),
            Change::Operation { record, .. } => Some(Self::of_operation(record, at)),
            Change::Message(m) => {
                let mut e = Self::new(EventKind::Message, &m.account, "", at);
                e.instance = Some(m.instance_id.clone());
                e.id = Some(m.id.clone());
                Some(e)
            }
            Change::KeyPair { record, .. } => {
                let mut e = Self::new(EventKind::KeyPair, &record.account, &record.product, at);
                e.id = Some(record.id.clone());
                Some(e)
            }
            Change::DeleteKeyPair { account, id, .. } => {
                let mut e = Self::new(EventKind::KeyPair, account, "", at);
                e.id = Some(id.clone());
                e.detail = Some("deleted".into());
                Some(e)
            }
            Change::Network { record, .. } => {
                let mut e = Self::new(EventKind::Network, &record.account, &record.product, at);
                e.id = Some(record.id.clone());
                if record.kind == crate::model::NetworkKind::Deleted {
                    e.detail = Some("deleted".into());
                }
                Some(e)
            }
            Change::ClientToken(_) => None,
        }
    }

    fn of_instance(i: &Instance, at: Timestamp) -> Self {
        let mut e = Self::new(EventKind::Instance, &i.account, &i.product, at);
        e.instance = Some(i.id.clone());
        e.state = Some(upper(&i.state));
        e
    }

    /// The events of one committed write set, in its order: an operation
    /// takes its product from its instance's change in the same set (the
    /// engine writes both together), and an operation accepted with a
    /// fault rule's failure also publishes that the rule fired.
    pub fn all_of(changes: &[&Change], at: Timestamp) -> Vec<Self> {
        let product_of = |instance: &str| {
            changes.iter().find_map(|c| match c {
                Change::Instance { record, .. } if record.id == instance => {
                    Some(record.product.to_string())
                }
                _ => None,
            })
        };
        let mut events = Vec::with_capacity(changes.len() + 1);
        for change in changes {
            let Some(mut e) = Self::of(change, at) else {
                continue;
            };
            if let Change::Operation { record, .. } = change {
                if let Some(product) = product_of(&record.instance_id) {
                    e.product = product;
                }
                let fired = record.state == crate::model::OperationState::Operating
                    && record.injected_failure.is_some();
                if fired {
                    let mut fault = Self::fault(
                        &e.product,
                        &record.action,
                        record.injected_failure.as_deref().unwrap_or_default(),
                        at,
                    );
                    fault.account = e.account.clone();
                    fault.instance = e.instance.clone();
                    events.push(e);
                    events.push(fault);
                    continue;
                }
            }
            events.push(e);
        }
        events
    }

    fn of_operation(o: &Operation, at: Timestamp) -> Self {
        let mut e = Self::new(EventKind::Operation, &o.account, "", at);
        e.instance = Some(o.instance_id.clone());
        e.id = Some(o.id.clone());
        e.state = Some(upper(&o.state));
        e.action = Some(upper(&o.kind));
        e.detail = o.error_message.clone();
        e
    }

    /// A fault rule that fired for `action` of `product`.
    pub fn fault(product: &str, action: &str, message: &str, at: Timestamp) -> Self {
        let mut e = Self::new(EventKind::Fault, "", product, at);
        e.action = Some(action.to_string());
        e.detail = Some(message.to_string());
        e
    }
}

/// Which events a watcher wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub account: Option<String>,
    pub product: Option<String>,
    pub instance: Option<String>,
}

impl EventFilter {
    /// True if `e` passes. Events of no account (a fault) pass an account
    /// filter only when they name no account at all.
    pub fn matches(&self, e: &Event) -> bool {
        let same = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| have.is_empty() || w == have)
        };
        same(&self.account, &e.account)
            && same(&self.product, &e.product)
            && self
                .instance
                .as_deref()
                .is_none_or(|w| e.instance.as_deref() == Some(w))
    }
}

/// Events kept for watchers that resume.
const KEPT: usize = 16_384;

/// Where events are published and watched.
pub struct EventHub {
    ring: Mutex<Ring>,
    live: broadcast::Sender<Event>,
}

struct Ring {
    /// The next sequence number (the hub assigns them) .
    next: u64,
    events: VecDeque<Event>,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventHub")
    }
}

impl EventHub {
    /// A hub whose first sequence number is at least `floor` (a node that
    /// numbers its own events starts above any earlier run's numbers by
    /// starting from the time in microseconds).
    pub fn new(floor: u64) -> Self {
        Self {
            ring: Mutex::new(Ring {
                next: floor.max(1),
                events: VecDeque::new(),
            }),
            live: broadcast::channel(4096).0,
        }
    }

    /// A hub numbering its own events from the time of its start.
    pub fn numbered_from_now() -> Self {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64);
        Self::new(micros)
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        match self.ring.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        }
    }

    /// Numbers and publishes events, in the order given.
    pub fn publish(&self, events: impl IntoIterator<Item = Event>) {
        let mut ring = self.ring();
        for mut e in events {
            e.seq = ring.next;
            ring.next += 1;
            self.push(&mut ring, e);
        }
    }

    /// Publishes events numbered elsewhere (by a database every node
    /// writes), each once: the caller sees to that, since concurrent
    /// transactions may make a lower number visible after a higher one.
    pub fn publish_numbered(&self, events: impl IntoIterator<Item = Event>) {
        let mut ring = self.ring();
        for e in events {
            ring.next = ring.next.max(e.seq + 1);
            self.push(&mut ring, e);
        }
    }

    fn push(&self, ring: &mut Ring, e: Event) {
        if ring.events.len() == KEPT {
            ring.events.pop_front();
        }
        // Copied only for a watcher: under a stream of writes there is
        // usually none, and the ring alone keeps the event.
        if self.live.receiver_count() > 0 {
            // A watcher gone meanwhile is not an error.
            let _ = self.live.send(e.clone());
        }
        ring.events.push_back(e);
    }

    /// Starts watching: the kept events after `after` (all kept ones for
    /// `None`: none), then every new one from the receiver, with nothing
    /// lost or repeated between the two.
    pub fn watch(&self, after: Option<u64>) -> (Vec<Event>, broadcast::Receiver<Event>) {
        let ring = self.ring();
        let backlog = match after {
            Some(seq) => ring
                .events
                .iter()
                .filter(|e| e.seq > seq)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        (backlog, self.live.subscribe())
    }

    /// How many watchers there are now.
    pub fn watchers(&self) -> usize {
        self.live.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(account: &str) -> Event {
        Event::new(EventKind::Instance, account, "p", Timestamp(0))
    }

    #[test]
    fn numbers_ascend_and_a_watcher_resumes_after_the_last_it_saw() {
        let hub = EventHub::new(100);
        hub.publish([event("a"), event("b")]);
        let (backlog, mut live) = hub.watch(Some(100));
        assert_eq!(backlog.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![101]);
        hub.publish([event("c")]);
        assert_eq!(live.try_recv().map(|e| e.seq), Ok(102));
        // Numbered elsewhere, possibly out of order: kept as numbered.
        hub.publish_numbered([
            Event {
                seq: 110,
                ..event("y")
            },
            Event {
                seq: 105,
                ..event("x")
            },
        ]);
        assert_eq!(live.try_recv().map(|e| e.seq), Ok(110));
        assert_eq!(live.try_recv().map(|e| e.seq), Ok(105));
        let (resumed, _) = hub.watch(Some(104));
        assert_eq!(
            resumed.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![110, 105]
        );
    }

    #[test]
    fn names_are_upper_snake_case_and_filters_match() {
        assert_eq!(upper(&crate::lifecycle::LifecycleState::Running), "RUNNING");
        assert_eq!(
            upper(&crate::lifecycle::OperationKind::ResetPassword),
            "RESET_PASSWORD"
        );
        let mut e = event("alice");
        e.instance = Some("i-1".into());
        let f = |account: Option<&str>, instance: Option<&str>| EventFilter {
            account: account.map(str::to_string),
            product: None,
            instance: instance.map(str::to_string),
        };
        assert!(f(Some("alice"), Some("i-1")).matches(&e));
        assert!(!f(Some("bob"), None).matches(&e));
        assert!(!f(None, Some("i-2")).matches(&e));
        let fault = Event::fault("p", "RebootInstances", "boom", Timestamp(0));
        assert!(f(Some("bob"), None).matches(&fault));
    }
}
