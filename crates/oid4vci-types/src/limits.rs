//! Input limits. Every size and count this crate reads from untrusted input is bounded by one
//! of these defaults, overridable through [`Limits`].

/// Largest JSON message (request, response, offer) accepted: 64 KiB. A credential request
/// with a full batch of `jwt` proofs with `x5c` chains stays well below it.
pub const MAX_MESSAGE_LEN: usize = 64 * 1024;

/// Largest metadata document accepted: 1 MiB (issuer metadata with many configurations and
/// localized display entries).
pub const MAX_METADATA_LEN: usize = 1024 * 1024;

/// Maximum nesting of JSON objects and arrays: 32, as `jose_core::Limits::max_json_depth`.
pub const MAX_JSON_DEPTH: usize = 32;

/// Maximum number of parameters in a form body or offer URI query: 64. RFC 6749 token requests
/// use fewer than 15.
pub const MAX_FORM_PARAMS: usize = 64;

/// Maximum number of proofs in one credential request, whatever the batch size: 1024.
pub const MAX_PROOFS: usize = 1024;

/// Limits applied by the parsers. Build with [`Limits::default`] and override fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// See [`MAX_MESSAGE_LEN`].
    pub max_message_len: usize,
    /// See [`MAX_METADATA_LEN`].
    pub max_metadata_len: usize,
    /// See [`MAX_JSON_DEPTH`].
    pub max_json_depth: usize,
    /// See [`MAX_FORM_PARAMS`].
    pub max_form_params: usize,
    /// See [`MAX_PROOFS`].
    pub max_proofs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_len: MAX_MESSAGE_LEN,
            max_metadata_len: MAX_METADATA_LEN,
            max_json_depth: MAX_JSON_DEPTH,
            max_form_params: MAX_FORM_PARAMS,
            max_proofs: MAX_PROOFS,
        }
    }
}

/// The longest `tx_code.description` allowed (§4.1.1): 300 characters.
pub const MAX_TX_CODE_DESCRIPTION_CHARS: usize = 300;

/// Longest deserializer detail kept in [`Error::InvalidMember`](crate::Error::InvalidMember).
pub(crate) const MAX_DETAIL_CHARS: usize = 160;
