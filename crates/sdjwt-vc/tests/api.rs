//! Integration tests of sdjwt-vc: external vectors, bad inputs, round trips.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::panic,
    reason = "test helpers fail loudly on broken fixtures"
)]

#[path = "api/bad_inputs.rs"]
mod bad_inputs;
#[path = "api/common.rs"]
mod common;
#[path = "api/python_vectors.rs"]
mod python_vectors;
#[path = "api/rfc_vectors.rs"]
mod rfc_vectors;
#[path = "api/round_trip.rs"]
mod round_trip;
#[cfg(feature = "x509")]
#[path = "api/x509.rs"]
mod x509;
