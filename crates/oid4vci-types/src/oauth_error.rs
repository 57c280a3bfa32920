//! Error responses of every endpoint with their HTTP status (RFC 6749 §5.2, RFC 6750 §3.1,
//! RFC 8628 §3.5, RFC 9449 §7.1, ABCA §7.4, OpenID4VCI 1.0 §6.3, §8.3.1, §9.3, §11.3).

use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::display::Extra;
use crate::error::{Error, MessageKind};
use crate::json;
use crate::limits::Limits;
use crate::text::Description;

mod sealed {
    #[expect(
        unnameable_types,
        reason = "sealed-trait pattern: nameable only inside the crate"
    )]
    pub trait Sealed {}
}

/// An error code of one endpoint. Sealed: implemented by the four code enums of this crate.
pub trait ErrorCode: sealed::Sealed + Sized {
    /// The wire value.
    fn as_str(&self) -> &str;
    /// Parses a wire value; unknown values are kept (`Other`).
    fn from_wire(code: &str) -> Self;
    /// The HTTP status the code is sent with.
    fn http_status(&self) -> u16;
}

macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal => $status:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A code not defined for this endpoint, kept as received (sent with 400).
            Other(String),
        }

        impl sealed::Sealed for $name {}

        impl ErrorCode for $name {
            fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(code) => code,
                }
            }

            fn from_wire(code: &str) -> Self {
                match code {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.into()),
                }
            }

            fn http_status(&self) -> u16 {
                match self {
                    $( Self::$variant => $status, )*
                    Self::Other(_) => 400,
                }
            }
        }

        impl $name {
            /// The wire value.
            #[must_use]
            pub fn as_str(&self) -> &str {
                ErrorCode::as_str(self)
            }

            /// The HTTP status the code is sent with.
            #[must_use]
            pub fn http_status(&self) -> u16 {
                ErrorCode::http_status(self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(ErrorCode::as_str(self))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(ErrorCode::as_str(self))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let code = String::deserialize(deserializer)?;
                Ok(<Self as ErrorCode>::from_wire(&code))
            }
        }
    };
}

error_codes! {
    /// Token endpoint errors (RFC 6749 §5.2, RFC 8628 §3.5, RFC 9449, ABCA, §6.3).
    TokenErrorCode {
        /// Malformed request; also a missing or unexpected `tx_code` (§6.3).
        InvalidRequest = "invalid_request" => 400,
        /// Client authentication failed (401, with `WWW-Authenticate` when an auth scheme was used).
        InvalidClient = "invalid_client" => 401,
        /// Bad or expired code, wrong `tx_code`, PKCE failure.
        InvalidGrant = "invalid_grant" => 400,
        /// The client may not use this grant.
        UnauthorizedClient = "unauthorized_client" => 400,
        /// The grant type is not supported.
        UnsupportedGrantType = "unsupported_grant_type" => 400,
        /// The scope is invalid.
        InvalidScope = "invalid_scope" => 400,
        /// RFC 8628: the user has not finished yet (OpenID4VCI pre-authorized flow).
        AuthorizationPending = "authorization_pending" => 400,
        /// RFC 8628: poll more slowly.
        SlowDown = "slow_down" => 400,
        /// RFC 9449: the DPoP proof is invalid.
        InvalidDpopProof = "invalid_dpop_proof" => 400,
        /// RFC 9449: retry with the nonce in the `DPoP-Nonce` header.
        UseDpopNonce = "use_dpop_nonce" => 400,
        /// ABCA: retry with the challenge in `OAuth-Client-Attestation-Challenge`.
        UseAttestationChallenge = "use_attestation_challenge" => 400,
        /// ABCA: the attestation is too old.
        UseFreshAttestation = "use_fresh_attestation" => 400,
        /// ABCA: the attestation or its PoP failed (400 at an AS: the editor's copy toward
        /// -12 says SHOULD 400, MAY 401).
        InvalidClientAttestation = "invalid_client_attestation" => 400,
    }
}

error_codes! {
    /// Credential endpoint errors (§8.3.1.2) and the RFC 6750 / RFC 9449 resource errors.
    CredentialErrorCode {
        /// Malformed request.
        InvalidCredentialRequest = "invalid_credential_request" => 400,
        /// `credential_configuration_id` unknown.
        UnknownCredentialConfiguration = "unknown_credential_configuration" => 400,
        /// `credential_identifier` unknown.
        UnknownCredentialIdentifier = "unknown_credential_identifier" => 400,
        /// Proofs missing or invalid.
        InvalidProof = "invalid_proof" => 400,
        /// The proof's nonce is not a valid `c_nonce`; fetch a new one.
        InvalidNonce = "invalid_nonce" => 400,
        /// Encryption parameters invalid or missing.
        InvalidEncryptionParameters = "invalid_encryption_parameters" => 400,
        /// Final refusal; do not retry.
        CredentialRequestDenied = "credential_request_denied" => 400,
        /// RFC 6750 §3.1: malformed request at the resource.
        InvalidRequest = "invalid_request" => 400,
        /// RFC 6750 §3.1: the access token is invalid.
        InvalidToken = "invalid_token" => 401,
        /// RFC 6750 §3.1: the token lacks the scope.
        InsufficientScope = "insufficient_scope" => 403,
        /// RFC 9449 §7.1: the DPoP proof is invalid.
        InvalidDpopProof = "invalid_dpop_proof" => 401,
        /// RFC 9449 §9: retry with the server nonce.
        UseDpopNonce = "use_dpop_nonce" => 401,
    }
}

