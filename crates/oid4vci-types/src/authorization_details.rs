//! `authorization_details` of type `openid_credential` (OpenID4VCI 1.0 §5.1.1, §6.2;
//! RFC 9396).

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::display::{ClaimDescription, Extra};
use crate::error::{Error, MessageKind};
use crate::json;
use crate::options::ParseOptions;

/// The RFC 9396 type registered by OpenID4VCI.
pub const OPENID_CREDENTIAL: &str = "openid_credential";

/// One authorization details object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationDetail {
    /// REQUIRED. The type; `openid_credential` for OpenID4VCI.
    #[serde(rename = "type")]
    pub detail_type: String,
    /// REQUIRED for `openid_credential`: the requested configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_configuration_id: Option<String>,
    /// Requested claims (claims path pointers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimDescription>>,
    /// RFC 9396 `locations`: the issuer identifier when the AS is separate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<String>>,
    /// Token response only: the identifiers to use in credential requests (non-empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_identifiers: Option<Vec<String>>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl AuthorizationDetail {
    /// An `openid_credential` entry for a configuration.
    #[must_use]
    pub fn openid_credential(credential_configuration_id: &str) -> Self {
        Self {
            detail_type: OPENID_CREDENTIAL.into(),
            credential_configuration_id: Some(credential_configuration_id.into()),
            claims: None,
            locations: None,
            credential_identifiers: None,
            extra: Extra::new(),
        }
    }

    /// Parses a JSON array of authorization details (as found in an authorization request,
    /// PAR or token request).
    ///
    /// # Errors
    ///
    /// JSON errors, [`Error::InvalidMember`] if the value is not an array of objects,
    /// [`Error::EmptyArray`] for an empty array (it asks for nothing), and the errors of
    /// [`Self::check`].
    pub fn parse_list(bytes: &[u8], options: &ParseOptions) -> Result<Vec<Self>, Error> {
        let value = json::parse_value(
            bytes,
            options.limits.max_message_len,
            options.limits.max_json_depth,
            MessageKind::AuthorizationDetails,
        )?;
        Self::from_list_value(value, options)
    }

    pub(crate) fn from_list_value(
        value: Value,
        options: &ParseOptions,
    ) -> Result<Vec<Self>, Error> {
        let list: Vec<Self> = json::from_value(value, MessageKind::AuthorizationDetails)?;
        if list.is_empty() {
            // An empty list asks for nothing (RFC 9396 §2: an array of objects).
            return Err(Error::EmptyArray {
                message: MessageKind::AuthorizationDetails,
                member: "authorization_details",
            });
        }
        for detail in &list {
            detail.check(options)?;
        }
        Ok(list)
    }

    /// For `openid_credential`: `credential_configuration_id` is REQUIRED (a draft-13
    /// `format` entry is [`Error::Draft13Shape`] unless `accept_draft13`), and
    /// `credential_identifiers`, when present, is non-empty.
    ///
    /// # Errors
    ///
    /// [`Error::MissingMember`], [`Error::Draft13Shape`], [`Error::EmptyArray`].
    pub fn check(&self, options: &ParseOptions) -> Result<(), Error> {
        if self.detail_type != OPENID_CREDENTIAL {
            return Ok(());
        }
        if self.credential_configuration_id.is_none() {
            if self.extra.contains_key("format") {
                if !options.accept_draft13 {
                    return Err(Error::Draft13Shape {
                        message: MessageKind::AuthorizationDetails,
                        member: "format",
                    });
                }
            } else {
                return Err(Error::MissingMember {
                    message: MessageKind::AuthorizationDetails,
                    member: "credential_configuration_id".into(),
                });
            }
        }
        if self
            .credential_identifiers
            .as_ref()
            .is_some_and(Vec::is_empty)
        {
            return Err(Error::EmptyArray {
                message: MessageKind::AuthorizationDetails,
                member: "credential_identifiers",
            });
        }
        Ok(())
    }
}
