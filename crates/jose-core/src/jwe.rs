//! Strict compact JWE (RFC 7516 §3.1, §5.2) with ECDH-ES direct key agreement (RFC 7518 §4.6)
//! and AES-GCM content encryption (RFC 7518 §5.3): the profile OpenID4VCI 1.0 §10 and HAIP use
//! for credential request and response encryption.
//!
//! What is accepted, and nothing else:
//! - `alg` = `ECDH-ES` (direct key agreement; the JWE Encrypted Key part is empty),
//! - `enc` = `A128GCM` or `A256GCM`, from the caller's allow-list,
//! - optional `zip` = `DEF` (raw DEFLATE, RFC 1951), inflated under a hard output cap,
//! - `epk`: a public EC JWK on the recipient's curve (P-256 or P-384), checked to be on the curve,
//! - optional `apu` / `apv` (canonical base64url), fed into the Concat KDF,
//! - no `crit` extension is understood; a well-formed `crit` is refused by name.
//!
//! The protected header's received ASCII is the AES-GCM additional authenticated data: it is never
//! re-serialised. Decryption goes through the [`KeyAgreement`] seam so that the recipient's
//! private key may live in an HSM; [`LocalKeyAgreement`] is the in-process implementation.
//! Encryption takes its ephemeral key and IV from an injected [`RandomSource`].
//!
//! ```
//! use jose_core::jwe::{CompactJwe, ContentEncryption, JweEncrypter, JweLimits, JwePolicy,
//!     KeyAgreement, LocalKeyAgreement};
//! use jose_core::{EcCurve, SystemRandom};
//! let rng = SystemRandom::new();
//! let recipient = LocalKeyAgreement::generate(EcCurve::P256, &rng)?;
//! let token = JweEncrypter::new(&recipient.public_jwk(), ContentEncryption::A128Gcm)?
//!     .encrypt(b"{\"credential\":\"x\"}", &rng)?;
//! let jwe = CompactJwe::parse(&token, &JweLimits::default())?;
//! let plaintext = jwe.decrypt(&recipient, &JwePolicy::default())?;
//! assert_eq!(plaintext, b"{\"credential\":\"x\"}");
//! # Ok::<(), jose_core::jwe::JweError>(())
//! ```

use std::io::{Read as _, Write as _};

use ring::aead;
use serde_json::{Map, Value};

use crate::base64url;
use crate::error::{Error, JsonError};
use crate::json;
use crate::jwk::{EcCurve, PublicJwk, PublicKey};
use crate::limits::DEFAULT_MAX_JSON_DEPTH;
use crate::random::RandomSource;
use crate::signer::Pkcs8Secret;

/// The only key management algorithm accepted: ECDH-ES direct key agreement.
pub const ECDH_ES: &str = "ECDH-ES";

/// Default maximum length of one compact JWE: 512 KiB (a credential response may carry several
/// credentials, mdocs among them).
pub const DEFAULT_MAX_JWE_LEN: usize = 512 * 1024;

/// Default maximum length of a decrypted (and, with `zip`, inflated) plaintext: 1 MiB.
pub const DEFAULT_MAX_PLAINTEXT_LEN: usize = 1024 * 1024;

/// Length of the AES-GCM IV (96 bits).
const IV_LEN: usize = 12;
/// Length of the AES-GCM authentication tag (128 bits).
const TAG_LEN: usize = 16;

/// Header parameter names registered by RFC 7515, 7516 and 7518; `crit` must not list them.
const REGISTERED: &[&str] = &[
    "alg", "enc", "zip", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
    "crit", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// One of the five parts of a compact JWE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwePart {
    /// The protected header (first part).
    Header,
    /// The encrypted key (second part; empty for ECDH-ES).
    EncryptedKey,
    /// The initialization vector (third part).
    Iv,
    /// The ciphertext (fourth part).
    Ciphertext,
    /// The authentication tag (fifth part).
    Tag,
}

impl core::fmt::Display for JwePart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Header => "protected header",
            Self::EncryptedKey => "encrypted key",
            Self::Iv => "initialization vector",
            Self::Ciphertext => "ciphertext",
            Self::Tag => "authentication tag",
        })
    }
}

