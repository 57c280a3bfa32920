//! The Key Binding JWT (RFC 9901 §4.3): made by the holder over exactly the presented SD-JWT,
//! checked by the verifier against `cnf.jwk`.

use jose_core::{
    Algorithm, CompactJws, Header, HeaderPolicy, PublicJwk, Signer, UnixTime, UnsignedJws,
};
use serde_json::{Map, Value};

use crate::digest::sha256_base64url;
use crate::error::Error;
use crate::limits::{DEFAULT_KB_MAX_AGE, Limits};

/// The KB-JWT `typ` (RFC 9901 §4.3).
pub const KB_JWT_TYP: &str = "kb+jwt";

/// The verifier's decision, made before looking at the input (RFC 9901 §7.3), on whether a
/// KB-JWT must be present, and what it must say.
///
/// ```
/// use sdjwt_vc::KeyBinding;
/// let required = KeyBinding::required("https://verifier.example", "n-0S6_WzA2Mj").with_max_age(120);
/// assert!(required.is_required());
/// assert!(!KeyBinding::forbidden().is_required());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyBinding {
    expected: Option<Expected>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Expected {
    audience: String,
    nonce: String,
    max_age: u64,
}

impl KeyBinding {
    /// A KB-JWT is required, with this `aud` and `nonce`, and an `iat` at most
    /// [`DEFAULT_KB_MAX_AGE`] seconds old (plus the verifier's skew).
    #[must_use]
    pub fn required(audience: impl Into<String>, nonce: impl Into<String>) -> Self {
        Self {
            expected: Some(Expected {
                audience: audience.into(),
                nonce: nonce.into(),
                max_age: DEFAULT_KB_MAX_AGE,
            }),
        }
    }

    /// A KB-JWT must not be present (for example a wallet checking what the issuer sent,
    /// RFC 9901 §7.2).
    #[must_use]
    pub const fn forbidden() -> Self {
        Self { expected: None }
    }

    /// Sets the accepted age of the KB-JWT `iat` in seconds (required mode only).
    #[must_use]
    pub fn with_max_age(mut self, seconds: u64) -> Self {
        if let Some(expected) = &mut self.expected {
            expected.max_age = seconds;
        }
        self
    }

    /// Whether a KB-JWT is required.
    #[must_use]
    pub const fn is_required(&self) -> bool {
        self.expected.is_some()
    }
}

/// The checked claims of a KB-JWT.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KbClaims {
    /// `iat`.
    pub iat: UnixTime,
    /// `aud`.
    pub aud: String,
    /// `nonce`.
    pub nonce: String,
    /// `sd_hash`.
    pub sd_hash: String,
}

/// Verifies `kb` against the `presented` SD-JWT (`<JWT>~<D1>~...~<Dn>~`) and the holder key.
///
/// Order: `typ` `kb+jwt` and the algorithm allow-list, the signature with `cnf.jwk`, then
/// `sd_hash`, `aud`, `nonce`, `iat`.
#[expect(
    clippy::too_many_arguments,
    reason = "internal helper; every argument is a distinct input of the check"
)]
pub(crate) fn verify(
    kb: &str,
    presented: &str,
    holder: &PublicJwk,
    binding: &KeyBinding,
    algorithms: &[Algorithm],
    skew: u64,
    now: UnixTime,
    limits: &Limits,
) -> Result<KbClaims, Error> {
    let Some(expected) = &binding.expected else {
        return Err(Error::KeyBindingUnexpected);
    };
    let jws = CompactJws::parse(kb, &limits.jose()).map_err(Error::kb_jwt)?;
    jws.verify(holder, &HeaderPolicy::new(algorithms).with_typ(KB_JWT_TYP))
        .map_err(Error::kb_jwt)?;
    let claims = jws.claims();
    let text = |name: &'static str| match claims.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(Error::KbClaim { name }),
    };
    let sd_hash = text("sd_hash")?;
    if sd_hash != sha256_base64url(presented) {
        return Err(Error::KbSdHashMismatch);
    }
    let aud = text("aud")?;
    if aud != expected.audience {
        return Err(Error::KbAudienceMismatch);
    }
    let nonce = text("nonce")?;
    if nonce != expected.nonce {
        return Err(Error::KbNonceMismatch);
    }
    let iat = jose_core::claims::required_time(claims, "iat")
        .map_err(|_| Error::KbClaim { name: "iat" })?;
    let earliest = now.saturating_sub(expected.max_age).saturating_sub(skew);
    if iat < earliest || iat > now.saturating_add(skew) {
        return Err(Error::KbIatOutOfWindow { iat, now });
    }
    Ok(KbClaims {
        iat,
        aud,
        nonce,
        sd_hash,
    })
}

/// A KB-JWT waiting for the holder's signature, and the presentation it will close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedKbJwt {
    presented: String,
    jws: UnsignedJws,
}

impl UnsignedKbJwt {
    pub(crate) fn new(
        presented: String,
        alg: Algorithm,
        audience: &str,
        nonce: &str,
        iat: UnixTime,
    ) -> Result<Self, Error> {
        let mut claims = Map::new();
        claims.insert("iat".into(), iat.secs().into());
        claims.insert("aud".into(), audience.into());
        claims.insert("nonce".into(), nonce.into());
        claims.insert("sd_hash".into(), sha256_base64url(&presented).into());
        let header = Header::new(alg).with_typ(KB_JWT_TYP);
        let jws = UnsignedJws::new(&header, &claims).map_err(Error::kb_jwt)?;
        Ok(Self { presented, jws })
    }

    /// The exact bytes the holder key must sign.
    #[must_use]
    pub fn signing_input(&self) -> &[u8] {
        self.jws.signing_input()
    }

    /// Attaches the holder's signature and returns the SD-JWT+KB
    /// (`<JWT>~<D1>~...~<Dn>~<KB-JWT>`).
    ///
    /// # Errors
    /// Those of [`UnsignedJws::attach_signature`].
    pub fn attach_signature(self, signature: &[u8]) -> Result<String, Error> {
        let kb = self
            .jws
            .attach_signature(signature)
            .map_err(Error::kb_jwt)?;
        let mut out = self.presented;
        out.push_str(&kb);
        Ok(out)
    }

    /// Signs with the holder key in one step.
    ///
    /// # Errors
    /// Those of [`UnsignedJws::sign`].
    pub fn sign(self, signer: &dyn Signer) -> Result<String, Error> {
        let kb = self.jws.sign(signer).map_err(Error::kb_jwt)?;
        let mut out = self.presented;
        out.push_str(&kb);
        Ok(out)
    }
}
