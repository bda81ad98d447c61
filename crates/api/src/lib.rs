//! # stratus-api
//!
//! Everything between the socket and the engine.
//!
//! - [`edge`]: the listener, limits and request ids; it asks each
//!   [`dialect::Dialect`] in turn whether a request is its, and knows
//!   nothing else of vendors;
//! - [`limits`]: what any request may carry (headers, parameters, lengths,
//!   nesting), applied by every dialect's decoder;
//! - one module per dialect, each verifying signatures, decoding parameters,
//!   applying vendor validation, calling the engine and encoding the vendor's
//!   envelope and error codes: [`tencent`] (API 3.0: Lighthouse, CVM),
//!   [`kingsoft`] (KEC 2016-03-04, SKS 2015-11-01) and [`zenlayer`]
//!   (OpenAPI v2: ZEC 2025-09-01 and 2024-04-01, CCS key pairs);
//! - [`admin`]: Stratus's own endpoints under `/_stratus/`.

// The CVM Instance structure is one large `json!` literal.
#![recursion_limit = "256"]

pub mod actions;
pub mod admin;
pub mod client;
pub mod dialect;
pub mod edge;
pub mod fields;
pub mod kingsoft;
pub mod limits;
pub mod qcloud_v2;
pub mod request;
pub mod signing;
pub mod tencent;
pub mod zenlayer;

pub use edge::{serve, EdgeConfig};
