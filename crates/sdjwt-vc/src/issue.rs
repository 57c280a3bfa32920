//! Issuance (RFC 9901 §4, §5.1): claims plus a disclosure policy in, SD-JWT payload and
//! disclosures out, signed through a [`Signer`] or in two phases.

use jose_core::{Algorithm, Header, RandomSource, Signer, UnsignedJws};
use serde_json::{Map, Value};

use crate::digest::{DisclosureEncoding, SD_ALG_SHA256, sha256_base64url};
use crate::disclosure::Disclosure;
use crate::error::Error;
use crate::path::{ClaimPath, PathSegment};

/// Default salt length: 16 bytes = 128 bits, the RFC 9901 §9.3 minimum.
pub const DEFAULT_SALT_LEN: usize = 16;

/// Where the issuer adds decoy digests (RFC 9901 §4.2.5).
///
/// Decoys go into every object that has at least one selectively disclosable member, at the
/// top level and in nested objects and disclosed values alike: at least
/// [`min_decoys`](Self::with_min_decoys) of them, and more if needed to bring that object's `_sd`
/// array to [`pad_to`](Self::pad_to) digests. Arrays get no decoys. Each decoy is the digest of
/// fresh random bytes from the issuer's [`RandomSource`].
///
/// ```
/// let decoys = sdjwt_vc::Decoys::pad_to(8).with_min_decoys(1);
/// assert_eq!(decoys.count_for(3), 5);
/// assert_eq!(decoys.count_for(12), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoys {
    pad_to: usize,
    min_decoys: usize,
}

impl Decoys {
    /// No decoys (the default).
    #[must_use]
    pub const fn none() -> Self {
        Self {
            pad_to: 0,
            min_decoys: 0,
        }
    }

    /// Pads each object's `_sd` array to at least `digests` entries.
    #[must_use]
    pub const fn pad_to(digests: usize) -> Self {
        Self {
            pad_to: digests,
            min_decoys: 0,
        }
    }

    /// Adds at least `count` decoys to each object that has disclosable members.
    #[must_use]
    pub const fn with_min_decoys(mut self, count: usize) -> Self {
        self.min_decoys = count;
        self
    }

    /// How many decoys an object with `real` disclosable members gets.
    #[must_use]
    pub const fn count_for(&self, real: usize) -> usize {
        let padding = self.pad_to.saturating_sub(real);
        if padding > self.min_decoys {
            padding
        } else {
            self.min_decoys
        }
    }
}

/// Builds the payload and disclosures of an SD-JWT from plain claims and a policy naming the
/// selectively disclosable claims.
///
/// Disclosures are made depth first in document order, children before the claim that holds
/// them (so a disclosable object's own disclosable members are nested inside its disclosure,
/// RFC 9901 §4.2.6), and each draws its salt from the [`RandomSource`] in that order. Digests in
/// every `_sd` array are sorted (RFC 9901 §4.2.4.1). `_sd_alg` is always `sha-256`.
///
/// For SD-JWT VC credentials use [`SdJwtVcBuilder`](crate::SdJwtVcBuilder), which sets the
/// registered claims and header and refuses never-disclosable claims.
#[derive(Clone, Debug)]
pub struct SdJwtBuilder {
    claims: Map<String, Value>,
    disclosable: Vec<ClaimPath>,
    decoys: Decoys,
    salt_len: usize,
    encoding: DisclosureEncoding,
}

impl SdJwtBuilder {
    /// Starts from the plain claims; nothing is disclosable yet.
    #[must_use]
    pub const fn new(claims: Map<String, Value>) -> Self {
        Self {
            claims,
            disclosable: Vec::new(),
            decoys: Decoys::none(),
            salt_len: DEFAULT_SALT_LEN,
            encoding: DisclosureEncoding::Compact,
        }
    }

    /// Marks the claims matched by `path` as selectively disclosable. Object members and array
    /// elements can be selected, at any depth, also inside other disclosable claims;
    /// [`PathSegment::AllArrayElements`] selects every element.
    #[must_use]
    pub fn with_disclosable(mut self, path: ClaimPath) -> Self {
        self.disclosable.push(path);
        self
    }

    /// Marks several paths as selectively disclosable.
    #[must_use]
    pub fn with_disclosable_paths(mut self, paths: impl IntoIterator<Item = ClaimPath>) -> Self {
        self.disclosable.extend(paths);
        self
    }

    /// Sets the decoy policy.
    #[must_use]
    pub const fn with_decoys(mut self, decoys: Decoys) -> Self {
        self.decoys = decoys;
        self
    }

