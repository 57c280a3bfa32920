//! Signing one credential of a profile for a holder key: an SD-JWT VC (`kid` and `x5c` in the
//! header) or an mdoc (`IssuerSigned`, base64url), each with its status list reference.

use std::sync::Arc;

use jose_core::{Algorithm, PublicJwk, RandomSource, Signer, UnixTime};
use mdoc_cbor::{Issuance, ValidityInfo};
use sdjwt_vc::{ClaimPath, NEVER_DISCLOSABLE, SdJwtVcBuilder};
use serde_json::{Map, Value};
use status_list::StatusListReference;

use crate::settings::CredentialFormat;

/// A signing key with the certificate chain (leaf first, no root) that goes with what it
/// signs. The signer may be a local key, a KMS or an HSM: the engine only calls
/// [`Signer::sign`].
#[derive(Clone)]
pub struct SigningKey {
    signer: Arc<dyn Signer + Send + Sync>,
    kid: Option<String>,
    chain: Vec<Vec<u8>>,
    /// The leaf certificate's `notBefore`, when there is a readable leaf: no credential signed
    /// with this key claims to be issued before it.
    not_before: Option<UnixTime>,
    /// The leaf certificate's `notAfter`, when there is a readable leaf: no credential signed
    /// with this key outlives it.
    not_after: Option<UnixTime>,
}

/// How coarse a credential's issuance and expiry times are, in seconds: whole hours. Every
/// credential of a batch is signed in the same second, and a precise `iat`, `exp` or MSO
/// `signed` / `validFrom` / `validUntil` shared by them (or derived from the issuance second)
/// would let verifiers link the credentials (RFC 9901 §10.1); on the hour they are shared with
/// everything issued in that hour.
pub const TIME_GRANULARITY_SECONDS: i64 = 3600;

/// `t` rounded down to a multiple of [`TIME_GRANULARITY_SECONDS`].
fn coarse(t: UnixTime) -> UnixTime {
    UnixTime::from_secs(
        t.secs()
            .saturating_sub(t.secs().rem_euclid(TIME_GRANULARITY_SECONDS)),
    )
}

/// `t` rounded up to a multiple of [`TIME_GRANULARITY_SECONDS`].
fn coarse_up(t: UnixTime) -> UnixTime {
    let down = coarse(t);
    if down == t {
        t
    } else {
        down.saturating_add(TIME_GRANULARITY_SECONDS.unsigned_abs())
    }
}

/// When a credential says it was issued and when it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Validity {
    issued_at: UnixTime,
    expires_at: UnixTime,
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.signer.algorithm())
            .field("kid", &self.kid)
            .field("chain_len", &self.chain.len())
            .finish()
    }
}

impl SigningKey {
    /// A key with its certificate chain (`x5c` of SD-JWT VCs and status list tokens,
    /// `x5chain` of mdocs).
    #[must_use]
    pub fn new(signer: Arc<dyn Signer + Send + Sync>, chain: Vec<Vec<u8>>) -> Self {
        let (not_before, not_after) = leaf_validity(&chain).unzip();
        Self {
            signer,
            kid: None,
            not_before,
            not_after,
            chain,
        }
    }

    /// Names the key with `kid` in JWS headers (e.g. its JWK thumbprint, as served by
    /// `/.well-known/jwt-vc-issuer`).
    #[must_use]
    pub fn with_kid(mut self, kid: &str) -> Self {
        self.kid = Some(kid.to_owned());
        self
    }

    /// The signer.
    #[must_use]
    pub fn signer(&self) -> &(dyn Signer + Send + Sync) {
        self.signer.as_ref()
    }

    /// The certificate chain.
    #[must_use]
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The `kid`, if set.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// When a credential signed at `now` for `ttl_seconds` expires: never after the leaf
    /// certificate, whose `x5c`/`x5chain` the credential carries, so that a verifier that
    /// validates the chain at presentation time accepts the credential for its whole life.
    ///
    /// # Errors
    /// [`MintError::Signing`] when the certificate has expired: the server needs a new one.
    fn expiry(&self, now: UnixTime, ttl_seconds: u64) -> Result<UnixTime, MintError> {
        let wanted = now.saturating_add(ttl_seconds);
        match self.not_after {
            Some(not_after) if not_after <= now => Err(MintError::Signing(format!(
                "the signing certificate expired at {}",
                not_after.secs()
            ))),
            Some(not_after) => Ok(wanted.min(not_after)),
            None => Ok(wanted),
        }
    }

