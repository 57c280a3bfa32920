//! Mapping of verification failures to the OAuth 2.0 error answer (RFC 6749 §5.2; ABCA -10
//! §7.4), as the workspace's one error type, [`oid4vci_types::OAuthError`].

use oid4vci_types::OAuthError;

use crate::error::Error;
use crate::verify::AttestationErrorCode;

/// The header that carries a fresh challenge (ABCA -10 §6.2), in the lower case HTTP/2
/// requires (header names are case-insensitive).
pub const CHALLENGE_HEADER: &str = "oauth-client-attestation-challenge";

/// The header that carries a fresh DPoP nonce (RFC 9449 §8): in DPoP combined mode it is the
/// attestation's freshness value (ABCA -11).
pub const DPOP_NONCE_HEADER: &str = "dpop-nonce";

/// The `WWW-Authenticate` scheme of a 401 from client authentication: the registered name of
/// the token endpoint authentication method (ABCA §13.2), since RFC 6749 §5.2 asks a 401 to
/// name the method the client should use.
pub const CHALLENGE_SCHEME: &str = "attest_jwt_client_auth";

/// The OAuth error answer for a refused client authentication.
///
/// | Error | `error` | HTTP |
/// |---|---|---|
/// | missing headers, malformed tokens, bad signatures, failed claims (an expired attestation too), replays, fallback failures | `invalid_client` (+ `WWW-Authenticate: attest_jwt_client_auth …`) | 401 |
/// | the same for a presented attestation or PoP, under [`AttestationErrorCode::InvalidClientAttestation`] ([`crate::ClientAttestationVerifier::oauth_error`]) | `invalid_client_attestation` | 400 |
/// | PoP challenge missing, wrong or invalid | `use_attestation_challenge` (+ [`CHALLENGE_HEADER`]) | 400 |
/// | DPoP nonce missing, wrong or invalid (combined mode) | `use_dpop_nonce` (+ [`DPOP_NONCE_HEADER`]) | 400 |
/// | more than one client authentication method in one request (RFC 6749 §2.3, §5.2) | `invalid_request` | 400 |
/// | [server faults](Error::is_server_fault): configuration, trust store, key resolution, replay guard full or unavailable, API misuse, signing | `server_error` | 500 |
///
/// `fresh_challenge` is called only for `use_attestation_challenge` and `use_dpop_nonce`, to
/// issue the value of the [`CHALLENGE_HEADER`] or [`DPOP_NONCE_HEADER`]; `None` (no challenge
/// can be issued) makes the answer `server_error`, since ABCA -11 requires a fresh value in
/// every such error. The description is the
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
    oauth_error_as(error, AttestationErrorCode::InvalidClient, fresh_challenge)
}

/// [`oauth_error`] with `code` for a presented attestation or PoP that fails.
///
/// `use_attestation_challenge` always carries a fresh challenge (ABCA -11: a server that uses
/// challenges MUST); in DPoP combined mode the freshness is the DPoP nonce (-11), so a DPoP
/// nonce defect is `use_dpop_nonce` with a fresh `DPoP-Nonce`. Without a fresh value to send
/// (no randomness), the answer is `server_error`.
pub(crate) fn oauth_error_as(
    error: &Error,
    code: AttestationErrorCode,
    fresh_challenge: impl FnOnce() -> Option<String>,
) -> OAuthError {
    use pop_verifier::Error as P;
    if error.is_server_fault() {
        return OAuthError::server_error().with_internal_detail(error.to_string());
    }
    let description = error.to_string();
    let retry_with = |code: &str, header: &'static str| match fresh_challenge() {
        Some(value) => {
            OAuthError::new(400, String::from(code), &description).with_header(header, value)
        }
        None => OAuthError::server_error()
            .with_internal_detail(format!("no fresh value for {header}: {description}")),
    };
    match error {
        Error::Pop(P::ChallengeMissing | P::ChallengeMismatch | P::ChallengeInvalid { .. }) => {
            retry_with("use_attestation_challenge", CHALLENGE_HEADER)
        }
        Error::Dpop(P::NonceMissing | P::NonceMismatch | P::NonceInvalid { .. }) => {
            retry_with("use_dpop_nonce", DPOP_NONCE_HEADER)
        }
        // RFC 6749 §5.2: a request that "utilizes more than one mechanism for authenticating
        // the client" is `invalid_request`.
        Error::MultipleAuthenticationMethods => {
            OAuthError::new(400, "invalid_request", &description)
        }
        e if code == AttestationErrorCode::InvalidClientAttestation
            && e.is_attestation_defect() =>
        {
            OAuthError::new(400, "invalid_client_attestation", &description)
        }
        _ => OAuthError::new(401, "invalid_client", &description).with_challenge(CHALLENGE_SCHEME),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An expired attestation is refused as invalid (ABCA §5.1; the OpenID Foundation's
    /// `oid4vci-1_0-issuer-fail-client-attestation-exp-in-past` accepts `invalid_client`,
    /// `invalid_request` or `invalid_client_attestation`), not asked to be fresher.
    #[test]
    fn expired_is_invalid_client() {
        let expired = Error::AttestationExpired { exp: 1, now: 2 };
        let e = oauth_error(&expired, || Some("unused".into()));
        assert_eq!((e.error(), e.status()), ("invalid_client", 401));
        assert_eq!(e.header(CHALLENGE_HEADER), None);
        let e = oauth_error_as(
            &expired,
            AttestationErrorCode::InvalidClientAttestation,
            || None,
        );
        assert_eq!((e.error(), e.status()), ("invalid_client_attestation", 400));
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
    fn a_challenge_error_without_a_fresh_challenge_is_a_server_error() {
        let e = oauth_error(&Error::Pop(pop_verifier::Error::ChallengeMissing), || None);
        assert_eq!((e.error(), e.status()), ("server_error", 500));
        assert_eq!(e.header(CHALLENGE_HEADER), None);
    }

    #[test]
    fn a_dpop_nonce_error_asks_for_the_fresh_dpop_nonce() {
        let e = oauth_error(&Error::Dpop(pop_verifier::Error::NonceMismatch), || {
            Some("n-1".into())
        });
        assert_eq!((e.error(), e.status()), ("use_dpop_nonce", 400));
        assert_eq!(e.header(DPOP_NONCE_HEADER), Some("n-1"));
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
