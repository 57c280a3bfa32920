//! The SD-JWT hash (`_sd_alg` `sha-256`) and the JSON text form of disclosures.

use std::io;

/// The first 8 bytes of `text` as a big-endian number (zero-padded), which orders like the
/// bytes themselves.
pub(crate) fn prefix(text: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    for (slot, byte) in bytes.iter_mut().zip(text) {
        *slot = *byte;
    }
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
use serde::Serialize as _;
use serde::ser::{SerializeSeq as _, Serializer as _};
use serde_json::Value;

/// The only `_sd_alg` this crate implements (and the RFC 9901 §4.1.1 default).
pub const SD_ALG_SHA256: &str = "sha-256";

/// `base64url(SHA-256(ascii))`: the digest of a disclosure string (RFC 9901 §4.2.3), and the
/// `sd_hash` of a presented SD-JWT (RFC 9901 §4.3.1).
///
/// ```
/// assert_eq!(sdjwt_vc::sha256_base64url("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0"),
///     "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs");
/// ```
#[must_use]
pub fn sha256_base64url(ascii: &str) -> String {
    DigestText::of(ascii).as_str().to_owned()
}

/// The base64url length of a SHA-256 digest.
const DIGEST_TEXT_LEN: usize = 43;

/// `base64url(SHA-256(ascii))` kept inline (no allocation per disclosure). Orders like its
/// text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DigestText([u8; DIGEST_TEXT_LEN]);

impl DigestText {
    /// The digest of `ascii`.
    pub(crate) fn of(ascii: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, ascii.as_bytes());
        let mut text = [b'A'; DIGEST_TEXT_LEN];
        jose_core::base64url::encode_to_slice(&mut text, digest.as_ref());
        Self(text)
    }

    /// The text's bytes (base64url characters).
    pub(crate) const fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        // base64url characters only, by construction.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl core::fmt::Debug for DigestText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the issuer writes the JSON array inside a disclosure. Verifiers accept any form: they hash
/// the received string (RFC 9901 §4.2.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisclosureEncoding {
    /// `serde_json`'s compact form, UTF-8 (`["salt","name","value"]`). The default.
    #[default]
    Compact,
    /// The form of the RFC 9901 examples and of Python's `json.dumps`: `", "` and `": "`
    /// separators and non-ASCII characters escaped as `\uXXXX`. Use it to reproduce those
    /// examples byte for byte.
    Spaced,
}

impl DisclosureEncoding {
    /// Serialises `array` in this form.
    #[cfg(test)]
    pub(crate) fn to_json(self, array: &Value) -> String {
        let mut out = Vec::new();
        let result = match self {
            Self::Compact => array.serialize(&mut serde_json::Serializer::new(&mut out)),
            Self::Spaced => array.serialize(&mut serde_json::Serializer::with_formatter(
                &mut out, Spaced,
            )),
        };
        assert!(result.is_ok());
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the disclosure array `[salt, name, value]` (or `[salt, value]` without a name)
    /// in this form to `out`: the same bytes as serialising the array as a `Value`, without
    /// building one.
    pub(crate) fn write_disclosure(
        self,
        out: &mut Vec<u8>,
        salt: &str,
        name: Option<&str>,
        value: &Value,
    ) -> Result<(), serde_json::Error> {
        match self {
            Self::Compact => {
                out.push(b'[');
                jose_core::json::write_str(out, salt)?;
                if let Some(name) = name {
                    out.push(b',');
                    jose_core::json::write_str(out, name)?;
                }
                out.push(b',');
                jose_core::json::write_value(out, value)?;
                out.push(b']');
                Ok(())
            }
            Self::Spaced => write_array(
                &mut serde_json::Serializer::with_formatter(out, Spaced),
                salt,
                name,
                value,
            ),
        }
    }
}

fn write_array<F: serde_json::ser::Formatter>(
    serializer: &mut serde_json::Serializer<&mut Vec<u8>, F>,
    salt: &str,
    name: Option<&str>,
    value: &Value,
) -> Result<(), serde_json::Error> {
    let len = if name.is_some() { 3 } else { 2 };
    let mut seq = serializer.serialize_seq(Some(len))?;
    seq.serialize_element(salt)?;
    if let Some(name) = name {
        seq.serialize_element(name)?;
    }
    seq.serialize_element(value)?;
    seq.end()
}

/// A `serde_json` formatter writing Python's default `json.dumps` layout.
struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        for c in fragment.chars() {
            if c.is_ascii() {
                let mut buf = [0u8; 1];
                w.write_all(c.encode_utf8(&mut buf).as_bytes())?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn spaced_form_matches_python_json_dumps() {
        let v = json!(["_26bc4LT-ac6q2KI6cBW5es", "family_name", "Möbius", {"a": [1, null]}]);
        assert_eq!(
            DisclosureEncoding::Spaced.to_json(&v),
            r#"["_26bc4LT-ac6q2KI6cBW5es", "family_name", "M\u00f6bius", {"a": [1, null]}]"#
        );
        assert_eq!(
            DisclosureEncoding::Compact.to_json(&v),
            r#"["_26bc4LT-ac6q2KI6cBW5es","family_name","Möbius",{"a":[1,null]}]"#
        );
        assert_eq!(
            DisclosureEncoding::Spaced.to_json(&json!(["😀\n"])),
            r#"["\ud83d\ude00\n"]"#
        );
    }
}
