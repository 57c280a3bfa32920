//! Integration tests of the public API.
#![allow(
    clippy::unwrap_used,
    reason = "test code, helpers included: a failed unwrap is a failed test"
)]

#[path = "api/common.rs"]
mod common;
#[path = "api/errors.rs"]
mod errors;
#[path = "api/props.rs"]
mod props;
#[path = "api/tokens.rs"]
mod tokens;
#[path = "api/vectors.rs"]
mod vectors;
