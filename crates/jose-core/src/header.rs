//! The JOSE header of a compact JWS (RFC 7515 §4).

use base64ct::{Base64, Encoding};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::Error;
use crate::jwk::PublicJwk;

/// Header parameter names registered by RFC 7515 and RFC 7518; `crit` must not list them
/// (RFC 7515 §4.1.11).
const REGISTERED: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// A parsed JOSE header: the members this workspace uses, typed, plus everything else.
///
/// Build one for signing with [`Header::new`] and the `with_*` methods; headers of received
/// tokens come from [`CompactJws::parse`](crate::CompactJws::parse).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    alg: Algorithm,
    typ: Option<String>,
    kid: Option<String>,
    jwk: Option<PublicJwk>,
    x5c: Option<Vec<Vec<u8>>>,
    crit: Option<Vec<String>>,
    other: Map<String, Value>,
}

impl Header {
    /// A header with only `alg`.
    #[must_use]
    pub fn new(alg: Algorithm) -> Self {
        Self {
            alg,
            typ: None,
            kid: None,
            jwk: None,
            x5c: None,
            crit: None,
            other: Map::new(),
        }
    }

    /// Sets `typ`.
    #[must_use]
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets `jwk` (the public key only is ever written).
    #[must_use]
    pub fn with_jwk(mut self, jwk: PublicJwk) -> Self {
        self.jwk = Some(jwk);
        self
    }

    /// Sets `x5c`: DER certificates, leaf first (written as standard base64, RFC 7515 §4.1.6).
    #[must_use]
    pub fn with_x5c(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.x5c = Some(chain);
        self
    }

    /// Sets any other member. Registered names handled above are ignored here.
    #[must_use]
    pub fn with_member(mut self, name: impl Into<String>, value: Value) -> Self {
        let name = name.into();
        if !matches!(
            name.as_str(),
            "alg" | "typ" | "kid" | "jwk" | "x5c" | "crit"
        ) {
            self.other.insert(name, value);
        }
        self
    }

    /// `alg`.
    #[must_use]
    pub const fn alg(&self) -> Algorithm {
        self.alg
    }

    /// `typ`, if present.
    #[must_use]
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// `kid`, if present.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// `jwk`, if present (already checked to hold no private members).
    #[must_use]
    pub const fn jwk(&self) -> Option<&PublicJwk> {
        self.jwk.as_ref()
    }

    /// `x5c` as DER certificates, leaf first, if present.
    #[must_use]
    pub fn x5c(&self) -> Option<&[Vec<u8>]> {
        self.x5c.as_deref()
    }

    /// `crit`, if present.
    #[must_use]
    pub fn crit(&self) -> Option<&[String]> {
        self.crit.as_deref()
    }

    /// Any other member by name.
    #[must_use]
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.other.get(name)
    }

    /// Whether `typ` matches `expected` by the rules of RFC 7515 §4.1.9: media types compare
    /// case-insensitively and the `application/` prefix may be omitted on either side.
    #[must_use]
    pub fn typ_matches(&self, expected: &str) -> bool {
        self.typ
            .as_deref()
            .is_some_and(|typ| media_type_eq(typ, expected))
    }

    /// The header as compact JSON text, as [`crate::json::write_map`] writes
    /// [`Self::to_map`]: the protected header of a JWS before base64url.
    ///
    /// ```
    /// use jose_core::{Algorithm, Header};
    /// let json = Header::new(Algorithm::Es256).with_typ("dc+sd-jwt").to_json()?;
    /// assert_eq!(json, br#"{"alg":"ES256","typ":"dc+sd-jwt"}"#);
    /// # Ok::<(), jose_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::SigningFailed`] if a member does not serialise (not reachable with
    /// `serde_json` values).
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        // Room for a typical header (alg, typ, kid) without growing the buffer.
        let mut json = Vec::with_capacity(96);
        crate::json::write_map(&mut json, &self.to_map()).map_err(|_| Error::SigningFailed {
            reason: "header does not serialise".into(),
        })?;
        Ok(json)
    }

    /// Serialises the header to a JSON object.
    #[must_use]
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = self.other.clone();
        map.insert("alg".into(), self.alg.jose_name().into());
        if let Some(typ) = &self.typ {
            map.insert("typ".into(), typ.clone().into());
        }
        if let Some(kid) = &self.kid {
            map.insert("kid".into(), kid.clone().into());
        }
        if let Some(jwk) = &self.jwk {
            map.insert("jwk".into(), jwk.to_value());
        }
        if let Some(x5c) = &self.x5c {
            let certs = x5c
                .iter()
                .map(|der| Value::String(Base64::encode_string(der)))
                .collect();
            map.insert("x5c".into(), Value::Array(certs));
        }
        if let Some(crit) = &self.crit {
            map.insert(
                "crit".into(),
                crit.iter().cloned().map(Value::String).collect(),
            );
        }
        map
    }

    /// Reads a header from a parsed JSON object.
    ///
    /// # Errors
    /// [`Error::MissingHeader`] without `alg`; the errors of
    /// [`Algorithm::from_jose_name`]; [`Error::InvalidHeader`] for ill-typed members or `x5c`
    /// entries that are not standard base64; [`Error::CriticalMalformed`]; the errors of
    /// [`PublicJwk::from_map`] for `jwk`.
    pub fn from_map(mut map: Map<String, Value>) -> Result<Self, Error> {
        let alg = match map.remove("alg") {
            Some(Value::String(name)) => Algorithm::from_jose_name(&name)?,
            Some(_) => return Err(Error::InvalidHeader { name: "alg" }),
            None => return Err(Error::MissingHeader { name: "alg" }),
        };
        let typ = take_string(&mut map, "typ")?;
        let kid = take_string(&mut map, "kid")?;
        let jwk = match map.remove("jwk") {
            Some(Value::Object(jwk)) => Some(PublicJwk::from_map(&jwk)?),
            Some(_) => return Err(Error::InvalidHeader { name: "jwk" }),
            None => None,
        };
        let x5c = match map.remove("x5c") {
            Some(Value::Array(items)) if !items.is_empty() => Some(
                items
                    .iter()
                    .map(|item| match item {
                        Value::String(b64) => {
                            Base64::decode_vec(b64).ok().filter(|d| !d.is_empty())
                        }
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or(Error::InvalidHeader { name: "x5c" })?,
            ),
            Some(_) => return Err(Error::InvalidHeader { name: "x5c" }),
            None => None,
        };
        let crit = match map.remove("crit") {
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut names = Vec::with_capacity(items.len());
                for item in items {
                    let Value::String(name) = item else {
                        return Err(Error::CriticalMalformed);
                    };
                    if REGISTERED.contains(&name.as_str()) || !map.contains_key(&name) {
                        return Err(Error::CriticalMalformed);
                    }
                    names.push(name);
                }
                Some(names)
            }
            Some(_) => return Err(Error::CriticalMalformed),
            None => None,
        };
        Ok(Self {
            alg,
            typ,
            kid,
            jwk,
            x5c,
            crit,
            other: map,
        })
    }
}

