//! Credential Response (OpenID4VCI 1.0 §8.3) and Deferred Credential Response (§9.2): 200 with
//! `credentials`, or 202 with `transaction_id` and `interval`.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::display::Extra;
use crate::error::{Error, MessageKind};
use crate::json;
use crate::options::ParseOptions;

const MSG: MessageKind = MessageKind::CredentialResponse;

/// The Deferred Credential Response (§9.2) has the same two shapes as the credential response.
pub type DeferredCredentialResponse = CredentialResponse;

/// A credential or deferred credential response.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CredentialResponse {
    /// HTTP 200: the credentials.
    Issued(IssuedCredentials),
    /// HTTP 202: issuance is deferred.
    Deferred(DeferredIssuance),
}

impl CredentialResponse {
    /// The HTTP status this response is sent with (200 or 202).
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Issued(_) => 200,
            Self::Deferred(_) => 202,
        }
    }

    /// Parses a response body (the wallet side).
    ///
    /// # Errors
    ///
    /// JSON errors; [`Error::ConflictingResponse`] for `credentials` with `transaction_id`;
    /// [`Error::Draft13Shape`] for a singular `credential` unless `accept_draft13` (then it is
    /// converted to a one-element `credentials`); [`Error::EmptyArray`];
    /// [`Error::MissingMember`] (`credentials`, `interval`); [`Error::InvalidMember`] when a
    /// `credential` is neither a string nor an object.
    pub fn parse(bytes: &[u8], options: &ParseOptions) -> Result<Self, Error> {
        let mut map = json::parse_object(
            bytes,
            options.limits.max_message_len,
            options.limits.max_json_depth,
            MSG,
        )?;
        if map.contains_key("transaction_id") {
            if map.contains_key("credentials") {
                return Err(Error::ConflictingResponse);
            }
            return json::from_value(Value::Object(map), MSG).map(Self::Deferred);
        }
        if !map.contains_key("credentials")
            && let Some(single) = map.remove("credential")
        {
            if !options.accept_draft13 {
                return Err(Error::Draft13Shape {
                    message: MSG,
                    member: "credential",
                });
            }
            let mut entry = Map::new();
            entry.insert("credential".to_owned(), single);
            map.insert(
                "credentials".to_owned(),
                Value::Array(vec![Value::Object(entry)]),
            );
        }
        let issued: IssuedCredentials = json::from_value(Value::Object(map), MSG)?;
        if issued.credentials.is_empty() {
            return Err(Error::EmptyArray {
                message: MSG,
                member: "credentials",
            });
        }
        if issued
            .credentials
            .iter()
            .any(|c| !matches!(c.credential, Value::String(_) | Value::Object(_)))
        {
            return Err(Error::InvalidMember {
                message: MSG,
                detail: "credential is neither a string nor an object".to_owned(),
            });
        }
        Ok(Self::Issued(issued))
    }

    /// Serializes to a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        match self {
            Self::Issued(i) => serde_json::to_value(i),
            Self::Deferred(d) => serde_json::to_value(d),
        }
        .unwrap_or(Value::Null)
    }

    /// The value [`Self::to_value`] makes, with the credentials moved into it rather than
    /// copied: an issuer answering with a batch of credentials of some kilobytes each uses
    /// this.
    #[must_use]
    pub fn into_value(self) -> Value {
        match self {
            Self::Issued(issued) => issued.into_value(),
            deferred @ Self::Deferred(_) => deferred.to_value(),
        }
    }
}

/// The 200 body: `credentials` (non-empty) and an optional `notification_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssuedCredentials {
    /// REQUIRED. One entry per issued credential.
    pub credentials: Vec<IssuedCredential>,
    /// Identifier for the notification endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl IssuedCredentials {
    /// A response carrying the given credentials.
    #[must_use]
    pub fn new(credentials: Vec<IssuedCredential>) -> Self {
        Self {
            credentials,
            notification_id: None,
            extra: Extra::new(),
        }
    }

    /// The JSON object, members as `serde` writes them (`credentials`, `notification_id`
    /// when set, then the unknown members, which replace a known one of the same name), with
    /// every value moved rather than copied.
    #[must_use]
    pub fn into_value(self) -> Value {
        let mut object = Map::new();
        object.insert(
            "credentials".to_owned(),
            Value::Array(
                self.credentials
                    .into_iter()
                    .map(IssuedCredential::into_value)
                    .collect(),
            ),
        );
        if let Some(id) = self.notification_id {
            object.insert("notification_id".to_owned(), Value::String(id));
        }
        object.extend(self.extra);
        Value::Object(object)
    }
}

/// One `credentials` entry: `credential` is a string (SD-JWT VC, base64url mdoc, JWT VC) or
/// an object (`ldp_vc`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssuedCredential {
    /// REQUIRED. The credential.
    pub credential: Value,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl IssuedCredential {
    /// An entry holding a string credential.
    #[must_use]
    pub fn from_string(credential: &str) -> Self {
        Self::from(String::from(credential))
    }

    /// The JSON object, as [`IssuedCredentials::into_value`] writes each entry.
    #[must_use]
    pub fn into_value(self) -> Value {
        let mut object = Map::new();
        object.insert("credential".to_owned(), self.credential);
        object.extend(self.extra);
        Value::Object(object)
    }
}

/// An entry holding a string credential, taken without a copy.
impl From<String> for IssuedCredential {
    fn from(credential: String) -> Self {
        Self {
            credential: Value::String(credential),
            extra: Extra::new(),
        }
    }
}

/// The 202 body: `transaction_id` and `interval` (seconds), both REQUIRED.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeferredIssuance {
    /// REQUIRED. The id for the deferred credential endpoint.
    pub transaction_id: String,
    /// REQUIRED. Seconds the wallet should wait before polling.
    pub interval: u64,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl DeferredIssuance {
    /// A deferral.
    #[must_use]
    pub fn new(transaction_id: &str, interval: u64) -> Self {
        Self {
            transaction_id: transaction_id.into(),
            interval,
            extra: Extra::new(),
        }
    }
}
