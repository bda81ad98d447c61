//! # stratus-engine
//!
//! The vendor-neutral control plane. It owns accounts, the catalog, instances
//! and their lifecycle state machine, asynchronous operations (one at a time
//! per instance), login settings, key pairs, messages and rate limits.
//!
//! It knows nothing of HTTP, JSON envelopes or vendor error codes: dialects
//! translate requests into [`engine::Engine`] commands and [`error::EngineError`]s
//! into vendor codes. It does no I/O itself: records go through the
//! [`ports::Store`] port, operations through the [`ports::Driver`] port, and
//! time comes from a [`clock::Clock`].

pub mod accounts;
pub mod attributes;
pub mod catalog;
pub mod clock;
pub mod compact_id;
pub mod engine;
pub mod error;
pub mod events;
pub mod faults;
pub mod lifecycle;
pub mod login;
pub mod metrics;
pub mod model;
pub mod name;
pub mod ports;
pub mod profile;
pub mod ratelimit;
pub mod state;
pub mod timecontrol;

pub use engine::{Caller, Engine, Product};
pub use error::EngineError;
