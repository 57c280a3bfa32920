//! Unpadded base64url (RFC 4648 §5, RFC 7515 §2), strict on input.
//!
//! Tokens, disclosures and status lists are public data, and base64 is on every hot path of this
//! workspace (a 20 KB status list, twenty disclosures per credential), so [`encode`] and
//! [`decode`] run on `base64-simd`: SIMD shuffles where the CPU has them (SSSE3, AVX2, NEON,
//! WASM SIMD), whose timing does not depend on the data, and a 64-entry table for the last
//! bytes (fewer than a SIMD block: the last 20 bytes of a digest, 4 of a salt) and for whole
//! inputs on other CPUs. That table is not aligned to a cache line, so which of two lines a
//! lookup touches can depend on the data: a cache-timing observer on the same core could learn
//! something of the tail of a salt. Accepted for salts and claims, which the holder receives
//! anyway. For private key material, [`decode_secret`] uses base64ct's constant-time decoder.
//!
//! Input is strict everywhere: the URL-safe alphabet only, no padding, no whitespace, a length
//! that is not 1 mod 4, and zero trailing bits (so every byte string has exactly one encoding).

use base64_simd::{Out, URL_SAFE_NO_PAD};
use base64ct::{Base64UrlUnpadded, Encoding};

/// The length of the unpadded encoding of `len` bytes.
///
/// ```
/// assert_eq!(jose_core::base64url::encoded_len(32), 43);
/// ```
#[must_use]
pub const fn encoded_len(len: usize) -> usize {
    let full = (len / 3).saturating_mul(4);
    match len % 3 {
        0 => full,
        1 => full.saturating_add(2),
        _ => full.saturating_add(3),
    }
}

/// The length `text` decodes to, when its length is one an unpadded encoding can have (not
/// 1 mod 4).
const fn decoded_len(text: &[u8]) -> Option<usize> {
    let tail = match text.len() % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return None,
    };
    Some((text.len() / 4).saturating_mul(3).saturating_add(tail))
}

/// Writes the encoding of `bytes` to the start of `target` and returns how many bytes were
/// written: [`encoded_len`]`(bytes.len())`, or less when `target` is too short (then the
/// encoding of as many whole three-byte groups as fit: a prefix of the whole encoding).
///
/// ```
/// let mut buf = [0u8; 3];
/// assert_eq!(jose_core::base64url::encode_to_slice(&mut buf, b"\xfb\xff"), 3);
/// assert_eq!(&buf, b"-_8");
/// ```
pub fn encode_to_slice(target: &mut [u8], bytes: &[u8]) -> usize {
    let fitting = if encoded_len(bytes.len()) <= target.len() {
        bytes
    } else {
        bytes
            .get(..(target.len() / 4).saturating_mul(3))
            .unwrap_or_default()
    };
    // `fitting`'s encoding fits `target` by the choice above, so the encoder's length
    // assertion holds.
    URL_SAFE_NO_PAD
        .encode(fitting, Out::from_slice(target))
        .len()
}

/// Appends the encoding of `bytes` to a byte buffer (the hot-path form: build a token in one
/// `Vec<u8>` and turn it into a `String` once).
///
/// ```
/// let mut v = b"x.".to_vec();
/// jose_core::base64url::encode_to_vec(&mut v, b"\xfb\xff");
/// assert_eq!(v, b"x.-_8");
/// ```
pub fn encode_to_vec(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    out.resize(start.saturating_add(encoded_len(bytes.len())), 0);
    if let Some(target) = out.get_mut(start..) {
        encode_to_slice(target, bytes);
    }
}

/// Appends the encoding of `bytes` to a `String`: no UTF-8 check of the result, since the
/// encoder writes only ASCII.
///
/// ```
/// let mut s = String::from("x.");
/// jose_core::base64url::encode_to_string(&mut s, b"\xfb\xff");
/// assert_eq!(s, "x.-_8");
/// ```
pub fn encode_to_string(out: &mut String, bytes: &[u8]) {
    // Amortised growth here: the encoder itself reserves exactly, which appending to one
    // growing string many times would turn into a reallocation per call.
    out.reserve(encoded_len(bytes.len()));
    URL_SAFE_NO_PAD.encode_append(bytes, out);
}

