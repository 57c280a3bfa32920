//! A strict reader for one DER PKCS#1 `RSAPublicKey` (RFC 8017 §A.1.1):
//! `SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.

/// DER tag of a SEQUENCE.
const SEQUENCE: u8 = 0x30;
/// DER tag of an INTEGER.
const INTEGER: u8 = 0x02;

/// Returns `(n, e)` big-endian without leading zero bytes, or `None` unless `der` is exactly
/// one minimally encoded `RSAPublicKey` with positive, non-zero integers.
pub(super) fn parse_rsa_public_key(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (body, rest) = read_tlv(der, SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    let (n, body) = read_tlv(body, INTEGER)?;
    let (e, body) = read_tlv(body, INTEGER)?;
    if !body.is_empty() {
        return None;
    }
    Some((positive_integer(n)?, positive_integer(e)?))
}

/// Reads one tag-length-value with the given tag; returns (value, rest). Lengths use the short
/// form or one or two length bytes (enough for 16-bit-long values, far above 8192-bit keys),
/// always minimally.
fn read_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&len, rest) = rest.split_first()?;
            if len < 0x80 {
                return None;
            }
            (usize::from(len), rest)
        }
        0x82 => {
            let (&[high, low], rest) = rest.split_first_chunk::<2>()?;
            let len = usize::from(u16::from_be_bytes([high, low]));
            if len < 0x100 {
                return None;
            }
            (len, rest)
        }
        _ => return None,
    };
    rest.split_at_checked(len)
}

/// The magnitude of a minimally encoded, positive, non-zero DER INTEGER.
fn positive_integer(content: &[u8]) -> Option<Vec<u8>> {
    let magnitude = match content {
        [first, ..] if *first >= 0x80 => return None,
        [0, second, ..] if *second < 0x80 => return None,
        [0, rest @ ..] => rest,
        other => other,
    };
    if magnitude.is_empty() {
        None
    } else {
        Some(magnitude.to_vec())
    }
}
