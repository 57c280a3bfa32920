//! The error types of this crate.

use jose_core::Algorithm;

/// Why a replay guard refused a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The key's expiry is not after `now`: such a proof can no longer be accepted, so it is
    /// refused rather than silently not recorded.
    #[error("replay entry already expired")]
    AlreadyExpired,
    /// The guard holds its maximum number of unexpired entries; it fails closed.
    #[error("replay guard is full ({max} unexpired entries)")]
    Full {
        /// The configured capacity.
        max: usize,
    },
    /// The key was already recorded and has not expired: a replay (ABCA -10 §11.1,
    /// RFC 9449 §11.1).
    #[error("replayed: this jti was already used")]
    Replayed,
    /// The proof carries a single-use nonce that an earlier proof spent (OpenID4VCI 1.0
    /// §8.3.1.2 `invalid_nonce`: the wallet fetches a fresh one). Reported by
    /// [`Unrecorded::record`](crate::Unrecorded::record) for a proof that spends its nonce,
    /// whose own replay (its key covers the nonce) is also a spent nonce.
    #[error("the nonce was already used by an earlier proof")]
    NonceSpent,
    /// The guard's storage is unavailable (e.g. a poisoned lock or a failed backend); fails closed.
    #[error("replay guard unavailable: {reason}")]
    Unavailable {
        /// What failed.
        reason: String,
    },
}

/// Why a stateless nonce (c_nonce, attestation challenge, DPoP nonce) was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonceError {
    /// The nonce is older than the maximum age.
    #[error("nonce expired: issued at {issued_at}, maximum age {max_age} s")]
    Expired {
        /// Its issue time (seconds since the epoch).
        issued_at: i64,
        /// The maximum age applied.
        max_age: u64,
    },
    /// The nonce's issue time lies further in the future than the tolerance.
    #[error("nonce issued in the future ({issued_at})")]
    IssuedInFuture {
        /// Its issue time (seconds since the epoch).
        issued_at: i64,
    },
    /// The MAC does not verify with the current or the previous secret: tampered, forged, or
    /// made with a retired secret.
    #[error("nonce MAC does not verify")]
    InvalidMac,
    /// Not a nonce of this format (wrong length, version or encoding).
    #[error("malformed nonce")]
    Malformed,
    /// A secret shorter than [`MIN_NONCE_SECRET_LEN`](crate::MIN_NONCE_SECRET_LEN) bytes.
    #[error("nonce secret has {len} bytes, at least {min} are required")]
    SecretTooShort {
        /// The length given.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// Randomness for a new nonce was unavailable.
    #[error("no randomness for a nonce")]
    Random,
    /// A valid nonce issued for another purpose (e.g. a c_nonce presented as a DPoP nonce).
    #[error("nonce was issued for {found}, not {expected}")]
    WrongPurpose {
        /// The purpose the verifier asked for.
        expected: crate::NoncePurpose,
        /// The purpose the nonce carries.
        found: crate::NoncePurpose,
    },
}

