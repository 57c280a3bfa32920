#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod as_metadata;
mod authorization;
mod authorization_details;
mod configuration;
mod credential_request;
mod credential_response;
mod display;
mod error;
mod error_answer;
mod issuer_metadata;
mod json;
mod limits;
mod notification;
mod oauth_error;
mod offer;
mod options;
mod pct;
mod text;
mod token;
mod validate;
mod well_known;

/// Helpers for fuzz targets, compiled only under `--cfg fuzzing` (cargo-fuzz sets it). Not
/// part of the stable API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;

pub use crate::as_metadata::{AUTH_METHOD_ATTEST_JWT_CLIENT_AUTH, AuthorizationServerMetadata};
pub use crate::authorization::{
    AuthorizationErrorResponse, AuthorizationRequest, AuthorizationResponse, PKCE_S256,
    PushedAuthorizationRequest, PushedAuthorizationResponse, REQUEST_URI_PREFIX, pkce_s256_matches,
    scope_values,
};
pub use crate::authorization_details::{AuthorizationDetail, OPENID_CREDENTIAL};
pub use crate::configuration::{
    AlgorithmIdentifier, CredentialConfiguration, CredentialFormat, CredentialMetadata,
    FORMAT_JWT_VC_JSON, FORMAT_JWT_VC_JSON_LD, FORMAT_LDP_VC, FORMAT_MSO_MDOC, FORMAT_SD_JWT_VC,
    KeyAttestationsRequired, ProofTypeMetadata,
};
pub use crate::credential_request::{
    CredentialRequest, CredentialTarget, DeferredCredentialRequest, Proofs, ResponseEncryption,
};
pub use crate::credential_response::{
    CredentialResponse, DeferredCredentialResponse, DeferredIssuance, IssuedCredential,
    IssuedCredentials,
};
pub use crate::display::{
    BackgroundImage, ClaimDescription, ClaimDisplay, ClaimsPathElement, CredentialDisplay, Extra,
    IssuerDisplay, Logo,
};
pub use crate::error::{AlgorithmKind, Error, MessageKind};
pub use crate::error_answer::{
    DEFAULT_CHALLENGE_SCHEME, MAX_DESCRIPTION_CHARS, NO_CACHE_HEADERS, OAuthError,
};
pub use crate::issuer_metadata::{
    BatchCredentialIssuance, CredentialIssuerMetadata, JwkSet, RequestEncryptionMetadata,
    ResponseEncryptionMetadata, SIGNED_METADATA_TYP, SignedMetadataClaims,
};
pub use crate::limits::{
    Limits, MAX_FORM_PARAMS, MAX_JSON_DEPTH, MAX_MESSAGE_LEN, MAX_METADATA_LEN, MAX_PROOFS,
    MAX_TX_CODE_DESCRIPTION_CHARS,
};
pub use crate::notification::{NotificationEvent, NotificationRequest};
pub use crate::oauth_error::{
    CredentialErrorCode, DeferredErrorCode, ErrorCode, ErrorResponse, NotificationErrorCode,
    TokenErrorCode,
};
pub use crate::offer::uri::{CredentialOfferRequest, OFFER_URI_SCHEME};
pub use crate::offer::{
    AUTHORIZATION_CODE_GRANT, AuthorizationCodeGrant, CredentialOffer, Grants,
    PRE_AUTHORIZED_CODE_GRANT, PreAuthorizedCodeGrant, REFRESH_TOKEN_GRANT, TxCode,
    TxCodeInputMode,
};
pub use crate::options::ParseOptions;
pub use crate::pct::form_urldecode;
pub use crate::text::{Description, REPLACEMENT_CHAR};
pub use crate::token::{
    ClientAssertion, NonceResponse, TokenGrant, TokenRequest, TokenResponse, TokenType,
};
pub use crate::validate::{
    validate_credential_request, validate_request_encryption, validate_token_request_against_offer,
};
pub use crate::well_known::WellKnown;