/// Everything that can go wrong while parsing, decrypting or producing a JWE.
///
/// Descriptions never contain key material or plaintext; attacker-chosen names are truncated
/// with [`short_text`](crate::short_text).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JweError {
    /// The token is longer than [`JweLimits::max_token_len`].
    #[error("JWE is {len} bytes, the limit is {max}")]
    TokenTooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The compact serialization does not have exactly five dot-separated parts.
    #[error("compact JWE must have exactly 5 parts, found {found}")]
    WrongPartCount {
        /// How many parts were found.
        found: usize,
    },
    /// A part is not canonical unpadded base64url, or a required part is empty.
    #[error("{part} is not canonical unpadded base64url")]
    InvalidBase64 {
        /// The part.
        part: JwePart,
    },
    /// The protected header is not a strict JSON object (duplicate members, depth, syntax).
    #[error("protected header JSON: {error}")]
    InvalidJson {
        /// Why.
        error: JsonError,
    },
    /// A required header member is absent.
    #[error("JWE header member {name:?} is missing")]
    MissingHeader {
        /// The member.
        name: &'static str,
    },
    /// A header member has the wrong JSON type or an invalid value.
    #[error("JWE header member {name:?} is invalid")]
    InvalidHeader {
        /// The member.
        name: &'static str,
    },
    /// `alg` is not `ECDH-ES`.
    #[error("unsupported JWE alg {name:?}")]
    UnsupportedAlgorithm {
        /// The name received (truncated).
        name: String,
    },
    /// `enc` is not `A128GCM` or `A256GCM`.
    #[error("unsupported JWE enc {name:?}")]
    UnsupportedEncryption {
        /// The name received (truncated).
        name: String,
    },
    /// `zip` is not `DEF`.
    #[error("unsupported JWE zip {name:?}")]
    UnsupportedCompression {
        /// The name received (truncated).
        name: String,
    },
    /// `enc` is supported but not in the caller's allow-list.
    #[error("JWE enc {enc} is not allowed here")]
    EncryptionNotAllowed {
        /// The refused content encryption.
        enc: ContentEncryption,
    },
    /// `zip` is present but the caller does not accept compressed JWEs.
    #[error("JWE zip is not allowed here")]
    CompressionNotAllowed,
    /// A `crit` header lists an extension this implementation does not understand.
    #[error("critical JWE header parameter {name:?} is not understood")]
    CriticalNotUnderstood {
        /// The name listed (truncated).
        name: String,
    },
    /// `crit` is not a non-empty array of names of present, unregistered header members.
    #[error("malformed crit header")]
    CriticalMalformed,
    /// The encrypted key part is not empty (ECDH-ES direct key agreement has none).
    #[error("the encrypted key must be empty with ECDH-ES")]
    EncryptedKeyNotEmpty,
    /// The IV is not 96 bits.
    #[error("initialization vector has length {len}, AES-GCM needs 12")]
    IvLength {
        /// The length received.
        len: usize,
    },
    /// The authentication tag is not 128 bits.
    #[error("authentication tag has length {len}, AES-GCM needs 16")]
    TagLength {
        /// The length received.
        len: usize,
    },
    /// `epk` is not a usable public EC key (wrong type, private member, not on its curve).
    #[error("invalid epk: {reason}")]
    InvalidEphemeralKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// `epk` is on another curve than the recipient's key.
    #[error("epk is on {epk}, the recipient key is on {recipient}")]
    CurveMismatch {
        /// The curve of `epk`.
        epk: &'static str,
        /// The curve of the recipient key.
        recipient: &'static str,
    },
    /// The recipient key cannot be used for ECDH-ES (not EC P-256/P-384, malformed).
    #[error("recipient key cannot be used: {reason}")]
    InvalidRecipientKey {
        /// What is wrong, without key material.
        reason: &'static str,
    },
    /// The key agreement backend failed (an HSM error, a point it refused).
    #[error("key agreement failed: {reason}")]
    KeyAgreementFailed {
        /// What went wrong, from the backend.
        reason: String,
    },
    /// AES-GCM authentication failed: the header, IV, ciphertext or tag was modified, or the
    /// token was encrypted to another key.
    #[error("JWE authentication failed")]
    DecryptionFailed,
    /// The plaintext (after inflation, with `zip`) exceeds [`JweLimits::max_plaintext_len`].
    #[error("JWE plaintext exceeds the limit of {max} bytes")]
    PlaintextTooLarge {
        /// The limit.
        max: usize,
    },
    /// The decrypted data is not valid raw DEFLATE.
    #[error("JWE plaintext is not valid DEFLATE data")]
    DecompressionFailed,
    /// Encryption failed (randomness unavailable, compression error).
    #[error("JWE encryption failed: {reason}")]
    EncryptionFailed {
        /// What went wrong.
        reason: &'static str,
    },
}

impl From<Error> for JweError {
    fn from(error: Error) -> Self {
        match error {
            Error::Unsupported { what } => Self::EncryptionFailed { reason: what },
            _ => Self::EncryptionFailed {
                reason: "randomness source failed",
            },
        }
    }
}

/// Content encryption algorithm (`enc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// AES-128 in Galois/Counter Mode.
    A128Gcm,
    /// AES-256 in Galois/Counter Mode.
    A256Gcm,
}

/// Every content encryption this module implements.
pub const ALL_CONTENT_ENCRYPTIONS: &[ContentEncryption] =
    &[ContentEncryption::A128Gcm, ContentEncryption::A256Gcm];

impl ContentEncryption {
    /// The JOSE name (`A128GCM`, `A256GCM`).
    #[must_use]
    pub const fn jose_name(self) -> &'static str {
        match self {
            Self::A128Gcm => "A128GCM",
            Self::A256Gcm => "A256GCM",
        }
    }

    /// Parses a JOSE name.
    ///
    /// # Errors
    /// [`JweError::UnsupportedEncryption`] for any other name.
    pub fn from_jose_name(name: &str) -> Result<Self, JweError> {
        match name {
            "A128GCM" => Ok(Self::A128Gcm),
            "A256GCM" => Ok(Self::A256Gcm),
            _ => Err(JweError::UnsupportedEncryption {
                name: crate::short_text(name),
            }),
        }
    }

    /// The content encryption key length in bytes.
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self {
            Self::A128Gcm => 16,
            Self::A256Gcm => 32,
        }
    }

    const fn ring_algorithm(self) -> &'static aead::Algorithm {
        match self {
            Self::A128Gcm => &aead::AES_128_GCM,
            Self::A256Gcm => &aead::AES_256_GCM,
        }
    }
}

