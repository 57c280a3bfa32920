//! The Status List Token (§5): its claims, JWT issuance through the `Signer` seam (two-phase
//! available) and JWT verification (§8.3).

use core::num::NonZeroU64;

use jose_core::{
    Algorithm, CompactJws, Header, HeaderPolicy, PublicJwk, Signer, UnixTime, UnsignedJws,
};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::limits::Limits;
use crate::list::StatusList;
use crate::status::Bits;

/// The JOSE `typ` of a Status List Token (§5.1).
pub const JWT_TYP: &str = "statuslist+jwt";

/// How the verifier finds the signing key, written into the protected header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyHint {
    /// No key hint (the relying party knows the key out of band).
    None,
    /// A key id: JOSE `kid`; in a CWT, label 4 with the UTF-8 bytes.
    Kid(String),
    /// A certificate chain, DER, leaf first: JOSE `x5c`; in a CWT, `x5chain` (label 33).
    X5c(Vec<Vec<u8>>),
    /// Both: a relying party that finds the issuer's keys by `kid` (JWT VC Issuer Metadata)
    /// and one that validates the chain can each find the key (§11.3: the same key hints as
    /// the Referenced Tokens).
    KidAndX5c {
        /// The key id.
        kid: String,
        /// The certificate chain, DER, leaf first.
        chain: Vec<Vec<u8>>,
    },
}

/// The content of a Status List Token: the claims of §5.1 and the list.
///
/// Build one with [`Self::new`] and the `with_*` methods to issue; [`Self::verify_jwt`]
/// returns one from a received token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusListToken {
    subject: String,
    issued_at: UnixTime,
    expires_at: Option<UnixTime>,
    ttl: Option<NonZeroU64>,
    issuer: Option<String>,
    list: StatusList,
    aggregation_uri: Option<String>,
}

impl StatusListToken {
    /// A token for the list published at `subject` (the `uri` Referenced Tokens carry), issued
    /// at `issued_at`.
    #[must_use]
    pub fn new(subject: impl Into<String>, issued_at: UnixTime, list: StatusList) -> Self {
        Self {
            subject: subject.into(),
            issued_at,
            expires_at: None,
            ttl: None,
            issuer: None,
            list,
            aggregation_uri: None,
        }
    }

    /// Sets `exp` (RECOMMENDED).
    #[must_use]
    pub const fn with_expires_at(mut self, exp: UnixTime) -> Self {
        self.expires_at = Some(exp);
        self
    }

