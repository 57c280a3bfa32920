//! Unpadded base64url (RFC 4648 §5) encoding into caller buffers for the issuance hot path:
//! disclosures, their digests (kept inline) and the issuer-signed JWT, written into one
//! pre-sized buffer instead of a `String` grown a character at a time. Like
//! `jose_core::base64url`, characters come from a 64-byte table aligned to one cache line, so
//! every lookup touches the same line whatever the (possibly secret: salts, claim values) input
//! bits. The output equals `jose_core::base64url::encode` (tested). Decoding uses
//! `jose_core::base64url::decode`.

/// The base64url alphabet on one cache line.
#[repr(align(64))]
struct Alphabet([u8; 64]);

static ALPHABET: Alphabet =
    Alphabet(*b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

pub(crate) use jose_core::base64url::encoded_len;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        assert_eq!(encode(b"\xfb"), "-w");
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
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
            proptest::prop_assert_eq!(jose_core::base64url::decode(&text), Some(bytes));
        }
    }
}
