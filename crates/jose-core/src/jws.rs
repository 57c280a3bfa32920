//! Strict compact JWS parsing and verification (RFC 7515 §3.1, §5.2; RFC 8725).

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::error::{Error, JwsPart};
use crate::header::Header;
use crate::json;
use crate::jwk::{PublicJwk, PublicKey};
use crate::limits::Limits;

/// A received compact JWS whose payload is a JSON object (a JWT), parsed but not yet verified.
///
/// Parsing enforces: the length limit, exactly three parts, canonical unpadded base64url in every
/// part, header and payload that are JSON objects without duplicate member names and within the
/// depth limit, a supported non-`none`, non-HMAC `alg`, a well-formed `crit`. Verification runs
/// over the received `header.payload` bytes, never a re-serialisation.
///
/// The lifetime `'a` is that of the received token text.
///
/// ```
/// use jose_core::{Algorithm, CompactJws, HeaderPolicy, Limits};
/// # use jose_core::{Header, LocalSigner, SystemRandom, UnsignedJws};
/// # let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?;
/// # let claims = serde_json::json!({"sub": "alice"});
/// # let header = Header::new(Algorithm::Es256).with_typ("example+jwt");
/// # let token = UnsignedJws::new(&header, claims.as_object().unwrap())?.sign(&signer)?;
/// let jws = CompactJws::parse(&token, &Limits::default())?;
/// let policy = HeaderPolicy::new(&[Algorithm::Es256]).with_typ("example+jwt");
/// jws.verify(&signer.public_jwk(), &policy)?;
/// assert_eq!(jws.claims()["sub"], "alice");
/// # Ok::<(), jose_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CompactJws<'a> {
    signing_input: &'a str,
    header: Header,
    claims: Map<String, Value>,
    signature: Vec<u8>,
}

impl<'a> CompactJws<'a> {
    /// Parses a compact JWS with a JSON-object payload.
    ///
    /// # Errors
    /// [`Error::TokenTooLong`], [`Error::WrongPartCount`], [`Error::InvalidBase64`],
    /// [`Error::InvalidJson`], and the header errors of [`Header::from_map`].
    pub fn parse(token: &'a str, limits: &Limits) -> Result<Self, Error> {
        let raw = OpaqueJws::parse(token, limits)?;
        let claims =
            json::parse_object(&raw.payload, limits.max_json_depth()).map_err(|error| {
                Error::InvalidJson {
                    part: JwsPart::Payload,
                    error,
                }
            })?;
        Ok(Self {
            signing_input: raw.signing_input,
            header: raw.header,
            claims,
            signature: raw.signature,
        })
    }

    /// The protected header.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The payload as a JSON object.
    #[must_use]
    pub const fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Takes the payload out, consuming the token.
    #[must_use]
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// The received `BASE64URL(header) || '.' || BASE64URL(payload)`.
    #[must_use]
    pub fn signing_input(&self) -> &'a [u8] {
        self.signing_input.as_bytes()
    }

    /// The decoded signature bytes.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Checks the header against `policy`, then the signature with `key`.
    ///
    /// # Errors
    /// Those of [`HeaderPolicy::check`], [`PublicJwk::check_algorithm`] and
    /// [`PublicKey::verify`].
    pub fn verify(&self, key: &PublicJwk, policy: &HeaderPolicy<'_>) -> Result<(), Error> {
        policy.check(&self.header)?;
        key.check_algorithm(self.header.alg())?;
        key.key()
            .verify(self.header.alg(), self.signing_input(), &self.signature)
    }

    /// Checks only the signature with raw key material (the header must have been checked with
    /// [`HeaderPolicy::check`] before).
    ///
    /// # Errors
    /// Those of [`PublicKey::verify`].
    pub fn verify_signature(&self, key: &PublicKey) -> Result<(), Error> {
        key.verify(self.header.alg(), self.signing_input(), &self.signature)
    }
}

