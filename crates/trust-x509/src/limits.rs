//! Named limits on every input size and count, overridable through [`Limits`].

/// Default maximum number of certificates in a presented chain (leaf plus intermediates).
///
/// HAIP and ISO 18013-5 chains are one to three certificates long; rustls-webpki itself
/// refuses paths with more than six intermediates (`MAX_SUB_CA_COUNT`). Five leaves room for
/// cross-signed intermediates without letting a caller hand us an unbounded list.
pub const DEFAULT_MAX_CHAIN_LEN: usize = 5;

/// Default maximum DER length of one certificate, in bytes.
///
/// Real certificates with RSA-4096 keys and long extension lists stay below 8 KiB; the
/// limit bounds the work done per certificate before any signature is checked.
pub const DEFAULT_MAX_CERT_LEN: usize = 16 * 1024;

/// Default maximum number of trust anchors in one [`crate::TrustAnchors`] set.
///
/// A VICAL or an eIDAS trusted list holds tens to a few hundred roots.
pub const DEFAULT_MAX_ANCHORS: usize = 1024;

/// Default maximum length of a PEM text given to [`crate::TrustAnchors::from_pem`], in bytes.
pub const DEFAULT_MAX_PEM_LEN: usize = 4 * 1024 * 1024;

/// Resource limits applied while validating a chain and loading anchors.
///
/// Build it with [`Limits::default`] and the `with_*` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum number of certificates in a presented chain (leaf included).
    pub max_chain_len: usize,
    /// Maximum DER length of one certificate.
    pub max_cert_len: usize,
    /// Maximum number of trust anchors.
    pub max_anchors: usize,
    /// Maximum length of PEM text.
    pub max_pem_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_chain_len: DEFAULT_MAX_CHAIN_LEN,
            max_cert_len: DEFAULT_MAX_CERT_LEN,
            max_anchors: DEFAULT_MAX_ANCHORS,
            max_pem_len: DEFAULT_MAX_PEM_LEN,
        }
    }
}

impl Limits {
    /// Sets the maximum number of certificates in a presented chain (leaf included).
    #[must_use]
    pub const fn with_max_chain_len(mut self, max: usize) -> Self {
        self.max_chain_len = max;
        self
    }

    /// Sets the maximum DER length of one certificate.
    #[must_use]
    pub const fn with_max_cert_len(mut self, max: usize) -> Self {
        self.max_cert_len = max;
        self
    }

    /// Sets the maximum number of trust anchors.
    #[must_use]
    pub const fn with_max_anchors(mut self, max: usize) -> Self {
        self.max_anchors = max;
        self
    }

    /// Sets the maximum length of PEM text.
    #[must_use]
    pub const fn with_max_pem_len(mut self, max: usize) -> Self {
        self.max_pem_len = max;
        self
    }
}

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (ring's limit).
pub const MAX_RSA_BITS: usize = 8192;
