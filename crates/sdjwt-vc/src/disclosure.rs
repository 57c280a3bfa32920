//! Disclosures (RFC 9901 §4.2): parsed from the received base64url string, which is kept for
//! hashing, or made by the issuer.

use std::sync::OnceLock;

use serde_json::Value;

use crate::digest::{DigestText, DisclosureEncoding};
use crate::error::Error;

/// One disclosure: `[salt, name, value]` for an object property or `[salt, value]` for an array
/// element, with the exact base64url string it travels as and that string's digest.
///
/// ```
/// use sdjwt_vc::Disclosure;
/// let d = Disclosure::parse("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0", 32)?;
/// assert_eq!(d.name(), None);
/// assert_eq!(d.value(), "FR");
/// assert_eq!(d.digest(), "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs");
/// # Ok::<(), sdjwt_vc::Error>(())
/// ```
#[derive(Clone)]
pub struct Disclosure {
    /// The encoded string followed by the salt: one allocation for both.
    text: String,
    /// Where the salt starts in `text`.
    salt_at: usize,
    digest: DigestText,
    /// The claim name and value.
    parts: Held,
}

/// How a [`Disclosure`] holds its name and value: as parsed or given ([`Self::Known`]), or, for
/// a disclosure the issuer wrote from a borrowed scalar claim ([`Disclosure::write_scalar`]),
/// read back from the text on first use, so issuing copies no claim. Known parts are a plain
/// field: the verifier's disclosures pay no synchronisation for a cell they do not need.
#[derive(Clone, Debug)]
enum Held {
    Known(Parts),
    Unread(OnceLock<Parts>),
}

/// A disclosure's claim name (`None` for an array element) and value.
#[derive(Clone, Debug, Default)]
struct Parts {
    name: Option<String>,
    value: Value,
}

/// Two disclosures are equal when they are the same text: the encoded string determines the
/// salt, name and value.
impl PartialEq for Disclosure {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.salt_at == other.salt_at
    }
}

impl Eq for Disclosure {}

impl core::fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Disclosure")
            .field("encoded", &self.as_str())
            .field("digest", &self.digest)
            .field("salt", &self.salt())
            .field("name", &self.name())
            .field("value", self.value())
            .finish()
    }
}

/// `encoded` followed by `salt` in one string, and where the salt starts.
fn joined(encoded: &str, salt: &str) -> (String, usize) {
    let mut text = String::with_capacity(encoded.len().saturating_add(salt.len()));
    text.push_str(encoded);
    text.push_str(salt);
    (text, encoded.len())
}

impl Disclosure {
    /// Parses a received disclosure string (position 0 in error messages).
    ///
    /// # Errors
    /// [`Error::DisclosureEncoding`] when it is not canonical base64url of strict JSON (no
    /// duplicate member names, at most `max_depth` levels); [`Error::DisclosureShape`] when it is
    /// not an array of 3 (string salt, string name) or 2 (string salt) elements, or the name is
    /// `_sd` or `...` (RFC 9901 §4.2.1).
    pub fn parse(encoded: &str, max_depth: usize) -> Result<Self, Error> {
        Self::parse_at(encoded, 0, max_depth)
    }

    pub(crate) fn parse_at(encoded: &str, index: usize, max_depth: usize) -> Result<Self, Error> {
        Self::parse_with(&mut Vec::new(), encoded, index, max_depth)
    }

    /// Parses received disclosures in their order (their positions in error messages), through
    /// one decoding buffer and into a list sized up front.
    ///
    /// # Errors
    /// As [`Self::parse`], for the first disclosure that fails.
    pub(crate) fn parse_all<S: AsRef<str>>(
        encoded: &[S],
        max_depth: usize,
    ) -> Result<Vec<Self>, Error> {
        let mut scratch = Vec::new();
        let mut parsed = Vec::with_capacity(encoded.len());
        for (index, text) in encoded.iter().enumerate() {
            parsed.push(Self::parse_with(
                &mut scratch,
                text.as_ref(),
                index,
                max_depth,
            )?);
        }
        Ok(parsed)
    }

