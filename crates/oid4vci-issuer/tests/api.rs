//! Integration tests of the public API.

/// The `Content-Type` of a form body, which `/token` and PAR require.
const FORM: (&str, &[u8]) = ("content-type", b"application/x-www-form-urlencoded");

#[path = "api/audit.rs"]
mod audit;
#[path = "api/binding.rs"]
mod binding;
#[path = "api/bounds.rs"]
mod bounds;
#[path = "api/claims.rs"]
mod claims;
#[path = "api/code_flow.rs"]
mod code_flow;
#[path = "api/encryption.rs"]
mod encryption;
#[path = "api/engine.rs"]
mod engine;
#[path = "api/key_attestation.rs"]
mod key_attestation;
