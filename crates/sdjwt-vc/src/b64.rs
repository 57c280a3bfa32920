//! Unpadded base64url (RFC 4648 §5) for the hot paths: disclosures, their digests and the
//! issuer-signed JWT.
//!
//! `jose_core::base64url` (base64ct) computes every character with constant-time arithmetic,
//! about 25 instructions a character, which made base64 the largest non-crypto cost of issuing
//! and verifying. Here:
//! - encoding looks characters up in a 64-byte table aligned to one cache line, so every lookup
//!   touches the same line whatever the (possibly secret: salts, claim values) input bits;
//! - decoding, used only on received disclosures (data the verifier is shown), maps character
//!   ranges and is exactly as strict as `jose_core::base64url::decode`: no padding, no standard
//!   alphabet, no whitespace, and zero trailing bits (the tests compare the two).

/// The base64url alphabet on one cache line.
#[repr(align(64))]
struct Alphabet([u8; 64]);

static ALPHABET: Alphabet =
    Alphabet(*b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

/// The encoded length of `len` bytes.
pub(crate) const fn encoded_len(len: usize) -> usize {
    let full = len / 3 * 4;
    match len % 3 {
        0 => full,
        1 => full + 2,
        _ => full + 3,
    }
}

/// The character for bits `shift..shift + 6` of `n`.
fn symbol(n: u32, shift: u32) -> u8 {
    let index = usize::try_from((n >> shift) & 0x3f).unwrap_or(0);
    ALPHABET.0.get(index).copied().unwrap_or(b'A')
}

/// Appends the encoding of `bytes` to `out`.
pub(crate) fn encode_append(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    out.resize(start.saturating_add(encoded_len(bytes.len())), 0);
    if let Some(target) = out.get_mut(start..) {
        encode_to_slice(target, bytes);
    }
}

/// Writes the encoding of `bytes` to the start of `target`, which must hold
/// [`encoded_len`] bytes (what does not fit is left out).
pub(crate) fn encode_to_slice(target: &mut [u8], bytes: &[u8]) {
    let mut chunks = bytes.chunks_exact(3);
    let mut slots = target.chunks_exact_mut(4);
    for (chunk, slot) in (&mut chunks).zip(&mut slots) {
        if let (&[a, b, c], [w, x, y, z]) = (chunk, slot) {
            let n = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
            *w = symbol(n, 18);
            *x = symbol(n, 12);
            *y = symbol(n, 6);
            *z = symbol(n, 0);
        }
    }
    match (chunks.remainder(), slots.into_remainder()) {
        (&[a], [w, x]) => {
            let n = u32::from(a) << 16;
            *w = symbol(n, 18);
            *x = symbol(n, 12);
        }
        (&[a, b], [w, x, y]) => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            *w = symbol(n, 18);
            *x = symbol(n, 12);
            *y = symbol(n, 6);
        }
        _ => {}
    }
}

/// The encoding of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(encoded_len(bytes.len()));
    encode_append(&mut out, bytes);
    ascii_string(out)
}

/// `bytes` (base64url text, `.` and `~`: ASCII by construction) as a `String`.
pub(crate) fn ascii_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_default()
}

/// The value of one character, `None` outside the alphabet.
fn sextet(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// Decodes canonical unpadded base64url; `None` for anything else.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let input = text.as_bytes();
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let mut chunks = input.chunks_exact(4);
    for chunk in &mut chunks {
        if let [a, b, c, d] = *chunk {
            let n = sextet(a)? << 18 | sextet(b)? << 12 | sextet(c)? << 6 | sextet(d)?;
            let [_, x, y, z] = n.to_be_bytes();
            out.extend_from_slice(&[x, y, z]);
        }
    }
    match *chunks.remainder() {
        [] => {}
        [a, b] => {
            let n = sextet(a)? << 18 | sextet(b)? << 12;
            let [_, x, rest, _] = n.to_be_bytes();
            if rest != 0 {
                return None;
            }
            out.push(x);
        }
        [a, b, c] => {
            let n = sextet(a)? << 18 | sextet(b)? << 12 | sextet(c)? << 6;
            let [_, x, y, rest] = n.to_be_bytes();
            if rest != 0 {
                return None;
            }
            out.extend_from_slice(&[x, y]);
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        assert_eq!(encode(b"\xfb"), "-w");
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(decode("-_8"), Some(b"\xfb\xff".to_vec()));
        assert_eq!(decode("Zm9vYmFy"), Some(b"foobar".to_vec()));
        assert_eq!(decode(""), Some(Vec::new()));
    }

    #[test]
    fn strict_like_jose_core() {
        for bad in [
            "-_8=",
            "+/8",
            "Zm9v YmFy",
            "A",
            "AB",
            "AAB",
            "Zm9vY",
            "Zm9vYmFy\n",
            "é",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
            assert_eq!(jose_core::base64url::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn encoded_len_is_exact() {
        for len in 0..10 {
            assert_eq!(encode(&vec![0; len]).len(), encoded_len(len));
        }
    }

    proptest::proptest! {
        #[test]
        fn same_as_jose_core(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..100)) {
            let text = encode(&bytes);
            proptest::prop_assert_eq!(&text, &jose_core::base64url::encode(&bytes));
            proptest::prop_assert_eq!(decode(&text), Some(bytes));
        }

        #[test]
        fn decode_agrees_with_jose_core(text in "[A-Za-z0-9_+/=-]{0,12}") {
            proptest::prop_assert_eq!(decode(&text), jose_core::base64url::decode(&text));
        }
    }
}
