//! `POST /nonce` (OpenID4VCI §7) and `POST /challenge` (ABCA challenge endpoint).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pop_verifier::NoncePurpose;
use serde_json::json;

use super::IssuerState;
use crate::error::ApiError;

fn no_store(body: serde_json::Value) -> Response {
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn issue(state: &IssuerState, purpose: NoncePurpose) -> Result<String, ApiError> {
    state
        .nonces
        .issue(purpose, state.clock.now(), &state.rng)
        .map_err(|e| ApiError::server_error(&e))
}

/// `POST /nonce`: a fresh stateless `c_nonce`.
pub(super) async fn nonce(State(state): State<Arc<IssuerState>>) -> Result<Response, ApiError> {
    Ok(no_store(
        json!({"c_nonce": issue(&state, NoncePurpose::CNonce)?}),
    ))
}

/// `POST /challenge`: a fresh stateless attestation challenge.
pub(super) async fn challenge(State(state): State<Arc<IssuerState>>) -> Result<Response, ApiError> {
    let value = issue(&state, NoncePurpose::AttestationChallenge)?;
    Ok(no_store(json!({"attestation_challenge": value})))
}
