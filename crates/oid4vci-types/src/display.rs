//! Display objects and claims descriptions shared by issuer metadata and requests
//! (OpenID4VCI 1.0 §12.2.4, App. B.2 claims description, App. C claims path pointer).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Unknown members, kept so that a round trip loses nothing a newer peer sent.
pub type Extra = Map<String, Value>;

/// One entry of the issuer's `display` array (§12.2.4).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssuerDisplay {
    /// Display name of the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Logo of the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A logo: `uri` REQUIRED, `alt_text` OPTIONAL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Logo {
    /// Where to fetch the logo (`https:` or `data:`).
    pub uri: String,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of `credential_metadata.display` (§12.2.4): `name` REQUIRED.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialDisplay {
    /// Display name of the credential.
    pub name: String,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// CSS colour value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// Background image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_image: Option<BackgroundImage>,
    /// CSS colour value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CredentialDisplay {
    /// A display entry with only its REQUIRED `name`; set the other fields afterwards.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            locale: None,
            logo: None,
            description: None,
            background_color: None,
            background_image: None,
            text_color: None,
            extra: Extra::new(),
        }
    }
}

/// `background_image`: `uri` REQUIRED.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BackgroundImage {
    /// Where to fetch the image.
    pub uri: String,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A claims description (App. B.2): `path` REQUIRED, `mandatory`, `display`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClaimDescription {
    /// Claims path pointer (App. C); for mdoc `[namespace, element]`.
    pub path: Vec<ClaimsPathElement>,
    /// Whether the issuer always includes the claim (absent means false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// Localized display names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<ClaimDisplay>>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ClaimDescription {
    /// A description with just a path.
    #[must_use]
    pub fn new(path: Vec<ClaimsPathElement>) -> Self {
        Self {
            path,
            mandatory: None,
            display: None,
            extra: Extra::new(),
        }
    }
}

/// One display entry of a claims description.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClaimDisplay {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One element of a claims path pointer (App. C): a string selects an object member, a
/// non-negative integer an array element and `null` all array elements.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[expect(
    clippy::exhaustive_enums,
    reason = "App. C defines exactly these three element kinds"
)]
pub enum ClaimsPathElement {
    /// An object member name.
    Name(String),
    /// An array index.
    Index(u64),
    /// `null`: every element of an array.
    AllElements,
}

impl Serialize for ClaimsPathElement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Name(n) => serializer.serialize_str(n),
            Self::Index(i) => serializer.serialize_u64(*i),
            Self::AllElements => serializer.serialize_unit(),
        }
    }
}

impl<'de> Deserialize<'de> for ClaimsPathElement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ClaimsPathElement;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a non-negative integer or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ClaimsPathElement::Name(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ClaimsPathElement::Index(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(ClaimsPathElement::Index)
                    .map_err(|_| E::custom("claims path index is negative"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ClaimsPathElement::AllElements)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ClaimsPathElement::AllElements)
            }
        }
        deserializer.deserialize_any(V)
    }
}
