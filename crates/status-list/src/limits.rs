//! Resource limits for untrusted Status List input, overridable through [`Limits`].

/// Default hard ceiling on the *inflated* status list: 16 MiB.
///
/// That is 134,217,728 one-bit entries, two orders of magnitude above the largest lists in the
/// draft's examples (2^20 entries). The ceiling is checked while inflating, so a zlib bomb stops
/// after at most this many bytes of output (dependencies.md §4 measured 11 ms for a 1 GiB bomb).
pub const DEFAULT_MAX_INFLATED_BYTES: usize = 16 * 1024 * 1024;

/// Default maximum length of a received Status List Token (JWT text or CWT bytes): 2 MiB.
///
/// jose-core's 8 KiB default suits tokens carried in HTTP headers; a Status List Token is a
/// response body whose `lst` grows with the list. A 2^20-entry list with 1 % revoked entries
/// compresses to about 15 KB; 2 MiB leaves room for large lists with many 8-bit values.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 2 * 1024 * 1024;

/// Default maximum JSON nesting depth in a Status List Token (header and payload).
pub const DEFAULT_MAX_JSON_DEPTH: usize = jose_core::DEFAULT_MAX_JSON_DEPTH;

/// Limits applied while decoding status lists and verifying Status List Tokens.
///
/// ```
/// let limits = status_list::Limits::default().with_max_inflated_bytes(1 << 20);
/// assert_eq!(limits.max_inflated_bytes(), 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    max_inflated_bytes: usize,
    max_token_len: usize,
    max_json_depth: usize,
}

impl Limits {
    /// The defaults: [`DEFAULT_MAX_INFLATED_BYTES`], [`DEFAULT_MAX_TOKEN_LEN`],
    /// [`DEFAULT_MAX_JSON_DEPTH`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_inflated_bytes: DEFAULT_MAX_INFLATED_BYTES,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            max_json_depth: DEFAULT_MAX_JSON_DEPTH,
        }
    }

    /// Sets the hard ceiling on the inflated list size in bytes.
    #[must_use]
    pub const fn with_max_inflated_bytes(mut self, max: usize) -> Self {
        self.max_inflated_bytes = max;
        self
    }

    /// Sets the maximum length of a received token.
    #[must_use]
    pub const fn with_max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// Sets the maximum JSON nesting depth.
    #[must_use]
    pub const fn with_max_json_depth(mut self, max: usize) -> Self {
        self.max_json_depth = max;
        self
    }

    /// The hard ceiling on the inflated list size in bytes.
    #[must_use]
    pub const fn max_inflated_bytes(&self) -> usize {
        self.max_inflated_bytes
    }

    /// The maximum length of a received token.
    #[must_use]
    pub const fn max_token_len(&self) -> usize {
        self.max_token_len
    }

    /// The maximum JSON nesting depth.
    #[must_use]
    pub const fn max_json_depth(&self) -> usize {
        self.max_json_depth
    }

    /// The jose-core limits used to parse a JWT under these limits.
    pub(crate) const fn jose(&self) -> jose_core::Limits {
        jose_core::Limits::new()
            .with_max_token_len(self.max_token_len)
            .with_max_json_depth(self.max_json_depth)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
