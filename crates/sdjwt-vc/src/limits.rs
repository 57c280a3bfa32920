//! Named limits on untrusted input, overridable through [`Limits`].

/// Default maximum length in bytes of a whole SD-JWT, SD-JWT+KB or JWS JSON serialization: 64 KiB.
///
/// The largest example in the SD-JWT VC draft (a PID with 28 disclosures) is under 5 KiB; 64 KiB
/// leaves room for embedded `data:` URIs (portraits) while bounding the work per request.
pub const DEFAULT_MAX_LEN: usize = 64 * 1024;

/// Default maximum number of disclosures in one SD-JWT: 512.
///
/// A 20-claim person-identification credential with nested address members has about 30; RFC 9901
/// §9.8 asks verifiers to bound the processing of attacker-supplied disclosures.
pub const DEFAULT_MAX_DISCLOSURES: usize = 512;

/// Default maximum nesting depth of the processed claims (objects and arrays, counting the levels
/// contributed by recursive disclosures): 32, the same as `jose_core::DEFAULT_MAX_JSON_DEPTH`.
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// Limits applied while parsing and verifying.
///
/// ```
/// let limits = sdjwt_vc::Limits::default().with_max_disclosures(64);
/// assert_eq!(limits.max_disclosures(), 64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_len: usize,
    max_disclosures: usize,
    max_depth: usize,
}

impl Limits {
    /// The defaults: [`DEFAULT_MAX_LEN`], [`DEFAULT_MAX_DISCLOSURES`], [`DEFAULT_MAX_DEPTH`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_len: DEFAULT_MAX_LEN,
            max_disclosures: DEFAULT_MAX_DISCLOSURES,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// Sets the maximum length in bytes of one serialized SD-JWT (with its KB-JWT).
    #[must_use]
    pub const fn with_max_len(mut self, max: usize) -> Self {
        self.max_len = max;
        self
    }

    /// Sets the maximum number of disclosures.
    #[must_use]
    pub const fn with_max_disclosures(mut self, max: usize) -> Self {
        self.max_disclosures = max;
        self
    }

    /// Sets the maximum nesting depth of the processed claims.
    #[must_use]
    pub const fn with_max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// The maximum length in bytes of one serialized SD-JWT.
    #[must_use]
    pub const fn max_len(&self) -> usize {
        self.max_len
    }

    /// The maximum number of disclosures.
    #[must_use]
    pub const fn max_disclosures(&self) -> usize {
        self.max_disclosures
    }

    /// The maximum nesting depth of the processed claims.
    #[must_use]
    pub const fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// The `jose_core` limits used for the JWTs inside an SD-JWT.
    pub(crate) const fn jose(&self) -> jose_core::Limits {
        jose_core::Limits::new()
            .with_max_token_len(self.max_len)
            .with_max_json_depth(self.max_depth)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

/// Default accepted age of a KB-JWT `iat`: 300 seconds.
pub const DEFAULT_KB_MAX_AGE: u64 = 300;