    /// Sets `ttl` in seconds (RECOMMENDED; a positive number, so zero is unrepresentable).
    #[must_use]
    pub const fn with_ttl(mut self, ttl: NonZeroU64) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets `iss` (optional in §5.1; the draft's example carries it).
    #[must_use]
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// Sets `status_list.aggregation_uri` (§9).
    #[must_use]
    pub fn with_aggregation_uri(mut self, uri: impl Into<String>) -> Self {
        self.aggregation_uri = Some(uri.into());
        self
    }

    /// `sub`: the URI of this list.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// `iat`.
    #[must_use]
    pub const fn issued_at(&self) -> UnixTime {
        self.issued_at
    }

    /// `exp`, if present.
    #[must_use]
    pub const fn expires_at(&self) -> Option<UnixTime> {
        self.expires_at
    }

    /// `ttl` in seconds, if present: fetch again once `fetched_at + ttl` has passed (§8.3).
    #[must_use]
    pub const fn ttl(&self) -> Option<NonZeroU64> {
        self.ttl
    }

    /// `iss`, if present.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The status list.
    #[must_use]
    pub const fn list(&self) -> &StatusList {
        &self.list
    }

    /// Takes the status list out.
    #[must_use]
    pub fn into_list(self) -> StatusList {
        self.list
    }

    /// `status_list.aggregation_uri`, if present.
    #[must_use]
    pub fn aggregation_uri(&self) -> Option<&str> {
        self.aggregation_uri.as_deref()
    }

    /// The JWT claims set (§5.1), with `lst` compressed at the best level.
    #[must_use]
    pub fn to_jwt_claims(&self) -> Map<String, Value> {
        let mut list = Map::new();
        list.insert("bits".into(), Value::from(self.list.bits().get()));
        list.insert("lst".into(), Value::from(self.list.to_lst()));
        if let Some(uri) = &self.aggregation_uri {
            list.insert("aggregation_uri".into(), Value::from(uri.as_str()));
        }
        let mut claims = Map::new();
        if let Some(exp) = self.expires_at {
            claims.insert("exp".into(), Value::from(exp.secs()));
        }
        claims.insert("iat".into(), Value::from(self.issued_at.secs()));
        if let Some(iss) = &self.issuer {
            claims.insert("iss".into(), Value::from(iss.as_str()));
        }
        claims.insert("status_list".into(), Value::Object(list));
        claims.insert("sub".into(), Value::from(self.subject.as_str()));
        if let Some(ttl) = self.ttl {
            claims.insert("ttl".into(), Value::from(ttl.get()));
        }
        claims
    }

    /// Phase one of two-phase signing: the JWT with header `{alg, typ: statuslist+jwt, kid |
    /// x5c}`, waiting for a signature over [`UnsignedJws::signing_input`].
    ///
    /// # Errors
    /// Those of [`UnsignedJws::new`].
    pub fn unsigned_jwt(&self, alg: Algorithm, key: &KeyHint) -> Result<UnsignedJws, Error> {
        let mut header = Header::new(alg).with_typ(JWT_TYP);
        match key {
            KeyHint::None => {}
            KeyHint::Kid(kid) => header = header.with_kid(kid.as_str()),
            KeyHint::X5c(chain) => header = header.with_x5c(chain.clone()),
            KeyHint::KidAndX5c { kid, chain } => {
                header = header.with_kid(kid.as_str()).with_x5c(chain.clone());
            }
        }
        Ok(UnsignedJws::new(&header, &self.to_jwt_claims())?)
    }

    /// Issues the compact JWT, signed by `signer`.
    ///
    /// # Errors
    /// The signer's errors and those of [`UnsignedJws::sign`], wrapped in [`Error::Jose`].
    pub fn sign_jwt(&self, signer: &dyn Signer, key: &KeyHint) -> Result<String, Error> {
        Ok(self.unsigned_jwt(signer.algorithm(), key)?.sign(signer)?)
    }

    /// Verifies a received Status List Token JWT against `key` and returns its content
    /// (§8.3 steps 4–6), checking in this order: length, `typ`, algorithm, signature, `sub` ==
    /// `expected_uri` (exact), `iat` not in the future beyond the skew, `exp` not passed (with
    /// skew), the optional freshness policy, `ttl`, then `status_list` (bits, `lst` inflated
    /// under the cap).
    ///
    /// # Errors
    /// [`Error::TokenTooLong`], [`Error::TokenNotUtf8`], [`Error::Jose`] (syntax, algorithm,
    /// signature), [`Error::WrongType`], [`Error::SubjectMismatch`], [`Error::MissingClaim`],
    /// [`Error::InvalidClaim`], [`Error::IssuedInFuture`], [`Error::Expired`],
    /// [`Error::NotFresh`], [`Error::InvalidBits`] and the `Lst*` decoding errors.
    pub fn verify_jwt(
        token: &[u8],
        expected_uri: &str,
        key: &PublicJwk,
        options: &VerifyOptions<'_>,
        now: UnixTime,
    ) -> Result<Self, Error> {
        let limits = options.limits;
        if token.len() > limits.max_token_len() {
            return Err(Error::TokenTooLong {
                len: token.len(),
                max: limits.max_token_len(),
            });
        }
        let text = core::str::from_utf8(token).map_err(|_| Error::TokenNotUtf8)?;
        let jws = CompactJws::parse(text, &limits.jose())?;
        if !jws.header().typ_matches(JWT_TYP) {
            return Err(Error::WrongType {
                expected: JWT_TYP,
                found: jws.header().typ().map(jose_core::short_text),
            });
        }
        jws.verify(key, &HeaderPolicy::new(options.algorithms))?;
        let claims = jws.claims();
        let subject = jose_core::claims::required_str(claims, "sub")?;
        check_subject(subject, expected_uri)?;
        let issued_at = jose_core::claims::required_time(claims, "iat")?;
        let expires_at = jose_core::claims::optional_time(claims, "exp")?;
        options.check_times(issued_at, expires_at, now)?;
        let ttl = match claims.get("ttl") {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(NonZeroU64::new)
                    .ok_or(Error::InvalidClaim { name: "ttl" })?,
            ),
        };
        let issuer = jose_core::claims::optional_str(claims, "iss")?.map(str::to_owned);
        let list_claim = match claims.get("status_list") {
            None => {
                return Err(Error::MissingClaim {
                    name: "status_list",
                });
            }
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(Error::InvalidClaim {
                    name: "status_list",
                });
            }
        };
        let (list, aggregation_uri) = parse_json_list(list_claim, &limits)?;
        Ok(Self {
            subject: subject.to_owned(),
            issued_at,
            expires_at,
            ttl,
            issuer,
            list,
            aggregation_uri,
        })
    }
}

/// Checks `sub` == `uri`, byte for byte (§8.3 step 5).
pub(crate) fn check_subject(subject: &str, expected_uri: &str) -> Result<(), Error> {
    if subject == expected_uri {
        Ok(())
    } else {
        Err(Error::SubjectMismatch {
            expected: expected_uri.to_owned(),
            found: jose_core::short_text(subject),
        })
    }
}

