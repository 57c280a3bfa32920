#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod build;
mod common;
mod dpop;
mod error;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;
mod htu;
mod key_attestation;
mod key_proof;
mod limits;
mod nonce;
mod pop;
mod replay;

pub use build::{
    DpopProofClaims, KeyAttestationClaims, KeyProofClaims, ProofKey, build_attested_key_proof,
    build_dpop_proof, build_key_attestation, build_key_proof, prepare_dpop_proof,
    prepare_key_attestation, prepare_key_proof,
};
pub use common::NonceCheck;
pub use dpop::{AcceptedDpopProof, DPOP_TYP, DpopPolicy, access_token_hash, verify_dpop_proof};
pub use error::{Error, NonceError, ReplayError};
pub use htu::normalize_htu;
pub use key_attestation::{
    AttestationNonce, DEFAULT_MAX_ATTESTATION_VALUE_LEN, DEFAULT_MAX_ATTESTATION_VALUES,
    DEFAULT_MAX_ATTESTED_KEYS, DEFAULT_MAX_KEY_ATTESTATION_LEN, KEY_ATTESTATION_TYP,
    KeyAttestationConfigError, KeyAttestationRequirement, KeyAttestationVerifier,
    KeyAttestationVerifierBuilder, VerifiedKeyAttestation,
};
pub use key_proof::{
    AcceptedKeyProof, KEY_PROOF_TYP, KeyProofPolicy, KeySource, ProofClient, verify_key_proof,
};
pub use limits::{
    DEFAULT_MAX_JTI_LEN, DEFAULT_MAX_REPLAY_ENTRIES, DEFAULT_NONCE_FUTURE_SKEW_SECS,
    DEFAULT_REPLAY_WINDOW_SECS, MIN_NONCE_SECRET_LEN,
};
pub use nonce::{NoncePurpose, StatelessNonces, spent_nonce_key};
pub use pop::{
    ATTESTATION_POP_TYP, AcceptedAttestationPop, AttestationPopPolicy, PopShape,
    verify_attestation_pop,
};
pub use replay::{InMemoryReplayGuard, ReplayGuard, Unrecorded, check_batch, replay_key};
