//! The content encryption and compression algorithms, and the limits and policy of a recipient.

#[allow(
    clippy::wildcard_imports,
    reason = "the module is one file split in parts"
)]
use super::*;

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

    pub(super) const fn ring_algorithm(self) -> &'static aead::Algorithm {
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