impl core::fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.jose_name())
    }
}

/// Compression applied before encryption (`zip`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// `DEF`: raw DEFLATE (RFC 1951), RFC 7516 §4.1.3.
    Deflate,
}

impl Compression {
    /// The JOSE name (`DEF`).
    #[must_use]
    pub const fn jose_name(self) -> &'static str {
        match self {
            Self::Deflate => "DEF",
        }
    }

    /// Parses a JOSE name.
    ///
    /// # Errors
    /// [`JweError::UnsupportedCompression`] for any name other than `DEF`.
    pub fn from_jose_name(name: &str) -> Result<Self, JweError> {
        match name {
            "DEF" => Ok(Self::Deflate),
            _ => Err(JweError::UnsupportedCompression {
                name: crate::short_text(name),
            }),
        }
    }
}

/// Limits applied to received JWEs.
///
/// ```
/// let limits = jose_core::jwe::JweLimits::default().with_max_plaintext_len(64 * 1024);
/// assert_eq!(limits.max_plaintext_len(), 64 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JweLimits {
    max_token_len: usize,
    max_json_depth: usize,
    max_plaintext_len: usize,
}

impl JweLimits {
    /// The defaults: [`DEFAULT_MAX_JWE_LEN`], [`DEFAULT_MAX_JSON_DEPTH`],
    /// [`DEFAULT_MAX_PLAINTEXT_LEN`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_token_len: DEFAULT_MAX_JWE_LEN,
            max_json_depth: DEFAULT_MAX_JSON_DEPTH,
            max_plaintext_len: DEFAULT_MAX_PLAINTEXT_LEN,
        }
    }

    /// Sets the maximum length in bytes of one compact JWE.
    #[must_use]
    pub const fn with_max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// Sets the maximum nesting depth of the protected header's JSON.
    #[must_use]
    pub const fn with_max_json_depth(mut self, max: usize) -> Self {
        self.max_json_depth = max;
        self
    }

    /// Sets the maximum plaintext length (after inflation when `zip` is used).
    #[must_use]
    pub const fn with_max_plaintext_len(mut self, max: usize) -> Self {
        self.max_plaintext_len = max;
        self
    }

    /// The maximum length in bytes of one compact JWE.
    #[must_use]
    pub const fn max_token_len(&self) -> usize {
        self.max_token_len
    }

    /// The maximum nesting depth of the protected header's JSON.
    #[must_use]
    pub const fn max_json_depth(&self) -> usize {
        self.max_json_depth
    }

    /// The maximum plaintext length.
    #[must_use]
    pub const fn max_plaintext_len(&self) -> usize {
        self.max_plaintext_len
    }
}

impl Default for JweLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// What a recipient accepts: the `enc` allow-list and whether `zip` is allowed.
///
/// The default accepts both GCM variants and `zip: DEF`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwePolicy {
    encs: Vec<ContentEncryption>,
    allow_zip: bool,
}

impl JwePolicy {
    /// A policy accepting `encs`, without compression.
    #[must_use]
    pub fn new(encs: &[ContentEncryption]) -> Self {
        Self {
            encs: encs.to_vec(),
            allow_zip: false,
        }
    }

    /// Accepts (or refuses) `zip: DEF`.
    #[must_use]
    pub const fn with_zip(mut self, allow: bool) -> Self {
        self.allow_zip = allow;
        self
    }

    /// The accepted content encryptions.
    #[must_use]
    pub fn encs(&self) -> &[ContentEncryption] {
        &self.encs
    }

    /// Whether `zip: DEF` is accepted.
    #[must_use]
    pub const fn allows_zip(&self) -> bool {
        self.allow_zip
    }

    /// Checks a parsed header against the policy.
    ///
    /// # Errors
    /// [`JweError::EncryptionNotAllowed`], [`JweError::CompressionNotAllowed`].
    pub fn check(&self, header: &JweHeader) -> Result<(), JweError> {
        if !self.encs.contains(&header.enc) {
            return Err(JweError::EncryptionNotAllowed { enc: header.enc });
        }
        if header.zip.is_some() && !self.allow_zip {
            return Err(JweError::CompressionNotAllowed);
        }
        Ok(())
    }
}

impl Default for JwePolicy {
    fn default() -> Self {
        Self::new(ALL_CONTENT_ENCRYPTIONS).with_zip(true)
    }
}

/// The typed protected header of a received JWE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JweHeader {
    enc: ContentEncryption,
    zip: Option<Compression>,
    epk: PublicJwk,
    epk_curve: EcCurve,
    apu: Option<Vec<u8>>,
    apv: Option<Vec<u8>>,
    kid: Option<String>,
    typ: Option<String>,
    cty: Option<String>,
    other: Map<String, Value>,
}

