//! SD-JWT VC issuance (draft-ietf-oauth-sd-jwt-vc §2.2): registered claims, `dc+sd-jwt`, and
//! the claims that must never be selectively disclosable.

use jose_core::{Algorithm, Header, PublicJwk, RandomSource, Signer, UnixTime};
use serde_json::{Map, Value};
use status_list::{StatusClaim, StatusListReference};

use crate::digest::DisclosureEncoding;
use crate::error::Error;
use crate::issue::{Decoys, IssuedSdJwt, SdJwtBuilder, UnsignedSdJwt};
use crate::path::ClaimPath;
use crate::policy::DisclosurePolicy;

/// The `typ` of an SD-JWT VC (SD-JWT VC §2.2.1).
pub const DC_SD_JWT_TYP: &str = "dc+sd-jwt";

/// The `typ` SD-JWT VC drafts used until November 2024; accepted only under
/// [`Verifier::with_legacy_vc_typ`](crate::Verifier::with_legacy_vc_typ).
pub const VC_SD_JWT_LEGACY_TYP: &str = "vc+sd-jwt";

/// Claims that SD-JWT VC §2.2.2 forbids from being selectively disclosable (with all their
/// sub-claims). `iat` and `sub` may be disclosable and are not listed.
pub const NEVER_DISCLOSABLE: &[&str] = &[
    "iss",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "aka_vcts",
];

/// Claims the [`SdJwtVcBuilder`] sets itself and therefore refuses in the caller's claims.
const BUILDER_CLAIMS: &[&str] = &[
    "iss",
    "iat",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
];

/// Issues an SD-JWT VC: `typ` `dc+sd-jwt`, `vct`, `iss`, `iat`, `exp`/`nbf`, `cnf.jwk` (the
/// holder key the caller verified in the key proof), `status`, and `kid` or `x5c` in the
/// header.
///
/// ```
/// use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
/// use sdjwt_vc::{ClaimPath, SdJwtVcBuilder};
/// let rng = SystemRandom::new();
/// let issuer = LocalSigner::generate(Algorithm::Es256, &rng)?;
/// let claims = serde_json::json!({"given_name": "Erika"});
/// let issued = SdJwtVcBuilder::new("urn:eudi:pid:1", claims.as_object().unwrap().clone())
///     .with_issuer("https://issuer.example")
///     .with_issued_at(UnixTime::from_secs(1_700_000_000))
///     .with_disclosable(ClaimPath::key("given_name"))
///     .issue(&issuer, &rng)?;
/// assert_eq!(issued.disclosures().len(), 1);
/// // The registered claims can never be made disclosable:
/// let refused = SdJwtVcBuilder::new("urn:eudi:pid:1", Default::default())
///     .with_disclosable(ClaimPath::key("vct"))
///     .issue(&issuer, &rng);
/// assert!(matches!(refused, Err(sdjwt_vc::Error::NeverDisclosable { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The claims are owned ([`new`](Self::new)) or borrowed ([`borrowing`](Self::borrowing)), as
/// for [`SdJwtBuilder`]: an issuer that keeps the subject's claims borrows them, and issuance
/// copies only what stays in clear and disclosed values that are not a string, integer,
/// boolean or `null`.
#[derive(Clone, Debug)]
pub struct SdJwtVcBuilder<'c> {
    vct: String,
    vct_integrity: Option<String>,
    issuer: Option<String>,
    issued_at: Option<UnixTime>,
    expires_at: Option<UnixTime>,
    not_before: Option<UnixTime>,
    holder_key: Option<PublicJwk>,
    status: Option<StatusClaim>,
    key_id: Option<String>,
    x5c: Option<Vec<Vec<u8>>>,
    inner: SdJwtBuilder<'c>,
}

impl<'c> SdJwtVcBuilder<'c> {
    /// A credential of type `vct` with the given (non-registered) claims.
    #[must_use]
    pub fn new(vct: impl Into<String>, claims: Map<String, Value>) -> Self {
        Self::with_inner(vct.into(), SdJwtBuilder::new(claims))
    }

