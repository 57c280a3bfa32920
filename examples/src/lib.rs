//! Demo issuer, attester and wallet.
#![doc = include_str!("../README.md")]

pub mod args;
pub mod attester;
pub mod clock;
pub mod config;
pub mod datadir;
pub mod demo;
pub mod error;
pub mod hsm;
pub mod issuer;
pub mod keystore;
pub mod load;
pub mod logging;
pub mod narrate;
pub mod pki;
pub mod rotation;
pub mod serve;
pub mod spawn;
pub mod wallet;