    /// The times a credential signed at `now` for `ttl_seconds` carries, on whole
    /// [`TIME_GRANULARITY_SECONDS`]:
    /// - issued at the start of the hour, or at the leaf certificate's `notBefore` when that
    ///   is later;
    /// - expiring at the first whole hour at or after `now + ttl_seconds`, so a credential
    ///   lives at least its TTL and less than an hour more;
    /// - but when that would outlive the certificate, at the last whole hour of its life, or
    ///   at its end itself when it ends within the hour of `now`.
    ///
    /// # Errors
    /// As [`Self::expiry`], and [`MintError::Signing`] when the certificate is not valid yet.
    fn validity(&self, now: UnixTime, ttl_seconds: u64) -> Result<Validity, MintError> {
        let expiry = self.expiry(now, ttl_seconds)?;
        if let Some(not_before) = self.not_before.filter(|not_before| *not_before > now) {
            return Err(MintError::Signing(format!(
                "the signing certificate is not valid before {}",
                not_before.secs()
            )));
        }
        let issued_at = match self.not_before {
            Some(not_before) => coarse(now).max(not_before),
            None => coarse(now),
        };
        let rounded_up = coarse_up(now.saturating_add(ttl_seconds));
        let expires_at = match self.not_after {
            Some(not_after) if rounded_up > not_after => {
                let whole = coarse(expiry);
                if whole > now { whole } else { expiry }
            }
            _ => rounded_up,
        };
        Ok(Validity {
            issued_at,
            expires_at,
        })
    }
}

/// The `notBefore` and `notAfter` of the leaf (the chain's first certificate), if it parses.
fn leaf_validity(chain: &[Vec<u8>]) -> Option<(UnixTime, UnixTime)> {
    let leaf = <x509_cert::Certificate as der::Decode>::from_der(chain.first()?).ok()?;
    let validity = leaf.tbs_certificate().validity();
    let time = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs())
            .ok()
            .map(UnixTime::from_secs)
    };
    Some((time(validity.not_before)?, time(validity.not_after)?))
}

/// The issuer's signing keys: one for SD-JWT VCs and status list tokens, and the mdoc
/// Document Signer (needed only when a profile issues `mso_mdoc`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IssuerKeys {
    /// Signs SD-JWT VCs and status list tokens.
    pub credential: SigningKey,
    /// Signs mdoc `issuerAuth`.
    pub mdoc: Option<SigningKey>,
}

impl IssuerKeys {
    /// Keys without an mdoc Document Signer.
    #[must_use]
    pub const fn new(credential: SigningKey) -> Self {
        Self {
            credential,
            mdoc: None,
        }
    }

    /// Adds the mdoc Document Signer.
    #[must_use]
    pub fn with_mdoc(mut self, mdoc: SigningKey) -> Self {
        self.mdoc = Some(mdoc);
        self
    }
}

/// Everything one credential is made of.
pub(crate) struct MintInput<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) format: &'a CredentialFormat,
    pub(crate) claims: &'a Map<String, Value>,
    pub(crate) holder: PublicJwk,
    pub(crate) status: StatusListReference,
    pub(crate) now: UnixTime,
    pub(crate) ttl_seconds: u64,
}

/// Why a credential could not be made: the claims do not fit the format (a client or offer
/// problem) or signing failed (a server problem).
#[derive(Debug)]
pub(crate) enum MintError {
    Claims(String),
    Signing(String),
}

pub(crate) fn mint(
    keys: &IssuerKeys,
    rng: &dyn RandomSource,
    input: MintInput<'_>,
) -> Result<String, MintError> {
    match input.format {
        CredentialFormat::SdJwtVc {
            vct,
            always_disclosed,
        } => sd_jwt(&keys.credential, rng, vct, always_disclosed, input),
        CredentialFormat::Mdoc {
            doctype,
            name_space,
        } => {
            let key = keys
                .mdoc
                .as_ref()
                .ok_or_else(|| MintError::Signing("no mdoc Document Signer key".into()))?;
            mdoc(key, rng, doctype, name_space, input)
        }
    }
}

/// An SD-JWT VC of `claims` as every credential of the configuration is built: each top-level
/// claim selectively disclosable but those `always_disclosed` and the never-disclosable ones.
fn sd_jwt_builder<'a>(
    vct: &str,
    always_disclosed: &[String],
    claims: &'a Map<String, Value>,
) -> SdJwtVcBuilder<'a> {
    let disclosable = claims
        .keys()
        .filter(|name| {
            !always_disclosed.contains(name) && !NEVER_DISCLOSABLE.contains(&name.as_str())
        })
        .map(ClaimPath::key);
    SdJwtVcBuilder::borrowing(vct, claims).with_disclosable_paths(disclosable)
}

