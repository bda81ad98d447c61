//! # stratus-driver
//!
//! Implementations of the engine's [`stratus_engine::ports::Driver`] port.
//! `sim` is the default: a timing model with realistic durations, scaled by
//! `--speed`. (A QEMU driver for real VMs is planned beside it.)

pub mod sim;

pub use sim::SimDriver;
