//! Integration tests of trust-x509 (one binary, submodules per topic).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

#[path = "api/common.rs"]
mod common;
#[path = "api/limbo.rs"]
mod limbo;
#[path = "api/lookup.rs"]
mod lookup;
#[path = "api/own.rs"]
mod own;
#[path = "api/vectors.rs"]
mod vectors;
