//! Integration tests of the public API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure"
)]

#[path = "api/credential.rs"]
mod credential;
#[path = "api/errors.rs"]
mod errors;
// Runs under `RUSTFLAGS="--cfg fuzzing"` (the fuzz helpers are compiled only there).
#[cfg(fuzzing)]
#[path = "api/fuzz_seeds.rs"]
mod fuzz_seeds;
#[path = "api/metadata.rs"]
mod metadata;
#[path = "api/offer.rs"]
mod offer;
#[path = "api/token.rs"]
mod token;
#[path = "api/validate.rs"]
mod validate;
#[path = "api/vectors.rs"]
mod vectors;
