//! Unpadded base64url (RFC 4648 §5, RFC 7515 §2), strict on input.

use base64ct::{Base64UrlUnpadded, Encoding};

/// Encodes bytes as unpadded base64url.
///
/// ```
/// assert_eq!(jose_core::base64url::encode(b"\xfb\xff"), "-_8");
/// ```
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes unpadded base64url, refusing padding, the standard alphabet, whitespace and
/// non-canonical trailing bits.
///
/// ```
/// assert_eq!(jose_core::base64url::decode("-_8").unwrap(), b"\xfb\xff");
/// assert!(jose_core::base64url::decode("-_8=").is_none());
/// assert!(jose_core::base64url::decode("+/8").is_none());
/// ```
#[must_use]
pub fn decode(text: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text).ok()
}

/// Decodes into a fixed-size array; `None` on bad encoding or wrong length.
#[must_use]
pub fn decode_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let written = Base64UrlUnpadded::decode(text, &mut out).ok()?;
    (written.len() == N).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_canonical_trailing_bits_are_refused() {
        // "AB" decodes to 0x00 with 4 non-zero trailing bits: not canonical.
        assert!(decode("AB").is_none());
        assert_eq!(decode("AA"), Some(vec![0]));
    }

    #[test]
    fn fixed_arrays_need_the_exact_length() {
        assert_eq!(decode_array::<2>("-_8"), Some([0xfb, 0xff]));
        assert_eq!(decode_array::<3>("-_8"), None);
        assert_eq!(decode_array::<1>("-_8"), None);
    }

    proptest::proptest! {
        #[test]
        fn decode_inverts_encode(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            proptest::prop_assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
    }
}