fn take_string(map: &mut Map<String, Value>, name: &'static str) -> Result<Option<String>, Error> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::InvalidHeader { name }),
    }
}

/// Compares two `typ`/`cty` media types as RFC 7515 §4.1.9 says.
#[must_use]
pub fn media_type_eq(a: &str, b: &str) -> bool {
    strip_application(a).eq_ignore_ascii_case(strip_application(b))
}

fn strip_application(media_type: &str) -> &str {
    const PREFIX: &str = "application/";
    match media_type.get(..PREFIX.len()) {
        Some(head) if head.eq_ignore_ascii_case(PREFIX) => &media_type[PREFIX.len()..],
        _ => media_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Result<Header, Error> {
        Header::from_map(crate::json::parse_object(json.as_bytes(), 8).unwrap())
    }

    #[test]
    fn typ_compares_case_insensitively_with_optional_prefix() {
        let h = header(r#"{"alg":"ES256","typ":"Application/DPoP+JWT"}"#).unwrap();
        assert!(h.typ_matches("dpop+jwt"));
        assert!(h.typ_matches("application/dpop+jwt"));
        assert!(!h.typ_matches("jwt"));
        assert!(!header(r#"{"alg":"ES256"}"#).unwrap().typ_matches("jwt"));
    }

    #[test]
    fn crit_must_name_present_unregistered_members() {
        assert_eq!(
            header(r#"{"alg":"ES256","crit":["exp"]}"#),
            Err(Error::CriticalMalformed)
        );
        assert_eq!(
            header(r#"{"alg":"ES256","crit":["alg"],"x":1}"#),
            Err(Error::CriticalMalformed)
        );
        assert_eq!(
            header(r#"{"alg":"ES256","crit":[]}"#),
            Err(Error::CriticalMalformed)
        );
        let h = header(r#"{"alg":"ES256","crit":["b64x"],"b64x":true}"#).unwrap();
        assert_eq!(h.crit(), Some(&["b64x".to_owned()][..]));
    }

    #[test]
    fn alg_is_required_and_checked() {
        assert_eq!(
            header(r#"{"typ":"jwt"}"#),
            Err(Error::MissingHeader { name: "alg" })
        );
        assert_eq!(header(r#"{"alg":"none"}"#), Err(Error::AlgorithmNone));
        assert_eq!(
            header(r#"{"alg":7}"#),
            Err(Error::InvalidHeader { name: "alg" })
        );
    }

    #[test]
    fn x5c_is_standard_base64() {
        assert_eq!(
            header(r#"{"alg":"ES256","x5c":["-_8"]}"#),
            Err(Error::InvalidHeader { name: "x5c" })
        );
        let h = header(r#"{"alg":"ES256","x5c":["+/8="]}"#).unwrap();
        assert_eq!(h.x5c(), Some(&[vec![0xfb, 0xff]][..]));
    }

    #[test]
    fn round_trip_through_map() {
        let h = Header::new(Algorithm::EdDsa)
            .with_typ("kb+jwt")
            .with_kid("k1")
            .with_x5c(vec![vec![1, 2, 3]])
            .with_member("nonce", "n".into());
        assert_eq!(Header::from_map(h.to_map()).unwrap(), h);
    }
}
