//! Client authentication at the token and PAR endpoints: the seam, and its
//! attestation-based implementation on attestation-jwt's verifier.

use std::collections::BTreeMap;

use attestation_jwt::{
    ChallengeCheck, ClientAttestationVerifier, ClientAuthRequest, LenientReason,
};
use jose_core::{RandomSource, UnixTime};
use oid4vci_types::OAuthError;
use pop_verifier::{AcceptedDpopProof, NoncePurpose, ReplayGuard, StatelessNonces};

use crate::EndpointRequest;

/// Who the client of a token request is, as far as client authentication could tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientIdentity {
    /// The authenticated client id (the attestation `sub`).
    pub client_id: Option<String>,
    /// The thumbprint of the attested wallet instance key: a refresh must present an
    /// attestation for the same key.
    pub instance_key: Option<String>,
    /// Set when a lenient mode accepted an absent or invalid client authentication: what to
    /// log.
    pub lenient_warning: Option<String>,
}

/// The client credentials a token or PAR request carries in its form body besides
/// `client_id`: RFC 7521's `client_assertion_type` and `client_assertion`, and RFC 6749's
/// `client_secret` (`client_secret_post`). The engine parses the form; an authenticator
/// verifies them, or refuses them beside another method (RFC 6749 §2.3: one per request).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormCredentials<'a> {
    /// `client_assertion_type`.
    pub client_assertion_type: Option<&'a str>,
    /// `client_assertion`.
    pub client_assertion: Option<&'a str>,
    /// `client_secret`.
    pub client_secret: Option<&'a str>,
}

impl<'a> FormCredentials<'a> {
    /// The credentials of a form's parameters: `client_assertion_type`, `client_assertion`
    /// and `client_secret`, each when present.
    pub(super) fn from_params(params: &'a BTreeMap<String, String>) -> Self {
        let get = |name: &str| params.get(name).map(String::as_str);
        Self {
            client_assertion_type: get("client_assertion_type"),
            client_assertion: get("client_assertion"),
            client_secret: get("client_secret"),
        }
    }

    /// The credentials of a token request: its parsed `client_assertion` (the parser takes
    /// both halves out of the other parameters) and its `client_secret`.
    pub(super) fn of_token_request(request: &'a oid4vci_types::TokenRequest) -> Self {
        let mut form = Self::from_params(&request.extra);
        if let Some(assertion) = &request.client_assertion {
            form.client_assertion_type = Some(&assertion.assertion_type);
            form.client_assertion = Some(&assertion.assertion);
        }
        form
    }
}

/// The secrets show only whether they are there.
impl core::fmt::Debug for FormCredentials<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FormCredentials")
            .field("client_assertion_type", &self.client_assertion_type)
            .field(
                "client_assertion",
                &self.client_assertion.map(|_| "<redacted>"),
            )
            .field("client_secret", &self.client_secret.map(|_| "<redacted>"))
            .finish()
    }
}

/// What the engine lends a client authenticator for one request: its stateless nonces (for
/// attestation challenges), its replay guard, its random source, the request's DPoP proof as
/// the engine's own check accepted it, and the client credentials of the request's form.
#[derive(Clone, Copy)]
pub struct ClientAuthContext<'a> {
    pub(super) nonces: &'a StatelessNonces,
    pub(super) nonce_max_age: u64,
    pub(super) replay: &'a dyn ReplayGuard,
    pub(super) rng: &'a dyn RandomSource,
    pub(super) dpop: Option<&'a AcceptedDpopProof>,
    pub(super) form: FormCredentials<'a>,
}

impl core::fmt::Debug for ClientAuthContext<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientAuthContext")
            .field("nonce_max_age", &self.nonce_max_age)
            .finish_non_exhaustive()
    }
}