/// Encodes bytes as unpadded base64url.
///
/// ```
/// assert_eq!(jose_core::base64url::encode(b"\xfb\xff"), "-_8");
/// ```
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode_to_string(bytes)
}

/// Decodes canonical unpadded base64url; `None` for padding, the standard alphabet, whitespace,
/// an impossible length or non-zero trailing bits.
///
/// ```
/// assert_eq!(jose_core::base64url::decode("-_8").unwrap(), b"\xfb\xff");
/// assert!(jose_core::base64url::decode("-_8=").is_none());
/// assert!(jose_core::base64url::decode("+/8").is_none());
/// ```
#[must_use]
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    decode_to_vec(&mut out, text)?;
    Some(out)
}

/// Appends the decoding of `text` to a byte buffer and returns how many bytes it added (the
/// hot-path form of [`decode`]: one buffer reused for many inputs). Same strictness as
/// [`decode`]; on bad input `out` is left as it was and the result is `None`.
///
/// ```
/// let mut buf = Vec::new();
/// assert_eq!(jose_core::base64url::decode_to_vec(&mut buf, "Zm9v"), Some(3));
/// assert_eq!(jose_core::base64url::decode_to_vec(&mut buf, "-_8"), Some(2));
/// assert_eq!(buf, b"foo\xfb\xff");
/// assert_eq!(jose_core::base64url::decode_to_vec(&mut buf, "-_8="), None);
/// assert_eq!(buf.len(), 5);
/// ```
pub fn decode_to_vec(out: &mut Vec<u8>, text: &str) -> Option<usize> {
    let len = decoded_len(text.as_bytes())?;
    let start = out.len();
    out.resize(start.saturating_add(len), 0);
    let decoded = out
        .get_mut(start..)
        .is_some_and(|target| decode_exact(text.as_bytes(), target));
    if decoded {
        Some(len)
    } else {
        out.truncate(start);
        None
    }
}

/// Decodes `input` into `out`, which has exactly [`decoded_len`]`(input)` bytes (so the
/// decoder's length assertion holds); whether the input was canonical base64url.
fn decode_exact(input: &[u8], out: &mut [u8]) -> bool {
    URL_SAFE_NO_PAD.decode(input, Out::from_slice(out)).is_ok()
}

/// Decodes into a fixed-size array; `None` on bad encoding or wrong length.
///
/// ```
/// assert_eq!(jose_core::base64url::decode_array::<2>("-_8"), Some([0xfb, 0xff]));
/// ```
#[must_use]
pub fn decode_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    (decoded_len(text.as_bytes()) == Some(N) && decode_exact(text.as_bytes(), &mut out))
        .then_some(out)
}