    /// Sets the salt length in bytes (at least 16).
    #[must_use]
    pub const fn with_salt_len(mut self, bytes: usize) -> Self {
        self.salt_len = bytes;
        self
    }

    /// Sets how disclosures are written.
    #[must_use]
    pub const fn with_encoding(mut self, encoding: DisclosureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The paths marked disclosable so far.
    #[must_use]
    pub fn disclosable(&self) -> &[ClaimPath] {
        &self.disclosable
    }

    /// Makes the salts, disclosures, decoys and the payload.
    ///
    /// # Errors
    /// [`Error::SaltTooShort`]; [`Error::ClaimReserved`] for a claim named `_sd`, `...` or
    /// `_sd_alg`; [`Error::InvalidPolicyPath`] for an empty path or one that selects nothing;
    /// [`Error::Random`] when the random source fails.
    pub fn build(self, rng: &dyn RandomSource) -> Result<SdJwtPayload, Error> {
        self.build_with(|_| Ok(()), rng)
    }

    /// [`Self::build`] with a check of the plain claims first.
    pub(crate) fn build_with(
        self,
        check: impl FnOnce(&Map<String, Value>) -> Result<(), Error>,
        rng: &dyn RandomSource,
    ) -> Result<SdJwtPayload, Error> {
        check(&self.claims)?;
        if self.salt_len < DEFAULT_SALT_LEN {
            return Err(Error::SaltTooShort { len: self.salt_len });
        }
        if let Some(path) = self.disclosable.iter().find(|p| p.segments().is_empty()) {
            return Err(Error::InvalidPolicyPath {
                path: path.clone(),
                reason: "is empty",
            });
        }
        let mut maker = Maker {
            policy: &self.disclosable,
            hits: vec![false; self.disclosable.len()],
            decoys: self.decoys,
            salt_len: self.salt_len,
            encoding: self.encoding,
            rng,
            path: ClaimPath::root(),
            disclosures: Vec::new(),
        };
        let mut payload = maker.object(self.claims)?;
        if let Some(position) = maker.hits.iter().position(|hit| !hit) {
            let path = self.disclosable.get(position).cloned().unwrap_or_default();
            return Err(Error::InvalidPolicyPath {
                path,
                reason: "selects no claim",
            });
        }
        payload.insert("_sd_alg".into(), SD_ALG_SHA256.into());
        Ok(SdJwtPayload {
            payload,
            disclosures: maker.disclosures,
        })
    }
}

struct Maker<'p> {
    policy: &'p [ClaimPath],
    hits: Vec<bool>,
    decoys: Decoys,
    salt_len: usize,
    encoding: DisclosureEncoding,
    rng: &'p dyn RandomSource,
    path: ClaimPath,
    disclosures: Vec<Disclosure>,
}

impl Maker<'_> {
    fn selected(&mut self) -> bool {
        let mut any = false;
        for (pattern, hit) in self.policy.iter().zip(self.hits.iter_mut()) {
            if pattern.matches(&self.path) {
                *hit = true;
                any = true;
            }
        }
        any
    }

    fn random_string(&self) -> Result<String, Error> {
        jose_core::random_base64url(self.rng, self.salt_len).map_err(Error::Random)
    }

    fn disclose(&mut self, name: Option<String>, value: Value) -> Result<String, Error> {
        let salt = self.random_string()?;
        let disclosure = Disclosure::create(salt, name, value, self.encoding);
        let digest = disclosure.digest().to_owned();
        self.disclosures.push(disclosure);
        Ok(digest)
    }

    fn value(&mut self, value: Value) -> Result<Value, Error> {
        match value {
            Value::Object(map) => self.object(map).map(Value::Object),
            Value::Array(items) => self.array(items).map(Value::Array),
            other => Ok(other),
        }
    }

    fn object(&mut self, map: Map<String, Value>) -> Result<Map<String, Value>, Error> {
        let mut out = Map::new();
        let mut digests = Vec::new();
        for (name, value) in map {
            if matches!(name.as_str(), "_sd" | "..." | "_sd_alg") {
                return Err(Error::ClaimReserved { name });
            }
            self.path.push(PathSegment::Key(name.clone()));
            let value = self.value(value);
            let selected = self.selected();
            self.path.pop();
            let value = value?;
            if selected {
                digests.push(self.disclose(Some(name), value)?);
            } else {
                out.insert(name, value);
            }
        }
        if !digests.is_empty() {
            for _ in 0..self.decoys.count_for(digests.len()) {
                digests.push(sha256_base64url(&self.random_string()?));
            }
            digests.sort_unstable();
            // `_sd` first, as in the RFC 9901 examples (visible with `preserve_order`).
            let mut with_sd = Map::new();
            with_sd.insert(
                "_sd".into(),
                digests.into_iter().map(Value::String).collect(),
            );
            with_sd.extend(out);
            return Ok(with_sd);
        }
        Ok(out)
    }

    fn array(&mut self, items: Vec<Value>) -> Result<Vec<Value>, Error> {
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            self.path.push(PathSegment::Index(index));
            let value = self.value(item);
            let selected = self.selected();
            self.path.pop();
            let value = value?;
            if selected {
                let digest = self.disclose(None, value)?;
                let mut placeholder = Map::new();
                placeholder.insert("...".into(), Value::String(digest));
                out.push(Value::Object(placeholder));
            } else {
                out.push(value);
            }
        }
        Ok(out)
    }
}

