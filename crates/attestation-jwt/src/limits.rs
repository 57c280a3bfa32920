//! Resource limits for the untrusted inputs of this crate, and the defaults of the
//! configuration's time windows.

/// Default clock skew tolerated on `exp`, `nbf` and `iat` of the attestation, the PoP and the
/// DPoP proof: jose-core's [`DEFAULT_HOLDER_CLOCK_SKEW_SECONDS`](jose_core::DEFAULT_HOLDER_CLOCK_SKEW_SECONDS)
/// (300 seconds), the default for proofs a wallet's device signed and the
/// `clientAttestationConfig.clockSkewSeconds` default.
pub const DEFAULT_CLOCK_SKEW_SECONDS: u64 = jose_core::DEFAULT_HOLDER_CLOCK_SKEW_SECONDS;

/// Default replay window (how old a PoP `iat` may be): 300 seconds.
pub const DEFAULT_REPLAY_WINDOW_SECONDS: u64 = 300;

/// The largest accepted `clockSkewSeconds` / `replayWindowSeconds`: one day. Larger values would
/// make the replay cache and the freshness checks meaningless, so they are configuration errors.
pub const MAX_CONFIGURED_SECONDS: u64 = 86_400;

/// Default maximum length of one header value (`OAuth-Client-Attestation`,
/// `OAuth-Client-Attestation-PoP`, `DPoP`) and of each JWT in the legacy body form: 8 KiB.
///
/// ABCA draft -10 §9.5 notes that HTTP header values are commonly limited to about 8 KB.
pub const DEFAULT_MAX_HEADER_LEN: usize = 8 * 1024;

/// Default maximum length of a request's `client_id`: 1 KiB (client identifiers are URLs or short
/// strings; anything longer is refused before it is compared or logged).
pub const DEFAULT_MAX_CLIENT_ID_LEN: usize = 1024;

/// Default maximum length of a presented client secret: 512 bytes.
pub const DEFAULT_MAX_CLIENT_SECRET_LEN: usize = 512;

/// Default maximum length of a `clientAttestationConfig` JSON document: 256 KiB (room for a
/// handful of PEM root certificates).
pub const DEFAULT_MAX_CONFIG_LEN: usize = 256 * 1024;

/// Default maximum number of trusted root certificates in an `x509-chain` configuration.
pub const DEFAULT_MAX_TRUSTED_ROOTS: usize = 64;

/// The most entries `verificationMethod.additionalJwks` or
/// `verificationMethod.additionalKeyReferences` may hold: 8. Each entry is a key an attestation
/// may be tried against, so the bound caps the work per request during a key transition.
pub const MAX_ADDITIONAL_ATTESTER_KEYS: usize = 8;

/// Limits applied while verifying a request.
///
/// ```
/// let limits = attestation_jwt::Limits::default().with_max_header_len(4096);
/// assert_eq!(limits.max_header_len(), 4096);
/// assert_eq!(limits.jose().max_token_len(), 4096);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    jose: jose_core::Limits,
    max_client_id_len: usize,
    max_client_secret_len: usize,
}

impl Limits {
    /// The defaults of this module.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            jose: jose_core::Limits::new().with_max_token_len(DEFAULT_MAX_HEADER_LEN),
            max_client_id_len: DEFAULT_MAX_CLIENT_ID_LEN,
            max_client_secret_len: DEFAULT_MAX_CLIENT_SECRET_LEN,
        }
    }

    /// Sets the maximum length of one header value (and of each compact JWT).
    #[must_use]
    pub const fn with_max_header_len(mut self, max: usize) -> Self {
        self.jose = self.jose.with_max_token_len(max);
        self
    }

    /// Sets the maximum JSON nesting depth inside the JWTs.
    #[must_use]
    pub const fn with_max_json_depth(mut self, max: usize) -> Self {
        self.jose = self.jose.with_max_json_depth(max);
        self
    }

    /// Sets the maximum length of a request's `client_id`.
    #[must_use]
    pub const fn with_max_client_id_len(mut self, max: usize) -> Self {
        self.max_client_id_len = max;
        self
    }

    /// Sets the maximum length of a presented client secret.
    #[must_use]
    pub const fn with_max_client_secret_len(mut self, max: usize) -> Self {
        self.max_client_secret_len = max;
        self
    }

    /// The maximum length of one header value.
    #[must_use]
    pub const fn max_header_len(&self) -> usize {
        self.jose.max_token_len()
    }

    /// The limits handed to the JOSE parser.
    #[must_use]
    pub const fn jose(&self) -> &jose_core::Limits {
        &self.jose
    }

    /// The maximum length of a request's `client_id`.
    #[must_use]
    pub const fn max_client_id_len(&self) -> usize {
        self.max_client_id_len
    }

    /// The maximum length of a presented client secret.
    #[must_use]
    pub const fn max_client_secret_len(&self) -> usize {
        self.max_client_secret_len
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