    /// [`Self::parse_at`] decoding into `scratch` (cleared first), so a verifier parsing many
    /// disclosures reuses one buffer.
    pub(crate) fn parse_with(
        scratch: &mut Vec<u8>,
        encoded: &str,
        index: usize,
        max_depth: usize,
    ) -> Result<Self, Error> {
        scratch.clear();
        jose_core::base64url::decode_to_vec(scratch, encoded)
            .ok_or(Error::DisclosureEncoding { index })?;
        let bytes = scratch.as_slice();
        match parse_plain(bytes, max_depth) {
            Some((salt, name, value)) => Self::checked(encoded, salt, name, value, index),
            None => {
                let (salt, name, value) = parse_any(bytes, index, max_depth)?;
                Self::checked(encoded, &salt, name, value, index)
            }
        }
    }

    /// The parsed parts checked against the reserved names (RFC 9901 §4.2.1) and kept with the
    /// received string.
    fn checked(
        encoded: &str,
        salt: &str,
        name: Option<String>,
        value: Value,
        index: usize,
    ) -> Result<Self, Error> {
        if name
            .as_deref()
            .is_some_and(|name| name == "_sd" || name == "...")
        {
            return Err(Error::DisclosureShape {
                index,
                reason: "claim name is the reserved _sd or ...",
            });
        }
        let (text, salt_at) = joined(encoded, salt);
        Ok(Self {
            digest: DigestText::of(encoded),
            text,
            salt_at,
            parts: Held::Known(Parts { name, value }),
        })
    }

    /// Makes a disclosure for an object property (`name` is `Some`) or an array element, written
    /// in `encoding`. Issuers normally let [`SdJwtBuilder`](crate::SdJwtBuilder) do this.
    #[must_use]
    pub fn create(
        salt: String,
        name: Option<String>,
        value: Value,
        encoding: DisclosureEncoding,
    ) -> Self {
        Self::create_with(&mut Vec::new(), &salt, name, value, encoding)
    }

    /// [`Self::create`] writing the JSON text into `scratch` (cleared first), so an issuer
    /// making many disclosures reuses one buffer.
    pub(crate) fn create_with(
        scratch: &mut Vec<u8>,
        salt: &str,
        name: Option<String>,
        value: Value,
        encoding: DisclosureEncoding,
    ) -> Self {
        let (text, salt_at) = written(scratch, salt, name.as_deref(), &value, encoding);
        Self::from_text(text, salt_at, Held::Known(Parts { name, value }))
    }

    /// A disclosure of a borrowed string, integer, boolean or `null`, written into `scratch`
    /// (cleared first) without copying the name or value: they are read back from the text
    /// when first asked for. `None` for anything else, which [`Self::create_with`] takes: an
    /// array or object, whose text could be nested deeper than reads back, and a number that
    /// is not an integer (copied, so that what is read back never depends on how a build's
    /// serde_json features, such as `arbitrary_precision`, parse fractions).
    pub(crate) fn write_scalar(
        scratch: &mut Vec<u8>,
        salt: &str,
        name: Option<&str>,
        value: &Value,
        encoding: DisclosureEncoding,
    ) -> Option<Self> {
        let plain = match value {
            Value::String(_) | Value::Bool(_) | Value::Null => true,
            Value::Number(number) => number.is_i64() || number.is_u64(),
            Value::Array(_) | Value::Object(_) => false,
        };
        if !plain {
            return None;
        }
        let (text, salt_at) = written(scratch, salt, name, value, encoding);
        Some(Self::from_text(
            text,
            salt_at,
            Held::Unread(OnceLock::new()),
        ))
    }

    fn from_text(text: String, salt_at: usize, parts: Held) -> Self {
        let digest = DigestText::of(text.get(..salt_at).unwrap_or_default());
        Self {
            digest,
            text,
            salt_at,
            parts,
        }
    }

    /// The name and value, read back from the text the first time for a disclosure made by
    /// [`Self::write_scalar`].
    fn parts(&self) -> &Parts {
        match &self.parts {
            Held::Known(parts) => parts,
            Held::Unread(cell) => cell.get_or_init(|| self.read_back()),
        }
    }

    /// [`Self::parts`] to move out of, read back first if need be (so `None` is not reached).
    fn parts_mut(&mut self) -> Option<&mut Parts> {
        if let Held::Unread(cell) = &mut self.parts {
            let cached = cell.take();
            self.parts = Held::Known(cached.unwrap_or_else(|| self.read_back()));
        }
        match &mut self.parts {
            Held::Known(parts) => Some(parts),
            Held::Unread(_) => None,
        }
    }