error_codes! {
    /// Deferred credential endpoint errors (§9.3).
    DeferredErrorCode {
        /// Malformed request.
        InvalidCredentialRequest = "invalid_credential_request" => 400,
        /// `transaction_id` unknown or already used.
        InvalidTransactionId = "invalid_transaction_id" => 400,
        /// Draft 13 (before the 202 response): not ready yet. 1.0 answers 202 instead.
        IssuancePending = "issuance_pending" => 400,
        /// Encryption parameters invalid.
        InvalidEncryptionParameters = "invalid_encryption_parameters" => 400,
        /// Final refusal; stop polling.
        CredentialRequestDenied = "credential_request_denied" => 400,
        /// RFC 6750 §3.1.
        InvalidToken = "invalid_token" => 401,
        /// RFC 6750 §3.1.
        InsufficientScope = "insufficient_scope" => 403,
    }
}

error_codes! {
    /// Notification endpoint errors (§11.3).
    NotificationErrorCode {
        /// `notification_id` unknown.
        InvalidNotificationId = "invalid_notification_id" => 400,
        /// Malformed request (e.g. unknown `event`).
        InvalidNotificationRequest = "invalid_notification_request" => 400,
        /// RFC 6750 §3.1.
        InvalidToken = "invalid_token" => 401,
        /// RFC 6750 §3.1.
        InsufficientScope = "insufficient_scope" => 403,
    }
}

/// An error response body: `error`, optional `error_description` (restricted charset) and
/// `error_uri`, unknown members kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "C: Serialize", deserialize = "C: Deserialize<'de>"))]
#[non_exhaustive]
pub struct ErrorResponse<C> {
    /// REQUIRED. The code.
    pub error: C,
    /// Human-readable text for developers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<Description>,
    /// A page about the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl<C: ErrorCode + Serialize + for<'de> Deserialize<'de>> ErrorResponse<C> {
    /// A response with just a code.
    #[must_use]
    pub fn new(error: C) -> Self {
        Self {
            error,
            error_description: None,
            error_uri: None,
            extra: Extra::new(),
        }
    }

    /// Adds a description, checked against the restricted character set.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDescriptionChar`].
    pub fn with_description(mut self, text: &str) -> Result<Self, Error> {
        self.error_description = Some(Description::new(text)?);
        Ok(self)
    }

    /// The HTTP status of the code.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        self.error.http_status()
    }

    /// Parses an error body with default limits.
    ///
    /// # Errors
    ///
    /// JSON errors, [`Error::MissingMember`] for `error`, [`Error::InvalidDescriptionChar`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let limits = Limits::default();
        json::parse_typed(
            bytes,
            limits.max_message_len,
            limits.max_json_depth,
            MessageKind::ErrorResponse,
        )
    }

    /// Serializes to a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Error {
    /// The credential-endpoint error code a server should answer this error with.
    #[must_use]
    pub fn credential_error_code(&self) -> CredentialErrorCode {
        match self {
            Self::UnknownCredentialConfiguration { .. } => {
                CredentialErrorCode::UnknownCredentialConfiguration
            }
            Self::UnknownCredentialIdentifier { .. } => {
                CredentialErrorCode::UnknownCredentialIdentifier
            }
            // Every fault of `proofs` (§8.3.1.2), also a draft-13 `proof` in its place.
            Self::MissingProofs { .. }
            | Self::ProofAlgorithmNotAllowed { .. }
            | Self::UnsupportedProofType { .. }
            | Self::InvalidProofsShape { .. }
            | Self::MalformedProofs { .. }
            | Self::TooManyProofs { .. }
            | Self::Draft13Shape {
                member: "proof", ..
            } => CredentialErrorCode::InvalidProof,
            Self::EncryptionNotSupported { .. }
            | Self::EncryptionRequired { .. }
            | Self::PlaintextRequestWithResponseEncryption
            | Self::MalformedEncryptionParameters { .. }
            | Self::UnsupportedEncryptionParameter { .. } => {
                CredentialErrorCode::InvalidEncryptionParameters
            }
            _ => CredentialErrorCode::InvalidCredentialRequest,
        }
    }

    /// The token-endpoint error code a server should answer this error with.
    #[must_use]
    pub fn token_error_code(&self) -> TokenErrorCode {
        match self {
            Self::PreAuthorizedCodeMismatch | Self::GrantNotOffered { .. } => {
                TokenErrorCode::InvalidGrant
            }
            Self::UnsupportedGrantType { .. } => TokenErrorCode::UnsupportedGrantType,
            _ => TokenErrorCode::InvalidRequest,
        }
    }
}
