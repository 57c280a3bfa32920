//! `POST /credential`: proofs checked against the c_nonce, then one credential per proof key.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oid4vci_issuer::AccessGrant;
use oid4vci_types::{
    CredentialRequest, CredentialResponse, CredentialTarget, DeferredIssuance, IssuedCredential,
    IssuedCredentials, ParseOptions, Proofs,
};
use pop_verifier::{KeyProofPolicy, ProofClient};

use super::{ACCEPTED_ALGORITHMS, IssuerState, access, mint};
use crate::error::ApiError;

/// `POST /credential`.
pub(super) async fn credential(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let authorized = access::authorize(&state, &headers, "/credential")?;
    let grant = &authorized.grant;
    access::require_json(&headers, "invalid_credential_request")?;
    let request = CredentialRequest::parse(&body, &ParseOptions::default())
        .map_err(|e| ApiError::bad_request("invalid_credential_request", e.to_string()))?;
    if request.credential_response_encryption.is_some() {
        return Err(encryption_not_offered());
    }
    let id = requested_configuration(grant, &request.target)?;
    let configuration = state.config.configuration(&id).cloned().ok_or_else(|| {
        ApiError::bad_request(
            "unknown_credential_configuration",
            format!("no credential configuration {id}"),
        )
    })?;
    if !grant.configuration_ids.contains(&id) {
        return Err(ApiError::insufficient_scope(
            authorized.scheme,
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
        let key = verify_proof(&state, grant, proof)?;
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
        credentials.push(mint::mint(
            &state,
            &grant.grant,
            &configuration,
            &grant.claims,
            key,
        )?);
    }
    let now = state.clock.now();
    if configuration.deferred {
        let transaction_id = state.random_handle()?;
        let interval = state.config.deferred_interval_seconds;
        state.deferred.insert(
            &grant.grant,
            transaction_id.clone(),
            credentials,
            now.saturating_add(interval),
            now.saturating_add(state.config.refresh_token_ttl_seconds),
            now,
        )?;
        let pending =
            CredentialResponse::Deferred(DeferredIssuance::new(&transaction_id, interval.max(1)));
        return Ok((StatusCode::ACCEPTED, Json(pending.to_value())).into_response());
    }
    let notification_id = state.random_handle()?;
    state.notifications.register(
        &grant.grant,
        notification_id.clone(),
        Vec::new(),
        now.saturating_add(state.config.refresh_token_ttl_seconds),
        now,
    )?;
    let mut issued = IssuedCredentials::new(
        credentials
            .iter()
            .map(|c| IssuedCredential::from_string(c))
            .collect(),
    );
    issued.notification_id = Some(notification_id);
    Ok(Json(CredentialResponse::Issued(issued).to_value()).into_response())
}

/// 400 `invalid_encryption_parameters`: the request asks for an encrypted response, and this
/// issuer offers no `credential_response_encryption` in its metadata (OpenID4VCI 1.0 §8.2,
/// §8.3.1.2). Answering in plaintext would hand out a credential the wallet asked to protect.
pub(super) fn encryption_not_offered() -> ApiError {
    ApiError::bad_request(
        "invalid_encryption_parameters",
        "credential_response_encryption was requested, but this issuer offers no response encryption",
    )
}

/// The credential configuration a request asks for, resolved within `grant`: a
/// `credential_identifier` must be one the token response handed out for this grant
/// (OpenID4VCI 1.0 §8.2); once identifiers were handed out, a bare
/// `credential_configuration_id` is refused.
fn requested_configuration(
    grant: &AccessGrant,
    target: &CredentialTarget,
) -> Result<String, ApiError> {
    match target {
        CredentialTarget::Identifier(identifier) => grant
            .configuration_of_identifier(identifier)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "unknown_credential_identifier",
                    "the credential_identifier was not issued for this access token",
                )
            }),
        CredentialTarget::ConfigurationId(id) if grant.credential_identifiers.is_empty() => {
            Ok(id.clone())
        }
        CredentialTarget::ConfigurationId(_) => Err(ApiError::bad_request(
            "invalid_credential_request",
            "the token response issued credential_identifiers: request by credential_identifier",
        )),
        _ => Err(ApiError::bad_request(
            "invalid_credential_request",
            "credential_identifier or credential_configuration_id is required",
        )),
    }
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
    let policy = KeyProofPolicy::new(&state.base_url, ACCEPTED_ALGORITHMS)
        .with_stateless_nonces(&state.nonces, state.config.nonce_max_age_seconds, true)
        .with_client(client);
    pop_verifier::verify_key_proof(
        proof,
        &policy,
        state.clock.now(),
        &jose_core::Limits::default(),
    )
    .map(|v| v.holder_key)
    .map_err(|e| {
        use pop_verifier::Error as P;
        let code = match e {
            P::NonceMismatch | P::NonceInvalid { .. } => "invalid_nonce",
            _ => "invalid_proof",
        };
        ApiError::bad_request(code, format!("proof: {e}"))
    })
}
