//! `POST /deferred_credential` and `POST /notification`: every id is looked up under the grant
//! of the access token it comes with, so another grant's id is answered like an unknown one.

use jose_core::UnixTime;
use oid4vci_types::{
    CredentialResponse, DeferredCredentialRequest, DeferredErrorCode, DeferredIssuance,
    NotificationErrorCode, NotificationEvent, NotificationRequest, OAuthError,
};

use super::{IssuerEngine, store_failure};
use crate::{DeferredError, EndpointRequest, EndpointResponse};

/// The path of the deferred credential endpoint.
pub(crate) const DEFERRED_PATH: &str = "/deferred_credential";
/// The path of the notification endpoint.
pub(crate) const NOTIFICATION_PATH: &str = "/notification";

impl IssuerEngine {
    /// `POST /deferred_credential` (OpenID4VCI 1.0 §9): the credentials once ready, else 202
    /// with the interval again.
    ///
    /// # Errors
    /// The access token errors of [`Self::authorize`], `invalid_credential_request`,
    /// `invalid_encryption_parameters`, `invalid_transaction_id` (unknown, collected, expired
    /// or another grant's: the same answer), `server_error`.
    pub fn deferred_credential(
        &self,
        request: &EndpointRequest<'_>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let authorized = self.authorize(request, DEFERRED_PATH, now)?;
        let body = self.request_body(request)?;
        let parsed = DeferredCredentialRequest::from_json(body.bytes()).map_err(|e| {
            let code = match e {
                oid4vci_types::Error::MalformedEncryptionParameters { .. } => {
                    DeferredErrorCode::InvalidEncryptionParameters
                }
                _ => DeferredErrorCode::InvalidCredentialRequest,
            };
            OAuthError::from_code(code, &e.to_string())
        })?;
        let sealer = self.response_encrypter(
            parsed.credential_response_encryption.as_ref(),
            body.encrypted(),
        )?;
        let id = parsed.transaction_id.as_str();
        match self.stores.deferred.take(authorized.grant_id(), id, now) {
            Ok(credentials) => {
                // Taken, but not yet answered: if registering the notification id or sealing
                // the answer fails, the credentials go back under the transaction, so the
                // wallet's retry (§9) collects them instead of `invalid_transaction_id`.
                let kept = credentials.clone();
                self.issued(&authorized, credentials, now)
                    .and_then(|answer| self.seal(answer, sealer.as_ref()))
                    .map_err(|error| {
                        let put_back = self.stores.deferred.insert(
                            authorized.grant_id(),
                            id.to_owned(),
                            kept,
                            now,
                            now.saturating_add(self.settings.refresh_token_ttl_seconds),
                            now,
                        );
                        match put_back {
                            Ok(()) => error,
                            Err(lost) => {
                                let detail = format!(
                                    "{}; the deferred credentials could not be put back: {lost}",
                                    error.internal_detail().unwrap_or(error.description())
                                );
                                error.with_internal_detail(detail)
                            }
                        }
                    })
            }
            Err(DeferredError::Pending) => {
                let interval = self.settings.deferred_interval_seconds.max(1);
                let pending = CredentialResponse::Deferred(DeferredIssuance::new(id, interval));
                self.seal(
                    EndpointResponse::json(202, pending.to_value()),
                    sealer.as_ref(),
                )
            }
            Err(DeferredError::Store(e)) => Err(store_failure(e)),
            Err(_) => Err(OAuthError::from_code(
                DeferredErrorCode::InvalidTransactionId,
                "unknown or already collected transaction_id",
            )),
        }
    }

    /// `POST /notification` (OpenID4VCI 1.0 §11): 204 for a `notification_id` of this access
    /// token's grant.
    ///
    /// # Errors
    /// The access token errors of [`Self::authorize`], `invalid_notification_request`,
    /// `invalid_notification_id` (unknown, expired or another grant's: the same answer).
    pub fn notification(
        &self,
        request: &EndpointRequest<'_>,
        now: UnixTime,
    ) -> Result<(EndpointResponse, NotificationEvent), OAuthError> {
        let authorized = self.authorize(request, NOTIFICATION_PATH, now)?;
        request.require_media_type("application/json", "invalid_notification_request")?;
        let parsed = NotificationRequest::from_json(request.body()).map_err(|e| {
            OAuthError::from_code(
                NotificationErrorCode::InvalidNotificationRequest,
                &e.to_string(),
            )
        })?;
        let event = match parsed.event {
            NotificationEvent::CredentialAccepted => "credential_accepted",
            NotificationEvent::CredentialDeleted => "credential_deleted",
            _ => "credential_failure",
        };
        let known = self
            .stores
            .notifications
            .record(authorized.grant_id(), &parsed.notification_id, event, now)
            .map_err(store_failure)?;
        if !known {
            return Err(OAuthError::from_code(
                NotificationErrorCode::InvalidNotificationId,
                "unknown notification_id",
            ));
        }
        Ok((EndpointResponse::no_content(), parsed.event))
    }
}