/// Parses the JSON `status_list` object (§4.2). Unknown members are ignored: the draft's
/// registry of Status List parameters may add some.
fn parse_json_list(
    map: &Map<String, Value>,
    limits: &Limits,
) -> Result<(StatusList, Option<String>), Error> {
    let bits = match map.get("bits") {
        None => {
            return Err(Error::MissingClaim {
                name: "status_list.bits",
            });
        }
        Some(v) => v.as_u64().ok_or(Error::InvalidClaim {
            name: "status_list.bits",
        })?,
    };
    let bits = Bits::try_from(bits)?;
    let lst = match map.get("lst") {
        None => {
            return Err(Error::MissingClaim {
                name: "status_list.lst",
            });
        }
        Some(v) => v.as_str().ok_or(Error::InvalidClaim {
            name: "status_list.lst",
        })?,
    };
    let aggregation_uri = match map.get("aggregation_uri") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(Error::InvalidClaim {
                name: "status_list.aggregation_uri",
            });
        }
    };
    let list = StatusList::from_lst(bits, lst, None, limits)?;
    Ok((list, aggregation_uri))
}

/// What a relying party requires of a Status List Token beyond its signature.
///
/// ```
/// use jose_core::Algorithm;
/// let options = status_list::VerifyOptions::new(&[Algorithm::Es256])
///     .with_clock_skew_seconds(30)
///     .with_max_age(3600);
/// assert_eq!(options.clock_skew_seconds(), 30);
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct VerifyOptions<'a> {
    algorithms: &'a [Algorithm],
    clock_skew: u64,
    max_age: Option<u64>,
    limits: Limits,
    cwt_content_format: Option<u64>,
}

impl<'a> VerifyOptions<'a> {
    /// Accept signatures by `algorithms`; skew [`jose_core::DEFAULT_CLOCK_SKEW_SECONDS`], no freshness
    /// policy, default [`Limits`].
    #[must_use]
    pub const fn new(algorithms: &'a [Algorithm]) -> Self {
        Self {
            algorithms,
            clock_skew: jose_core::DEFAULT_CLOCK_SKEW_SECONDS,
            max_age: None,
            limits: Limits::new(),
            cwt_content_format: None,
        }
    }

    /// Also accepts a CWT whose `typ` (label 16) is the CoAP Content-Format integer `id` of
    /// `application/statuslist+cwt` (draft -19 on: the text media type or that integer). IANA
    /// has not assigned the number yet, so no integer is accepted until one is set here.
    #[must_use]
    pub const fn with_cwt_content_format(mut self, id: u64) -> Self {
        self.cwt_content_format = Some(id);
        self
    }

    /// The CoAP Content-Format accepted in a CWT's `typ`, if any.
    #[must_use]
    pub const fn cwt_content_format(&self) -> Option<u64> {
        self.cwt_content_format
    }

    /// Sets the clock skew tolerated on `exp` and `iat`, in seconds.
    #[must_use]
    pub const fn with_clock_skew_seconds(mut self, secs: u64) -> Self {
        self.clock_skew = secs;
        self
    }

    /// Refuses tokens whose `iat` is more than `secs` (plus skew) in the past (§8.3: "`iat`
    /// against the freshness policy").
    #[must_use]
    pub const fn with_max_age(mut self, secs: u64) -> Self {
        self.max_age = Some(secs);
        self
    }

    /// Sets the decoding limits.
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The allowed algorithms.
    #[must_use]
    pub const fn algorithms(&self) -> &'a [Algorithm] {
        self.algorithms
    }

    /// The clock skew in seconds.
    #[must_use]
    pub const fn clock_skew_seconds(&self) -> u64 {
        self.clock_skew
    }

    /// The decoding limits.
    #[must_use]
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks `iat` (not in the future), `exp` (not passed) and the freshness policy.
    pub(crate) fn check_times(
        &self,
        iat: UnixTime,
        exp: Option<UnixTime>,
        now: UnixTime,
    ) -> Result<(), Error> {
        if iat > now.saturating_add(self.clock_skew) {
            return Err(Error::IssuedInFuture { iat, now });
        }
        if let Some(exp) = exp
            && now >= exp.saturating_add(self.clock_skew)
        {
            return Err(Error::Expired { exp, now });
        }
        if let Some(max_age) = self.max_age {
            let oldest = now.saturating_sub(max_age).saturating_sub(self.clock_skew);
            if iat < oldest {
                return Err(Error::NotFresh { iat, max_age });
            }
        }
        Ok(())
    }
}