impl JweHeader {
    /// Builds the typed header from a parsed JSON object.
    ///
    /// # Errors
    /// [`JweError::MissingHeader`], [`JweError::InvalidHeader`],
    /// [`JweError::UnsupportedAlgorithm`], [`JweError::UnsupportedEncryption`],
    /// [`JweError::UnsupportedCompression`], [`JweError::InvalidEphemeralKey`],
    /// [`JweError::CriticalMalformed`], [`JweError::CriticalNotUnderstood`].
    pub fn from_map(mut map: Map<String, Value>) -> Result<Self, JweError> {
        match map.remove("alg") {
            Some(Value::String(name)) if name == ECDH_ES => {}
            Some(Value::String(name)) => {
                return Err(JweError::UnsupportedAlgorithm {
                    name: crate::short_text(&name),
                });
            }
            Some(_) => return Err(JweError::InvalidHeader { name: "alg" }),
            None => return Err(JweError::MissingHeader { name: "alg" }),
        }
        let enc = match map.remove("enc") {
            Some(Value::String(name)) => ContentEncryption::from_jose_name(&name)?,
            Some(_) => return Err(JweError::InvalidHeader { name: "enc" }),
            None => return Err(JweError::MissingHeader { name: "enc" }),
        };
        let zip = match map.remove("zip") {
            Some(Value::String(name)) => Some(Compression::from_jose_name(&name)?),
            Some(_) => return Err(JweError::InvalidHeader { name: "zip" }),
            None => None,
        };
        let (epk, epk_curve) = match map.remove("epk") {
            Some(Value::Object(epk)) => parse_epk(&epk)?,
            Some(_) => return Err(JweError::InvalidHeader { name: "epk" }),
            None => return Err(JweError::MissingHeader { name: "epk" }),
        };
        let apu = take_base64(&mut map, "apu")?;
        let apv = take_base64(&mut map, "apv")?;
        let kid = take_string(&mut map, "kid")?;
        let typ = take_string(&mut map, "typ")?;
        let cty = take_string(&mut map, "cty")?;
        for name in ["iv", "tag", "p2s", "p2c", "jku", "x5u"] {
            if map.contains_key(name) {
                return Err(JweError::InvalidHeader { name });
            }
        }
        match map.remove("crit") {
            None => {}
            Some(Value::Array(items)) if !items.is_empty() => {
                for item in &items {
                    let Value::String(name) = item else {
                        return Err(JweError::CriticalMalformed);
                    };
                    if REGISTERED.contains(&name.as_str()) || !map.contains_key(name) {
                        return Err(JweError::CriticalMalformed);
                    }
                }
                // No extension is understood: the first listed name is refused.
                let first = items.first().and_then(Value::as_str).unwrap_or_default();
                return Err(JweError::CriticalNotUnderstood {
                    name: crate::short_text(first),
                });
            }
            Some(_) => return Err(JweError::CriticalMalformed),
        }
        Ok(Self {
            enc,
            zip,
            epk,
            epk_curve,
            apu,
            apv,
            kid,
            typ,
            cty,
            other: map,
        })
    }

    /// `alg`: always [`ECDH_ES`].
    #[must_use]
    pub const fn alg(&self) -> &'static str {
        ECDH_ES
    }

    /// `enc`.
    #[must_use]
    pub const fn enc(&self) -> ContentEncryption {
        self.enc
    }

    /// `zip`.
    #[must_use]
    pub const fn zip(&self) -> Option<Compression> {
        self.zip
    }

    /// `epk`: the sender's ephemeral public key (validated on its curve).
    #[must_use]
    pub const fn epk(&self) -> &PublicJwk {
        &self.epk
    }

    /// The curve of `epk`.
    #[must_use]
    pub const fn epk_curve(&self) -> EcCurve {
        self.epk_curve
    }

    /// `apu`, decoded.
    #[must_use]
    pub fn apu(&self) -> Option<&[u8]> {
        self.apu.as_deref()
    }

    /// `apv`, decoded.
    #[must_use]
    pub fn apv(&self) -> Option<&[u8]> {
        self.apv.as_deref()
    }

    /// `kid`: which recipient key the sender used.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// `typ`.
    #[must_use]
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// `cty`.
    #[must_use]
    pub fn cty(&self) -> Option<&str> {
        self.cty.as_deref()
    }

    /// Any other member, by name.
    #[must_use]
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.other.get(name)
    }
}

fn take_string(
    map: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, JweError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JweError::InvalidHeader { name }),
    }
}

fn take_base64(
    map: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<Vec<u8>>, JweError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => base64url::decode(&s)
            .map(Some)
            .ok_or(JweError::InvalidHeader { name }),
        Some(_) => Err(JweError::InvalidHeader { name }),
    }
}

fn parse_epk(map: &Map<String, Value>) -> Result<(PublicJwk, EcCurve), JweError> {
    if map.get("kty").and_then(Value::as_str) != Some("EC") {
        return Err(JweError::InvalidEphemeralKey {
            reason: "kty is not EC",
        });
    }
    let jwk = PublicJwk::from_map(map).map_err(|error| JweError::InvalidEphemeralKey {
        reason: match error {
            Error::PrivateKeyMember { .. } => "carries a private key member",
            Error::InvalidKey { reason } => reason,
            _ => "malformed",
        },
    })?;
    let PublicKey::Ec { curve, point } = jwk.key() else {
        return Err(JweError::InvalidEphemeralKey {
            reason: "kty is not EC",
        });
    };
    let curve = *curve;
    check_on_curve(curve, point).map_err(|reason| JweError::InvalidEphemeralKey { reason })?;
    Ok((jwk, curve))
}