    /// Parses this disclosure's own text. Only a [`Self::write_scalar`] disclosure needs it:
    /// its text is `[salt, name, value]` or `[salt, value]` as written from a string, integer,
    /// boolean or `null`, which always parses back to that name and value (checked for every
    /// kind, both encodings, by the tests). Should it not, the parts read as an array element
    /// with value `null`.
    fn read_back(&self) -> Parts {
        let mut bytes = Vec::new();
        jose_core::base64url::decode_to_vec(&mut bytes, self.as_str());
        match parse_any(&bytes, 0, READ_BACK_DEPTH) {
            Ok((_, name, value)) => Parts { name, value },
            Err(_) => Parts::default(),
        }
    }

    /// The base64url string exactly as received or issued.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.text.get(..self.salt_at).unwrap_or_default()
    }

    /// `base64url(SHA-256(self.as_str()))`.
    #[must_use]
    pub fn digest(&self) -> &str {
        self.digest.as_str()
    }

    /// [`Self::digest`] kept inline, for the issuer's `_sd` arrays.
    pub(crate) const fn digest_text(&self) -> DigestText {
        self.digest
    }

    /// The salt.
    #[must_use]
    pub fn salt(&self) -> &str {
        self.text.get(self.salt_at..).unwrap_or_default()
    }

    /// The claim name, or `None` for an array element.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.parts().name.as_deref()
    }

    /// The claim value as disclosed (it may hold further digests).
    #[must_use]
    pub fn value(&self) -> &Value {
        &self.parts().value
    }

    /// Moves the value out, leaving `null`: for the verifier, which no longer needs its
    /// disclosures once it has applied them (see `process::process_taking`).
    pub(crate) fn take_value(&mut self) -> Value {
        self.parts_mut()
            .map(|parts| core::mem::take(&mut parts.value))
            .unwrap_or_default()
    }

    /// Moves the claim name out, leaving `None`, for the same caller as [`Self::take_value`].
    pub(crate) fn take_name(&mut self) -> Option<String> {
        self.parts_mut().and_then(|parts| parts.name.take())
    }
}

/// The nesting depth [`Disclosure::read_back`] allows. The disclosure array is one level (a
/// scalar inside takes none); one more is spare, so the limit is never what refuses a text
/// [`Disclosure::write_scalar`] wrote.
const READ_BACK_DEPTH: usize = 2;

/// The JSON text of a disclosure written into `scratch` (cleared first), then its base64url
/// string followed by the salt in one allocation, and where the salt starts.
fn written(
    scratch: &mut Vec<u8>,
    salt: &str,
    name: Option<&str>,
    value: &Value,
    encoding: DisclosureEncoding,
) -> (String, usize) {
    scratch.clear();
    if encoding
        .write_disclosure(scratch, salt, name, value)
        .is_err()
    {
        // Writing a `Value` and strings into a Vec cannot fail; stay total anyway with the
        // form a `Value` array prints as.
        scratch.clear();
        let mut array = vec![Value::String(salt.to_owned())];
        array.extend(name.map(|name| Value::String(name.to_owned())));
        array.push(value.clone());
        scratch.extend_from_slice(Value::Array(array).to_string().as_bytes());
    }
    let encoded_len = jose_core::base64url::encoded_len(scratch.len());
    let mut text = String::with_capacity(encoded_len.saturating_add(salt.len()));
    jose_core::base64url::encode_to_string(&mut text, scratch);
    text.push_str(salt);
    (text, encoded_len)
}

/// A disclosure's salt, optional claim name and value, as parsed.
type Decoded = (String, Option<String>, Value);

/// [`Decoded`] with the salt borrowed from the decoded text.
type PlainParts<'b> = (&'b str, Option<String>, Value);

/// The general parse: any strict JSON, then the shape checks of RFC 9901 §4.2.1.
fn parse_any(bytes: &[u8], index: usize, max_depth: usize) -> Result<Decoded, Error> {
    let value = jose_core::json::parse_value(bytes, max_depth)
        .map_err(|_| Error::DisclosureEncoding { index })?;
    let Value::Array(items) = value else {
        return Err(Error::DisclosureShape {
            index,
            reason: "not a JSON array",
        });
    };
    let mut items = items.into_iter();
    let (salt, name, value) = match (items.next(), items.next(), items.next(), items.next()) {
        (Some(salt), Some(name), Some(value), None) => (salt, Some(name), value),
        (Some(salt), Some(value), None, None) => (salt, None, value),
        _ => {
            return Err(Error::DisclosureShape {
                index,
                reason: "not an array of 2 or 3 elements",
            });
        }
    };
    let Value::String(salt) = salt else {
        return Err(Error::DisclosureShape {
            index,
            reason: "salt is not a string",
        });
    };
    let name = match name {
        None => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => {
            return Err(Error::DisclosureShape {
                index,
                reason: "claim name is not a string",
            });
        }
    };
    Ok((salt, name, value))
}