impl ClientAuthContext<'_> {
    /// The engine's replay guard.
    #[must_use]
    pub fn replay(&self) -> &dyn ReplayGuard {
        self.replay
    }

    /// The request's DPoP proof, already verified for this endpoint and its `jti` recorded by
    /// the engine (which checks DPoP before client authentication); `None` without a `DPoP`
    /// header. An authenticator that takes the DPoP proof as the client's proof of possession
    /// (ABCA combined mode) uses this instead of verifying the header again: recording its
    /// `jti` a second time would refuse it as a replay.
    #[must_use]
    pub const fn accepted_dpop(&self) -> Option<&AcceptedDpopProof> {
        self.dpop
    }

    /// The client credentials of the request's form body (an authenticator must not ignore
    /// them: beside the attestation headers they are a second authentication method).
    #[must_use]
    pub const fn form_credentials(&self) -> FormCredentials<'_> {
        self.form
    }

    /// The stateless attestation-challenge check of the engine's nonces.
    #[must_use]
    pub const fn challenge_check(&self) -> ChallengeCheck<'_> {
        ChallengeCheck::Stateless {
            nonces: self.nonces,
            max_age: self.nonce_max_age,
        }
    }

    /// A fresh attestation challenge (`None` when no randomness is available).
    #[must_use]
    pub fn fresh_challenge(&self, now: UnixTime) -> Option<String> {
        self.nonces
            .issue(NoncePurpose::AttestationChallenge, now, self.rng)
            .ok()
    }
}

/// Client authentication at the token endpoint (attestation-based, or a configured
/// fallback). Built once and shared; a failure is the exact OAuth answer.
pub trait ClientAuthenticator: Send + Sync + core::fmt::Debug {
    /// Authenticates the client of a token request (`client_id`: the form's, if any).
    ///
    /// # Errors
    /// The answer to send: `invalid_client` (also for an expired attestation),
    /// `use_attestation_challenge` with its challenge header, or `server_error` when the
    /// server cannot check (a broken trust store or key resolver is never a client's fault).
    fn authenticate(
        &self,
        request: &EndpointRequest<'_>,
        client_id: Option<&str>,
        context: &ClientAuthContext<'_>,
        now: UnixTime,
    ) -> Result<ClientIdentity, OAuthError>;
}

impl ClientAuthenticator for ClientAttestationVerifier {
    fn authenticate(
        &self,
        request: &EndpointRequest<'_>,
        client_id: Option<&str>,
        context: &ClientAuthContext<'_>,
        now: UnixTime,
    ) -> Result<ClientIdentity, OAuthError> {
        let pairs: Vec<(&str, &str)> = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((*name, core::str::from_utf8(value).ok()?)))
            .collect();
        // An `Authorization` header with the `Basic` scheme is client authentication
        // (`client_secret_basic`); other schemes are ignored.
        let mut authorizations = request
            .headers()
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| core::str::from_utf8(value).unwrap_or_default());
        let authorization = authorizations.next();
        // Two `Authorization` headers: which one authenticates is ambiguous, and one could
        // hide a second method behind the other (RFC 6749 §5.2: a repeated parameter).
        if authorizations.next().is_some() {
            return Err(OAuthError::bad_request(
                "invalid_request",
                "the Authorization header is repeated",
            ));
        }
        let form = context.form_credentials();
        let auth_request = ClientAuthRequest::from_headers(pairs.iter().copied())
            .with_client_id(client_id)
            .with_client_assertion(form.client_assertion_type, form.client_assertion)
            .with_client_secret(form.client_secret)
            .with_authorization(authorization)
            .with_accepted_dpop(context.accepted_dpop());
        match self.verify(
            &auth_request,
            context.challenge_check(),
            context.replay(),
            now,
        ) {
            Ok(verdict) => Ok(ClientIdentity {
                lenient_warning: verdict.lenient.as_ref().map(|reason| match reason {
                    LenientReason::Absent => "no client attestation presented".to_owned(),
                    LenientReason::Invalid(e) => format!("invalid client attestation: {e}"),
                    _ => "client attestation not verified".to_owned(),
                }),
                client_id: verdict.client_id,
                instance_key: verdict.instance_key_thumbprint,
            }),
            Err(error) => {
                Err(self.oauth_error_for(&auth_request, &error, || context.fresh_challenge(now)))
            }
        }
    }
}