/// Checks that an uncompressed SEC1 point lies on `curve` (and is not the identity).
fn check_on_curve(curve: EcCurve, point: &[u8]) -> Result<(), &'static str> {
    match curve {
        EcCurve::P256 => p256::PublicKey::from_sec1_bytes(point)
            .map(|_| ())
            .map_err(|_| "point is not on P-256"),
        EcCurve::P384 => p384::PublicKey::from_sec1_bytes(point)
            .map(|_| ())
            .map_err(|_| "point is not on P-384"),
        _ => Err("curve is not P-256 or P-384"),
    }
}

/// A received compact JWE, parsed and its header checked, not yet decrypted.
///
/// The lifetime `'a` is that of the received token text.
#[derive(Clone, Debug)]
pub struct CompactJwe<'a> {
    protected: &'a str,
    header: JweHeader,
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
}

impl<'a> CompactJwe<'a> {
    /// Parses a compact JWE.
    ///
    /// # Errors
    /// [`JweError::TokenTooLong`], [`JweError::WrongPartCount`], [`JweError::InvalidBase64`],
    /// [`JweError::InvalidJson`], [`JweError::EncryptedKeyNotEmpty`], [`JweError::IvLength`],
    /// [`JweError::TagLength`], and the errors of [`JweHeader::from_map`].
    pub fn parse(token: &'a str, limits: &JweLimits) -> Result<Self, JweError> {
        if token.len() > limits.max_token_len() {
            return Err(JweError::TokenTooLong {
                len: token.len(),
                max: limits.max_token_len(),
            });
        }
        let found = token
            .bytes()
            .filter(|b| *b == b'.')
            .count()
            .saturating_add(1);
        let mut parts = token.splitn(5, '.');
        let (Some(protected), Some(encrypted_key), Some(iv), Some(ciphertext), Some(tag), 5) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            found,
        ) else {
            return Err(JweError::WrongPartCount { found });
        };
        let header_bytes = decode_part(protected, JwePart::Header)?;
        let iv = decode_part(iv, JwePart::Iv)?;
        let ciphertext = base64url::decode(ciphertext).ok_or(JweError::InvalidBase64 {
            part: JwePart::Ciphertext,
        })?;
        let tag = decode_part(tag, JwePart::Tag)?;
        let header_map = json::parse_object(&header_bytes, limits.max_json_depth())
            .map_err(|error| JweError::InvalidJson { error })?;
        let header = JweHeader::from_map(header_map)?;
        if !encrypted_key.is_empty() {
            return Err(JweError::EncryptedKeyNotEmpty);
        }
        let iv = <[u8; IV_LEN]>::try_from(iv.as_slice())
            .map_err(|_| JweError::IvLength { len: iv.len() })?;
        let tag = <[u8; TAG_LEN]>::try_from(tag.as_slice())
            .map_err(|_| JweError::TagLength { len: tag.len() })?;
        Ok(Self {
            protected,
            header,
            iv,
            ciphertext,
            tag,
        })
    }

    /// The typed protected header.
    #[must_use]
    pub const fn header(&self) -> &JweHeader {
        &self.header
    }

    /// Checks the header against `policy`, agrees on Z with `key`, derives the content
    /// encryption key, authenticates and decrypts, then inflates when `zip` is set, with the
    /// default plaintext limit ([`DEFAULT_MAX_PLAINTEXT_LEN`]).
    ///
    /// # Errors
    /// Those of [`decrypt_with_limits`](Self::decrypt_with_limits).
    pub fn decrypt(&self, key: &dyn KeyAgreement, policy: &JwePolicy) -> Result<Vec<u8>, JweError> {
        self.decrypt_with_limits(key, policy, &JweLimits::default())
    }

    /// Like [`decrypt`](Self::decrypt), with an explicit plaintext limit.
    ///
    /// # Errors
    /// Those of [`JwePolicy::check`]; [`JweError::CurveMismatch`];
    /// [`JweError::KeyAgreementFailed`] (from the key); [`JweError::DecryptionFailed`];
    /// [`JweError::PlaintextTooLarge`]; [`JweError::DecompressionFailed`].
    pub fn decrypt_with_limits(
        &self,
        key: &dyn KeyAgreement,
        policy: &JwePolicy,
        limits: &JweLimits,
    ) -> Result<Vec<u8>, JweError> {
        policy.check(&self.header)?;
        if key.curve() != self.header.epk_curve {
            return Err(JweError::CurveMismatch {
                epk: self.header.epk_curve.jwk_name(),
                recipient: key.curve().jwk_name(),
            });
        }
        let z = key.agree(&self.header.epk)?;
        let cek = concat_kdf(
            z.as_bytes(),
            self.header.enc.jose_name(),
            self.header.apu().unwrap_or_default(),
            self.header.apv().unwrap_or_default(),
            self.header.enc.key_len(),
        )?;
        let plaintext = open(
            self.header.enc,
            &cek,
            self.iv,
            self.protected.as_bytes(),
            &self.ciphertext,
            self.tag,
        )?;
        let max = limits.max_plaintext_len();
        match self.header.zip {
            None if plaintext.len() > max => Err(JweError::PlaintextTooLarge { max }),
            None => Ok(plaintext),
            Some(Compression::Deflate) => inflate_capped(&plaintext, max),
        }
    }
}

fn decode_part(text: &str, part: JwePart) -> Result<Vec<u8>, JweError> {
    if text.is_empty() {
        return Err(JweError::InvalidBase64 { part });
    }
    base64url::decode(text).ok_or(JweError::InvalidBase64 { part })
}

