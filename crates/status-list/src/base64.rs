//! A fast, strict unpadded base64url decoder for `lst`.
//!
//! jose-core's decoder (base64ct) is constant-time, which key material needs and a public status
//! list does not; on a 20 KB `lst` it cost more than the inflation itself. This table decoder
//! accepts exactly what `jose_core::base64url::decode` accepts (a property test checks they
//! agree): the URL-safe alphabet, no padding, no whitespace, length not ≡ 1 (mod 4), and zero
//! trailing bits.

/// The value of one base64url character.
const fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from_be_bytes([0, 0, 0, v]))
}

/// Decodes canonical unpadded base64url; `None` for anything else.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let input = text.as_bytes();
    let chunks = input.chunks_exact(4);
    let tail = chunks.remainder();
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    for chunk in chunks {
        let [a, b, c, d] = <[u8; 4]>::try_from(chunk).ok()?;
        let n = sextet(a)? << 18 | sextet(b)? << 12 | sextet(c)? << 6 | sextet(d)?;
        let [_, x, y, z] = n.to_be_bytes();
        out.extend_from_slice(&[x, y, z]);
    }
    match *tail {
        [] => {}
        [a, b] => {
            let n = sextet(a)? << 18 | sextet(b)? << 12;
            let [_, x, y, _] = n.to_be_bytes();
            if y != 0 {
                return None;
            }
            out.push(x);
        }
        [a, b, c] => {
            let n = sextet(a)? << 18 | sextet(b)? << 12 | sextet(c)? << 6;
            let [_, x, y, z] = n.to_be_bytes();
            if z != 0 {
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
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("AA"), Some(vec![0]));
        assert_eq!(decode("AB"), None);
        assert_eq!(decode("AAA="), None);
        assert_eq!(decode("+/8"), None);
        assert_eq!(decode("A"), None);
        assert_eq!(
            decode("eNrbuRgAAhcBXQ"),
            Some(vec![
                0x78, 0xda, 0xdb, 0xb9, 0x18, 0x00, 0x02, 0x17, 0x01, 0x5d
            ])
        );
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_jose_core_on_any_text(text in "[A-Za-z0-9_=+/ -]{0,40}") {
            proptest::prop_assert_eq!(decode(&text), jose_core::base64url::decode(&text));
        }

        #[test]
        fn inverts_encode(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..100)) {
            let text = jose_core::base64url::encode(&bytes);
            proptest::prop_assert_eq!(decode(&text), Some(bytes));
        }
    }
}
