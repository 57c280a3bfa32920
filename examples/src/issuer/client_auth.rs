//! Client authentication at the token endpoint: attestation-based client authentication per
//! `clientAttestationConfig`, and DPoP key binding.

use attestation_jwt::{
    ChallengeCheck, ClientAttestationVerifier, ClientAuthRequest, LenientReason, OAuthError,
};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use pop_verifier::{DpopPolicy, NonceCheck, NoncePurpose};
use serde_json::{Map, Value};

use super::{ACCEPTED_ALGORITHMS, IssuerState};
use crate::error::ApiError;

/// Who the client is, as far as the token endpoint could tell.
#[derive(Debug, Clone, Default)]
pub(super) struct ClientIdentity {
    /// The attested client id (`sub` of the attestation).
    pub(super) client_id: Option<String>,
    /// The thumbprint of the attested wallet instance key.
    pub(super) instance_key: Option<String>,
}

fn verifier(state: &IssuerState) -> Option<ClientAttestationVerifier<'_>> {
    let config = state.attestation.clone()?;
    Some(
        ClientAttestationVerifier::new(config, state.base_url.as_str())
            .with_key_resolver(&state.keystore)
            .with_attestation_algorithms(ACCEPTED_ALGORITHMS)
            .with_pop_algorithms(ACCEPTED_ALGORITHMS),
    )
}

/// The ABCA members of the AS metadata, when attestation is configured.
pub(super) fn metadata(state: &IssuerState) -> Option<Map<String, Value>> {
    let verifier = verifier(state)?;
    let challenge = state
        .attestation
        .as_ref()
        .is_some_and(|c| c.challenge_required)
        .then(|| state.url("/challenge"));
    Some(verifier.metadata(challenge.as_deref()))
}

/// A fresh attestation challenge.
pub(super) fn fresh_challenge(state: &IssuerState) -> Option<String> {
    state
        .nonces
        .issue(
            NoncePurpose::AttestationChallenge,
            state.clock.now(),
            &state.rng,
        )
        .ok()
}

fn header_pairs(headers: &HeaderMap) -> Vec<(&str, &str)> {
    headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect()
}

/// Authenticates the client of a token request.
///
/// Without a `clientAttestationConfig` every client is anonymous. In lenient mode an absent or
/// invalid attestation is accepted, logged as a warning and recorded in the issuer's lenient
/// log.
pub(super) fn authenticate(
    state: &IssuerState,
    headers: &HeaderMap,
    body_client_id: Option<&str>,
) -> Result<ClientIdentity, ApiError> {
    let Some(verifier) = verifier(state) else {
        return Ok(ClientIdentity::default());
    };
    let pairs = header_pairs(headers);
    let request =
        ClientAuthRequest::from_headers(pairs.iter().copied()).with_client_id(body_client_id);
    let challenge = ChallengeCheck::Stateless {
        nonces: &state.nonces,
        max_age: state.config.nonce_max_age_seconds,
    };
    let now = state.clock.now();
    match verifier.verify(&request, challenge, state.replay.as_ref(), now) {
        Ok(verdict) => {
            if let Some(reason) = &verdict.lenient {
                let text = match reason {
                    LenientReason::Absent => "no client attestation presented".to_owned(),
                    LenientReason::Invalid(e) => format!("invalid client attestation: {e}"),
                    _ => "client attestation not verified".to_owned(),
                };
                tracing::warn!(reason = %text, "lenient mode: token request accepted unauthenticated");
                crate::state::lock(&state.lenient_log).push(text);
            }
            Ok(ClientIdentity {
                client_id: verdict.client_id,
                instance_key: verdict.instance_key_thumbprint,
            })
        }
        Err(error) => {
            let oauth = OAuthError::from_error(&error, || fresh_challenge(state));
            tracing::info!(error = oauth.error, reason = %error, "client authentication failed");
            let status =
                StatusCode::from_u16(oauth.http_status).unwrap_or(StatusCode::UNAUTHORIZED);
            let mut api = ApiError::new(status, oauth.error, oauth.error_description);
            if let Some(challenge) = oauth.challenge_header {
                api = api.with_header(
                    HeaderName::from_static("oauth-client-attestation-challenge"),
                    challenge,
                );
            }
            Err(api)
        }
    }
}

/// Verifies the `DPoP` header of a request to `path` (if any) and returns the key thumbprint
/// it binds to. With `access_token`, the proof's `ath` must match it.
pub(super) fn dpop(
    state: &IssuerState,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    access_token: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all("dpop").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::bad_request(
            "invalid_dpop_proof",
            "more than one DPoP header",
        ));
    }
    let proof = value
        .to_str()
        .map_err(|_| ApiError::bad_request("invalid_dpop_proof", "DPoP header is not text"))?;
    let uri = state.url(path);
    // The demo sends no DPoP-Nonce (RFC 9449 §8 makes it optional); the jti is single-use.
    let mut policy = DpopPolicy::new(method, &uri, ACCEPTED_ALGORITHMS, NonceCheck::NoneIssued)
        .danger_skip_nonce_check();
    if let Some(token) = access_token {
        policy = policy.with_access_token(token);
    }
    let now = state.clock.now();
    let verified =
        pop_verifier::verify_dpop_proof(proof, &policy, now, &jose_core::Limits::default())
            .map_err(|e| ApiError::bad_request("invalid_dpop_proof", e.to_string()))?;
    let accepted = verified
        .record(state.replay.as_ref(), now)
        .map_err(|e| ApiError::bad_request("invalid_dpop_proof", format!("DPoP proof: {e}")))?;
    Ok(Some(accepted.into_jkt()))
}