fn sd_jwt(
    key: &SigningKey,
    rng: &dyn RandomSource,
    vct: &str,
    always_disclosed: &[String],
    input: MintInput<'_>,
) -> Result<String, MintError> {
    let validity = key.validity(input.now, input.ttl_seconds)?;
    let mut builder = sd_jwt_builder(vct, always_disclosed, input.claims)
        .with_issuer(input.issuer)
        .with_issued_at(validity.issued_at)
        .with_expires_at(validity.expires_at)
        .with_holder_key(input.holder)
        .with_status(input.status)
        .with_x5c(key.chain.clone());
    if let Some(kid) = &key.kid {
        builder = builder.with_key_id(kid.as_str());
    }
    let prepared = builder
        .prepare(key.signer.algorithm(), rng)
        .map_err(|e| MintError::Claims(e.to_string()))?;
    prepared
        .sign(key.signer.as_ref())
        .map(|issued| issued.to_compact())
        .map_err(|e| MintError::Signing(e.to_string()))
}

/// The claims as `{name_space: {element: value}}`: given that way (every value an object), or
/// flat and then put in `name_space`.
fn name_spaced(name_space: &str, claims: &Map<String, Value>) -> Map<String, Value> {
    if !claims.is_empty() && claims.values().all(Value::is_object) {
        return claims.clone();
    }
    let mut out = Map::new();
    out.insert(name_space.to_owned(), Value::Object(claims.clone()));
    out
}

/// Checks that `claims` can be issued in a credential of `format`: what minting would refuse
/// for the claims themselves (a claim an SD-JWT VC reserves, an mdoc element of the wrong
/// type, an mdoc without elements), found without a holder key or a signature.
///
/// # Errors
/// [`MintError::Claims`] naming the claim; [`MintError::Signing`] when the random source
/// fails (an SD-JWT VC is built, salts and all, to be checked).
pub(crate) fn check_claims(
    format: &CredentialFormat,
    claims: &Map<String, Value>,
    rng: &dyn RandomSource,
) -> Result<(), MintError> {
    match format {
        CredentialFormat::SdJwtVc {
            vct,
            always_disclosed,
        } => match sd_jwt_builder(vct, always_disclosed, claims).prepare(Algorithm::Es256, rng) {
            Ok(_) => Ok(()),
            Err(sdjwt_vc::Error::Random(e)) => Err(MintError::Signing(e.to_string())),
            Err(e) => Err(MintError::Claims(e.to_string())),
        },
        CredentialFormat::Mdoc { name_space, .. } => {
            Issuance::check_json(&name_spaced(name_space, claims))
                .map_err(|e| MintError::Claims(e.to_string()))
        }
    }
}

fn mdoc(
    key: &SigningKey,
    rng: &dyn RandomSource,
    doctype: &str,
    name_space: &str,
    input: MintInput<'_>,
) -> Result<String, MintError> {
    let claims = |e: &dyn core::fmt::Display| MintError::Claims(e.to_string());
    let times = key.validity(input.now, input.ttl_seconds)?;
    let validity = ValidityInfo::new(times.issued_at, times.issued_at, times.expires_at)
        .map_err(|e| claims(&e))?;
    let prepared = Issuance::from_json(
        doctype,
        &name_spaced(name_space, input.claims),
        &input.holder,
        validity,
    )
    .map_err(|e| claims(&e))?
    .with_status(input.status)
    .prepare(key.signer.algorithm(), &key.chain, rng)
    .map_err(|e| claims(&e))?;
    let signature = key
        .signer
        .sign(prepared.to_be_signed())
        .map_err(|e| MintError::Signing(e.to_string()))?;
    prepared
        .attach_signature(&signature)
        .map(|issued| issued.to_base64url())
        .map_err(|e| MintError::Signing(e.to_string()))
}

#[cfg(test)]
mod tests {
    use jose_core::{Algorithm, LocalSigner, SystemRandom};

    use super::*;

    const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
    const DAY: u64 = 86_400;

    /// A key whose self-signed certificate ends `days` after [`NOW`].
    fn key_until(days: u64) -> SigningKey {
        key_between(
            NOW.saturating_sub(DAY),
            NOW.saturating_add(days.saturating_mul(DAY)),
        )
    }

