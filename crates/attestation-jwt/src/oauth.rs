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
/// | [server faults](Error::is_server_fault): configuration, trust store, key resolution, replay guard full or unavailable, API misuse, signing | `server_error` | 500 |
///
/// The `error_description` is the error's message passed through [`error_description`]: it
/// never holds a character outside RFC 6749 §5.2's set.
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
    /// A human-readable `error_description` (never key material or secrets), within RFC 6749
    /// §5.2's character set when built by [`OAuthError::from_error`] (see
    /// [`error_description`]).
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
            error_description: error_description(&error.to_string()),
            http_status: status,
            challenge_header,
        }
    }

    /// The JSON body: `{"error": ..., "error_description": ...}`. The description is passed
    /// through [`error_description`] again, so a value assigned to the public field cannot
    /// leave the RFC 6749 §5.2 set either.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("error".into(), self.error.into());
        map.insert(
            "error_description".into(),
            error_description(&self.error_description).into(),
        );
        Value::Object(map)
    }
}

/// `text` within RFC 6749 §5.2's `error_description` character set (`%x20-21 / %x23-5B /
/// %x5D-7E`): `"` becomes `'`, `\` becomes `/`, control characters (tab, line breaks, ...)
/// become a space, and every other character outside the set (non-ASCII) becomes `?`.
/// Characters inside the set are kept, so the function is idempotent.
///
/// ```
/// use attestation_jwt::error_description;
/// assert_eq!(error_description("typ \"jwt\"\tin C:\\x é"), "typ 'jwt' in C:/x ?");
/// ```
#[must_use]
pub fn error_description(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            c if c.is_control() => ' ',
            _ => '?',
        })
        .collect()
}

fn classify(error: &Error) -> (&'static str, u16) {
    use pop_verifier::Error as P;
    if error.is_server_fault() {
        return ("server_error", 500);
    }
    match error {
        Error::AttestationExpired { .. } => ("use_fresh_attestation", 400),
        Error::Pop(P::ChallengeMissing | P::ChallengeMismatch | P::ChallengeInvalid { .. })
        | Error::Dpop(P::NonceMissing | P::NonceMismatch | P::NonceInvalid { .. }) => {
            ("use_attestation_challenge", 400)
        }
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
    fn descriptions_stay_in_the_rfc_6749_set() {
        let text = "a \"quoted\" C:\\path\u{7f}\ttab\nline \u{e9}\u{1F600} ok!#[]~";
        let clean = error_description(text);
        assert_eq!(clean, "a 'quoted' C:/path  tab line ?? ok!#[]~");
        assert!(
            clean
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        );
        assert_eq!(error_description(&clean), clean, "idempotent");
    }

    #[test]
    fn from_error_sanitizes_the_message() {
        // A typ value is attacker-chosen; Debug formatting puts it in quotes.
        let error = Error::AttestationType {
            found: Some("x\"\\\u{0}\u{e9}".into()),
        };
        let e = OAuthError::from_error(&error, || None);
        assert_eq!(
            e.error_description,
            "client attestation typ Some('x/'///0?') is not oauth-client-attestation+jwt"
        );
        let mut tampered = e.clone();
        tampered.error_description = "bad \" \\ \u{1}".into();
        assert_eq!(tampered.to_json()["error_description"], "bad ' /  ");
    }

    #[test]
    fn server_faults_are_server_error() {
        for error in [
            Error::KeyResolution {
                reason: "KMS down".into(),
            },
            Error::ReplayGuard(pop_verifier::ReplayError::Full { max: 1 }),
            Error::ReplayGuard(pop_verifier::ReplayError::Unavailable {
                reason: "poisoned".into(),
            }),
            Error::TrustedRootsInvalid {
                reason: "trust anchor #0 expired".into(),
            },
            Error::Config(crate::ConfigError::KeyResolverMissing),
        ] {
            let e = OAuthError::from_error(&error, || None);
            assert_eq!((e.error, e.http_status), ("server_error", 500), "{error}");
        }
        let e = OAuthError::from_error(
            &Error::ReplayGuard(pop_verifier::ReplayError::AlreadyExpired),
            || None,
        );
        assert_eq!((e.error, e.http_status), ("invalid_client", 401));
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
