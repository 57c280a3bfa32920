//! The verifier (RFC 9901 §7.1, §7.3; SD-JWT VC §2.4), also used by wallets on receipt.

use jose_core::keys::KeyLookup;
use jose_core::{Algorithm, CompactJws, Header, HeaderPolicy, PublicJwk, UnixTime};
use serde_json::{Map, Value};
use status_list::StatusListReference;

use crate::disclosure::Disclosure;
use crate::error::Error;
use crate::kb::{self, KbClaims, KeyBinding};
use crate::limits::Limits;
use crate::path::ClaimPath;
use crate::process::{Taken, process_taking};
use crate::resolver::{lookup_error, query};
use crate::serialization::{self, Split};
use crate::vc::{DC_SD_JWT_TYP, NEVER_DISCLOSABLE, VC_SD_JWT_LEGACY_TYP};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Profile {
    SdJwtVc { legacy_typ: bool },
    Plain { typ: Option<String> },
}

/// Verifies SD-JWTs and SD-JWT VCs, compact or JWS JSON, with or without key binding as the
/// caller's [`KeyBinding`] decides.
///
/// Order: limits and splitting; the key binding decision against the presence of a KB-JWT;
/// each disclosure's encoding and shape; the issuer JWT (`typ`, algorithm allow-list, `crit`,
/// signature with a key from the issuer key lookup, a [`jose_core::KeyLookup`] such as
/// [`jose_core::keys::StaticKeys`], [`IssuerMetadata`](crate::IssuerMetadata) or
/// [`X5cTrust`](crate::X5cTrust)); disclosure processing (RFC 9901 §7.1); SD-JWT VC
/// rules (`vct`, never-disclosable claims); `exp`/`nbf`/`iat` with skew; the KB-JWT.
#[derive(Debug)]
pub struct Verifier<'r, R: ?Sized> {
    resolver: &'r R,
    algorithms: Vec<Algorithm>,
    key_binding: KeyBinding,
    profile: Profile,
    skew: u64,
    limits: Limits,
}

impl<'r, R: KeyLookup + ?Sized> Verifier<'r, R> {
    /// An SD-JWT VC verifier (`typ` `dc+sd-jwt`, `vct` required, never-disclosable claims
    /// refused) accepting issuer and KB-JWT signatures made with `algorithms`.
    #[must_use]
    pub fn new(resolver: &'r R, algorithms: &[Algorithm], key_binding: KeyBinding) -> Self {
        Self {
            resolver,
            algorithms: algorithms.to_vec(),
            key_binding,
            profile: Profile::SdJwtVc { legacy_typ: false },
            skew: jose_core::DEFAULT_CLOCK_SKEW_SECONDS,
            limits: Limits::new(),
        }
    }

    /// Also accepts the pre-November-2024 `typ` `vc+sd-jwt` (compatibility with old issuers).
    #[must_use]
    pub fn with_legacy_vc_typ(mut self) -> Self {
        self.profile = Profile::SdJwtVc { legacy_typ: true };
        self
    }

    /// Verifies plain RFC 9901 SD-JWTs instead of SD-JWT VCs: no `vct` or never-disclosable
    /// rules, and `typ` must match `typ` when one is given (RFC 9901 §9.11 recommends explicit
    /// typing).
    #[must_use]
    pub fn plain_sd_jwt(mut self, typ: Option<&str>) -> Self {
        self.profile = Profile::Plain {
            typ: typ.map(str::to_owned),
        };
        self
    }

    /// Sets the clock skew allowed on `exp`, `nbf`, `iat` and the KB-JWT `iat`, in seconds
    /// (default [`jose_core::DEFAULT_CLOCK_SKEW_SECONDS`]).
    #[must_use]
    pub const fn with_clock_skew_seconds(mut self, seconds: u64) -> Self {
        self.skew = seconds;
        self
    }

