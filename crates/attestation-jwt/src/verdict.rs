//! What a successful client authentication established.

use jose_core::{PublicJwk, UnixTime};
use serde_json::{Map, Value};

use crate::config::MethodKind;
use crate::error::Error;

/// How strongly the client was authenticated (ARCHITECTURE "client assurance level").
///
/// Ordered: `Attested > KeyBoundAssertion > SharedSecret > None`. Copy it into tokens and
/// refuse high-assurance credential types below `Attested`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum AssuranceLevel {
    /// Not authenticated (lenient mode accepted a request without a valid attestation).
    None,
    /// A registered client secret.
    SharedSecret,
    /// An RFC 7523 `private_key_jwt` assertion with a registered key.
    KeyBoundAssertion,
    /// A valid client attestation with proof of possession of its instance key.
    Attested,
}

/// How the attestation's key possession was proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PopMode {
    /// `OAuth-Client-Attestation-PoP` header (normal mode).
    PopJwt,
    /// A `DPoP` proof by the instance key (combined mode, drafts -09/-10).
    DpopCombined,
    /// The legacy body form `client_assertion=<attestation>~<pop>` (drafts -00 to -07).
    LegacyBody,
}

/// Which draft's JWT shape the client sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DraftShape {
    /// Draft -07 (OpenID4VCI 1.0, HAIP): `iss` in the attestation or the PoP.
    Draft07,
    /// Draft -08 and later (-10): no `iss`.
    Draft10,
}

/// How the client authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMethod {
    /// Attestation-based client authentication.
    Attestation {
        /// The configured verification method that trusted the attester.
        verification: MethodKind,
        /// How key possession was proven.
        mode: PopMode,
        /// Which draft shape was seen.
        draft: DraftShape,
    },
    /// RFC 7523 `private_key_jwt` (fallback).
    PrivateKeyJwt,
    /// A client secret (fallback).
    ClientSecret,
    /// Nothing was verified (lenient mode).
    Unauthenticated,
}

/// Why lenient mode (`required: false`) accepted a request without a valid attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LenientReason {
    /// No attestation was presented.
    Absent,
    /// An attestation was presented and failed; the error says which step.
    Invalid(Error),
}

/// Something the caller should log although the request was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The attestation's `exp` has passed but lies within the clock skew.
    ExpiredWithinSkew {
        /// `exp`.
        exp: i64,
    },
    /// The legacy body form was used.
    LegacyBodyForm,
    /// The attestation has no `iat` (optional, but useful for freshness policies).
    AttestationWithoutIat,
}

/// The result of a successful (or leniently accepted) client authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verdict {
    /// The authenticated client id (the attestation's `sub`, or the fallback client), `None`
    /// when nothing was authenticated.
    pub client_id: Option<String>,
    /// How strongly.
    pub assurance: AssuranceLevel,
    /// By which method.
    pub method: AuthMethod,
    /// The wallet instance key (`cnf.jwk`), for binding tokens.
    pub instance_key: Option<PublicJwk>,
    /// Its RFC 7638 thumbprint (base64url), e.g. for `cnf.jkt`.
    pub instance_key_thumbprint: Option<String>,
    /// The verified attestation claims (e.g. `status` for a revocation check, `wallet_name`).
    pub attestation_claims: Option<Map<String, Value>>,
    /// The attestation's `exp`.
    pub attestation_expires_at: Option<UnixTime>,
    /// Set when lenient mode accepted the request without a valid attestation.
    pub lenient: Option<LenientReason>,
    /// Things to log.
    pub warnings: Vec<Warning>,
}

impl Verdict {
    pub(crate) const fn unauthenticated(reason: LenientReason) -> Self {
        Self {
            client_id: None,
            assurance: AssuranceLevel::None,
            method: AuthMethod::Unauthenticated,
            instance_key: None,
            instance_key_thumbprint: None,
            attestation_claims: None,
            attestation_expires_at: None,
            lenient: Some(reason),
            warnings: Vec::new(),
        }
    }

    pub(crate) const fn fallback(
        client_id: String,
        method: AuthMethod,
        level: AssuranceLevel,
    ) -> Self {
        Self {
            client_id: Some(client_id),
            assurance: level,
            method,
            instance_key: None,
            instance_key_thumbprint: None,
            attestation_claims: None,
            attestation_expires_at: None,
            lenient: None,
            warnings: Vec::new(),
        }
    }

    /// Whether the client was attested (not lenient, not a fallback).
    #[must_use]
    pub fn is_attested(&self) -> bool {
        self.assurance == AssuranceLevel::Attested
    }
}
