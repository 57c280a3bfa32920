//! The Credential Offer URI (§4.1): `<scheme>?credential_offer=<url-encoded JSON>` or
//! `<scheme>?credential_offer_uri=<url-encoded https URL>`, parsed and built by hand.

use alloc::boxed::Box;
use alloc::string::{String, ToString};

use crate::error::Error;
use crate::limits::Limits;
use crate::offer::CredentialOffer;
use crate::pct;

/// The custom scheme wallets register for offers (§4.1.3), with an empty authority.
pub const OFFER_URI_SCHEME: &str = "openid-credential-offer://";

/// An offer as carried in a URI: by value or by reference.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CredentialOfferRequest {
    /// `credential_offer`: the offer object itself.
    ByValue(Box<CredentialOffer>),
    /// `credential_offer_uri`: an https URL the wallet fetches the offer object from.
    ByReference(String),
}

impl CredentialOfferRequest {
    /// Parses an offer URI with the default limits.
    ///
    /// Any scheme is accepted (wallets publish their own `credential_offer_endpoint`); the
    /// query must hold exactly one of `credential_offer` and `credential_offer_uri`; other
    /// query parameters and a fragment are ignored; `+` decodes as a space.
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLarge`], [`Error::InvalidUrl`] (no scheme, or a non-https
    /// `credential_offer_uri`), [`Error::MissingOffer`], [`Error::AmbiguousOffer`],
    /// [`Error::DuplicateParameter`], [`Error::InvalidPercentEncoding`], and the errors of
    /// [`CredentialOffer::from_json`].
    pub fn parse_uri(uri: &str) -> Result<Self, Error> {
        Self::parse_uri_with(uri, &Limits::default())
    }

    /// Like [`Self::parse_uri`] with explicit limits (`max_message_len` bounds the URI).
    ///
    /// # Errors
    ///
    /// As [`Self::parse_uri`].
    pub fn parse_uri_with(uri: &str, limits: &Limits) -> Result<Self, Error> {
        if uri.len() > limits.max_message_len {
            return Err(Error::InputTooLarge {
                len: uri.len(),
                max: limits.max_message_len,
            });
        }
        if !has_scheme(uri) {
            return Err(Error::InvalidUrl {
                member: "credential offer URI",
                reason: "has no scheme",
            });
        }
        let Some((_, query)) = uri.split_once('?') else {
            return Err(Error::MissingOffer);
        };
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        let pairs = pct::parse_form(query.as_bytes(), limits.max_form_params)?;
        let find = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        match (find("credential_offer"), find("credential_offer_uri")) {
            (Some(_), Some(_)) => Err(Error::AmbiguousOffer),
            (None, None) => Err(Error::MissingOffer),
            (Some(json), None) => CredentialOffer::from_json_with(json.as_bytes(), limits)
                .map(|o| Self::ByValue(Box::new(o))),
            (None, Some(reference)) => {
                let rest = reference
                    .get(..8)
                    .filter(|s| s.eq_ignore_ascii_case("https://"));
                if rest.is_none() || reference.len() <= 8 {
                    return Err(Error::InvalidUrl {
                        member: "credential_offer_uri",
                        reason: "not an https URL",
                    });
                }
                Ok(Self::ByReference(reference.clone()))
            }
        }
    }

    /// Builds `openid-credential-offer://?credential_offer=...` (or `credential_offer_uri`).
    #[must_use]
    pub fn to_uri(&self) -> String {
        self.to_uri_with_base(OFFER_URI_SCHEME)
    }

    /// Builds the URI on another base, e.g. the wallet's `credential_offer_endpoint`; the
    /// parameter is appended with `&` if `base` already has a query.
    #[must_use]
    pub fn to_uri_with_base(&self, base: &str) -> String {
        let mut out = String::from(base);
        out.push(if base.contains('?') { '&' } else { '?' });
        match self {
            Self::ByValue(offer) => {
                out.push_str("credential_offer=");
                pct::encode(&offer.to_value().to_string(), &mut out);
            }
            Self::ByReference(uri) => {
                out.push_str("credential_offer_uri=");
                pct::encode(uri, &mut out);
            }
        }
        out
    }
}

/// RFC 3986 §3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`.
fn has_scheme(uri: &str) -> bool {
    let Some((scheme, _)) = uri.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}
