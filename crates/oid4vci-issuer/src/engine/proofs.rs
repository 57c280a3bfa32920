//! The proofs of possession the engine verifies through pop-verifier: DPoP proofs and
//! OpenID4VCI key proofs.

use jose_core::{PublicJwk, UnixTime};
use oid4vci_types::{CredentialErrorCode, OAuthError};
use pop_verifier::{DpopPolicy, KeyProofPolicy, ProofClient};

use super::IssuerEngine;

/// Verifies a DPoP proof for a `POST` to `uri` and records its `jti`; the key thumbprint.
pub(super) fn dpop(
    engine: &IssuerEngine,
    proof: &str,
    uri: &str,
    access_token: Option<&str>,
    now: UnixTime,
) -> Result<String, String> {
    let mut policy = DpopPolicy::new("POST", uri, &engine.settings.proof_algorithms);
    if let Some(token) = access_token {
        policy = policy.with_access_token(token);
    }
    let verified =
        pop_verifier::verify_dpop_proof(proof, &policy, now, &jose_core::Limits::default())
            .map_err(|e| e.to_string())?;
    engine
        .replay
        .check_and_record(&verified.replay_key(), verified.replay_expires_at, now)
        .map_err(|e| format!("DPoP proof: {e}"))?;
    Ok(verified.jkt)
}

/// Verifies one key proof (`openid4vci-proof+jwt`) against a `c_nonce` of this engine; the
/// holder key.
pub(super) fn key_proof(
    engine: &IssuerEngine,
    proof: &str,
    client_id: Option<&str>,
    now: UnixTime,
) -> Result<PublicJwk, OAuthError> {
    let client = client_id.map_or(ProofClient::Unknown, ProofClient::ClientId);
    let policy = KeyProofPolicy::new(
        &engine.settings.credential_issuer,
        &engine.settings.proof_algorithms,
    )
    .with_stateless_nonces(&engine.nonces, engine.settings.nonce_max_age_seconds, true)
    .with_client(client);
    pop_verifier::verify_key_proof(proof, &policy, now, &jose_core::Limits::default())
        .map(|v| v.holder_key)
        .map_err(|e| {
            use pop_verifier::Error as P;
            let code = match e {
                P::NonceMismatch | P::NonceInvalid { .. } => CredentialErrorCode::InvalidNonce,
                _ => CredentialErrorCode::InvalidProof,
            };
            OAuthError::from_code(code, &format!("proof: {e}"))
        })
}
