//! The holder side (RFC 9901 §5.2, §7.2): read an issued SD-JWT, choose disclosures by claim
//! path, and close the presentation with a KB-JWT.

use jose_core::{Algorithm, CompactJws, Signer, UnixTime};
use serde_json::{Map, Value};

use crate::disclosure::Disclosure;
use crate::error::Error;
use crate::kb::UnsignedKbJwt;
use crate::limits::Limits;
use crate::path::ClaimPath;
use crate::process::process;
use crate::serialization;

/// An issued SD-JWT as the holder stores it, with every disclosure and where it applies.
///
/// Parsing checks the structure and every RFC 9901 §7.1 processing rule but not the issuer
/// signature: check that once on receipt with a [`Verifier`](crate::Verifier) using
/// [`KeyBinding::forbidden`](crate::KeyBinding::forbidden).
#[derive(Clone, Debug)]
pub struct SdJwt {
    jwt: String,
    disclosures: Vec<Disclosure>,
    claims: Map<String, Value>,
    paths: Vec<ClaimPath>,
    parents: Vec<Option<usize>>,
}

impl SdJwt {
    /// Parses the compact serialization the issuer sent (`<JWT>~<D1>~...~<Dn>~`).
    ///
    /// # Errors
    /// [`Error::KeyBindingUnexpected`] for an SD-JWT+KB (RFC 9901 §7.2), the splitting and
    /// limit errors, the JWT parse errors (as [`Error::Jose`]), and every disclosure and
    /// processing error of RFC 9901 §7.1.
    pub fn parse(issued: &str, limits: &Limits) -> Result<Self, Error> {
        let split = serialization::split(issued, limits)?;
        if split.kb_jwt.is_some() {
            return Err(Error::KeyBindingUnexpected);
        }
        let jwt = split
            .jwts
            .into_iter()
            .next()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default();
        let payload = CompactJws::parse(&jwt, &limits.jose())
            .map_err(Error::issuer_jwt)?
            .into_claims();
        let disclosures = Disclosure::parse_all(&split.disclosures, limits.max_depth())?;
        let processed = process(payload, &disclosures, limits.max_depth())?;
        let mut paths = vec![ClaimPath::root(); disclosures.len()];
        for (path, index) in processed.disclosed {
            if let Some(slot) = paths.get_mut(index) {
                *slot = path;
            }
        }
        Ok(Self {
            jwt,
            disclosures,
            claims: processed.claims,
            paths,
            parents: processed.parent,
        })
    }

    /// The issuer-signed JWT.
    #[must_use]
    pub fn jwt(&self) -> &str {
        &self.jwt
    }

    /// Every claim with every disclosure applied.
    #[must_use]
    pub const fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The disclosures, in the order received.
    #[must_use]
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// The claim path each disclosure discloses (parallel to [`Self::disclosures`]).
    #[must_use]
    pub fn disclosure_paths(&self) -> &[ClaimPath] {
        &self.paths
    }

    /// Chooses the disclosures for a presentation.
    ///
    /// A selected path brings the disclosure of that claim, of every selectively disclosable
    /// claim beneath it (the whole value), and of every disclosable claim above it that it
    /// needs to be reachable (RFC 9901 §4.2.6). [`PathSegment::AllArrayElements`](crate::PathSegment)
    /// matches every index. Paths selecting only always-visible claims bring nothing, and an
    /// empty selection presents no disclosures. Disclosures keep the issued order.
    #[must_use]
    pub fn present(&self, selection: &[ClaimPath]) -> Presentation {
        let mut chosen = vec![false; self.disclosures.len()];
        for (index, path) in self.paths.iter().enumerate() {
            if selection
                .iter()
                .any(|p| p.prefix_matches(path) || p.is_below(path))
            {
                let mut next = Some(index);
                while let Some(i) = next {
                    match chosen.get_mut(i) {
                        Some(slot) if !*slot => *slot = true,
                        _ => break,
                    }
                    next = self.parents.get(i).copied().flatten();
                }
            }
        }
        let disclosures = self
            .disclosures
            .iter()
            .zip(chosen)
            .filter(|(_, chosen)| *chosen)
            .map(|(d, _)| d.as_str().to_owned())
            .collect();
        Presentation {
            jwt: self.jwt.clone(),
            disclosures,
        }
    }
}

/// A chosen set of disclosures, ready to send as an SD-JWT or to close with a KB-JWT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presentation {
    jwt: String,
    disclosures: Vec<String>,
}

impl Presentation {
    /// The disclosure strings presented.
    #[must_use]
    pub fn disclosures(&self) -> &[String] {
        &self.disclosures
    }

    /// `<JWT>~<D1>~...~<Dn>~`: the SD-JWT without key binding, and the `sd_hash` input.
    #[must_use]
    pub fn to_compact(&self) -> String {
        serialization::compact(&self.jwt, self.disclosures.iter().map(String::as_str))
    }

    /// Starts a KB-JWT (`typ` `kb+jwt`; `iat`, `aud`, `nonce`, and `sd_hash` over exactly
    /// [`Self::to_compact`]) for a holder key that signs with `alg`.
    ///
    /// # Errors
    /// Those of [`jose_core::UnsignedJws::new`].
    pub fn key_binding(
        &self,
        alg: Algorithm,
        audience: &str,
        nonce: &str,
        iat: UnixTime,
    ) -> Result<UnsignedKbJwt, Error> {
        UnsignedKbJwt::new(self.to_compact(), alg, audience, nonce, iat)
    }

    /// Makes the SD-JWT+KB in one step with the holder's signer.
    ///
    /// # Errors
    /// Those of [`Self::key_binding`] and [`UnsignedKbJwt::sign`].
    pub fn with_key_binding(
        &self,
        holder: &dyn Signer,
        audience: &str,
        nonce: &str,
        iat: UnixTime,
    ) -> Result<String, Error> {
        self.key_binding(holder.algorithm(), audience, nonce, iat)?
            .sign(holder)
    }
}
