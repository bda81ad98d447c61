//! # stratus-driver
//!
//! Implementations of the engine's [`stratus_engine::ports::Driver`] port.
//! `sim` is the default: a timing model with realistic durations, scaled by
//! `--speed`. `qemu` runs every instance as a real virtual machine.

pub mod qemu;
pub mod sim;

pub use qemu::{QemuConfig, QemuDriver};
pub use sim::SimDriver;