/// The usual form, `["salt","name",value]` or `["salt",value]` with salt and name free of
/// escapes, read without building the array: the value alone goes through the strict parser
/// (one nesting level less, as inside the array). `None` for anything else, which
/// [`parse_any`] then accepts or refuses with its exact error; whatever this accepts,
/// [`parse_any`] accepts with the same result.
fn parse_plain(bytes: &[u8], max_depth: usize) -> Option<PlainParts<'_>> {
    let inner_depth = max_depth.checked_sub(1)?;
    let rest = trim_ws(bytes).strip_prefix(b"[")?.strip_suffix(b"]")?;
    let (salt, rest) = plain_string(trim_ws_start(rest))?;
    let rest = trim_ws_start(trim_ws_start(rest).strip_prefix(b",")?);
    // A plain string followed by a comma is the name; otherwise `rest` is the value.
    let (name, rest) = match plain_string(rest) {
        Some((name, after)) => match trim_ws_start(after).strip_prefix(b",") {
            Some(after) => (Some(name), after),
            None => (None, rest),
        },
        None => (None, rest),
    };
    let value = jose_core::json::parse_value(rest, inner_depth).ok()?;
    Some((salt, name.map(str::to_owned), value))
}

/// A JSON string at the start of `bytes` without escapes or control characters, and the
/// bytes after its closing quote.
fn plain_string(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let body = bytes.strip_prefix(b"\"")?;
    let end = body
        .iter()
        .position(|b| *b == b'"' || *b == b'\\' || *b < 0x20)?;
    let (text, rest) = body.split_at_checked(end)?;
    let rest = rest.strip_prefix(b"\"")?;
    Some((core::str::from_utf8(text).ok()?, rest))
}

/// JSON whitespace (RFC 8259 §2).
const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn trim_ws_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !is_ws(*b)).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