fn open(
    enc: ContentEncryption,
    cek: &[u8],
    iv: [u8; IV_LEN],
    aad: &[u8],
    ciphertext: &[u8],
    tag: [u8; TAG_LEN],
) -> Result<Vec<u8>, JweError> {
    let key =
        aead::UnboundKey::new(enc.ring_algorithm(), cek).map_err(|_| JweError::DecryptionFailed)?;
    let key = aead::LessSafeKey::new(key);
    let mut in_out = ciphertext.to_vec();
    let len = key
        .open_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(iv),
            aead::Aad::from(aad),
            aead::Tag::from(tag),
            &mut in_out,
            0..,
        )
        .map_err(|_| JweError::DecryptionFailed)?
        .len();
    in_out.truncate(len);
    Ok(in_out)
}

/// Inflates raw DEFLATE data, refusing as soon as the output would exceed `max` bytes: the
/// decoder never produces more than `max + 1` bytes, whatever the compression ratio.
fn inflate_capped(compressed: &[u8], max: usize) -> Result<Vec<u8>, JweError> {
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| JweError::DecompressionFailed)?;
    if out.len() > max {
        return Err(JweError::PlaintextTooLarge { max });
    }
    Ok(out)
}

/// The RFC 7518 §4.6.2 Concat KDF (NIST SP 800-56A §5.8.1) with SHA-256, as ECDH-ES direct key
/// agreement uses it: `AlgorithmID` is the `enc` name, `PartyUInfo`/`PartyVInfo` are `apu`/`apv`
/// (length-prefixed), `SuppPubInfo` is the key length in bits, `SuppPrivInfo` is empty.
///
/// ```
/// // RFC 7518 Appendix C.
/// let z = [158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251,
///     49, 110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196];
/// let key = jose_core::jwe::concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 16)?;
/// assert_eq!(jose_core::base64url::encode(&key), "VqqN6vgjbSBcIijNcacQGg");
/// # Ok::<(), jose_core::jwe::JweError>(())
/// ```
///
/// # Errors
/// [`JweError::InvalidHeader`] if a length does not fit the KDF's 32-bit fields.
pub fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<Vec<u8>, JweError> {
    let too_long = |name| JweError::InvalidHeader { name };
    let alg_len = u32::try_from(algorithm_id.len()).map_err(|_| too_long("enc"))?;
    let apu_len = u32::try_from(apu.len()).map_err(|_| too_long("apu"))?;
    let apv_len = u32::try_from(apv.len()).map_err(|_| too_long("apv"))?;
    let key_bits = key_len
        .checked_mul(8)
        .and_then(|bits| u32::try_from(bits).ok())
        .ok_or(too_long("enc"))?;
    let mut out = Vec::with_capacity(key_len.saturating_add(32));
    let mut counter: u32 = 1;
    while out.len() < key_len {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(z);
        ctx.update(&alg_len.to_be_bytes());
        ctx.update(algorithm_id.as_bytes());
        ctx.update(&apu_len.to_be_bytes());
        ctx.update(apu);
        ctx.update(&apv_len.to_be_bytes());
        ctx.update(apv);
        ctx.update(&key_bits.to_be_bytes());
        out.extend_from_slice(ctx.finish().as_ref());
        counter = counter.checked_add(1).ok_or(too_long("enc"))?;
    }
    out.truncate(key_len);
    Ok(out)
}

/// The ECDH shared secret Z (the x-coordinate of the shared point). Its `Debug` is redacted.
pub struct SharedSecret(Vec<u8>);

impl SharedSecret {
    /// Wraps the raw bytes of Z (from an HSM or another backend).
    #[must_use]
    pub const fn new(z: Vec<u8>) -> Self {
        Self(z)
    }

    /// The raw bytes of Z.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

impl Drop for SharedSecret {
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

/// The key-agreement seam: a recipient's static EC private key, wherever it lives.
///
/// An HSM or KMS implementation computes ECDH with the peer's (already validated, on-curve)
/// public key and returns Z; [`LocalKeyAgreement`] does it in process.
pub trait KeyAgreement {
    /// The curve of the private key.
    fn curve(&self) -> EcCurve;

    /// The public JWK of the private key (advertised in metadata, used to pick a key by `kid`).
    fn public_jwk(&self) -> PublicJwk;

    /// Computes ECDH with `peer` and returns Z.
    ///
    /// # Errors
    /// [`JweError::KeyAgreementFailed`] (backend failure) or [`JweError::CurveMismatch`].
    fn agree(&self, peer: &PublicJwk) -> Result<SharedSecret, JweError>;
}

/// An in-process P-256 or P-384 private key for ECDH (RustCrypto `p256` / `p384`; ring cannot
/// do ECDH with a static private key). Its `Debug` shows the curve and public key only.
#[derive(Clone)]
pub struct LocalKeyAgreement {
    secret: LocalSecret,
    public: PublicJwk,
}

#[derive(Clone)]
enum LocalSecret {
    P256(p256::SecretKey),
    P384(p384::SecretKey),
}

impl core::fmt::Debug for LocalKeyAgreement {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "LocalKeyAgreement({:?})", self.public.key())
    }
}

