//! Integration tests for jose-core: external vector suites.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness code outside #[test] fns"
)]

#[path = "api/wycheproof.rs"]
mod wycheproof;

#[path = "api/jwe.rs"]
mod jwe;

#[path = "api/jwe_interop.rs"]
mod jwe_interop;
