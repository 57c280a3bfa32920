//! `POST /deferred_credential` and `POST /notification`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oid4vci_types::{DeferredCredentialRequest, NotificationRequest};
use serde_json::json;

use super::{IssuerState, access};
use crate::error::ApiError;
use crate::state::DeferredError;

/// `POST /deferred_credential`: the credentials once ready, else 202 with the interval again.
pub(super) async fn deferred_credential(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    access::authorize(&state, &headers, "/deferred_credential")?;
    let request = DeferredCredentialRequest::from_json(&body)
        .map_err(|e| ApiError::bad_request("invalid_credential_request", e.to_string()))?;
    let id = request.transaction_id.as_str();
    match state.deferred.take(id, state.clock.now()) {
        Ok(credentials) => {
            let notification_id = state.random_handle()?;
            state
                .notifications
                .register(notification_id.clone(), Vec::new());
            Ok(
                Json(json!({"credentials": credentials, "notification_id": notification_id}))
                    .into_response(),
            )
        }
        Err(DeferredError::Pending) => {
            let interval = state.config.deferred_interval_seconds.max(1);
            Ok((
                StatusCode::ACCEPTED,
                Json(json!({"transaction_id": id, "interval": interval})),
            )
                .into_response())
        }
        Err(_) => Err(ApiError::bad_request(
            "invalid_transaction_id",
            "unknown or already collected transaction_id",
        )),
    }
}

/// `POST /notification`: 204 for a known `notification_id`.
pub(super) async fn notification(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    access::authorize(&state, &headers, "/notification")?;
    let request = NotificationRequest::from_json(&body)
        .map_err(|e| ApiError::bad_request("invalid_notification_request", e.to_string()))?;
    let event = serde_json::to_value(request.event)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if !state.notifications.record(&request.notification_id, &event) {
        return Err(ApiError::bad_request(
            "invalid_notification_id",
            "unknown notification_id",
        ));
    }
    tracing::info!(event = %event, "wallet notification");
    Ok(StatusCode::NO_CONTENT.into_response())
}