impl LocalKeyAgreement {
    /// A key from its big-endian private scalar (the JWK `d` member, decoded).
    ///
    /// # Errors
    /// [`JweError::InvalidRecipientKey`] for another curve, a wrong length, zero or a scalar
    /// not below the group order.
    pub fn from_scalar(curve: EcCurve, scalar: &[u8]) -> Result<Self, JweError> {
        let invalid = JweError::InvalidRecipientKey {
            reason: "private scalar is not valid for the curve",
        };
        if scalar.len() != curve.coordinate_len() {
            return Err(invalid);
        }
        let secret = match curve {
            EcCurve::P256 => {
                LocalSecret::P256(p256::SecretKey::from_slice(scalar).map_err(|_| invalid.clone())?)
            }
            EcCurve::P384 => {
                LocalSecret::P384(p384::SecretKey::from_slice(scalar).map_err(|_| invalid.clone())?)
            }
            _ => {
                return Err(JweError::InvalidRecipientKey {
                    reason: "only P-256 and P-384 are supported",
                });
            }
        };
        Self::from_secret(secret)
    }

    /// A key from PKCS#8 DER (P-256 or P-384).
    ///
    /// # Errors
    /// [`JweError::InvalidRecipientKey`] when the DER is not a P-256 or P-384 PKCS#8 key.
    pub fn from_pkcs8(pkcs8: &Pkcs8Secret) -> Result<Self, JweError> {
        use p256::pkcs8::DecodePrivateKey as _;
        let der = pkcs8.as_bytes();
        let secret = if let Ok(key) = p256::SecretKey::from_pkcs8_der(der) {
            LocalSecret::P256(key)
        } else if let Ok(key) = p384::SecretKey::from_pkcs8_der(der) {
            LocalSecret::P384(key)
        } else {
            return Err(JweError::InvalidRecipientKey {
                reason: "not a P-256 or P-384 PKCS#8 private key",
            });
        };
        Self::from_secret(secret)
    }

    /// A fresh key from `rng`.
    ///
    /// # Errors
    /// [`JweError::InvalidRecipientKey`] for a curve other than P-256/P-384;
    /// [`JweError::EncryptionFailed`] when the source fails or keeps producing invalid scalars.
    pub fn generate(curve: EcCurve, rng: &dyn RandomSource) -> Result<Self, JweError> {
        if !matches!(curve, EcCurve::P256 | EcCurve::P384) {
            return Err(JweError::InvalidRecipientKey {
                reason: "only P-256 and P-384 are supported",
            });
        }
        let mut scalar = vec![0u8; curve.coordinate_len()];
        for _ in 0..16 {
            rng.fill(&mut scalar)?;
            let made = Self::from_scalar(curve, &scalar);
            scalar.fill(0);
            if let Ok(key) = made {
                return Ok(key);
            }
        }
        Err(JweError::EncryptionFailed {
            reason: "the random source produced no valid private scalar",
        })
    }

    /// The private scalar, big-endian (for storing the key; handle as a secret).
    #[must_use]
    pub fn scalar_bytes(&self) -> Vec<u8> {
        match &self.secret {
            LocalSecret::P256(key) => key.to_bytes().to_vec(),
            LocalSecret::P384(key) => key.to_bytes().to_vec(),
        }
    }

    fn from_secret(secret: LocalSecret) -> Result<Self, JweError> {
        use p256::elliptic_curve::sec1::ToSec1Point as _;
        let (curve, point) = match &secret {
            LocalSecret::P256(key) => (
                EcCurve::P256,
                key.public_key().to_sec1_point(false).as_bytes().to_vec(),
            ),
            LocalSecret::P384(key) => (
                EcCurve::P384,
                key.public_key().to_sec1_point(false).as_bytes().to_vec(),
            ),
        };
        let public =
            PublicKey::from_ec_point(curve, &point).map_err(|_| JweError::InvalidRecipientKey {
                reason: "public point encoding failed",
            })?;
        Ok(Self {
            secret,
            public: PublicJwk::new(public),
        })
    }
}

impl KeyAgreement for LocalKeyAgreement {
    fn curve(&self) -> EcCurve {
        match self.secret {
            LocalSecret::P256(_) => EcCurve::P256,
            LocalSecret::P384(_) => EcCurve::P384,
        }
    }

    fn public_jwk(&self) -> PublicJwk {
        self.public.clone()
    }

    fn agree(&self, peer: &PublicJwk) -> Result<SharedSecret, JweError> {
        let PublicKey::Ec { curve, point } = peer.key() else {
            return Err(JweError::InvalidEphemeralKey {
                reason: "kty is not EC",
            });
        };
        if *curve != self.curve() {
            return Err(JweError::CurveMismatch {
                epk: curve.jwk_name(),
                recipient: self.curve().jwk_name(),
            });
        }
        let off_curve = JweError::InvalidEphemeralKey {
            reason: "point is not on the curve",
        };
        let z = match &self.secret {
            LocalSecret::P256(key) => {
                let peer = p256::PublicKey::from_sec1_bytes(point).map_err(|_| off_curve)?;
                key.diffie_hellman(&peer).raw_secret_bytes().to_vec()
            }
            LocalSecret::P384(key) => {
                let peer = p384::PublicKey::from_sec1_bytes(point).map_err(|_| off_curve)?;
                key.diffie_hellman(&peer).raw_secret_bytes().to_vec()
            }
        };
        Ok(SharedSecret(z))
    }
}

