//! Mapping of verification failures to OAuth 2.0 error responses (RFC 6749 §5.2; ABCA -10 §7.4).

use serde_json::{Map, Value};

use crate::error::Error;

/// The header that carries a fresh challenge (ABCA -10 §6.2).
pub const CHALLENGE_HEADER: &str = "OAuth-Client-Attestation-Challenge";

/// An OAuth error response for a refused client authentication.
///
/// | Error | `error` | HTTP |
/// |---|---|---|
/// | missing headers, malformed tokens, bad signatures, failed claims, replays, fallback failures | `invalid_client` | 401 |
/// | [`Error::AttestationExpired`] | `use_fresh_attestation` | 400 |
/// | PoP challenge missing, wrong or invalid | `use_attestation_challenge` (+ [`CHALLENGE_HEADER`]) | 400 |
/// | configuration errors, API misuse, key resolution and signing failures (server faults) | `server_error` | 500 |
///
/// ```
/// use attestation_jwt::{Error, OAuthError};
/// let e = OAuthError::from_error(&Error::AttestationMissing, || None);
/// assert_eq!(e.http_status, 401);
/// assert_eq!(e.to_json()["error"], "invalid_client");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The `error` code.
    pub error: &'static str,
    /// A human-readable `error_description` (never key material or secrets).
    pub error_description: String,
    /// The HTTP status to answer with.
    pub http_status: u16,
    /// A fresh challenge to send in the [`CHALLENGE_HEADER`] response header.
    pub challenge_header: Option<String>,
}

impl OAuthError {
    /// Maps `error` to its response. `fresh_challenge` is called only for
    /// `use_attestation_challenge`, to issue the value for the [`CHALLENGE_HEADER`] (return
    /// `None` if no challenge can be issued).
    #[must_use]
    pub fn from_error(error: &Error, fresh_challenge: impl FnOnce() -> Option<String>) -> Self {
        let (code, status) = classify(error);
        let challenge_header = if code == "use_attestation_challenge" {
            fresh_challenge()
        } else {
            None
        };
        Self {
            error: code,
            error_description: error.to_string(),
            http_status: status,
            challenge_header,
        }
    }

    /// The JSON body: `{"error": ..., "error_description": ...}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("error".into(), self.error.into());
        map.insert(
            "error_description".into(),
            self.error_description.clone().into(),
        );
        Value::Object(map)
    }
}

fn classify(error: &Error) -> (&'static str, u16) {
    use pop_verifier::Error as P;
    match error {
        Error::AttestationExpired { .. } => ("use_fresh_attestation", 400),
        Error::Pop(P::ChallengeMissing | P::ChallengeMismatch | P::ChallengeInvalid { .. })
        | Error::Dpop(P::NonceMissing | P::NonceMismatch | P::NonceInvalid { .. }) => {
            ("use_attestation_challenge", 400)
        }
        Error::Config(_)
        | Error::ApiMisuse { .. }
        | Error::KeyResolution { .. }
        | Error::X509Unavailable
        | Error::TrustedRootsInvalid { .. }
        | Error::Signing(_)
        | Error::DpopRequestTargetMissing => ("server_error", 500),
        _ => ("invalid_client", 401),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_maps_to_use_fresh_attestation() {
        let e = OAuthError::from_error(&Error::AttestationExpired { exp: 1, now: 2 }, || {
            Some("unused".into())
        });
        assert_eq!(e.error, "use_fresh_attestation");
        assert_eq!(e.http_status, 400);
        assert_eq!(e.challenge_header, None);
    }

    #[test]
    fn challenge_errors_carry_a_fresh_challenge() {
        let e = OAuthError::from_error(&Error::Pop(pop_verifier::Error::ChallengeMissing), || {
            Some("c-1".into())
        });
        assert_eq!(e.error, "use_attestation_challenge");
        assert_eq!(e.http_status, 400);
        assert_eq!(e.challenge_header.as_deref(), Some("c-1"));
        assert_eq!(
            e.to_json(),
            serde_json::json!({"error": "use_attestation_challenge",
                "error_description": "client attestation PoP: challenge is missing"})
        );
    }

    #[test]
    fn replays_and_signatures_are_invalid_client() {
        for error in [
            Error::Replayed {
                token: crate::Token::Pop,
            },
            Error::AttestationSignature(jose_core::Error::SignatureInvalid),
            Error::ClientSecretMismatch,
        ] {
            let e = OAuthError::from_error(&error, || None);
            assert_eq!((e.error, e.http_status), ("invalid_client", 401), "{error}");
        }
    }
}