    /// A credential of type `vct` with borrowed (non-registered) claims, read without copying
    /// them whole.
    ///
    /// ```
    /// use jose_core::{Algorithm, LocalSigner, SystemRandom};
    /// use sdjwt_vc::{ClaimPath, SdJwtVcBuilder};
    /// let rng = SystemRandom::new();
    /// let issuer = LocalSigner::generate(Algorithm::Es256, &rng)?;
    /// // Kept by the issuer, say in its grant, and lent to each issuance.
    /// let claims = serde_json::json!({"given_name": "Erika"});
    /// let issued = SdJwtVcBuilder::borrowing("urn:eudi:pid:1", claims.as_object().unwrap())
    ///     .with_disclosable(ClaimPath::key("given_name"))
    ///     .issue(&issuer, &rng)?;
    /// assert_eq!(issued.disclosures()[0].name(), Some("given_name"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn borrowing(vct: impl Into<String>, claims: &'c Map<String, Value>) -> Self {
        Self::with_inner(vct.into(), SdJwtBuilder::borrowing(claims))
    }

    const fn with_inner(vct: String, inner: SdJwtBuilder<'c>) -> Self {
        Self {
            vct,
            vct_integrity: None,
            issuer: None,
            issued_at: None,
            expires_at: None,
            not_before: None,
            holder_key: None,
            status: None,
            key_id: None,
            x5c: None,
            inner,
        }
    }

    /// Sets `iss`.
    #[must_use]
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// Sets `iat`.
    #[must_use]
    pub const fn with_issued_at(mut self, iat: UnixTime) -> Self {
        self.issued_at = Some(iat);
        self
    }

    /// Sets `exp`.
    #[must_use]
    pub const fn with_expires_at(mut self, exp: UnixTime) -> Self {
        self.expires_at = Some(exp);
        self
    }

    /// Sets `nbf`.
    #[must_use]
    pub const fn with_not_before(mut self, nbf: UnixTime) -> Self {
        self.not_before = Some(nbf);
        self
    }

    /// Sets `vct#integrity` (a W3C SRI string over the type metadata).
    #[must_use]
    pub fn with_vct_integrity(mut self, integrity: impl Into<String>) -> Self {
        self.vct_integrity = Some(integrity.into());
        self
    }

    /// Sets `cnf.jwk`: the holder's public key, from a key proof the caller verified.
    #[must_use]
    pub fn with_holder_key(mut self, jwk: PublicJwk) -> Self {
        self.holder_key = Some(jwk);
        self
    }

    /// Sets the `status` claim to `{"status_list": {"idx": .., "uri": ..}}` (Token Status
    /// List §6.1).
    #[must_use]
    pub fn with_status(mut self, reference: impl Into<StatusListReference>) -> Self {
        self.status = Some(StatusClaim::new(reference.into()));
        self
    }

    /// Sets the header `kid`.
    #[must_use]
    pub fn with_key_id(mut self, kid: impl Into<String>) -> Self {
        self.key_id = Some(kid.into());
        self
    }

    /// Sets the header `x5c` (DER certificates, leaf first).
    #[must_use]
    pub fn with_x5c(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.x5c = Some(chain);
        self
    }

    /// Marks a claim path selectively disclosable (see [`SdJwtBuilder::with_disclosable`]).
    #[must_use]
    pub fn with_disclosable(mut self, path: ClaimPath) -> Self {
        self.inner = self.inner.with_disclosable(path);
        self
    }

    /// Marks several claim paths selectively disclosable.
    #[must_use]
    pub fn with_disclosable_paths(mut self, paths: impl IntoIterator<Item = ClaimPath>) -> Self {
        self.inner = self.inner.with_disclosable_paths(paths);
        self
    }

    /// Marks every path of a shared [`DisclosurePolicy`] selectively disclosable (see
    /// [`SdJwtBuilder::with_disclosure_policy`]): build the policy once per credential
    /// configuration and hand it to every issuance.
    ///
    /// ```
    /// use jose_core::{Algorithm, LocalSigner, SystemRandom};
    /// use sdjwt_vc::{ClaimPath, DisclosurePolicy, SdJwtVcBuilder};
    /// let rng = SystemRandom::new();
    /// let issuer = LocalSigner::generate(Algorithm::Es256, &rng)?;
    /// let policy = DisclosurePolicy::new([ClaimPath::key("given_name")])?;
    /// let claims = serde_json::json!({"given_name": "Erika"});
    /// let issued = SdJwtVcBuilder::new("urn:eudi:pid:1", claims.as_object().unwrap().clone())
    ///     .with_disclosure_policy(&policy)
    ///     .issue(&issuer, &rng)?;
    /// assert_eq!(issued.disclosures().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_disclosure_policy(mut self, policy: &DisclosurePolicy) -> Self {
        self.inner = self.inner.with_disclosure_policy(policy);
        self
    }

    /// Sets the decoy policy.
    #[must_use]
    pub fn with_decoys(mut self, decoys: Decoys) -> Self {
        self.inner = self.inner.with_decoys(decoys);
        self
    }

    /// Sets the salt length in bytes (at least 16).
    #[must_use]
    pub fn with_salt_len(mut self, bytes: usize) -> Self {
        self.inner = self.inner.with_salt_len(bytes);
        self
    }

    /// Sets how disclosures are written.
    #[must_use]
    pub fn with_encoding(mut self, encoding: DisclosureEncoding) -> Self {
        self.inner = self.inner.with_encoding(encoding);
        self
    }

    /// Builds the unsigned credential for an `alg` signature: the first of two signing phases.
    ///
    /// # Errors
    /// [`Error::NeverDisclosable`] when the policy selects a never-disclosable claim or
    /// anything beneath one; [`Error::ClaimReserved`] when the claims set a registered claim
    /// this builder sets; the errors of [`SdJwtBuilder::build`].
    pub fn prepare(self, alg: Algorithm, rng: &dyn RandomSource) -> Result<UnsignedSdJwt, Error> {
        for path in self.inner.disclosable() {
            if let Some(name) = path.top_level_name()
                && NEVER_DISCLOSABLE.contains(&name)
            {
                return Err(Error::NeverDisclosable {
                    name: name.to_owned(),
                });
            }
        }
        let mut header = Header::new(alg).with_typ(DC_SD_JWT_TYP);
        if let Some(kid) = self.key_id {
            header = header.with_kid(kid);
        }
        if let Some(chain) = self.x5c {
            header = header.with_x5c(chain);
        }
        let mut built = self.inner.build_with(
            |claims| {
                for name in BUILDER_CLAIMS {
                    if claims.contains_key(*name) {
                        return Err(Error::ClaimReserved {
                            name: (*name).to_owned(),
                        });
                    }
                }
                Ok(())
            },
            rng,
        )?;
        let payload = built.payload_mut();
        if let Some(iss) = self.issuer {
            payload.insert("iss".into(), iss.into());
        }
        if let Some(iat) = self.issued_at {
            payload.insert("iat".into(), iat.secs().into());
        }
        if let Some(nbf) = self.not_before {
            payload.insert("nbf".into(), nbf.secs().into());
        }
        if let Some(exp) = self.expires_at {
            payload.insert("exp".into(), exp.secs().into());
        }
        payload.insert("vct".into(), self.vct.into());
        if let Some(integrity) = self.vct_integrity {
            payload.insert("vct#integrity".into(), integrity.into());
        }
        if let Some(jwk) = self.holder_key {
            payload.insert("cnf".into(), serde_json::json!({"jwk": jwk.to_value()}));
        }
        if let Some(status) = self.status {
            payload.insert("status".into(), status.to_value());
        }
        built.into_unsigned(&header)
    }

    /// Builds and signs in one step.
    ///
    /// # Errors
    /// Those of [`Self::prepare`] and [`UnsignedSdJwt::sign`].
    pub fn issue(self, signer: &dyn Signer, rng: &dyn RandomSource) -> Result<IssuedSdJwt, Error> {
        self.prepare(signer.algorithm(), rng)?.sign(signer)
    }
}
