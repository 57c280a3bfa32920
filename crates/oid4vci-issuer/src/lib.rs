#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod audit;
mod encryption;
mod engine;
mod error;
mod grant;
mod key_attestation;
mod limits;
mod mint;
mod request;
mod settings;
mod store;

#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;

pub use audit::{AuditEvent, AuditSink, KeyChange, NoAudit, ProofKind, Pseudonym, RevocationCause};
pub use encryption::{DEFAULT_MAX_DECRYPTED_REQUEST_LEN, EncryptionSettings, RequestDecryptionKey};
pub use engine::{
    Authorized, ClientAuthContext, ClientAuthenticator, ClientIdentity, FormCredentials,
    IssuerEngine, IssuerEngineBuilder, PAR_PATH, PendingAuthorization, STATUS_LIST_CWT_SUFFIX,
    STATUS_LIST_PATH, Stores,
};
pub use error::EngineError;
pub use grant::{GrantId, SubjectClaims};
pub use key_attestation::KeyAttestationStatus;
pub use limits::{
    DEFAULT_MAX_ACCESS_TOKENS, DEFAULT_MAX_DEFERRED_TRANSACTIONS,
    DEFAULT_MAX_EVENTS_PER_NOTIFICATION, DEFAULT_MAX_ISSUED_CREDENTIALS,
    DEFAULT_MAX_NOTIFICATION_IDS, DEFAULT_MAX_PRE_AUTHORIZED_CODES, DEFAULT_MAX_REFRESH_TOKENS,
    StoreLimits,
};
pub use mint::{IssuerKeys, SigningKey, TIME_GRANULARITY_SECONDS};
pub use request::{EndpointRequest, EndpointResponse};
pub use settings::{
    CredentialFormat, CredentialProfile, IssuerSettings, MAX_BEARER_TOKEN_TTL_SECONDS,
};
pub use store::{
    AccessGrant, AccessTokenStore, AuthorizationStore, CodeError, CodeRefusal, CredentialRegistry,
    DeferredError, DeferredStore, InMemoryAccessTokens, InMemoryAuthorizations,
    InMemoryCredentialRegistry, InMemoryDeferred, InMemoryNotifications, InMemoryPreAuthCodes,
    InMemoryRefreshTokens, InMemoryStatusLists, IssuedCode, IssuedCredential, NotificationStore,
    PreAuthCodeStore, PreAuthGrant, PushedRequest, RedeemError, RefreshError, RefreshGrant,
    RefreshTokenStore, StatusListStore, StoreError,
};
