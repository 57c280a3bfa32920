//! The OAuth and OpenID4VCI endpoints: each hands the request to the
//! [`oid4vci_issuer::IssuerEngine`] and turns its answer into an HTTP response. Nothing here
//! decides anything.
//!
//! The engine's stores are synchronous and may block on a database, so with a database every
//! engine call runs on Tokio's blocking pool (`spawn_blocking`), never on a task of the async
//! runtime (see `off_runtime`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use oid4vci_issuer::{EndpointRequest, EndpointResponse, IssuerEngine};
use oid4vci_types::OAuthError;

use super::IssuerState;
use crate::error::ApiError;

/// An engine endpoint: the engine, the request, the time.
type Endpoint = fn(
    &IssuerEngine,
    &EndpointRequest<'_>,
    jose_core::UnixTime,
) -> Result<EndpointResponse, OAuthError>;

/// Runs `endpoint` on the blocking pool (see the module docs).
async fn run_blocking(
    state: Arc<IssuerState>,
    headers: HeaderMap,
    body: Bytes,
    endpoint: Endpoint,
) -> Response {
    super::off_runtime(state.store_calls.clone(), move || {
        run(&state, &headers, &body, endpoint)
    })
    .await
}

/// Runs `endpoint` of the engine on the request's headers and body.
fn run(
    state: &IssuerState,
    headers: &HeaderMap,
    body: &[u8],
    endpoint: impl FnOnce(
        &IssuerEngine,
        &EndpointRequest<'_>,
        jose_core::UnixTime,
    ) -> Result<EndpointResponse, OAuthError>,
) -> Response {
    let pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    let request = EndpointRequest::new(&pairs, body);
    match endpoint(&state.engine, &request, state.clock.now()) {
        Ok(answer) => {
            for warning in &answer.warnings {
                tracing::warn!(reason = %warning, "lenient mode: request accepted");
                state.lenient_log.push(warning.clone());
            }
            respond(answer)
        }
        Err(error) => {
            if error.status() < 500 {
                tracing::info!(error = error.error(), reason = %error.description(), "request refused");
            }
            ApiError(error).into_response()
        }
    }
}

/// An engine answer as an HTTP response.
fn respond(answer: EndpointResponse) -> Response {
    let response = crate::error::http_response(answer.status, answer.body, answer.headers);
    match answer.jwt {
        // An encrypted answer: the compact JWE is the body (its Content-Type is among the
        // headers).
        Some(token) if response.status().as_u16() == answer.status => {
            let (parts, _) = response.into_parts();
            Response::from_parts(parts, axum::body::Body::from(token))
        }
        _ => response,
    }
}

/// `POST /par` (RFC 9126).
pub(super) async fn par(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run_blocking(state, headers, body, IssuerEngine::par).await
}

/// `POST /token`.
pub(super) async fn token(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run_blocking(state, headers, body, IssuerEngine::token).await
}

/// `POST /nonce`.
pub(super) async fn nonce(State(state): State<Arc<IssuerState>>) -> Response {
    run_blocking(state, HeaderMap::new(), Bytes::new(), |engine, _, now| {
        engine.nonce(now)
    })
    .await
}

/// `POST /challenge`.
pub(super) async fn challenge(State(state): State<Arc<IssuerState>>) -> Response {
    run_blocking(state, HeaderMap::new(), Bytes::new(), |engine, _, now| {
        engine.challenge(now)
    })
    .await
}

/// `POST /credential`.
pub(super) async fn credential(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run_blocking(state, headers, body, IssuerEngine::credential).await
}

/// `POST /deferred_credential`.
pub(super) async fn deferred_credential(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run_blocking(state, headers, body, IssuerEngine::deferred_credential).await
}

/// `POST /notification`.
pub(super) async fn notification(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run_blocking(state, headers, body, |engine, request, now| {
        let (answer, event) = engine.notification(request, now)?;
        tracing::info!(event = ?event, "wallet notification");
        Ok(answer)
    })
    .await
}
