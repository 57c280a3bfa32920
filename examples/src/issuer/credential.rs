//! `POST /credential`: proofs checked against the c_nonce, then one credential per proof key.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oid4vci_types::{CredentialRequest, CredentialTarget, ParseOptions, Proofs};
use pop_verifier::{KeyProofPolicy, NonceCheck, ProofClient};
use serde_json::{Value, json};

use super::{ACCEPTED_ALGORITHMS, IssuerState, access, mint};
use crate::error::ApiError;
use crate::state::AccessGrant;

/// `POST /credential`.
pub(super) async fn credential(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let grant = access::authorize(&state, &headers, "/credential")?;
    let request = CredentialRequest::parse(&body, &ParseOptions::default())
        .map_err(|e| ApiError::bad_request("invalid_credential_request", e.to_string()))?;
    let id = match &request.target {
        CredentialTarget::ConfigurationId(id) => id.clone(),
        CredentialTarget::Identifier(_) => {
            return Err(ApiError::bad_request(
                "unknown_credential_identifier",
                "this issuer does not issue credential identifiers; use credential_configuration_id",
            ));
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_credential_request",
                "credential_configuration_id is required",
            ));
        }
    };
    let configuration = state.config.configuration(&id).cloned().ok_or_else(|| {
        ApiError::bad_request(
            "unknown_credential_configuration",
            format!("no credential configuration {id}"),
        )
    })?;
    if !grant.configuration_ids.contains(&id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("the access token does not cover {id}"),
        ));
    }
    let proofs = match &request.proofs {
        Some(Proofs::Jwt(proofs)) => proofs,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_proof",
                "only jwt proofs are supported",
            ));
        }
        None => {
            return Err(ApiError::bad_request(
                "invalid_proof",
                "proofs are required",
            ));
        }
    };
    if proofs.len() > state.config.batch_size {
        return Err(ApiError::bad_request(
            "invalid_credential_request",
            format!("at most {} proofs per request", state.config.batch_size),
        ));
    }
    let mut holder_keys = Vec::with_capacity(proofs.len());
    for proof in proofs {
        let key = verify_proof(&state, &grant, proof)?;
        if holder_keys
            .iter()
            .any(|k: &jose_core::PublicJwk| k.same_key(&key))
        {
            return Err(ApiError::bad_request(
                "invalid_proof",
                "two proofs for the same key: one credential per key",
            ));
        }
        holder_keys.push(key);
    }
    let mut credentials = Vec::with_capacity(holder_keys.len());
    for key in holder_keys {
        let credential = mint::mint(&state, &configuration, &grant.claims, key)?;
        credentials.push(json!({"credential": credential}));
    }
    let notification_id = state.random_handle()?;
    state
        .notifications
        .register(notification_id.clone(), Vec::new());
    if configuration.deferred {
        let transaction_id = state.random_handle()?;
        let interval = state.config.deferred_interval_seconds;
        let ready_at = state.clock.now().saturating_add(interval);
        state
            .deferred
            .insert(transaction_id.clone(), credentials, ready_at);
        let body = json!({"transaction_id": transaction_id, "interval": interval.max(1)});
        return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
    }
    let body: Value = json!({"credentials": credentials, "notification_id": notification_id});
    Ok(Json(body).into_response())
}

fn verify_proof(
    state: &IssuerState,
    grant: &AccessGrant,
    proof: &str,
) -> Result<jose_core::PublicJwk, ApiError> {
    let client = match &grant.client_id {
        Some(id) => ProofClient::ClientId(id),
        None => ProofClient::Unknown,
    };
    let c_nonce = NonceCheck::Stateless {
        nonces: &state.nonces,
        max_age: state.config.nonce_max_age_seconds,
    };
    let policy =
        KeyProofPolicy::new(&state.base_url, ACCEPTED_ALGORITHMS, c_nonce).with_client(client);
    let now = state.clock.now();
    let verified =
        pop_verifier::verify_key_proof(proof, &policy, now, &jose_core::Limits::default())
            .map_err(|e| {
                use pop_verifier::Error as P;
                let code = match e {
                    P::NonceMismatch | P::NonceInvalid { .. } => "invalid_nonce",
                    _ => "invalid_proof",
                };
                ApiError::bad_request(code, format!("proof: {e}"))
            })?;
    verified
        .record(state.replay.as_ref(), now)
        .map(pop_verifier::AcceptedKeyProof::into_holder_key)
        .map_err(|e| ApiError::bad_request("invalid_proof", format!("proof: {e}")))
}
