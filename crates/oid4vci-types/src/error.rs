//! The one error type of this crate.

use alloc::string::String;
use core::fmt;

/// Which message (or message part) an error was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageKind {
    /// `authorization_details` (RFC 9396, OpenID4VCI 1.0 §5.1.1).
    AuthorizationDetails,
    /// RFC 8414 Authorization Server Metadata (OpenID4VCI 1.0 §12.3).
    AuthorizationServerMetadata,
    /// One entry of `credential_configurations_supported` (§12.2.4).
    CredentialConfiguration,
    /// Credential Issuer Metadata (§12.2).
    CredentialIssuerMetadata,
    /// Credential Offer object (§4.1.1).
    CredentialOffer,
    /// Credential Offer URI (`openid-credential-offer://?...`, §4.1).
    CredentialOfferUri,
    /// Credential Request (§8.2).
    CredentialRequest,
    /// Credential Response or Deferred Credential Response (§8.3, §9.2).
    CredentialResponse,
    /// Deferred Credential Request (§9.1).
    DeferredCredentialRequest,
    /// An OAuth / OpenID4VCI error response.
    ErrorResponse,
    /// Nonce Response (§7.2).
    NonceResponse,
    /// Notification Request (§11.1).
    NotificationRequest,
    /// Signed Credential Issuer Metadata claims (§12.2.3).
    SignedMetadata,
    /// Pushed Authorization Request (RFC 9126 §2.1, OpenID4VCI 1.0 §5.1).
    PushedAuthorizationRequest,
    /// Token Request (§6.1, RFC 6749 §4.1.3 / §6).
    TokenRequest,
    /// Token Response (§6.2).
    TokenResponse,
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AuthorizationDetails => "authorization_details",
            Self::PushedAuthorizationRequest => "pushed authorization request",
            Self::AuthorizationServerMetadata => "authorization server metadata",
            Self::CredentialConfiguration => "credential configuration",
            Self::CredentialIssuerMetadata => "credential issuer metadata",
            Self::CredentialOffer => "credential offer",
            Self::CredentialOfferUri => "credential offer URI",
            Self::CredentialRequest => "credential request",
            Self::CredentialResponse => "credential response",
            Self::DeferredCredentialRequest => "deferred credential request",
            Self::ErrorResponse => "error response",
            Self::NonceResponse => "nonce response",
            Self::NotificationRequest => "notification request",
            Self::SignedMetadata => "signed metadata",
            Self::TokenRequest => "token request",
            Self::TokenResponse => "token response",
        })
    }
}

/// What kind of `credential_signing_alg_values_supported` entries a format needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlgorithmKind {
    /// COSE algorithm integers (`mso_mdoc`, OpenID4VCI 1.0 App. A.2.2).
    CoseInteger,
    /// JOSE algorithm names (`dc+sd-jwt`, App. A.3.2).
    JoseName,
}

