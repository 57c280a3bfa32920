//! Demo issuer, attester and wallet.
#![doc = "See the README."]

pub mod clock;
pub mod config;
pub mod error;
pub mod issuer;
pub mod keystore;
pub mod state;
