//! Mapping of verification failures to the OAuth 2.0 error answer (RFC 6749 §5.2; ABCA -10
//! §7.4), as the workspace's one error type, [`oid4vci_types::OAuthError`].

use oid4vci_types::OAuthError;

use crate::error::Error;

/// The header that carries a fresh challenge (ABCA -10 §6.2), in the lower case HTTP/2
/// requires (header names are case-insensitive).
pub const CHALLENGE_HEADER: &str = "oauth-client-attestation-challenge";

/// The `WWW-Authenticate` scheme of a 401 from client authentication: the registered name of
/// the token endpoint authentication method (ABCA §13.2), since RFC 6749 §5.2 asks a 401 to
/// name the method the client should use.
pub const CHALLENGE_SCHEME: &str = "attest_jwt_client_auth";

/// The OAuth error answer for a refused client authentication.
///
/// | Error | `error` | HTTP |
/// |---|---|---|
/// | missing headers, malformed tokens, bad signatures, failed claims, replays, fallback failures | `invalid_client` (+ `WWW-Authenticate: attest_jwt_client_auth …`) | 401 |
/// | [`Error::AttestationExpired`] | `use_fresh_attestation` | 400 |
/// | PoP challenge missing, wrong or invalid | `use_attestation_challenge` (+ [`CHALLENGE_HEADER`]) | 400 |
/// | [server faults](Error::is_server_fault): configuration, trust store, key resolution, replay guard full or unavailable, API misuse, signing | `server_error` | 500 |
///
/// `fresh_challenge` is called only for `use_attestation_challenge`, to issue the value of the
/// [`CHALLENGE_HEADER`] (return `None` if no challenge can be issued). The description is the
/// error's message, kept by [`OAuthError`] within RFC 6749 §5.2's character set; a server
/// fault's message stays out of the answer (it is the [`OAuthError::internal_detail`], for the
/// server's log).
///
/// ```
/// use attestation_jwt::{Error, oauth_error};
/// let e = oauth_error(&Error::AttestationMissing, || None);
/// assert_eq!((e.status(), e.error()), (401, "invalid_client"));
/// assert_eq!(e.to_json()["error"], "invalid_client");
/// ```
#[must_use]
pub fn oauth_error(error: &Error, fresh_challenge: impl FnOnce() -> Option<String>) -> OAuthError {
    use pop_verifier::Error as P;
    if error.is_server_fault() {
        return OAuthError::server_error().with_internal_detail(error.to_string());
    }
    let description = error.to_string();
    match error {
        Error::AttestationExpired { .. } => {
            OAuthError::new(400, "use_fresh_attestation", &description)
        }
        Error::Pop(P::ChallengeMissing | P::ChallengeMismatch | P::ChallengeInvalid { .. })
        | Error::Dpop(P::NonceMissing | P::NonceMismatch | P::NonceInvalid { .. }) => {
            let answer = OAuthError::new(400, "use_attestation_challenge", &description);
            match fresh_challenge() {
                Some(challenge) => answer.with_header(CHALLENGE_HEADER, challenge),
                None => answer,
            }
        }
        _ => OAuthError::new(401, "invalid_client", &description).with_challenge(CHALLENGE_SCHEME),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_maps_to_use_fresh_attestation() {
        let e = oauth_error(&Error::AttestationExpired { exp: 1, now: 2 }, || {
            Some("unused".into())
        });
        assert_eq!((e.error(), e.status()), ("use_fresh_attestation", 400));
        assert_eq!(e.header(CHALLENGE_HEADER), None);
    }

    #[test]
    fn challenge_errors_carry_a_fresh_challenge() {
        let e = oauth_error(&Error::Pop(pop_verifier::Error::ChallengeMissing), || {
            Some("c-1".into())
        });
        assert_eq!((e.error(), e.status()), ("use_attestation_challenge", 400));
        assert_eq!(e.header(CHALLENGE_HEADER), Some("c-1"));
        assert_eq!(
            e.to_json(),
            serde_json::json!({"error": "use_attestation_challenge",
                "error_description": "client attestation PoP: challenge is missing"})
        );
    }

    #[test]
    fn invalid_client_names_the_authentication_method_in_its_challenge() {
        let e = oauth_error(&Error::AttestationMissing, || None);
        let challenge = e
            .headers()
            .find(|(name, _)| *name == "www-authenticate")
            .map(|(_, value)| value.into_owned());
        assert!(
            challenge
                .as_deref()
                .is_some_and(|c| c.starts_with("attest_jwt_client_auth error=\"invalid_client\"")),
            "{challenge:?}"
        );
    }

    #[test]
    fn attacker_text_stays_in_the_rfc_6749_set() {
        // A typ value is attacker-chosen; Debug formatting puts it in quotes.
        let error = Error::AttestationType {
            found: Some("x\"\\\u{0}\u{e9}".into()),
        };
        let e = oauth_error(&error, || None);
        assert!(
            e.description()
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
            "{}",
            e.description()
        );
        assert!(
            e.description()
                .starts_with("client attestation typ Some('x/")
        );
    }

    #[test]
    fn server_faults_are_server_error_without_their_detail() {
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
            let e = oauth_error(&error, || None);
            assert_eq!((e.error(), e.status()), ("server_error", 500), "{error}");
            assert_eq!(e.internal_detail(), Some(error.to_string().as_str()));
            assert!(!e.description().contains("KMS"));
        }
        let e = oauth_error(
            &Error::ReplayGuard(pop_verifier::ReplayError::AlreadyExpired),
            || None,
        );
        assert_eq!((e.error(), e.status()), ("invalid_client", 401));
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
            let e = oauth_error(&error, || None);
            assert_eq!((e.error(), e.status()), ("invalid_client", 401), "{error}");
        }
    }
}
