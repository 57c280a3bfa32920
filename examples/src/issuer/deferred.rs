//! `POST /deferred_credential` and `POST /notification`: every id is looked up under the grant
//! of the access token it comes with, so another grant's id is answered like an unknown one.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oid4vci_issuer::DeferredError;
use oid4vci_types::{
    CredentialResponse, DeferredIssuance, IssuedCredential, IssuedCredentials, NotificationEvent,
    NotificationRequest,
};

use super::{IssuerState, access};
use crate::error::ApiError;

/// `POST /deferred_credential`: the credentials once ready, else 202 with the interval again.
pub(super) async fn deferred_credential(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let authorized = access::authorize(&state, &headers, "/deferred_credential")?;
    access::require_json(&headers, "invalid_credential_request")?;
    let request = oid4vci_types::DeferredCredentialRequest::from_json(&body)
        .map_err(|e| ApiError::bad_request("invalid_credential_request", e.to_string()))?;
    if request.credential_response_encryption.is_some() {
        return Err(super::credential::encryption_not_offered());
    }
    let grant = &authorized.grant.grant;
    let id = request.transaction_id.as_str();
    let now = state.clock.now();
    match state.deferred.take(grant, id, now) {
        Ok(credentials) => {
            let notification_id = state.random_handle()?;
            state.notifications.register(
                grant,
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
        Err(DeferredError::Pending) => {
            let interval = state.config.deferred_interval_seconds.max(1);
            let pending = CredentialResponse::Deferred(DeferredIssuance::new(id, interval));
            Ok((StatusCode::ACCEPTED, Json(pending.to_value())).into_response())
        }
        Err(_) => Err(ApiError::bad_request(
            "invalid_transaction_id",
            "unknown or already collected transaction_id",
        )),
    }
}

/// `POST /notification`: 204 for a `notification_id` of this access token's grant.
pub(super) async fn notification(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let authorized = access::authorize(&state, &headers, "/notification")?;
    access::require_json(&headers, "invalid_notification_request")?;
    let request = NotificationRequest::from_json(&body)
        .map_err(|e| ApiError::bad_request("invalid_notification_request", e.to_string()))?;
    let event = match request.event {
        NotificationEvent::CredentialAccepted => "credential_accepted",
        NotificationEvent::CredentialDeleted => "credential_deleted",
        _ => "credential_failure",
    };
    let now = state.clock.now();
    if !state.notifications.record(
        &authorized.grant.grant,
        &request.notification_id,
        event,
        now,
    ) {
        return Err(ApiError::bad_request(
            "invalid_notification_id",
            "unknown notification_id",
        ));
    }
    tracing::info!(event = %event, "wallet notification");
    Ok(StatusCode::NO_CONTENT.into_response())
}
