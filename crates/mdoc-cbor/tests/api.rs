//! Integration tests of the public API.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

#[path = "api/annex_d.rs"]
mod annex_d;
#[path = "api/negative.rs"]
mod negative;
#[path = "api/props.rs"]
mod props;
#[path = "api/roundtrip.rs"]
mod roundtrip;
#[path = "api/status.rs"]
mod status;
#[path = "api/support.rs"]
mod support;
