//! Percent-encoding and `application/x-www-form-urlencoded` parsing, written by hand so the
//! crate needs no URL library (the offer URI and the token form use nothing more).

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::Error;

/// Percent-encodes `text` for a query component: only RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) are left as they are; every other byte becomes `%XX` (upper case).
pub(crate) fn encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Decodes one `application/x-www-form-urlencoded` value: `+` is a space, `%XX` a byte, and
/// the result must be UTF-8. RFC 6749 §2.3.1 encodes a client id and secret so before it
/// joins them for HTTP Basic.
///
/// ```
/// assert_eq!(oid4vci_types::form_urldecode("a+b%2Fc").unwrap(), "a b/c");
/// assert!(oid4vci_types::form_urldecode("%zz").is_err());
/// ```
///
/// # Errors
/// [`Error::InvalidPercentEncoding`] for a malformed escape or bytes that are not UTF-8.
pub fn form_urldecode(value: &str) -> Result<String, Error> {
    decode(value.as_bytes(), 0)
}

/// Decodes one form component: `+` is a space and `%XX` a byte; the result must be UTF-8.
/// `offset` is the component's position in the whole input, for error reporting.
pub(crate) fn decode(component: &[u8], offset: usize) -> Result<String, Error> {
    let mut out = Vec::with_capacity(component.len());
    let mut i = 0usize;
    while let Some(&b) = component.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let position = offset.saturating_add(i);
                let hi = component.get(i.saturating_add(1)).and_then(|c| hex(*c));
                let lo = component.get(i.saturating_add(2)).and_then(|c| hex(*c));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push((hi << 4) | lo),
                    _ => return Err(Error::InvalidPercentEncoding { position }),
                }
                i = i.saturating_add(2);
            }
            _ => out.push(b),
        }
        i = i.saturating_add(1);
    }
    String::from_utf8(out).map_err(|_| Error::InvalidPercentEncoding { position: offset })
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(c.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(c.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

/// Parses `application/x-www-form-urlencoded` bytes into (name, value) pairs.
///
/// Empty pairs (`a=1&&b=2`) are skipped; a pair without `=` has an empty value. A name that
/// appears twice is refused (RFC 6749 §3.1: parameters MUST NOT be included more than once),
/// and so is more than `max_params` pairs.
pub(crate) fn parse_form(input: &[u8], max_params: usize) -> Result<Vec<(String, String)>, Error> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut offset = 0usize;
    for part in input.split(|&b| b == b'&') {
        let start = offset;
        offset = offset.saturating_add(part.len()).saturating_add(1);
        if part.is_empty() {
            continue;
        }
        if pairs.len() >= max_params {
            return Err(Error::TooManyParameters { max: max_params });
        }
        let (name, value, value_offset) = match part.iter().position(|&b| b == b'=') {
            Some(eq) => (
                part.get(..eq).unwrap_or_default(),
                part.get(eq.saturating_add(1)..).unwrap_or_default(),
                start.saturating_add(eq).saturating_add(1),
            ),
            None => (part, &[][..], start),
        };
        let name = decode(name, start)?;
        let value = decode(value, value_offset)?;
        if pairs.iter().any(|(n, _)| *n == name) {
            return Err(Error::DuplicateParameter { name });
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// A request's form parameters by name: the body within `limits.max_message_len`, parsed by
/// [`parse_form`], parameters with an empty value treated as omitted (RFC 6749 §3.1).
pub(crate) fn form_params(
    body: &[u8],
    limits: &crate::limits::Limits,
) -> Result<alloc::collections::BTreeMap<String, String>, Error> {
    if body.len() > limits.max_message_len {
        return Err(Error::InputTooLarge {
            len: body.len(),
            max: limits.max_message_len,
        });
    }
    Ok(parse_form(body, limits.max_form_params)?
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect())
}

/// Serializes pairs as `application/x-www-form-urlencoded` (percent-encoding every
/// non-unreserved byte, spaces as `%20`).
pub(crate) fn build_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        encode(name, &mut out);
        out.push('=');
        encode(value, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode() {
        let mut s = String::new();
        encode("a b{\"é\"}~", &mut s);
        assert_eq!(s, "a%20b%7B%22%C3%A9%22%7D~");
        assert_eq!(decode(s.as_bytes(), 0).unwrap(), "a b{\"é\"}~");
        assert_eq!(decode(b"a+b%2b", 0).unwrap(), "a b+");
    }

    #[test]
    fn bad_escapes() {
        assert_eq!(
            decode(b"ab%4", 10).unwrap_err(),
            Error::InvalidPercentEncoding { position: 12 }
        );
        assert_eq!(
            decode(b"%zz", 0).unwrap_err(),
            Error::InvalidPercentEncoding { position: 0 }
        );
        assert_eq!(
            decode(b"%C3", 5).unwrap_err(),
            Error::InvalidPercentEncoding { position: 5 }
        );
    }

    #[test]
    fn form_pairs() {
        let pairs = parse_form(b"a=1&&b&c=x%3Dy", 8).unwrap();
        assert_eq!(
            pairs,
            [
                ("a".into(), "1".into()),
                ("b".into(), String::new()),
                ("c".into(), "x=y".into())
            ]
        );
        assert_eq!(
            parse_form(b"a=1&a=2", 8).unwrap_err(),
            Error::DuplicateParameter { name: "a".into() }
        );
        assert_eq!(
            parse_form(b"a=1&b=2&c=3", 2).unwrap_err(),
            Error::TooManyParameters { max: 2 }
        );
        assert_eq!(
            parse_form(b"a=1&b=%G0", 8).unwrap_err(),
            Error::InvalidPercentEncoding { position: 6 }
        );
    }
}
