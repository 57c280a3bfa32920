//! Resource limits for untrusted mdoc input.
//!
//! Every size, count and depth that an attacker controls is bounded by one of these defaults.
//! They are deliberately generous for real mDL/PID documents (a portrait of a few tens of KiB,
//! 30–60 data elements, `driving_privileges` nested four levels) and small enough that a hostile
//! input cannot make the parser allocate or recurse without bound.

/// Default maximum size of one encoded `IssuerSigned` or `DeviceResponse`: 1 MiB.
///
/// ISO 18013-5 portraits are JPEG/JPEG2000 images of typically 10–50 KiB; a whole mDL with a
/// portrait and a signature image stays well under 200 KiB.
pub const DEFAULT_MAX_INPUT_LEN: usize = 1024 * 1024;

/// Default maximum CBOR nesting depth inside one element value or MSO structure: 16.
///
/// `driving_privileges` (an array of maps holding arrays of maps of codes) is four levels deep.
/// The nesting-bomb test and fuzz target exercise this bound.
pub const DEFAULT_MAX_DEPTH: usize = 16;

/// Default maximum number of name spaces in `nameSpaces` or `valueDigests`: 32.
pub const DEFAULT_MAX_NAME_SPACES: usize = 32;

/// Default maximum number of items (and of digests) in one name space: 1024.
pub const DEFAULT_MAX_ITEMS_PER_NAME_SPACE: usize = 1024;

/// Default maximum number of entries in one array or map inside an element value: 1024.
pub const DEFAULT_MAX_CONTAINER_LEN: usize = 1024;

/// Default maximum number of certificates in `x5chain`: 8 (RFC 9360 leaves it open; an mdoc
/// chain is the Document Signer plus at most a few intermediates).
pub const DEFAULT_MAX_X5CHAIN_LEN: usize = 8;

/// Default maximum number of documents in one `DeviceResponse`: 16.
pub const DEFAULT_MAX_DOCUMENTS: usize = 16;

/// Default maximum number of entries in any other map of the mdoc structures (MSO, IssuerSigned,
/// DeviceResponse, validityInfo, status): 64. Unknown members are skipped, but only this many.
pub const DEFAULT_MAX_STRUCT_ENTRIES: usize = 64;

/// Limits applied while parsing untrusted mdoc CBOR. Start from [`Limits::default`] and
/// override with the `with_*` methods.
///
/// ```
/// let limits = mdoc_cbor::Limits::default().with_max_input_len(4 * 1024 * 1024);
/// assert_eq!(limits.max_input_len(), 4 * 1024 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    max_input_len: usize,
    max_depth: usize,
    max_name_spaces: usize,
    max_items_per_name_space: usize,
    max_container_len: usize,
    max_x5chain_len: usize,
    max_documents: usize,
    max_struct_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! limit_accessors {
    ($($field:ident, $with:ident, $doc:literal;)*) => {
        $(
            #[doc = concat!("Sets the maximum ", $doc, ".")]
            #[must_use]
            pub const fn $with(mut self, max: usize) -> Self {
                self.$field = max;
                self
            }

            #[doc = concat!("The maximum ", $doc, ".")]
            #[must_use]
            pub const fn $field(&self) -> usize {
                self.$field
            }
        )*
    };
}

impl Limits {
    /// The `DEFAULT_*` values of this module.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_input_len: DEFAULT_MAX_INPUT_LEN,
            max_depth: DEFAULT_MAX_DEPTH,
            max_name_spaces: DEFAULT_MAX_NAME_SPACES,
            max_items_per_name_space: DEFAULT_MAX_ITEMS_PER_NAME_SPACE,
            max_container_len: DEFAULT_MAX_CONTAINER_LEN,
            max_x5chain_len: DEFAULT_MAX_X5CHAIN_LEN,
            max_documents: DEFAULT_MAX_DOCUMENTS,
            max_struct_entries: DEFAULT_MAX_STRUCT_ENTRIES,
        }
    }

    limit_accessors! {
        max_input_len, with_max_input_len, "size in bytes of one encoded input";
        max_depth, with_max_depth, "CBOR nesting depth of element values";
        max_name_spaces, with_max_name_spaces, "number of name spaces";
        max_items_per_name_space, with_max_items_per_name_space, "number of items or digests per name space";
        max_container_len, with_max_container_len, "number of entries of one array or map in an element value";
        max_x5chain_len, with_max_x5chain_len, "number of certificates in `x5chain`";
        max_documents, with_max_documents, "number of documents in a `DeviceResponse`";
        max_struct_entries, with_max_struct_entries, "number of entries in a structural map";
    }
}

/// The default length of each item's `random` salt: 32 bytes, as in ISO 18013-5 Annex D.
pub const DEFAULT_RANDOM_LEN: usize = 32;
/// The shortest `random` salt ISO 18013-5 §9.1.2.4 allows: 16 bytes.
pub const MIN_RANDOM_LEN: usize = 16;

/// The largest digestID plus one (ISO 18013-5 §9.1.2.4: `0 <= digestID < 2^31`).
pub const DIGEST_ID_BOUND: u64 = 1 << 31;
