//! The crate's error type: every startup failure names what was missing, and every run-time
//! failure of the token becomes [`jose_core::Error::SigningFailed`].

use std::path::PathBuf;

use cryptoki::error::{Error as CkError, RvError};
use jose_core::Algorithm;

use crate::key::KeyRef;

/// What went wrong while loading a PKCS#11 module, opening a token, or finding, generating or
/// checking a key. None of these messages contains the PIN.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The algorithm has no PKCS#11 signing path in this crate (only ES256, ES384 and EdDSA do).
    #[error("algorithm {alg} is not supported by the PKCS#11 signer (ES256, ES384, EdDSA are)")]
    AlgorithmUnsupported {
        /// The algorithm asked for.
        alg: Algorithm,
    },
    /// More than one key on the token matches the label or id.
    #[error("{count} keys on token {token:?} match {key}: use a unique label or the CKA_ID")]
    AmbiguousKey {
        /// The token label.
        token: String,
        /// The key asked for.
        key: KeyRef,
        /// How many matched.
        count: usize,
    },
    /// More than one token in the module has the label.
    #[error("{count} tokens in the PKCS#11 module are labelled {label:?}: labels must be unique")]
    AmbiguousToken {
        /// The label asked for.
        label: String,
        /// How many tokens have it.
        count: usize,
    },
    /// `generate` was asked for a label that a key on the token already has.
    #[error("token {token:?} already holds a key labelled {label:?}")]
    KeyExists {
        /// The token label.
        token: String,
        /// The label.
        label: String,
    },
    /// The key exists but does not fit the algorithm, is not a signing key, or its public half
    /// does not verify what its private half signs.
    #[error("key {key} on token {token:?} cannot sign {alg}: {reason}")]
    KeyMismatch {
        /// The token label.
        token: String,
        /// The key.
        key: KeyRef,
        /// The algorithm asked for.
        alg: Algorithm,
        /// What does not fit.
        reason: &'static str,
    },
    /// No private key on the token has the label or id.
    #[error("no private key {key} on token {token:?}")]
    KeyNotFound {
        /// The token label.
        token: String,
        /// The key asked for.
        key: KeyRef,
    },
    /// The token lacks a mechanism the algorithm needs (e.g. `CKM_EDDSA`).
    #[error("token {token:?} does not offer {mechanism} (needed for {alg})")]
    MechanismUnsupported {
        /// The token label.
        token: String,
        /// The PKCS#11 mechanism name.
        mechanism: &'static str,
        /// The algorithm that needs it.
        alg: Algorithm,
    },
    /// The PKCS#11 module could not be loaded (missing file, not a shared library, no
    /// `C_GetFunctionList`) or initialised.
    #[error("cannot load PKCS#11 module {}: {reason}", path.display())]
    ModuleLoad {
        /// The module path as given.
        path: PathBuf,
        /// The loader's or module's message.
        reason: String,
    },
    /// The token refused the PIN (`CKR_PIN_INCORRECT`).
    #[error("wrong user PIN for token {token:?} (CKR_PIN_INCORRECT)")]
    PinIncorrect {
        /// The token label.
        token: String,
    },
    /// The token's user PIN is locked after too many failures (`CKR_PIN_LOCKED`).
    #[error("the user PIN of token {token:?} is locked (CKR_PIN_LOCKED)")]
    PinLocked {
        /// The token label.
        token: String,
    },
    /// The PIN could not be read from its source.
    #[error("cannot read the PIN from {source_name}: {reason}")]
    PinUnavailable {
        /// The source, e.g. `environment variable HSM_PIN` (never the PIN).
        source_name: String,
        /// Why (absent, empty, unreadable, not UTF-8).
        reason: String,
    },
    /// The token's public key (`CKA_EC_POINT`, `CKA_EC_PARAMS`) is missing or malformed.
    #[error("public key {key} on token {token:?}: {reason}")]
    PublicKey {
        /// The token label.
        token: String,
        /// The key.
        key: KeyRef,
        /// What is wrong.
        reason: &'static str,
    },
    /// Another PKCS#11 call failed.
    #[error("token {token:?}: {operation} failed: {reason}")]
    Token {
        /// The token label (empty before a token is chosen).
        token: String,
        /// What was being done.
        operation: &'static str,
        /// The PKCS#11 return value or library message.
        reason: String,
    },
    /// No slot holds a token with this label.
    #[error("no token labelled {label:?} in the PKCS#11 module (tokens present: {available:?})")]
    TokenNotFound {
        /// The label asked for.
        label: String,
        /// The labels of the tokens that are present.
        available: Vec<String>,
    },
}

impl Pkcs11Error {
    /// A [`Self::Token`] error from a cryptoki failure.
    pub(crate) fn token(token: &str, operation: &'static str, err: &CkError) -> Self {
        Self::Token {
            token: token.to_owned(),
            operation,
            reason: describe(err),
        }
    }
}

/// A short description of a cryptoki error: the `CKR_*` name for PKCS#11 return values.
pub(crate) fn describe(err: &CkError) -> String {
    match err {
        CkError::Pkcs11(rv, function) => format!("C_{function:?} returned {}", rv_name(*rv)),
        other => other.to_string(),
    }
}

/// The `CKR_*` spelling of a return value (cryptoki's Debug form is its CamelCase name).
fn rv_name(rv: RvError) -> String {
    let camel = format!("{rv:?}");
    let mut out = String::from("CKR");
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rv_names_are_ckr_constants() {
        assert_eq!(rv_name(RvError::PinIncorrect), "CKR_PIN_INCORRECT");
        assert_eq!(rv_name(RvError::DeviceError), "CKR_DEVICE_ERROR");
    }
}
