//! Restricted description text: `error_description` (RFC 6749 §5.2) and `event_description`
//! (OpenID4VCI 1.0 §11.1) may only hold `%x20-21 / %x23-5B / %x5D-7E`.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// Marker that lets a serde error message carry a typed [`Error`] through `serde_json`.
const MARKER: &str = "oid4vci-types:invalid-description-char:";

/// The character that [`Description::sanitized`] puts in place of each refused character.
pub const REPLACEMENT_CHAR: char = '?';

/// A description restricted to the RFC 6749 §5.2 character set
/// (`%x20-21 / %x23-5B / %x5D-7E`: printable ASCII without `"` and `\`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Description(String);

impl Description {
    /// Checks `text` against the allowed character set.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDescriptionChar`] with the byte offset of the first refused character.
    pub fn new(text: &str) -> Result<Self, Error> {
        match text.bytes().position(|b| !allowed(b)) {
            Some(position) => Err(Error::InvalidDescriptionChar { position }),
            None => Ok(Self(text.to_owned())),
        }
    }

    /// Builds a description from any text by replacing every character outside the allowed
    /// set (including every non-ASCII character, counted once per character, not per byte)
    /// with [`REPLACEMENT_CHAR`]. Use it for messages that may contain user data.
    #[must_use]
    pub fn sanitized(text: &str) -> Self {
        Self(
            text.chars()
                .map(|c| match u8::try_from(c) {
                    Ok(b) if allowed(b) => c,
                    _ => REPLACEMENT_CHAR,
                })
                .collect(),
        )
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for Description {
    type Error = Error;

    fn try_from(text: &str) -> Result<Self, Error> {
        Self::new(text)
    }
}

impl Serialize for Description {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Description {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match Self::new(&text) {
            Ok(d) => Ok(d),
            Err(Error::InvalidDescriptionChar { position }) => {
                Err(serde::de::Error::custom(format!("{MARKER}{position}")))
            }
            Err(_) => Err(serde::de::Error::custom("invalid description")),
        }
    }
}

/// Recovers the typed error from a deserializer message produced above.
pub(crate) fn decode_embedded_error(text: &str) -> Option<Error> {
    let rest = text.strip_prefix(MARKER)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .ok()
        .map(|position| Error::InvalidDescriptionChar { position })
}

fn allowed(b: u8) -> bool {
    matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_of_the_charset() {
        assert!(Description::new(" !#[]~").is_ok());
        assert_eq!(
            Description::new("ab\"c").unwrap_err(),
            Error::InvalidDescriptionChar { position: 2 }
        );
        assert_eq!(
            Description::new("a\\").unwrap_err(),
            Error::InvalidDescriptionChar { position: 1 }
        );
        assert_eq!(
            Description::new("\u{7f}").unwrap_err(),
            Error::InvalidDescriptionChar { position: 0 }
        );
        assert_eq!(
            Description::new("x\ny").unwrap_err(),
            Error::InvalidDescriptionChar { position: 1 }
        );
        assert_eq!(
            Description::new("caf\u{e9}").unwrap_err(),
            Error::InvalidDescriptionChar { position: 3 }
        );
    }

    #[test]
    fn sanitized_replaces_per_character() {
        assert_eq!(
            Description::sanitized("caf\u{e9} \"q\"\\\n").as_str(),
            "caf? ?q???"
        );
    }
}
