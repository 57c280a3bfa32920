//! Integration tests through the public API: external vectors and end-to-end flows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions"
)]

#[path = "api/flows.rs"]
mod flows;
#[cfg(fuzzing)]
#[path = "api/fuzz_seeds.rs"]
mod fuzz_seeds;
#[path = "api/vectors.rs"]
mod vectors;
