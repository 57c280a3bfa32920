//! Credential Offer (OpenID4VCI 1.0 §4.1): the offer object and its grants. The URI form
//! (`openid-credential-offer://?credential_offer=...`) is in [`uri`].

pub(crate) mod uri;

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::display::Extra;
use crate::error::{Error, MessageKind};
use crate::json;
use crate::limits::Limits;
use crate::limits::MAX_TX_CODE_DESCRIPTION_CHARS;
use crate::well_known::check_issuer_identifier;

/// The grant type of the Pre-Authorized Code Flow (§3.5).
pub const PRE_AUTHORIZED_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// The grant type of the Authorization Code Flow (RFC 6749 §4.1.3).
pub const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";
/// The refresh token grant type (RFC 6749 §6).
pub const REFRESH_TOKEN_GRANT: &str = "refresh_token";

/// A Credential Offer object (§4.1.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialOffer {
    /// REQUIRED. The issuer identifier.
    pub credential_issuer: String,
    /// REQUIRED. Non-empty, unique ids of `credential_configurations_supported`.
    pub credential_configuration_ids: Vec<String>,
    /// Grants the wallet may use; absent means "look at the AS metadata".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CredentialOffer {
    /// An offer without grants.
    #[must_use]
    pub fn new(credential_issuer: &str, credential_configuration_ids: Vec<String>) -> Self {
        Self {
            credential_issuer: credential_issuer.into(),
            credential_configuration_ids,
            grants: None,
            extra: Extra::new(),
        }
    }

    /// Parses and [checks](Self::check) an offer object with the default limits.
    ///
    /// # Errors
    ///
    /// JSON errors, a missing REQUIRED member, or an error of [`Self::check`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json_with(bytes, &Limits::default())
    }

    /// Like [`Self::from_json`] with explicit limits.
    ///
    /// # Errors
    ///
    /// As [`Self::from_json`].
    pub fn from_json_with(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let offer: Self = json::parse_typed(
            bytes,
            limits.max_message_len,
            limits.max_json_depth,
            MessageKind::CredentialOffer,
        )?;
        offer.check()?;
        Ok(offer)
    }

    /// Checks what serde cannot: the issuer is an https identifier,
    /// `credential_configuration_ids` is non-empty and has no duplicates, and a `tx_code`
    /// description has at most 300 characters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], [`Error::EmptyArray`], [`Error::DuplicateConfigurationId`],
    /// [`Error::TxCodeDescriptionTooLong`].
    pub fn check(&self) -> Result<(), Error> {
        check_issuer_identifier(&self.credential_issuer, "credential_issuer")?;
        if self.credential_configuration_ids.is_empty() {
            return Err(Error::EmptyArray {
                message: MessageKind::CredentialOffer,
                member: "credential_configuration_ids",
            });
        }
        for (i, id) in self.credential_configuration_ids.iter().enumerate() {
            let earlier = self
                .credential_configuration_ids
                .get(..i)
                .unwrap_or_default();
            if earlier.contains(id) {
                return Err(Error::DuplicateConfigurationId { id: id.clone() });
            }
        }
        let description = self
            .pre_authorized_code_grant()
            .and_then(|g| g.tx_code.as_ref())
            .and_then(|t| t.description.as_ref());
        if let Some(description) = description {
            let chars = description.chars().count();
            if chars > MAX_TX_CODE_DESCRIPTION_CHARS {
                return Err(Error::TxCodeDescriptionTooLong { chars });
            }
        }
        Ok(())
    }

    /// The pre-authorized code grant, if offered.
    #[must_use]
    pub fn pre_authorized_code_grant(&self) -> Option<&PreAuthorizedCodeGrant> {
        self.grants.as_ref()?.pre_authorized_code.as_ref()
    }

    /// The authorization code grant, if offered.
    #[must_use]
    pub fn authorization_code_grant(&self) -> Option<&AuthorizationCodeGrant> {
        self.grants.as_ref()?.authorization_code.as_ref()
    }

    /// Serializes to a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The `grants` object (§4.1.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Grants {
    /// `authorization_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<AuthorizationCodeGrant>,
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedCodeGrant>,
    /// Unknown grants.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The authorization code grant parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationCodeGrant {
    /// Opaque value the wallet passes back in the authorization request (untrusted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_state: Option<String>,
    /// Which of the issuer's authorization servers to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The pre-authorized code grant parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PreAuthorizedCodeGrant {
    /// REQUIRED. The short-lived, single-use code.
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    /// Present (even as `{}`) when the token request must carry a `tx_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCode>,
    /// Which of the issuer's authorization servers to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl PreAuthorizedCodeGrant {
    /// A grant with the given code and no `tx_code`.
    #[must_use]
    pub fn new(pre_authorized_code: &str) -> Self {
        Self {
            pre_authorized_code: pre_authorized_code.into(),
            tx_code: None,
            authorization_server: None,
            extra: Extra::new(),
        }
    }
}

/// The `tx_code` object (§4.1.1). Its presence alone means a transaction code is required.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TxCode {
    /// `numeric` (the default) or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<TxCodeInputMode>,
    /// The code's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Guidance for the user, at most 300 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `tx_code.input_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[expect(
    clippy::exhaustive_enums,
    reason = "§4.1.1 defines exactly numeric and text"
)]
pub enum TxCodeInputMode {
    /// Digits only.
    Numeric,
    /// Any characters.
    Text,
}