/// A received compact JWS whose payload is opaque bytes (not necessarily JSON), parsed but not
/// yet verified. Same rules as [`CompactJws`] except for the payload.
#[derive(Clone, Debug)]
pub struct OpaqueJws<'a> {
    signing_input: &'a str,
    header: Header,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl<'a> OpaqueJws<'a> {
    /// Parses a compact JWS without interpreting the payload.
    ///
    /// # Errors
    /// [`Error::TokenTooLong`], [`Error::WrongPartCount`], [`Error::InvalidBase64`],
    /// [`Error::InvalidJson`] (header only), and the errors of [`Header::from_map`].
    pub fn parse(token: &'a str, limits: &Limits) -> Result<Self, Error> {
        if token.len() > limits.max_token_len() {
            return Err(Error::TokenTooLong {
                len: token.len(),
                max: limits.max_token_len(),
            });
        }
        let found = count_byte(token.as_bytes(), b'.').saturating_add(1);
        let mut parts = token.splitn(3, '.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), 3) =
            (parts.next(), parts.next(), parts.next(), found)
        else {
            return Err(Error::WrongPartCount { found });
        };
        let input_len = header_b64
            .len()
            .saturating_add(1)
            .saturating_add(payload_b64.len());
        let signing_input = token
            .get(..input_len)
            .ok_or(Error::WrongPartCount { found })?;
        let header_bytes = base64url::decode(header_b64).ok_or(Error::InvalidBase64 {
            part: JwsPart::Header,
        })?;
        let payload = base64url::decode(payload_b64).ok_or(Error::InvalidBase64 {
            part: JwsPart::Payload,
        })?;
        let signature = base64url::decode(signature_b64).ok_or(Error::InvalidBase64 {
            part: JwsPart::Signature,
        })?;
        let header_map =
            json::parse_object(&header_bytes, limits.max_json_depth()).map_err(|error| {
                Error::InvalidJson {
                    part: JwsPart::Header,
                    error,
                }
            })?;
        let header = Header::from_map(header_map)?;
        Ok(Self {
            signing_input,
            header,
            payload,
            signature,
        })
    }

    /// The protected header.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The decoded payload bytes.
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The received `BASE64URL(header) || '.' || BASE64URL(payload)`.
    #[must_use]
    pub fn signing_input(&self) -> &'a [u8] {
        self.signing_input.as_bytes()
    }

    /// Checks the header against `policy`, then the signature with `key`.
    ///
    /// # Errors
    /// As [`CompactJws::verify`].
    pub fn verify(&self, key: &PublicJwk, policy: &HeaderPolicy<'_>) -> Result<(), Error> {
        policy.check(&self.header)?;
        key.check_algorithm(self.header.alg())?;
        key.key()
            .verify(self.header.alg(), self.signing_input(), &self.signature)
    }
}

/// What a verifier requires of a JOSE header: an algorithm allow-list, the expected `typ`, and
/// the `crit` extensions it understands.
///
/// ```
/// use jose_core::{Algorithm, HeaderPolicy};
/// let policy = HeaderPolicy::new(&[Algorithm::Es256, Algorithm::EdDsa]).with_typ("dpop+jwt");
/// assert!(policy.allows(Algorithm::EdDsa));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HeaderPolicy<'p> {
    algorithms: &'p [Algorithm],
    typ: Option<&'p str>,
    understood_crit: &'p [&'p str],
}

impl<'p> HeaderPolicy<'p> {
    /// A policy allowing exactly `algorithms`, with no `typ` requirement and no `crit` support.
    #[must_use]
    pub const fn new(algorithms: &'p [Algorithm]) -> Self {
        Self {
            algorithms,
            typ: None,
            understood_crit: &[],
        }
    }

    /// Requires `typ` to match this media type (RFC 7515 §4.1.9 comparison).
    #[must_use]
    pub const fn with_typ(mut self, typ: &'p str) -> Self {
        self.typ = Some(typ);
        self
    }

    /// Declares the `crit` extension names the caller processes.
    #[must_use]
    pub const fn with_understood_crit(mut self, names: &'p [&'p str]) -> Self {
        self.understood_crit = names;
        self
    }

    /// Whether `alg` is in the allow-list.
    #[must_use]
    pub fn allows(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }

    /// Checks `typ`, `alg` and `crit`, in that order.
    ///
    /// # Errors
    /// [`Error::WrongType`], [`Error::AlgorithmNotAllowed`], [`Error::CriticalNotUnderstood`].
    pub fn check(&self, header: &Header) -> Result<(), Error> {
        if let Some(expected) = self.typ
            && !header.typ_matches(expected)
        {
            return Err(Error::WrongType {
                expected: expected.to_owned(),
                found: header.typ().map(crate::error::short_text),
            });
        }
        if !self.allows(header.alg()) {
            return Err(Error::AlgorithmNotAllowed { alg: header.alg() });
        }
        for name in header.crit().unwrap_or_default() {
            if !self.understood_crit.contains(&name.as_str()) {
                return Err(Error::CriticalNotUnderstood {
                    name: crate::error::short_text(name),
                });
            }
        }
        Ok(())
    }
}

/// How many times `needle` occurs in `bytes`, counted in blocks of at most 255 so the compare
/// and add run on whole vectors.
fn count_byte(bytes: &[u8], needle: u8) -> usize {
    bytes
        .chunks(255)
        .map(|block| {
            usize::from(
                block
                    .iter()
                    .fold(0u8, |n, b| n.wrapping_add(u8::from(*b == needle))),
            )
        })
        .fold(0usize, usize::saturating_add)
}

#[cfg(test)]
mod tests;