    /// A key whose self-signed certificate is valid from `from` to `until`.
    fn key_between(from: UnixTime, until: UnixTime) -> SigningKey {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut params = rcgen::CertificateParams::default();
        let at = |t: UnixTime| {
            time::OffsetDateTime::from_unix_timestamp(t.secs()).unwrap_or_else(|e| panic!("{e}"))
        };
        params.not_before = at(from);
        params.not_after = at(until);
        let cert = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
        let signer = LocalSigner::from_pkcs8(Algorithm::Es256, &key.serialize_der())
            .unwrap_or_else(|e| panic!("{e}"));
        SigningKey::new(Arc::new(signer), vec![cert.der().to_vec()])
    }

    /// A credential never outlives the certificate it carries; without a readable
    /// certificate the TTL alone decides; a key whose certificate has expired signs nothing.
    #[test]
    fn a_credential_ends_with_its_certificate_at_the_latest() {
        let year = 365 * DAY;
        assert_eq!(
            key_until(100).expiry(NOW, year).ok(),
            Some(NOW.saturating_add(100 * DAY))
        );
        assert_eq!(
            key_until(400).expiry(NOW, year).ok(),
            Some(NOW.saturating_add(year))
        );
        let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
            .unwrap_or_else(|e| panic!("{e}"));
        let bare = SigningKey::new(Arc::new(signer), Vec::new());
        assert_eq!(bare.expiry(NOW, year).ok(), Some(NOW.saturating_add(year)));
        let later = NOW.saturating_add(101 * DAY);
        assert!(matches!(
            key_until(100).expiry(later, year),
            Err(MintError::Signing(reason)) if reason.starts_with("the signing certificate expired")
        ));
    }

    /// Issuance and expiry times are whole hours (RFC 9901 §10.1: a batch signed in one second
    /// shares no precise timestamp): the expiry rounded up, so a credential lives at least its
    /// TTL; never before the certificate starts nor after it ends; a certificate not valid yet
    /// signs nothing.
    #[test]
    fn credential_times_are_whole_hours_within_the_certificate() {
        const HOUR: u64 = 3_600;
        let year = 365 * DAY;
        // NOW is on the hour; 25 minutes and 7 seconds past it.
        let at = NOW.saturating_add(1_507);
        let times =
            |key: &SigningKey, ttl| key.validity(at, ttl).unwrap_or_else(|e| panic!("{e:?}"));
        let long_lived = key_until(400);
        assert_eq!(
            times(&long_lived, year),
            Validity {
                issued_at: NOW,
                expires_at: NOW.saturating_add(year + HOUR),
            }
        );
        // Half an hour of life: to the next whole hour. An hour from the hour's last second:
        // a whole hour and a second, not one second.
        assert_eq!(
            times(&long_lived, HOUR / 2).expires_at,
            NOW.saturating_add(HOUR)
        );
        let last_second = NOW.saturating_add(3_599);
        assert_eq!(
            long_lived
                .validity(last_second, HOUR)
                .map(|t| t.expires_at)
                .ok(),
            Some(NOW.saturating_add(2 * HOUR))
        );
        // A certificate ending 1,234 s past a whole hour: that hour, not after the certificate.
        let cert_end = NOW.saturating_add(100 * DAY + 1_234);
        let ends_past_an_hour = key_between(NOW.saturating_sub(DAY), cert_end);
        assert_eq!(
            times(&ends_past_an_hour, year).expires_at,
            NOW.saturating_add(100 * DAY)
        );
        // A certificate ending within the hour of `now`: its end itself.
        let ending_soon = key_between(NOW.saturating_sub(DAY), at.saturating_add(100));
        assert_eq!(times(&ending_soon, year).expires_at, at.saturating_add(100));
        // A certificate that started ten minutes after the hour: issued then, not before.
        let started = NOW.saturating_add(600);
        assert_eq!(
            times(&key_between(started, NOW.saturating_add(DAY)), year).issued_at,
            started
        );
        // A certificate not valid yet signs nothing.
        let not_yet = key_between(at.saturating_add(10), NOW.saturating_add(DAY));
        assert!(matches!(
            not_yet.validity(at, year),
            Err(MintError::Signing(reason))
                if reason.starts_with("the signing certificate is not valid before")
        ));
        for t in [times(&long_lived, year), times(&long_lived, 2 * HOUR)] {
            assert_eq!(t.issued_at.secs() % TIME_GRANULARITY_SECONDS, 0);
            assert_eq!(t.expires_at.secs() % TIME_GRANULARITY_SECONDS, 0);
        }
    }
}