/// Everything that can go wrong in this crate.
///
/// Variants carry the member or parameter name that failed and, for syntax errors, the
/// parser's position. They never carry secrets (codes, tokens) from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Both `credential_identifier` and `credential_configuration_id` were sent (§8.2: exactly
    /// one of them).
    AmbiguousCredentialTarget,
    /// Both `credential_offer` and `credential_offer_uri` were present (§4.1: exactly one).
    AmbiguousOffer,
    /// `batch_credential_issuance.batch_size` is below 2 (§12.2.4).
    BatchSizeTooSmall {
        /// The published value.
        batch_size: u64,
    },
    /// A credential response carries both `credentials` and `transaction_id` (§8.3).
    ConflictingResponse,
    /// A draft-13 shape was received and the draft-13 compatibility option is off.
    Draft13Shape {
        /// The message it was found in.
        message: MessageKind,
        /// The draft-13 member (`proof`, `format`, `credential`).
        member: &'static str,
    },
    /// Two claims descriptions of one configuration use the same path (App. B.2).
    DuplicateClaimPath {
        /// The configuration whose claims conflict.
        configuration_id: String,
    },
    /// `credential_configuration_ids` of an offer lists one id twice (§4.1.1).
    DuplicateConfigurationId {
        /// The repeated id.
        id: String,
    },
    /// A JSON object has the same member name twice.
    DuplicateMember {
        /// The repeated name.
        name: String,
    },
    /// A form or query parameter appears twice (RFC 6749 §3.1).
    DuplicateParameter {
        /// The repeated parameter name.
        name: String,
    },
    /// An array member that must be non-empty is empty.
    EmptyArray {
        /// The message it was found in.
        message: MessageKind,
        /// The member.
        member: &'static str,
    },
    /// The token request uses a grant the offer did not carry.
    GrantNotOffered {
        /// The `grant_type` of the request.
        grant_type: &'static str,
    },
    /// A member or parameter exceeds the input limit.
    InputTooLarge {
        /// The received length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `error_description` or `event_description` holds a character outside
    /// `%x20-21 / %x23-5B / %x5D-7E` (RFC 6749 §5.2, OpenID4VCI §11.1).
    InvalidDescriptionChar {
        /// Byte offset of the first offending character.
        position: usize,
    },
    /// The PKCE `code_challenge` is not 43-128 unreserved characters (RFC 7636 §4.2: an S256
    /// challenge is the 43-character base64url of a SHA-256 digest).
    InvalidCodeChallenge,
    /// The PKCE `code_verifier` is not 43-128 unreserved characters (RFC 7636 §4.1).
    InvalidCodeVerifier,
    /// The text is not valid JSON.
    InvalidJson {
        /// The message being parsed.
        message: MessageKind,
        /// One-based line reported by the parser.
        line: usize,
        /// One-based column reported by the parser.
        column: usize,
    },
    /// A member is present but has the wrong type or value.
    InvalidMember {
        /// The message it was found in.
        message: MessageKind,
        /// What the deserializer reported (member types and expectations, never input values
        /// beyond short scalars).
        detail: String,
    },
    /// A `%` escape is not followed by two hex digits, or decodes to invalid UTF-8.
    InvalidPercentEncoding {
        /// Byte offset of the bad escape in the encoded text (or of the component).
        position: usize,
    },
    /// The `proofs` parameter is not an object of one proof type whose value is a non-empty
    /// array (of strings, for `jwt` and `attestation`) (§8.2): `invalid_proof` (§8.3.1.2).
    MalformedProofs {
        /// What is wrong.
        detail: &'static str,
    },
    /// A `proofs` object does not have exactly one proof type (§8.2).
    InvalidProofsShape {
        /// How many proof types were present.
        proof_types: usize,
    },
    /// A URL is not acceptable where it is used.
    InvalidUrl {
        /// Which member or input.
        member: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Encryption parameters were sent but the issuer metadata does not offer that encryption.
    EncryptionNotSupported {
        /// `credential_response_encryption` or `credential_request_encryption`.
        member: &'static str,
    },
    /// The metadata sets `encryption_required` and the request was not encrypted, or carried
    /// no `credential_response_encryption` (§8.2, §10).
    EncryptionRequired {
        /// `credential_request_encryption` or `credential_response_encryption`.
        member: &'static str,
    },
    /// Objects and arrays nest deeper than the limit.
    JsonTooDeep {
        /// The configured maximum depth.
        max: usize,
    },
    /// Neither `credential_identifier` nor `credential_configuration_id` was sent (§8.2).
    MissingCredentialTarget,
    /// A REQUIRED member is absent.
    MissingMember {
        /// The message it was found in.
        message: MessageKind,
        /// The member name.
        member: String,
    },
    /// A credential offer URI has neither `credential_offer` nor `credential_offer_uri`.
    MissingOffer,
    /// A REQUIRED form parameter is absent (RFC 6749 §4.1.3, OpenID4VCI §6.1).
    MissingParameter {
        /// The parameter name.
        name: &'static str,
    },
    /// The configuration requires proofs (`proof_types_supported`) but none were sent (§8.2).
    MissingProofs {
        /// The configuration.
        configuration_id: String,
    },
    /// The top-level JSON value is not an object.
    NotAnObject {
        /// The message being parsed.
        message: MessageKind,
    },
    /// The input is not UTF-8.
    NotUtf8,
    /// The `pre-authorized_code` differs from the offer's.
    PreAuthorizedCodeMismatch,
    /// A proof algorithm is not in `proof_signing_alg_values_supported`.
    ProofAlgorithmNotAllowed {
        /// The refused algorithm.
        alg: String,
    },
    /// Proofs were sent for a configuration without `proof_types_supported` (no key binding).
    ProofsNotExpected {
        /// The configuration.
        configuration_id: String,
    },
    /// `credential_response_encryption` was sent in a plaintext request (§8.2: the request
    /// MUST then be encrypted).
    PlaintextRequestWithResponseEncryption,
    /// The signed metadata's `sub` differs from its `credential_issuer` (§12.2.3).
    SignedMetadataSubjectMismatch,
    /// Too many form or query parameters.
    TooManyParameters {
        /// The limit.
        max: usize,
    },
    /// More proofs than allowed (the batch size, 1 without batch issuance, or the hard limit).
    TooManyProofs {
        /// Proofs received.
        count: usize,
        /// The maximum.
        max: u64,
    },
    /// The offer's `tx_code` description is longer than 300 characters (§4.1.1).
    TxCodeDescriptionTooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// The offer carried a `tx_code` object but the token request has no `tx_code` (§6.1).
    TxCodeRequired,
    /// The token request has a `tx_code` but the offer carried none (§6.3).
    TxCodeUnexpected,
    /// `credential_configuration_id` names no configuration in the metadata (§8.3.1.2).
    UnknownCredentialConfiguration {
        /// The requested id.
        id: String,
    },
    /// `credential_identifier` was not issued in the token response (§8.3.1.2).
    UnknownCredentialIdentifier {
        /// The requested identifier.
        id: String,
    },
    /// Encryption parameters that are not the object the message defines (a missing `jwk`
    /// or `enc`, a member of the wrong type): `invalid_encryption_parameters` (§8.3.1.2).
    MalformedEncryptionParameters {
        /// `credential_response_encryption`.
        member: &'static str,
        /// What is wrong, as the JSON reader said it.
        reason: String,
    },
    /// An encryption parameter (`alg` of the JWK, `enc`, `zip`) is not in the issuer's
    /// supported values.
    UnsupportedEncryptionParameter {
        /// `jwk.alg`, `enc` or `zip`.
        member: &'static str,
        /// The received value.
        value: String,
    },
    /// `grant_type` is not one this crate models (RFC 6749 §5.2 `unsupported_grant_type`).
    UnsupportedGrantType {
        /// The received `grant_type` (truncated to `jose_core::MAX_ERROR_TEXT_CHARS` characters).
        grant_type: String,
    },
    /// `code_challenge_method` is not `S256` (HAIP and RFC 9700 §2.1.1 refuse `plain`).
    UnsupportedCodeChallengeMethod {
        /// The received method, `plain` when absent (RFC 7636 §4.3 default).
        method: String,
    },
    /// `response_type` is not `code` (RFC 6749 §3.1.1).
    UnsupportedResponseType {
        /// The received value (shortened).
        response_type: String,
    },
    /// A `response_mode` other than `query`, the only one a PAR request may ask for here
    /// (RFC 8414 `response_modes_supported`; without this check a wallet asking for
    /// `fragment` or `form_post` would be answered in the query).
    UnsupportedResponseMode {
        /// The received value (shortened).
        response_mode: String,
    },
    /// A parameter that must not be sent in this request: `request_uri` in a pushed
    /// authorization request (RFC 9126 §2.1).
    ParameterNotAllowed {
        /// The parameter name.
        name: &'static str,
    },
    /// The proof type is not in the configuration's `proof_types_supported`.
    UnsupportedProofType {
        /// The received proof type.
        proof_type: String,
    },
    /// `credential_signing_alg_values_supported` uses the wrong kind of identifier for the
    /// format (App. A: COSE integers for `mso_mdoc`, JOSE names for `dc+sd-jwt`).
    WrongAlgorithmKind {
        /// The configuration.
        configuration_id: String,
        /// What the format requires.
        expected: AlgorithmKind,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AmbiguousCredentialTarget => f.write_str(
                "credential_identifier and credential_configuration_id are mutually exclusive",
            ),
            Self::AmbiguousOffer => {
                f.write_str("credential_offer and credential_offer_uri are mutually exclusive")
            }
            Self::BatchSizeTooSmall { batch_size } => {
                write!(f, "batch_size {batch_size} is below the minimum of 2")
            }
            Self::ConflictingResponse => {
                f.write_str("credential response has both credentials and transaction_id")
            }
            Self::Draft13Shape { message, member } => write!(
                f,
                "{message} uses {member:?}, a member of the drafts before OpenID4VCI 1.0 that 1.0 removed"
            ),
            Self::DuplicateClaimPath { configuration_id } => {
                write!(
                    f,
                    "configuration {configuration_id:?} lists a claim path twice"
                )
            }
            Self::DuplicateConfigurationId { id } => {
                write!(f, "credential_configuration_ids lists {id:?} twice")
            }
            Self::DuplicateMember { name } => write!(f, "duplicate member name {name:?}"),
            Self::DuplicateParameter { name } => write!(f, "duplicate parameter {name:?}"),
            Self::UnsupportedCodeChallengeMethod { method } => write!(
                f,
                "code_challenge_method {method:?} is not supported: use S256"
            ),
            Self::UnsupportedResponseMode { response_mode } => {
                write!(
                    f,
                    "response_mode {response_mode:?} is not supported: use query"
                )
            }
            Self::ParameterNotAllowed { name } => {
                write!(f, "parameter {name} must not be sent in this request")
            }
            Self::UnsupportedResponseType { response_type } => {
                write!(
                    f,
                    "response_type {response_type:?} is not supported: use code"
                )
            }
            Self::EmptyArray { message, member } => write!(f, "{message}: {member} is empty"),
            Self::GrantNotOffered { grant_type } => {
                write!(f, "grant {grant_type} was not offered")
            }
            Self::InputTooLarge { len, max } => {
                write!(f, "input of {len} bytes exceeds the limit of {max}")
            }
            Self::InvalidDescriptionChar { position } => write!(
                f,
                "description has a character outside %x20-21/%x23-5B/%x5D-7E at byte {position}"
            ),
            Self::InvalidCodeChallenge => {
                f.write_str("code_challenge is not 43-128 unreserved characters")
            }
            Self::InvalidCodeVerifier => {
                f.write_str("code_verifier is not 43-128 unreserved characters")
            }
            Self::InvalidJson {
                message,
                line,
                column,
            } => write!(f, "{message}: invalid JSON at line {line} column {column}"),
            Self::InvalidMember { message, detail } => write!(f, "{message}: {detail}"),
            Self::InvalidPercentEncoding { position } => {
                write!(f, "invalid percent-encoding at byte {position}")
            }
            Self::MalformedProofs { detail } => write!(f, "proofs: {detail}"),
            Self::InvalidProofsShape { proof_types } => write!(
                f,
                "proofs must have exactly one proof type, found {proof_types}"
            ),
            Self::InvalidUrl { member, reason } => write!(f, "{member}: {reason}"),
            Self::EncryptionNotSupported { member } => {
                write!(f, "encryption parameters sent but {member} is not offered")
            }
            Self::EncryptionRequired { member } => {
                write!(f, "{member}: encryption is required")
            }
            Self::JsonTooDeep { max } => write!(f, "JSON nested deeper than {max} levels"),
            Self::MissingCredentialTarget => f.write_str(
                "one of credential_identifier or credential_configuration_id is required",
            ),
            Self::MissingMember { message, member } => {
                write!(f, "{message}: required member {member:?} is missing")
            }
            Self::MissingOffer => {
                f.write_str("neither credential_offer nor credential_offer_uri is present")
            }
            Self::MissingParameter { name } => write!(f, "required parameter {name} is missing"),
            Self::MissingProofs { configuration_id } => {
                write!(f, "configuration {configuration_id:?} requires proofs")
            }
            Self::NotAnObject { message } => write!(f, "{message} is not a JSON object"),
            Self::NotUtf8 => f.write_str("input is not UTF-8"),
            Self::PreAuthorizedCodeMismatch => {
                f.write_str("pre-authorized_code does not match the offer")
            }
            Self::ProofAlgorithmNotAllowed { alg } => {
                write!(
                    f,
                    "proof algorithm {alg:?} is not supported for this configuration"
                )
            }
            Self::ProofsNotExpected { configuration_id } => write!(
                f,
                "configuration {configuration_id:?} has no proof_types_supported but proofs were sent"
            ),
            Self::PlaintextRequestWithResponseEncryption => f.write_str(
                "credential_response_encryption requires an encrypted credential request",
            ),
            Self::SignedMetadataSubjectMismatch => {
                f.write_str("signed metadata sub differs from credential_issuer")
            }
            Self::TooManyParameters { max } => write!(f, "more than {max} parameters"),
            Self::TooManyProofs { count, max } => {
                write!(f, "{count} proofs exceed the maximum of {max}")
            }
            Self::TxCodeDescriptionTooLong { chars } => {
                write!(
                    f,
                    "tx_code description has {chars} characters, more than 300"
                )
            }
            Self::TxCodeRequired => f.write_str("the offer requires a tx_code"),
            Self::TxCodeUnexpected => f.write_str("tx_code sent but the offer did not ask for one"),
            Self::UnknownCredentialConfiguration { id } => {
                write!(f, "unknown credential configuration {id:?}")
            }
            Self::UnknownCredentialIdentifier { id } => {
                write!(f, "unknown credential identifier {id:?}")
            }
            Self::MalformedEncryptionParameters { member, reason } => {
                write!(f, "malformed {member}: {reason}")
            }
            Self::UnsupportedEncryptionParameter { member, value } => {
                write!(
                    f,
                    "encryption parameter {member} {value:?} is not supported"
                )
            }
            Self::UnsupportedGrantType { grant_type } => {
                write!(f, "unsupported grant_type {grant_type:?}")
            }
            Self::UnsupportedProofType { proof_type } => {
                write!(f, "proof type {proof_type:?} is not supported")
            }
            Self::WrongAlgorithmKind {
                configuration_id,
                expected,
            } => write!(
                f,
                "configuration {configuration_id:?}: credential_signing_alg_values_supported must be {}",
                match expected {
                    AlgorithmKind::CoseInteger => "COSE algorithm integers",
                    AlgorithmKind::JoseName => "JOSE algorithm names",
                }
            ),
        }
    }
}

impl core::error::Error for Error {}
