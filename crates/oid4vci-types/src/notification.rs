//! Notification Request (OpenID4VCI 1.0 §11.1).

use alloc::string::String;

use serde::{Deserialize, Serialize};

use crate::display::Extra;
use crate::error::{Error, MessageKind};
use crate::json;
use crate::limits::Limits;
use crate::text::Description;

/// The notification `event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotificationEvent {
    /// The credential was successfully stored.
    CredentialAccepted,
    /// The user deleted the credential.
    CredentialDeleted,
    /// Any other failure (including a partial batch failure).
    CredentialFailure,
}

/// A Notification Request (§11.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationRequest {
    /// REQUIRED. The `notification_id` of the credential response.
    pub notification_id: String,
    /// REQUIRED. What happened.
    pub event: NotificationEvent,
    /// Human-readable text in the restricted RFC 6749 character set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_description: Option<Description>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl NotificationRequest {
    /// A notification without description.
    #[must_use]
    pub fn new(notification_id: &str, event: NotificationEvent) -> Self {
        Self {
            notification_id: notification_id.into(),
            event,
            event_description: None,
            extra: Extra::new(),
        }
    }

    /// Parses a notification request with default limits.
    ///
    /// # Errors
    ///
    /// JSON errors, [`Error::MissingMember`], [`Error::InvalidMember`] (e.g. an unknown
    /// `event`), [`Error::InvalidDescriptionChar`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let limits = Limits::default();
        json::parse_typed(
            bytes,
            limits.max_message_len,
            limits.max_json_depth,
            MessageKind::NotificationRequest,
        )
    }
}
