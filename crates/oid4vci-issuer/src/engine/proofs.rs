//! The proofs of possession the engine verifies through pop-verifier: DPoP proofs and
//! OpenID4VCI key proofs. pop-verifier hands out a verified proof only through the engine's
//! replay guard, so every accepted proof is single-use.

use jose_core::{PublicJwk, UnixTime};
use oid4vci_types::{CredentialErrorCode, OAuthError, TokenErrorCode};
use pop_verifier::{DpopPolicy, KeyProofPolicy, NonceCheck, ProofClient, ReplayError};

use super::IssuerEngine;

/// 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1): a part of the server (a replay guard, a
/// key source) cannot answer now; the detail goes to the log only.
fn unavailable(detail: String) -> OAuthError {
    OAuthError::new(
        503,
        "temporarily_unavailable",
        "the server cannot check proofs right now; retry later",
    )
    .with_internal_detail(detail)
}

/// A replay guard that cannot record is the server's fault: 503 `temporarily_unavailable`
/// (RFC 6749 §4.1.2.1), never a client error. A replay is the client's.
fn replay_failure(e: ReplayError, client_error: OAuthError) -> OAuthError {
    match e {
        ReplayError::Full { .. } | ReplayError::Unavailable { .. } => unavailable(e.to_string()),
        _ => client_error,
    }
}

/// Verifies a DPoP proof for a `POST` to `uri` and records its `jti`; the key thumbprint.
///
/// This issuer sends no `DPoP-Nonce` (RFC 9449 §8 makes server nonces optional): freshness
/// comes from `iat` and the single-use `jti`.
pub(super) fn dpop(
    engine: &IssuerEngine,
    proof: &str,
    uri: &str,
    access_token: Option<&str>,
    now: UnixTime,
) -> Result<String, OAuthError> {
    let invalid = |d: &str| OAuthError::from_code(TokenErrorCode::InvalidDpopProof, d);
    let mut policy = DpopPolicy::new(
        "POST",
        uri,
        &engine.settings.proof_algorithms,
        NonceCheck::NoneIssued,
    )
    .danger_skip_nonce_check();
    if let Some(token) = access_token {
        policy = policy.with_access_token(token);
    }
    let verified =
        pop_verifier::verify_dpop_proof(proof, &policy, now, &jose_core::Limits::default())
            .map_err(|e| invalid(&e.to_string()))?;
    verified
        .record(engine.replay.as_ref(), now)
        .map(pop_verifier::AcceptedDpopProof::into_jkt)
        .map_err(|e| replay_failure(e.clone(), invalid(&format!("DPoP proof: {e}"))))
}

/// Verifies one key proof (`openid4vci-proof+jwt`) against a `c_nonce` of this engine and
/// records it; the holder key.
pub(super) fn key_proof(
    engine: &IssuerEngine,
    proof: &str,
    client_id: Option<&str>,
    now: UnixTime,
) -> Result<PublicJwk, OAuthError> {
    let client = client_id.map_or(ProofClient::Unknown, ProofClient::ClientId);
    let c_nonce = NonceCheck::Stateless {
        nonces: &engine.nonces,
        max_age: engine.settings.nonce_max_age_seconds,
    };
    let policy = KeyProofPolicy::new(
        &engine.settings.credential_issuer,
        &engine.settings.proof_algorithms,
        c_nonce,
    )
    .with_client(client);
    let verified =
        pop_verifier::verify_key_proof(proof, &policy, now, &jose_core::Limits::default())
            .map_err(|e| {
                use pop_verifier::Error as P;
                // A missing c_nonce is `invalid_proof`; a wrong or stale one `invalid_nonce`
                // (OpenID4VCI 1.0 §8.3.1.2); a key source that cannot answer is the server's.
                let code = match e {
                    P::NonceMismatch | P::NonceInvalid { .. } => CredentialErrorCode::InvalidNonce,
                    P::KeyLookupUnavailable { .. } => {
                        return unavailable(e.to_string());
                    }
                    _ => CredentialErrorCode::InvalidProof,
                };
                OAuthError::from_code(code, &format!("proof: {e}"))
            })?;
    verified
        .record(engine.replay.as_ref(), now)
        .map(pop_verifier::AcceptedKeyProof::into_holder_key)
        .map_err(|e| {
            let client_error =
                OAuthError::from_code(CredentialErrorCode::InvalidProof, &format!("proof: {e}"));
            replay_failure(e, client_error)
        })
}