/// Everything that can go wrong verifying a proof of possession.
///
/// Each verification step has its own variant so callers can map them to protocol errors
/// (`invalid_client`, `use_attestation_challenge`, `invalid_proof`, `invalid_nonce`,
/// `invalid_dpop_proof`, `use_dpop_nonce`). Messages never contain key material; attacker-chosen
/// strings are truncated to 64 characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The algorithm is asymmetric and supported but not in the caller's allow-list.
    #[error("algorithm {alg} is not allowed here")]
    AlgorithmNotAllowed {
        /// The refused algorithm.
        alg: Algorithm,
    },
    /// `ath` is absent although an access token was presented (RFC 9449 §4.3 point 12).
    #[error("DPoP proof lacks ath for the presented access token")]
    AthMissing,
    /// `ath` is not the base64url SHA-256 of the presented access token (RFC 9449 §4.3 point 12).
    #[error("DPoP ath does not match the access token")]
    AthMismatch,
    /// A key attestation's `attested_keys` is an empty array (OpenID4VCI 1.0 App. D.1).
    #[error("attested_keys is empty")]
    AttestedKeysEmpty,
    /// A key attestation attests more keys than the verifier accepts.
    #[error("attested_keys holds {count} keys, the limit is {max}")]
    AttestedKeysTooMany {
        /// How many keys it holds.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An entry of a key attestation's `attested_keys` is not a public JWK (e.g. it carries the
    /// private member `d`).
    #[error("attested_keys[{index}] is refused: {source}")]
    AttestedKeyInvalid {
        /// Its index in `attested_keys`.
        index: usize,
        /// The JOSE error.
        source: jose_core::Error,
    },
    /// A key attestation's `key_storage` or `user_authentication` holds more values than the
    /// verifier accepts.
    #[error("{name} holds {count} values, the limit is {max}")]
    AttestationValuesTooMany {
        /// The claim.
        name: &'static str,
        /// How many values it holds.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// `aud` holds more than one value (ABCA -10 §5.1: exactly one audience).
    #[error("aud has {count} values, exactly one is required")]
    AudienceMultiple {
        /// How many values were found.
        count: usize,
    },
    /// `aud` is not the expected audience.
    #[error("aud {found:?} is not the expected audience")]
    AudienceMismatch {
        /// The received value (truncated).
        found: String,
    },
    /// The PoP carries no `challenge` but the server requires one (ABCA -10 §6, §7.1 step 12).
    #[error("challenge is missing")]
    ChallengeMissing,
    /// The PoP's `challenge` is not the expected one (ABCA -10 §7.1 step 12).
    #[error("challenge does not match")]
    ChallengeMismatch,
    /// The PoP's `challenge` is not a valid stateless challenge.
    #[error("challenge invalid: {source}")]
    ChallengeInvalid {
        /// Why.
        source: NonceError,
    },
    /// A `crit` header the verifier does not understand, or a malformed header member.
    #[error("header refused: {source}")]
    Header {
        /// The JOSE error.
        source: jose_core::Error,
    },
    /// `htm` is not the request's method (RFC 9449 §4.3 point 8).
    #[error("htm {found:?} does not match the request method")]
    HtmMismatch {
        /// The received value (truncated).
        found: String,
    },
    /// `htu` is not the request's URI after normalisation (RFC 9449 §4.3 point 9).
    #[error("htu {found:?} does not match the request URI")]
    HtuMismatch {
        /// The received value (truncated).
        found: String,
    },
    /// `iat` is further in the future than the clock skew allows.
    #[error("iat {iat} is after the latest acceptable {latest}")]
    IatInFuture {
        /// The received `iat`.
        iat: i64,
        /// `now + skew`.
        latest: i64,
    },
    /// `iat` is older than the replay window plus the clock skew.
    #[error("iat {iat} is before the earliest acceptable {earliest}")]
    IatTooOld {
        /// The received `iat`.
        iat: i64,
        /// `now - window - skew`.
        earliest: i64,
    },
    /// A claim has the wrong JSON type or an invalid value (e.g. an empty `jti`).
    #[error("claim {name:?} is invalid")]
    InvalidClaim {
        /// The claim.
        name: &'static str,
    },
    /// The caller's request URI (for DPoP `htu`) is not an absolute http(s) URI.
    #[error("request URI is not an absolute http(s) URI")]
    InvalidRequestUri,
    /// `iss` is not the expected client identifier (ABCA -07 §5.2; OpenID4VCI 1.0 App. F.1).
    #[error("iss {found:?} is not the client identifier")]
    IssuerMismatch {
        /// The received value (truncated).
        found: String,
    },
    /// `iss` is present in a key proof for anonymous pre-authorized access, where OpenID4VCI 1.0
    /// App. F.1 says it MUST be omitted.
    #[error("iss must be omitted for anonymous pre-authorized access")]
    IssuerNotAllowed,
    /// `jti` is longer than the configured maximum.
    #[error("jti has {len} bytes, the limit is {max}")]
    JtiTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The header's `alg` does not fit the key (key type or curve).
    #[error("algorithm {alg} cannot be used with this {key} key")]
    KeyAlgorithmMismatch {
        /// The algorithm.
        alg: Algorithm,
        /// A short description of the key.
        key: &'static str,
    },
    /// The key proof names no key, or more than one of `kid`, `jwk`, `x5c`
    /// (OpenID4VCI 1.0 App. F.1).
    #[error("exactly one of kid, jwk, x5c is required, found {found}")]
    KeySourceCount {
        /// How many were present.
        found: usize,
    },
    /// The key proof's key is not one of the key attestation's `attested_keys`
    /// (OpenID4VCI 1.0 App. F.1; compared by RFC 7638 thumbprint).
    #[error("the proof key is not among the attested keys")]
    KeyNotAttested,
    /// The key attestation carries none of the `key_storage` values the credential
    /// configuration accepts (`key_attestations_required`, OpenID4VCI 1.0 §12.2.4).
    #[error("key_storage carries none of the accepted values")]
    KeyStorageNotAccepted,
    /// The key could not be obtained: no key lookup for `kid`/`x5c`, or the lookup trusts no
    /// key for this proof ([`KeyLookupError::NoTrustedKey`](jose_core::KeyLookupError)).
    #[error("key resolution failed: {reason}")]
    KeyResolution {
        /// Why (from the key lookup).
        reason: String,
    },
    /// The key lookup for `kid`/`x5c` cannot answer now
    /// ([`KeyLookupError::Unavailable`](jose_core::KeyLookupError), e.g. a DID resolver or
    /// trust store that is down): the server's fault, not the proof's.
    #[error("key lookup unavailable: {reason}")]
    KeyLookupUnavailable {
        /// Why (from the key lookup).
        reason: String,
    },
    /// The token is not a well-formed compact JWS: length, parts, base64url, JSON, duplicate
    /// members, `alg` `none` or HMAC, a private key in `jwk`.
    #[error("malformed token: {source}")]
    Malformed {
        /// The JOSE error.
        source: jose_core::Error,
    },
    /// A required claim is absent.
    #[error("claim {name:?} is missing")]
    MissingClaim {
        /// The claim.
        name: &'static str,
    },
    /// A required header member is absent (DPoP `jwk`).
    #[error("header member {name:?} is missing")]
    MissingHeader {
        /// The member.
        name: &'static str,
    },
    /// The token carries no `nonce` although one is required.
    #[error("nonce is missing")]
    NonceMissing,
    /// The token's `nonce` is not the expected one.
    #[error("nonce does not match")]
    NonceMismatch,
    /// The token's `nonce` is not a valid stateless nonce.
    #[error("nonce invalid: {source}")]
    NonceInvalid {
        /// Why.
        source: NonceError,
    },
    /// `nbf` is further in the future than the clock skew allows (ABCA -07 PoP).
    #[error("not valid before {nbf}")]
    NotYetValid {
        /// The received `nbf`.
        nbf: i64,
    },
    /// `exp` has passed by more than the clock skew (ABCA -07 PoP, key attestation).
    #[error("expired at {exp}")]
    Expired {
        /// The received `exp`.
        exp: i64,
    },
    /// The signature does not verify with the key.
    #[error("signature does not verify")]
    SignatureInvalid,
    /// The key attestation carries none of the `user_authentication` values the credential
    /// configuration accepts (`key_attestations_required`, OpenID4VCI 1.0 §12.2.4).
    #[error("user_authentication carries none of the accepted values")]
    UserAuthenticationNotAccepted,
    /// `typ` is absent or not the media type this proof must carry (RFC 8725 §3.11).
    #[error("typ {found:?} where {expected:?} is required")]
    WrongType {
        /// The required `typ`.
        expected: &'static str,
        /// What the header carried (truncated).
        found: Option<String>,
    },
}
