#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod common;
mod error;
mod limits;
mod nonce;
mod pop;
mod replay;

pub use error::{Error, NonceError, ReplayError};
pub use limits::{
    DEFAULT_CLOCK_SKEW_SECS, DEFAULT_MAX_JTI_LEN, DEFAULT_MAX_REPLAY_ENTRIES,
    DEFAULT_NONCE_FUTURE_SKEW_SECS, DEFAULT_REPLAY_WINDOW_SECS, MIN_NONCE_SECRET_LEN,
};
pub use nonce::{NoncePurpose, StatelessNonces};
pub use pop::{
    ATTESTATION_POP_TYP, AttestationPopPolicy, PopShape, VerifiedAttestationPop,
    verify_attestation_pop,
};
pub use replay::{InMemoryReplayGuard, ReplayGuard, replay_key};
