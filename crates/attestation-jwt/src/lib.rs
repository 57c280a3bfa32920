#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod error;
mod fallback;
mod issue;
mod keys;
mod limits;
mod metadata;
mod oauth;
mod request;
mod verdict;
mod verify;

pub use config::{ClientAttestationConfig, MethodKind, VerificationMethod};
pub use error::{ConfigError, Error, Token};
pub use fallback::Fallback;
pub use issue::{
    ATTESTATION_TYP, AttestationClaims, AttesterKeyId, POP_JTI_BYTES, POP_TYP, PopClaims,
    build_pop, issue_attestation, prepare_attestation, prepare_pop,
};
pub use keys::{ClientRegistry, ClientSecret};
pub use limits::{
    DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_CLIENT_ID_LEN, DEFAULT_MAX_CLIENT_SECRET_LEN,
    DEFAULT_MAX_CONFIG_LEN, DEFAULT_MAX_HEADER_LEN, DEFAULT_MAX_TRUSTED_ROOTS,
    DEFAULT_REPLAY_WINDOW_SECONDS, Limits, MAX_ADDITIONAL_ATTESTER_KEYS, MAX_CONFIGURED_SECONDS,
};
pub use oauth::{CHALLENGE_HEADER, CHALLENGE_SCHEME, DPOP_NONCE_HEADER, oauth_error};
pub use oid4vci_types::OAuthError;
pub use request::{
    ATTESTATION_HEADER, ClientAuthRequest, DPOP_HEADER, JWT_BEARER_ASSERTION_TYPE,
    LEGACY_ASSERTION_TYPE, POP_HEADER,
};
pub use verdict::{
    AssuranceLevel, AuthMethod, DraftShape, LenientReason, PopMode, Verdict, Warning,
};
pub use verify::{
    AttestationErrorCode, ChallengeCheck, ClientAttestationVerifier,
    ClientAttestationVerifierBuilder, DEFAULT_ALGORITHMS,
};

/// Helpers for fuzz targets (built only with `--cfg fuzzing`). Not part of the stable API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
