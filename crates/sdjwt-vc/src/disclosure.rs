//! Disclosures (RFC 9901 §4.2): parsed from the received base64url string, which is kept for
//! hashing, or made by the issuer.

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disclosure {
    encoded: String,
    digest: DigestText,
    salt: String,
    name: Option<String>,
    value: Value,
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
        let bytes =
            jose_core::base64url::decode(encoded).ok_or(Error::DisclosureEncoding { index })?;
        let value = jose_core::json::parse_value(&bytes, max_depth)
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
            Some(Value::String(name)) => {
                if name == "_sd" || name == "..." {
                    return Err(Error::DisclosureShape {
                        index,
                        reason: "claim name is the reserved _sd or ...",
                    });
                }
                Some(name)
            }
            Some(_) => {
                return Err(Error::DisclosureShape {
                    index,
                    reason: "claim name is not a string",
                });
            }
        };
        Ok(Self {
            digest: DigestText::of(encoded),
            encoded: encoded.to_owned(),
            salt,
            name,
            value,
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
        Self::create_with(&mut Vec::new(), salt, name, value, encoding)
    }

    /// [`Self::create`] writing the JSON text into `scratch` (cleared first), so an issuer
    /// making many disclosures reuses one buffer.
    pub(crate) fn create_with(
        scratch: &mut Vec<u8>,
        salt: String,
        name: Option<String>,
        value: Value,
        encoding: DisclosureEncoding,
    ) -> Self {
        scratch.clear();
        if encoding
            .write_disclosure(scratch, &salt, name.as_deref(), &value)
            .is_err()
        {
            // Writing a `Value` and strings into a Vec cannot fail; stay total anyway with the
            // form a `Value` array prints as.
            scratch.clear();
            let mut array = vec![Value::String(salt.clone())];
            array.extend(name.clone().map(Value::String));
            array.push(value.clone());
            scratch.extend_from_slice(Value::Array(array).to_string().as_bytes());
        }
        let encoded = jose_core::base64url::encode(scratch);
        Self {
            digest: DigestText::of(&encoded),
            encoded,
            salt,
            name,
            value,
        }
    }

    /// The base64url string exactly as received or issued.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// `base64url(SHA-256(self.as_str()))`.
    #[must_use]
    pub fn digest(&self) -> &str {
        self.digest.as_str()
    }

    /// The salt.
    #[must_use]
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The claim name, or `None` for an array element.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The claim value as disclosed (it may hold further digests).
    #[must_use]
    pub const fn value(&self) -> &Value {
        &self.value
    }
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
}
