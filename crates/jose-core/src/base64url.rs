//! Unpadded base64url (RFC 4648 §5, RFC 7515 §2), strict on input.
//!
//! Tokens, disclosures and status lists are public data, and base64 is on every hot path of this
//! workspace (a 20 KB status list, twenty disclosures per credential), so [`encode`] and
//! [`decode`] are plain table codecs. Encoding reads its alphabet from one cache-line-aligned
//! table, so the memory access pattern does not depend on the (possibly secret: salts, claim
//! values) input. For private key material, [`decode_secret`] uses base64ct's constant-time
//! decoder.
//!
//! Input is strict everywhere: the URL-safe alphabet only, no padding, no whitespace, a length
//! that is not 1 mod 4, and zero trailing bits (so every byte string has exactly one encoding).

use base64ct::{Base64UrlUnpadded, Encoding};

/// The base64url alphabet on one cache line.
#[repr(align(64))]
struct Alphabet([u8; 64]);

static ALPHABET: Alphabet =
    Alphabet(*b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

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

fn symbol(n: u64, shift: u32) -> u8 {
    // The low byte masked to six bits: an index below 64 by construction, so the lookup can
    // neither fail nor need a fallback symbol.
    let [low, ..] = (n >> shift).to_le_bytes();
    ALPHABET.0[usize::from(low & 0x3f)]
}

/// The sixteen symbols of twelve bytes, as two words to store: eight symbols from each half.
fn sixteen_symbols(block: [u8; 12]) -> ([u8; 8], [u8; 8]) {
    let [a, b, c, d, e, f, g, h, i, j, k, l] = block;
    let head = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
    let tail = u32::from_be_bytes([i, j, k, l]);
    (
        eight_symbols(head >> 16),
        eight_symbols((head & 0xffff) << 32 | u64::from(tail)),
    )
}

/// The eight symbols of the low 48 bits of `bits`, first symbol first.
fn eight_symbols(bits: u64) -> [u8; 8] {
    let at = |shift: u32| u64::from(symbol(bits, shift));
    (at(42)
        | at(36) << 8
        | at(30) << 16
        | at(24) << 24
        | at(18) << 32
        | at(12) << 40
        | at(6) << 48
        | at(0) << 56)
        .to_le_bytes()
}

/// Writes the encoding of `bytes` to the start of `target` and returns how many bytes were
/// written: [`encoded_len`]`(bytes.len())`, or less when `target` is too short (what does not
/// fit is left out).
///
/// ```
/// let mut buf = [0u8; 3];
/// assert_eq!(jose_core::base64url::encode_to_slice(&mut buf, b"\xfb\xff"), 3);
/// assert_eq!(&buf, b"-_8");
/// ```
pub fn encode_to_slice(target: &mut [u8], bytes: &[u8]) -> usize {
    // Twelve bytes at a time, written as two 8-byte words; then three at a time. Slots first,
    // as below.
    let mut blocks = bytes.chunks_exact(12);
    let mut done = 0usize;
    for (slot, block) in target.chunks_exact_mut(16).zip(&mut blocks) {
        if let (Ok(block), Some((first, second))) =
            (<[u8; 12]>::try_from(block), slot.split_at_mut_checked(8))
        {
            let (head, tail) = sixteen_symbols(block);
            first.copy_from_slice(&head);
            second.copy_from_slice(&tail);
        }
        done = done.saturating_add(1);
    }
    match (
        target.get_mut(done.saturating_mul(16)..),
        bytes.get(done.saturating_mul(12)..),
    ) {
        (Some(target), Some(bytes)) => done
            .saturating_mul(16)
            .saturating_add(encode_groups(target, bytes)),
        _ => done.saturating_mul(16),
    }
}

/// [`encode_to_slice`] three bytes at a time, then the last one or two.
fn encode_groups(target: &mut [u8], bytes: &[u8]) -> usize {
    let mut written = 0usize;
    let mut chunks = bytes.chunks_exact(3);
    let mut slots = target.chunks_exact_mut(4);
    // Slots first: `zip` takes from its first iterator before it finds the second one empty,
    // and a group taken without a slot would be lost to the check below.
    for (slot, chunk) in (&mut slots).zip(&mut chunks) {
        if let (&[a, b, c], [w, x, y, z]) = (chunk, slot) {
            let n = u64::from(a) << 16 | u64::from(b) << 8 | u64::from(c);
            *w = symbol(n, 18);
            *x = symbol(n, 12);
            *y = symbol(n, 6);
            *z = symbol(n, 0);
            written = written.saturating_add(4);
        }
    }
    if chunks.len() > 0 {
        // The target ran out before the last whole group: the tail bytes would not follow on.
        return written;
    }
    let rest = target.get_mut(written..).unwrap_or_default();
    match (chunks.remainder(), rest) {
        (&[a], [w, x, ..]) => {
            let n = u64::from(a) << 16;
            *w = symbol(n, 18);
            *x = symbol(n, 12);
            written.saturating_add(2)
        }
        (&[a, b], [w, x, y, ..]) => {
            let n = u64::from(a) << 16 | u64::from(b) << 8;
            *w = symbol(n, 18);
            *x = symbol(n, 12);
            *y = symbol(n, 6);
            written.saturating_add(3)
        }
        _ => written,
    }
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

/// Encodes bytes as unpadded base64url.
///
/// ```
/// assert_eq!(jose_core::base64url::encode(b"\xfb\xff"), "-_8");
/// ```
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(encoded_len(bytes.len()));
    encode_to_vec(&mut out, bytes);
    String::from_utf8(out).unwrap_or_default()
}

/// Marks a byte outside the alphabet in [`DECODE`]; valid values are below 64, so OR-ing the
/// looked-up values of a whole input and testing this bit once finds any invalid character.
const INVALID: u8 = 0x80;

/// The value of every byte in the base64url alphabet; [`INVALID`] for the others (checked
/// against [`ALPHABET`] by a test).
#[rustfmt::skip]
static DECODE: [u8; 256] = [
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x3e, 0x80, 0x80,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x80, 0x80, 0x80, 0x80, 0x3f,
    0x80, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
];

fn sextets(chunk: [u8; 4]) -> (u32, u8) {
    let [a, b, c, d] = chunk.map(|byte| DECODE[usize::from(byte)]);
    let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
    (n, a | b | c | d)
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
    let input = text.as_bytes();
    let tail_len = match input.len() % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return None,
    };
    let len = (input.len() / 4).saturating_mul(3).saturating_add(tail_len);
    let start = out.len();
    out.resize(start.saturating_add(len), 0);
    let decoded = out
        .get_mut(start..)
        .is_some_and(|target| decode_exact(input, target));
    if decoded {
        Some(len)
    } else {
        out.truncate(start);
        None
    }
}