/// Produces compact JWEs to one recipient public key with ECDH-ES and AES-GCM.
///
/// Every call to [`encrypt`](Self::encrypt) draws a fresh ephemeral key and IV from the given
/// [`RandomSource`]; nothing is random behind the caller's back.
#[derive(Clone, Debug)]
pub struct JweEncrypter {
    recipient: PublicJwk,
    curve: EcCurve,
    enc: ContentEncryption,
    zip: Option<Compression>,
    kid: Option<String>,
    typ: Option<String>,
    cty: Option<String>,
    apu: Option<Vec<u8>>,
    apv: Option<Vec<u8>>,
}

impl JweEncrypter {
    /// An encrypter to `recipient` (an EC P-256 or P-384 public key, checked on its curve).
    ///
    /// # Errors
    /// [`JweError::InvalidRecipientKey`] for another key type or curve, or a point off the
    /// curve.
    pub fn new(recipient: &PublicJwk, enc: ContentEncryption) -> Result<Self, JweError> {
        let PublicKey::Ec { curve, point } = recipient.key() else {
            return Err(JweError::InvalidRecipientKey {
                reason: "not an EC key",
            });
        };
        check_on_curve(*curve, point).map_err(|reason| JweError::InvalidRecipientKey { reason })?;
        Ok(Self {
            recipient: recipient.clone(),
            curve: *curve,
            enc,
            zip: None,
            kid: recipient.kid().map(str::to_owned),
            typ: None,
            cty: None,
            apu: None,
            apv: None,
        })
    }

    /// Compresses the plaintext with raw DEFLATE (`zip: DEF`) before encryption.
    #[must_use]
    pub const fn with_zip(mut self, zip: Option<Compression>) -> Self {
        self.zip = zip;
        self
    }

    /// Sets `kid` (by default the recipient JWK's `kid`, if any).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets `typ`.
    #[must_use]
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets `cty`.
    #[must_use]
    pub fn with_cty(mut self, cty: impl Into<String>) -> Self {
        self.cty = Some(cty.into());
        self
    }

    /// Sets `apu` (Agreement PartyUInfo).
    #[must_use]
    pub fn with_apu(mut self, apu: Vec<u8>) -> Self {
        self.apu = Some(apu);
        self
    }

    /// Sets `apv` (Agreement PartyVInfo).
    #[must_use]
    pub fn with_apv(mut self, apv: Vec<u8>) -> Self {
        self.apv = Some(apv);
        self
    }

    /// Encrypts `plaintext` into a compact JWE.
    ///
    /// # Errors
    /// [`JweError::EncryptionFailed`] when the random source fails or compression fails.
    pub fn encrypt(&self, plaintext: &[u8], rng: &dyn RandomSource) -> Result<String, JweError> {
        let ephemeral = LocalKeyAgreement::generate(self.curve, rng)?;
        let z = ephemeral.agree(&self.recipient)?;
        let mut header = Map::new();
        header.insert("alg".into(), ECDH_ES.into());
        header.insert("enc".into(), self.enc.jose_name().into());
        if let Some(zip) = self.zip {
            header.insert("zip".into(), zip.jose_name().into());
        }
        header.insert("epk".into(), ephemeral.public_jwk().to_value());
        if let Some(apu) = &self.apu {
            header.insert("apu".into(), base64url::encode(apu).into());
        }
        if let Some(apv) = &self.apv {
            header.insert("apv".into(), base64url::encode(apv).into());
        }
        for (name, value) in [("kid", &self.kid), ("typ", &self.typ), ("cty", &self.cty)] {
            if let Some(value) = value {
                header.insert(name.into(), value.as_str().into());
            }
        }
        let header_json =
            serde_json::to_vec(&Value::Object(header)).map_err(|_| JweError::EncryptionFailed {
                reason: "header serialisation failed",
            })?;
        let protected = base64url::encode(&header_json);
        let cek = concat_kdf(
            z.as_bytes(),
            self.enc.jose_name(),
            self.apu.as_deref().unwrap_or_default(),
            self.apv.as_deref().unwrap_or_default(),
            self.enc.key_len(),
        )?;
        let mut in_out = match self.zip {
            None => plaintext.to_vec(),
            Some(Compression::Deflate) => deflate(plaintext)?,
        };
        let mut iv = [0u8; IV_LEN];
        rng.fill(&mut iv)?;
        let key = aead::UnboundKey::new(self.enc.ring_algorithm(), &cek).map_err(|_| {
            JweError::EncryptionFailed {
                reason: "content encryption key rejected",
            }
        })?;
        let tag = aead::LessSafeKey::new(key)
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(iv),
                aead::Aad::from(protected.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| JweError::EncryptionFailed {
                reason: "AES-GCM sealing failed",
            })?;
        let mut out = protected;
        out.push_str("..");
        out.push_str(&base64url::encode(&iv));
        out.push('.');
        out.push_str(&base64url::encode(&in_out));
        out.push('.');
        out.push_str(&base64url::encode(tag.as_ref()));
        Ok(out)
    }
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, JweError> {
    let failed = |_| JweError::EncryptionFailed {
        reason: "DEFLATE compression failed",
    };
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).map_err(failed)?;
    encoder.finish().map_err(failed)
}