/// Decodes private key material with a constant-time decoder (base64ct), same strictness as
/// [`decode`].
#[must_use]
pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPHABET_FOR_TESTS: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    #[test]
    fn known_answers() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"f"), "Zg");
        assert_eq!(encode(b"fo"), "Zm8");
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(decode("Zm9vYmFy"), Some(b"foobar".to_vec()));
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("A"), None);
        assert_eq!(decode("AAA="), None);
        assert_eq!(decode("AA A"), None);
    }

    /// A bad character is found wherever it sits: in an eight-character block, in a
    /// four-character group after the blocks, or in the tail.
    #[test]
    fn a_bad_character_anywhere_is_refused() {
        let valid = encode(b"fifteen bytes!!"); // 20 characters: two blocks and a group
        assert_eq!(valid.len(), 20);
        for at in 0..valid.len() {
            for bad in ['=', '+', '/', ' ', '\u{80}'] {
                let mut text: Vec<char> = valid.chars().collect();
                text[at] = bad;
                let text: String = text.into_iter().collect();
                assert_eq!(decode(&text), None, "{text}");
            }
        }
        assert_eq!(decode(&valid).as_deref(), Some(&b"fifteen bytes!!"[..]));
    }

    #[test]
    fn non_canonical_trailing_bits_are_refused() {
        // "AB" decodes to 0x00 with 4 non-zero trailing bits: not canonical.
        assert!(decode("AB").is_none());
        assert_eq!(decode("AA"), Some(vec![0]));
        assert!(decode("AAB").is_none());
    }

    #[test]
    fn fixed_arrays_need_the_exact_length() {
        assert_eq!(decode_array::<2>("-_8"), Some([0xfb, 0xff]));
        assert_eq!(decode_array::<3>("-_8"), None);
        assert_eq!(decode_array::<1>("-_8"), None);
    }

    proptest::proptest! {
        #[test]
        fn decode_inverts_encode(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            proptest::prop_assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }

        #[test]
        fn agrees_with_base64ct_on_any_text(text in "[A-Za-z0-9_=+/ -]{0,40}") {
            proptest::prop_assert_eq!(decode(&text), Base64UrlUnpadded::decode_vec(&text).ok());
            proptest::prop_assert_eq!(decode_secret(&text), decode(&text));
        }

        #[test]
        fn decode_to_vec_appends_what_decode_returns(
            prefix in proptest::collection::vec(proptest::num::u8::ANY, 0..8),
            text in "[A-Za-z0-9_=+/ -]{0,40}",
        ) {
            let mut out = prefix.clone();
            let added = decode_to_vec(&mut out, &text);
            match decode(&text) {
                Some(bytes) => {
                    proptest::prop_assert_eq!(added, Some(bytes.len()));
                    proptest::prop_assert_eq!(out, [prefix, bytes].concat());
                }
                None => {
                    proptest::prop_assert_eq!(added, None);
                    proptest::prop_assert_eq!(out, prefix);
                }
            }
        }

        #[test]
        fn a_short_target_gets_a_prefix_of_the_encoding(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..160),
            room in 0usize..220,
        ) {
            let full = encode(&bytes);
            let mut target = vec![0u8; room];
            let written = encode_to_slice(&mut target, &bytes);
            proptest::prop_assert!(written <= room.min(full.len()));
            proptest::prop_assert_eq!(&target[..written], &full.as_bytes()[..written]);
            if room >= full.len() {
                proptest::prop_assert_eq!(written, full.len());
            }
        }

        /// Long enough for the SIMD blocks (up to 32 characters a step) and their tails: one
        /// character outside the alphabet anywhere, or padding at the end, is refused as
        /// base64ct refuses it.
        #[test]
        fn a_bad_character_in_a_long_text_is_refused(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 1..300),
            at in proptest::num::usize::ANY,
            bad in proptest::sample::select(vec![b'=', b'+', b'/', b' ', b'.', b'\n', 0u8, 0x7f]),
        ) {
            let mut text = encode(&bytes).into_bytes();
            let at = at % text.len();
            text[at] = bad;
            let text = String::from_utf8(text).unwrap_or_default();
            proptest::prop_assert_eq!(decode(&text), None);
            proptest::prop_assert_eq!(Base64UrlUnpadded::decode_vec(&text).ok(), None);
            let padded = format!("{}=", encode(&bytes));
            proptest::prop_assert_eq!(decode(&padded), None);
        }

        /// Non-canonical trailing bits in the last character of a long text are refused.
        #[test]
        fn long_texts_with_trailing_bits_are_refused(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 1..300),
        ) {
            let text = encode(&bytes);
            if bytes.len() % 3 != 0 {
                // The last character carries 2 or 4 unused bits; set the lowest.
                let mut changed = text.clone().into_bytes();
                let last = changed.len() - 1;
                let value = ALPHABET_FOR_TESTS.iter().position(|c| *c == changed[last]).unwrap_or(0);
                changed[last] = ALPHABET_FOR_TESTS[value | 1];
                let changed = String::from_utf8(changed).unwrap_or_default();
                proptest::prop_assert_eq!(decode(&changed), None);
            }
            proptest::prop_assert_eq!(decode(&text), Some(bytes));
        }

        #[test]
        fn encode_agrees_with_base64ct(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            proptest::prop_assert_eq!(encode(&bytes), Base64UrlUnpadded::encode_string(&bytes));
        }

        /// Appending to a string (empty or not) adds what `encode` gives, as `encode_to_vec`
        /// does to bytes.
        #[test]
        fn encode_to_string_appends_the_encoding(
            prefix in ".{0,6}",
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
        ) {
            let mut text = prefix.clone();
            encode_to_string(&mut text, &bytes);
            proptest::prop_assert_eq!(&text, &format!("{prefix}{}", encode(&bytes)));
            let mut raw = prefix.into_bytes();
            encode_to_vec(&mut raw, &bytes);
            proptest::prop_assert_eq!(text.into_bytes(), raw);
        }
    }
}