/// An SD-JWT payload with its disclosures, before signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdJwtPayload {
    payload: Map<String, Value>,
    disclosures: Vec<Disclosure>,
}

impl SdJwtPayload {
    /// The issuer-signed payload (with `_sd`, digest placeholders and `_sd_alg`).
    #[must_use]
    pub const fn payload(&self) -> &Map<String, Value> {
        &self.payload
    }

    pub(crate) const fn payload_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.payload
    }

    /// The disclosures, in the order they were made.
    #[must_use]
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// Adds the JOSE header and serialises: the first signing phase.
    ///
    /// # Errors
    /// Those of [`UnsignedJws::new`].
    pub fn into_unsigned(self, header: &Header) -> Result<UnsignedSdJwt, Error> {
        let jws = UnsignedJws::new(header, &self.payload).map_err(Error::issuer_jwt)?;
        Ok(UnsignedSdJwt {
            jws,
            disclosures: self.disclosures,
        })
    }
}

/// An SD-JWT waiting for the issuer's signature: hand [`signing_input`](Self::signing_input)
/// to a KMS and give the result to [`attach_signature`](Self::attach_signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedSdJwt {
    jws: UnsignedJws,
    disclosures: Vec<Disclosure>,
}

impl UnsignedSdJwt {
    /// The exact bytes to sign.
    #[must_use]
    pub fn signing_input(&self) -> &[u8] {
        self.jws.signing_input()
    }

    /// The algorithm the signature must be made with.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.jws.algorithm()
    }

    /// The disclosures that will accompany the JWT.
    #[must_use]
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// Attaches a JOSE-form signature (ECDSA as r||s).
    ///
    /// # Errors
    /// Those of [`UnsignedJws::attach_signature`].
    pub fn attach_signature(self, signature: &[u8]) -> Result<IssuedSdJwt, Error> {
        let jwt = self
            .jws
            .attach_signature(signature)
            .map_err(Error::issuer_jwt)?;
        Ok(IssuedSdJwt {
            jwt,
            disclosures: self.disclosures,
        })
    }

    /// Signs in one step.
    ///
    /// # Errors
    /// Those of [`UnsignedJws::sign`].
    pub fn sign(self, signer: &dyn Signer) -> Result<IssuedSdJwt, Error> {
        let jwt = self.jws.sign(signer).map_err(Error::issuer_jwt)?;
        Ok(IssuedSdJwt {
            jwt,
            disclosures: self.disclosures,
        })
    }
}

/// A signed SD-JWT as the issuer hands it to the holder: every disclosure, no KB-JWT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedSdJwt {
    jwt: String,
    disclosures: Vec<Disclosure>,
}

impl IssuedSdJwt {
    /// The issuer-signed JWT.
    #[must_use]
    pub fn jwt(&self) -> &str {
        &self.jwt
    }

    /// The disclosures.
    #[must_use]
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// The compact serialization `<JWT>~<D1>~...~<Dn>~` (RFC 9901 §4).
    #[must_use]
    pub fn to_compact(&self) -> String {
        crate::serialization::compact(&self.jwt, self.disclosures.iter().map(Disclosure::as_str))
    }

    /// The flattened JWS JSON serialization (RFC 9901 §8.1).
    #[must_use]
    pub fn to_json(&self) -> String {
        crate::serialization::flattened_json(
            &self.jwt,
            self.disclosures.iter().map(Disclosure::as_str),
            None,
        )
    }
}