    /// Sets the input limits.
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Verifies a compact (`<JWT>~...~[KB-JWT]`) or JWS JSON serialization at time `now`.
    ///
    /// # Errors
    /// Every failure named by RFC 9901 §7 and SD-JWT VC §2.4, each as its own [`Error`] variant;
    /// [`Error::InvalidClaim`] `status` when a `status` claim is not an object or its
    /// `status_list` is not `{idx, uri}` (the status cannot be checked).
    pub fn verify(&self, input: &str, now: UnixTime) -> Result<Verified, Error> {
        let split = serialization::split(input, &self.limits)?;
        match (self.key_binding.is_required(), split.kb_jwt.is_some()) {
            (true, false) => return Err(Error::KeyBindingMissing),
            (false, true) => return Err(Error::KeyBindingUnexpected),
            _ => {}
        }
        let mut disclosures = Disclosure::parse_all(&split.disclosures, self.limits.max_depth())?;
        let (header, payload) = self.issuer_jwt(&split, now)?;
        // The disclosures are not needed after processing: their values move into the claims
        // instead of being copied.
        let taken = Taken::from(&mut disclosures);
        let processed = process_taking(payload, &disclosures, taken, self.limits.max_depth())?;
        let claims = processed.claims;
        let disclosed: Vec<ClaimPath> = processed.disclosed.into_iter().map(|(p, _)| p).collect();
        if matches!(self.profile, Profile::SdJwtVc { .. }) {
            check_vc(&claims, &disclosed)?;
        }
        self.check_times(&claims, now)?;
        let status_list = status_list(&claims)?;
        let key_binding = match &split.kb_jwt {
            None => None,
            Some(kb_jwt) => {
                let holder = holder_key(&claims)?;
                Some(kb::verify(
                    kb_jwt,
                    &split.presented,
                    &holder,
                    &self.key_binding,
                    &self.algorithms,
                    self.skew,
                    now,
                    &self.limits,
                )?)
            }
        };
        Ok(Verified {
            header,
            claims,
            disclosed,
            key_binding,
            status_list,
        })
    }

    fn check_typ(&self, header: &Header) -> Result<(), Error> {
        let ok = match &self.profile {
            Profile::SdJwtVc { legacy_typ } => {
                header.typ_matches(DC_SD_JWT_TYP)
                    || (*legacy_typ && header.typ_matches(VC_SD_JWT_LEGACY_TYP))
            }
            Profile::Plain { typ: Some(typ) } => header.typ_matches(typ),
            Profile::Plain { typ: None } => true,
        };
        if ok {
            return Ok(());
        }
        let expected = match &self.profile {
            Profile::Plain { typ: Some(typ) } => typ.clone(),
            _ => DC_SD_JWT_TYP.to_owned(),
        };
        Err(Error::issuer_jwt(jose_core::Error::WrongType {
            expected,
            found: header.typ().map(jose_core::short_text),
        }))
    }