fn trim_ws(bytes: &[u8]) -> &[u8] {
    let bytes = trim_ws_start(bytes);
    let end = bytes
        .iter()
        .rposition(|b| !is_ws(*b))
        .map_or(0, |at| at.saturating_add(1));
    bytes.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn encode(json: &str) -> String {
        jose_core::base64url::encode(json.as_bytes())
    }

    #[test]
    fn shapes_are_checked() {
        let cases = [
            (r#"["s"]"#, "not an array of 2 or 3 elements"),
            (r#"["s","n","v","x"]"#, "not an array of 2 or 3 elements"),
            (r#"{"s":1}"#, "not a JSON array"),
            (r#"[1,"v"]"#, "salt is not a string"),
            (r#"["s",1,"v"]"#, "claim name is not a string"),
            (
                r#"["s","_sd","v"]"#,
                "claim name is the reserved _sd or ...",
            ),
            (
                r#"["s","...","v"]"#,
                "claim name is the reserved _sd or ...",
            ),
        ];
        for (json, reason) in cases {
            assert_eq!(
                Disclosure::parse_at(&encode(json), 4, 8),
                Err(Error::DisclosureShape { index: 4, reason }),
                "{json}"
            );
        }
        assert_eq!(
            Disclosure::parse_at("WyJzIiwidiJd=", 1, 8),
            Err(Error::DisclosureEncoding { index: 1 })
        );
        assert_eq!(
            Disclosure::parse_at(&encode(r#"["s",{"a":1,"a":2}]"#), 1, 8),
            Err(Error::DisclosureEncoding { index: 1 })
        );
    }

    /// Whatever the plain reader accepts, the general parse accepts with the same parts.
    fn agree(json: &[u8], max_depth: usize) -> bool {
        match parse_plain(json, max_depth) {
            None => true,
            Some((salt, name, value)) => {
                parse_any(json, 0, max_depth) == Ok((salt.to_owned(), name, value))
            }
        }
    }

    #[test]
    fn plain_reader_agrees_with_the_general_parse() {
        let cases: [(&str, bool); 22] = [
            (r#"["s","n","v"]"#, true),
            (r#" [ "s" , "n" , {"a":[1,2]} ] "#, true),
            (r#"["s","v"]"#, true),
            (r#"["s","a,b"]"#, true),
            (r#"["s", 5]"#, true),
            (r#"["s","n",null]"#, true),
            (r#"["Köln","Straße","ü"]"#, true),
            (r#"["s","n","v","w"]"#, false),
            (r#"["s","n",]"#, false),
            (r#"["s","n",1,]"#, false),
            (r#"["s","n"#, false),
            (r#"["s"]"#, false),
            (r#"["s\"x","n","v"]"#, false),
            (r#"["s","n\u0061","v"]"#, false),
            (r#"[1,"n","v"]"#, false),
            (r#"["s",1,"v"]"#, false),
            (r#"["s","n",01]"#, false),
            (r#"["s","n",{"a":1,"a":2}]"#, false),
            (r#"["s","n","v"]]"#, false),
            (r#"{"s":"n"}"#, false),
            ("[\"s\",\"n\t\",\"v\"]", false),
            ("\u{feff}[\"s\",\"v\"]", false),
        ];
        for (json, plain) in cases {
            assert_eq!(parse_plain(json.as_bytes(), 8).is_some(), plain, "{json}");
            assert!(agree(json.as_bytes(), 8), "{json}");
        }
        // The value sits one level down, as inside the parsed array.
        let nested = br#"["s","n",[[1]]]"#;
        assert!(parse_plain(nested, 3).is_some());
        assert!(parse_plain(nested, 2).is_none());
        assert!(parse_any(nested, 0, 2).is_err());
        assert!(parse_plain(br#"["s","v"]"#, 0).is_none());
        assert!(parse_plain(b"[\"s\",\"\xff\"]", 8).is_none());
    }

    proptest::proptest! {
        #[test]
        fn plain_reader_never_disagrees(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "[", "]", ",", " ", "\"", "s", "n", "\\", "1", "{", "}", ":", "\"a\"",
                    "\"n\"", "null", "\t", "\u{e9}",
                ]),
                0..16,
            )
        ) {
            let json = parts.concat();
            proptest::prop_assert!(agree(json.as_bytes(), 4), "{}", json);
        }
    }

    #[test]
    fn created_disclosures_parse_back() {
        let d = Disclosure::create(
            "2GLC42sKQveCfGfryNRN9w".into(),
            Some("given_name".into()),
            json!("John"),
            DisclosureEncoding::Spaced,
        );
        assert_eq!(
            d.as_str(),
            "WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd"
        );
        assert_eq!(d.digest(), "jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4");
        assert_eq!(Disclosure::parse(d.as_str(), 8).unwrap(), d);
    }

    /// The encoded string and the salt share one allocation; each reads back whole, from
    /// both parses and from creation.
    #[test]
    fn encoded_string_and_salt_read_back() {
        let plain = encode(r#"["salt-1","n",{"a":1}]"#);
        let escaped = encode(r#"["s\"\u00e9","n",1]"#);
        let parsed = Disclosure::parse(&plain, 8).unwrap();
        assert_eq!((parsed.as_str(), parsed.salt()), (plain.as_str(), "salt-1"));
        let parsed = Disclosure::parse(&escaped, 8).unwrap();
        assert_eq!((parsed.as_str(), parsed.salt()), (escaped.as_str(), "s\"é"));
        assert_eq!(parsed.digest(), crate::sha256_base64url(&escaped));
        let created = Disclosure::create(
            "Köln".into(),
            Some("n".into()),
            json!(1),
            DisclosureEncoding::Compact,
        );
        assert_eq!(created.salt(), "Köln");
        assert_eq!(created.digest(), crate::sha256_base64url(created.as_str()));
        assert_eq!(Disclosure::parse(created.as_str(), 8).unwrap(), created);
        let debug = format!("{created:?}");
        assert!(
            debug.contains(created.as_str()) && debug.contains("Köln"),
            "{debug}"
        );
    }

    /// A disclosure written from a borrowed scalar reads its name and value back from its
    /// text: every kind of scalar, escapes in name and value, both encodings; what it reads
    /// is what a parse of the same text gives, and it can be moved out of.
    #[test]
    fn a_written_scalar_reads_back_its_name_and_value() {
        let scalars = [
            json!("Erika"),
            json!("a\"b\\c\n\u{1}\u{7f} Köln 😀"),
            json!(""),
            json!(0),
            json!(-7),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(true),
            json!(false),
            Value::Null,
        ];
        let mut scratch = Vec::new();
        for encoding in [DisclosureEncoding::Compact, DisclosureEncoding::Spaced] {
            for name in [Some("given_name"), Some("na\"me\t"), Some(""), None] {
                for value in &scalars {
                    let written =
                        Disclosure::write_scalar(&mut scratch, "salt\"é", name, value, encoding)
                            .unwrap();
                    let eager = Disclosure::create_with(
                        &mut Vec::new(),
                        "salt\"é",
                        name.map(str::to_owned),
                        value.clone(),
                        encoding,
                    );
                    assert_eq!(written, eager);
                    assert_eq!((written.name(), written.value()), (name, value));
                    assert_eq!(written.salt(), "salt\"é");
                    assert_eq!(written.digest(), eager.digest());
                    let parsed = Disclosure::parse(written.as_str(), 2).unwrap();
                    assert_eq!((parsed.name(), parsed.value()), (name, value));
                    let mut taken = written.clone();
                    assert_eq!(taken.take_value(), *value);
                    assert_eq!(taken.take_name().as_deref(), name);
                    assert_eq!((taken.name(), taken.value()), (None, &Value::Null));
                }
            }
        }
        let mut fresh = Disclosure::write_scalar(
            &mut scratch,
            "s",
            Some("n"),
            &json!(1),
            DisclosureEncoding::Compact,
        )
        .unwrap();
        // Moving out before anything read the parts still gives them.
        assert_eq!(fresh.take_name().as_deref(), Some("n"));
        assert_eq!(fresh.take_value(), json!(1));
        let debug = format!(
            "{:?}",
            Disclosure::write_scalar(
                &mut scratch,
                "s",
                Some("city"),
                &json!("Köln"),
                DisclosureEncoding::Compact
            )
            .unwrap()
        );
        assert!(debug.contains("city") && debug.contains("Köln"), "{debug}");
    }

    /// Arrays, objects and numbers that are not integers are not written without a copy:
    /// their text could be nested past what reads back, or read back as another `Value`.
    #[test]
    fn containers_and_fractions_are_not_written_as_scalars() {
        let others = [
            json!([]),
            json!([1]),
            json!({}),
            json!({"a": {"b": 1}}),
            json!(1.5),
            json!(1.5e300),
            json!(-0.0),
        ];
        for value in others {
            assert!(
                Disclosure::write_scalar(
                    &mut Vec::new(),
                    "s",
                    None,
                    &value,
                    DisclosureEncoding::Compact
                )
                .is_none(),
                "{value}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_written_string_or_integer_reads_back(
            name in proptest::option::of(".{0,12}"),
            text in ".{0,40}",
            int in proptest::num::i64::ANY,
            large in (1u64 << 63)..=u64::MAX,
        ) {
            let mut scratch = Vec::new();
            for encoding in [DisclosureEncoding::Compact, DisclosureEncoding::Spaced] {
                for value in [Value::String(text.clone()), json!(int), json!(large)] {
                    let written = Disclosure::write_scalar(
                        &mut scratch, "s", name.as_deref(), &value, encoding,
                    ).unwrap();
                    proptest::prop_assert_eq!(written.name(), name.as_deref());
                    proptest::prop_assert_eq!(written.value(), &value);
                }
            }
        }
    }

    /// A reused decoding buffer gives what a fresh one gives, whatever it held before, and a
    /// bad disclosure after a good one is still refused.
    #[test]
    fn a_reused_buffer_changes_nothing() {
        let mut scratch = b"left over from an earlier, longer disclosure".to_vec();
        let long = encode(r#"["salt","name",{"a":[1,2,3],"b":"x"}]"#);
        let short = encode(r#"["s","v"]"#);
        for text in [&long, &short, &long] {
            assert_eq!(
                Disclosure::parse_with(&mut scratch, text, 0, 8),
                Disclosure::parse(text, 8)
            );
        }
        assert_eq!(
            Disclosure::parse_with(&mut scratch, "WyJzIiwidiJd=", 3, 8),
            Err(Error::DisclosureEncoding { index: 3 })
        );
    }
}
