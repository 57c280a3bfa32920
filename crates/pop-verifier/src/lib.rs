#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod common;
mod dpop;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod htu;
mod key_proof;
mod limits;
mod nonce;
mod pop;
mod replay;

pub use dpop::{DPOP_TYP, DpopPolicy, VerifiedDpopProof, access_token_hash, verify_dpop_proof};
pub use error::{Error, NonceError, ReplayError};
pub use htu::normalize_htu;
pub use key_proof::{
    ChainValidator, KEY_PROOF_TYP, KeyProofPolicy, KeySource, KidResolver, ProofClient,
    VerifiedKeyProof, verify_key_proof,
};
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