/// Decodes `input` (a length already checked not to be 1 mod 4) into `out`, which has exactly
/// the decoded length; whether the input was canonical base64url. Eight characters at a time
/// become six bytes written with one store; the last seven characters or fewer go through
/// [`decode_groups`].
fn decode_exact(input: &[u8], out: &mut [u8]) -> bool {
    let mut seen = 0u8;
    let mut blocks = input.chunks_exact(8);
    let mut slots = out.chunks_exact_mut(6);
    let mut done = 0usize;
    for (block, slot) in (&mut blocks).zip(&mut slots) {
        let mut n = 0u64;
        for byte in block {
            let value = DECODE[usize::from(*byte)];
            seen |= value;
            n = n << 6 | u64::from(value);
        }
        if let Some(bytes) = n.to_be_bytes().get(2..) {
            slot.copy_from_slice(bytes);
        }
        done = done.saturating_add(1);
    }
    match (
        input.get(done.saturating_mul(8)..),
        out.get_mut(done.saturating_mul(6)..),
    ) {
        (Some(rest_in), Some(rest_out)) => seen & INVALID == 0 && decode_groups(rest_in, rest_out),
        _ => false,
    }
}

/// [`decode_exact`] four characters at a time.
fn decode_groups(input: &[u8], out: &mut [u8]) -> bool {
    let mut seen = 0u8;
    let mut chunks = input.chunks_exact(4);
    let mut slots = out.chunks_exact_mut(3);
    for (chunk, slot) in (&mut chunks).zip(&mut slots) {
        if let (&[a, b, c, d], [x, y, z]) = (chunk, slot) {
            let (n, bits) = sextets([a, b, c, d]);
            seen |= bits;
            [_, *x, *y, *z] = n.to_be_bytes();
        }
    }
    let rest = slots.into_remainder();
    match (chunks.remainder(), rest) {
        ([], []) => {}
        (&[a, b], [x]) => {
            let (n, bits) = sextets([a, b, b'A', b'A']);
            let [_, value, trailing, _] = n.to_be_bytes();
            seen |= bits;
            if trailing != 0 {
                return false;
            }
            *x = value;
        }
        (&[a, b, c], [x, y]) => {
            let (n, bits) = sextets([a, b, c, b'A']);
            let [_, first, second, trailing] = n.to_be_bytes();
            seen |= bits;
            if trailing != 0 {
                return false;
            }
            (*x, *y) = (first, second);
        }
        _ => return false,
    }
    seen & INVALID == 0
}

/// Decodes into a fixed-size array; `None` on bad encoding or wrong length.
#[must_use]
pub fn decode_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    decode(text)?.try_into().ok()
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

    #[test]
    fn decode_table_matches_the_alphabet() {
        for byte in 0..=255u8 {
            let expected = ALPHABET.0.iter().position(|&c| c == byte);
            let got = DECODE[usize::from(byte)];
            match expected {
                Some(value) => assert_eq!(usize::from(got), value, "byte {byte}"),
                None => assert_eq!(got, INVALID, "byte {byte}"),
            }
        }
    }

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
        fn decode_inverts_encode(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
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
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            room in 0usize..60,
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

        #[test]
        fn encode_agrees_with_base64ct(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..100)) {
            proptest::prop_assert_eq!(encode(&bytes), Base64UrlUnpadded::encode_string(&bytes));
        }
    }
}
