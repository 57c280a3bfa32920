//! Integration tests: real HTTP on loopback against the demo issuer and attester.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on set-up failure"
)]

#[path = "api/binding.rs"]
mod binding;
#[path = "api/browser.rs"]
mod browser;
#[path = "api/code_flow.rs"]
mod code_flow;
#[path = "api/common.rs"]
mod common;
#[path = "api/credential.rs"]
mod credential;
#[path = "api/encryption.rs"]
mod encryption;
#[path = "api/fleet.rs"]
mod fleet;
#[path = "api/hsm.rs"]
mod hsm;
#[path = "api/key_attestation.rs"]
mod key_attestation;
#[path = "api/lifecycle.rs"]
mod lifecycle;
#[path = "api/load.rs"]
mod load;
#[path = "api/mdoc.rs"]
mod mdoc;
#[path = "api/metadata.rs"]
mod metadata;
#[path = "api/observability.rs"]
mod observability;
#[path = "api/pages.rs"]
mod pages;
#[path = "../../crates/issuer-store/tests/support/pg.rs"]
mod pg;
#[path = "api/pki.rs"]
mod pki;
#[path = "../../crates/issuer-store/tests/support/redis_server.rs"]
mod redis_server;
#[path = "api/restart.rs"]
mod restart;
#[path = "api/rotation.rs"]
mod rotation;
#[path = "api/slow_clients.rs"]
mod slow_clients;
#[path = "api/startup.rs"]
mod startup;
#[path = "api/token.rs"]
mod token;
#[path = "api/x509.rs"]
mod x509;