    /// Parses and checks the issuer-signed JWT; with several signatures (general JWS JSON), the
    /// first that verifies wins and otherwise the first error is returned.
    fn issuer_jwt(
        &self,
        split: &Split<'_>,
        now: UnixTime,
    ) -> Result<(Header, Map<String, Value>), Error> {
        let mut first_error = None;
        for (position, jwt) in split.jwts.iter().enumerate() {
            let kid = split.unprotected_kids.get(position).cloned().flatten();
            match self.one_issuer_jwt(jwt, kid.as_deref(), now) {
                Ok(done) => return Ok(done),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        Err(first_error.unwrap_or(Error::Malformed {
            reason: "no issuer-signed JWT",
        }))
    }

    fn one_issuer_jwt(
        &self,
        jwt: &str,
        unprotected_kid: Option<&str>,
        now: UnixTime,
    ) -> Result<(Header, Map<String, Value>), Error> {
        let jws = CompactJws::parse(jwt, &self.limits.jose()).map_err(Error::issuer_jwt)?;
        self.check_typ(jws.header())?;
        HeaderPolicy::new(&self.algorithms)
            .check(jws.header())
            .map_err(Error::issuer_jwt)?;
        // RFC 7519 §4.1.1: a StringOrURI. Refused otherwise, so that no resolver (X5cTrust's
        // iss-to-certificate match included) sees "no iss" for an `iss` that is present.
        let issuer = match jws.claims().get("iss") {
            None => None,
            Some(Value::String(iss)) => Some(iss.as_str()),
            Some(_) => {
                return Err(Error::InvalidClaim {
                    name: "iss",
                    reason: "not a string",
                });
            }
        };
        let keys = self
            .resolver
            .keys(&query(jws.header(), issuer, unprotected_kid), now)
            .map_err(|e| lookup_error(&e))?;
        let mut first_error = None;
        for key in &keys {
            let result = key
                .check_algorithm(jws.header().alg())
                .and_then(|()| jws.verify_signature(key.key()));
            match result {
                Ok(()) => {
                    let header = jws.header().clone();
                    return Ok((header, jws.into_claims()));
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        Err(first_error.map_or_else(
            || Error::IssuerKey {
                reason: "the resolver returned no key".into(),
            },
            Error::issuer_jwt,
        ))
    }

    fn check_times(&self, claims: &Map<String, Value>, now: UnixTime) -> Result<(), Error> {
        let time = |name: &'static str| {
            jose_core::claims::optional_time(claims, name).map_err(|_| Error::InvalidClaim {
                name,
                reason: "not a NumericDate",
            })
        };
        if let Some(exp) = time("exp")?
            && now > exp.saturating_add(self.skew)
        {
            return Err(Error::Expired { exp, now });
        }
        if let Some(nbf) = time("nbf")?
            && now < nbf.saturating_sub(self.skew)
        {
            return Err(Error::NotYetValid { nbf, now });
        }
        if let Some(iat) = time("iat")?
            && iat > now.saturating_add(self.skew)
        {
            return Err(Error::IssuedInFuture { iat, now });
        }
        Ok(())
    }
}

fn check_vc(claims: &Map<String, Value>, disclosed: &[ClaimPath]) -> Result<(), Error> {
    for path in disclosed {
        if let Some(name) = path.top_level_name()
            && NEVER_DISCLOSABLE.contains(&name)
        {
            return Err(Error::NeverDisclosable {
                name: name.to_owned(),
            });
        }
    }
    match claims.get("vct") {
        Some(Value::String(vct)) if !vct.is_empty() => Ok(()),
        Some(_) => Err(Error::InvalidClaim {
            name: "vct",
            reason: "not a non-empty string",
        }),
        None => Err(Error::MissingClaim { name: "vct" }),
    }
}

/// The `status.status_list` reference, if the claims carry one (Token Status List §6.1).
/// `status` is an extension point: other mechanisms next to (or instead of) `status_list` are
/// left to the caller.
fn status_list(claims: &Map<String, Value>) -> Result<Option<StatusListReference>, Error> {
    let invalid = |reason| Error::InvalidClaim {
        name: "status",
        reason,
    };
    let status = match claims.get("status") {
        None => return Ok(None),
        Some(Value::Object(status)) => status,
        Some(_) => return Err(invalid("not an object")),
    };
    match status.get("status_list") {
        None => Ok(None),
        Some(Value::Object(list)) => StatusListReference::from_map(list)
            .map(Some)
            .map_err(|_| invalid("status_list must hold exactly idx (an unsigned integer) and uri (a non-empty string)")),
        Some(_) => Err(invalid("status_list is not an object")),
    }
}

fn holder_key(claims: &Map<String, Value>) -> Result<PublicJwk, Error> {
    let Some(cnf) = claims.get("cnf") else {
        return Err(Error::HolderKey {
            reason: "no cnf claim",
        });
    };
    let Some(jwk) = cnf.get("jwk") else {
        return Err(Error::HolderKey {
            reason: "cnf has no jwk",
        });
    };
    PublicJwk::from_value(jwk).map_err(|_| Error::HolderKey {
        reason: "cnf.jwk is not a valid public JWK",
    })
}

/// A verified SD-JWT: the processed claims and what was disclosed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    header: Header,
    claims: Map<String, Value>,
    disclosed: Vec<ClaimPath>,
    key_binding: Option<KbClaims>,
    status_list: Option<StatusListReference>,
}

impl Verified {
    /// The issuer JWT's protected header.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The processed claims: always-visible claims plus the disclosed ones, without `_sd`,
    /// `_sd_alg` or digest placeholders.
    #[must_use]
    pub const fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Takes the processed claims.
    #[must_use]
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// The path of every claim that came from a disclosure, in processing order. Array
    /// indices count the processed arrays in [`Self::claims`].
    #[must_use]
    pub fn disclosed(&self) -> &[ClaimPath] {
        &self.disclosed
    }

    /// The checked KB-JWT claims, when key binding was required.
    #[must_use]
    pub const fn key_binding(&self) -> Option<&KbClaims> {
        self.key_binding.as_ref()
    }

    /// The `status.status_list` reference, if the credential has one: check it with
    /// [`StatusListReference::check_jwt`] and the Status List Token fetched from its `uri`.
    #[must_use]
    pub const fn status_list(&self) -> Option<&StatusListReference> {
        self.status_list.as_ref()
    }

    /// The `iss` claim (checked to be a string, and to be named by the `x5c` leaf when the
    /// key came from [`crate::X5cTrust`]).
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }

    /// The `vct` claim (SD-JWT VC profile: always present).
    #[must_use]
    pub fn vct(&self) -> Option<&str> {
        self.claims.get("vct").and_then(Value::as_str)
    }

    /// The holder key, `cnf.jwk`.
    ///
    /// # Errors
    /// [`Error::HolderKey`] when there is no `cnf.jwk` or it is not a valid public JWK.
    pub fn holder_key(&self) -> Result<PublicJwk, Error> {
        holder_key(&self.claims)
    }
}
