//! Resource limits for untrusted input.

/// Default maximum length of one compact JWS: 8 KiB.
///
/// ABCA (draft -10 §9.5) notes that HTTP header values are commonly limited to about 8 KB;
/// tokens carried in headers cannot usefully be longer.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;

/// Default maximum nesting depth of JSON objects and arrays in a JOSE header or JWT payload.
///
/// Real headers and claim sets nest three or four levels (`cnf.jwk`, `status.status_list`);
/// 32 leaves room for nested SD-JWT claims while bounding the parser's stack.
pub const DEFAULT_MAX_JSON_DEPTH: usize = 32;

/// Default clock skew, in seconds, for artefacts a server signed and a verifier checks against
/// its own clock: credentials (SD-JWT VC `iat`/`exp`/`nbf`), status list tokens, mdoc MSO
/// `validityInfo`. Servers keep synchronised clocks, so a minute is enough.
///
/// Every verifier in the workspace takes its skew through `with_clock_skew_seconds(u64)`.
pub const DEFAULT_CLOCK_SKEW_SECONDS: u64 = 60;

/// Default clock skew, in seconds, for proofs a wallet's device signed: the client attestation
/// PoP, DPoP proofs and OpenID4VCI key proofs. Phone clocks drift; five minutes is also the
/// `clientAttestationConfig.clockSkewSeconds` default of the product's configuration contract.
pub const DEFAULT_HOLDER_CLOCK_SKEW_SECONDS: u64 = 300;

/// Maximum number of characters of an attacker-chosen string (an algorithm name, a member name,
/// a digest, a `typ`, a `sub`, a doctype) that any crate of the workspace copies into an error.
///
/// Long enough to recognise the value in a log (a base64url SHA-256 digest is 43 characters, a
/// typical media type or URI fits), short enough that an error never carries a large part of an
/// attacker's input. [`short_text`](crate::short_text) applies it.
pub const MAX_ERROR_TEXT_CHARS: usize = 64;

/// Limits applied while parsing untrusted tokens.
///
/// ```
/// let limits = jose_core::Limits::default().with_max_token_len(16 * 1024);
/// assert_eq!(limits.max_token_len(), 16 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_token_len: usize,
    max_json_depth: usize,
}

impl Limits {
    /// The defaults: [`DEFAULT_MAX_TOKEN_LEN`] and [`DEFAULT_MAX_JSON_DEPTH`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            max_json_depth: DEFAULT_MAX_JSON_DEPTH,
        }
    }

    /// Sets the maximum length in bytes of one compact token.
    #[must_use]
    pub const fn with_max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// Sets the maximum nesting depth of JSON values.
    #[must_use]
    pub const fn with_max_json_depth(mut self, max: usize) -> Self {
        self.max_json_depth = max;
        self
    }

    /// The maximum length in bytes of one compact token.
    #[must_use]
    pub const fn max_token_len(&self) -> usize {
        self.max_token_len
    }

    /// The maximum nesting depth of JSON values.
    #[must_use]
    pub const fn max_json_depth(&self) -> usize {
        self.max_json_depth
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
