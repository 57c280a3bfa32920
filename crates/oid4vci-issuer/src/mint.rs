//! Signing one credential of a profile for a holder key: an SD-JWT VC (`kid` and `x5c` in the
//! header) or an mdoc (`IssuerSigned`, base64url), each with its status list reference.

use std::sync::Arc;

use jose_core::{PublicJwk, RandomSource, Signer, UnixTime};
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

    /// The times a credential signed at `now` for `ttl_seconds` carries, rounded down to
    /// [`TIME_GRANULARITY_SECONDS`]: issued at the start of the hour (but not before the leaf
    /// certificate's `notBefore`), expiring at the last whole hour of [`Self::expiry`] (or at
    /// that precise time when the lifetime is too short to keep a whole hour after `now`).
    ///
    /// # Errors
    /// As [`Self::expiry`].
    fn validity(&self, now: UnixTime, ttl_seconds: u64) -> Result<Validity, MintError> {
        let expiry = self.expiry(now, ttl_seconds)?;
        let issued_at = match self.not_before {
            Some(not_before) => coarse(now).max(not_before.min(now)),
            None => coarse(now),
        };
        let whole = coarse(expiry);
        Ok(Validity {
            issued_at,
            expires_at: if whole > now { whole } else { expiry },
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

fn sd_jwt(
    key: &SigningKey,
    rng: &dyn RandomSource,
    vct: &str,
    always_disclosed: &[String],
    input: MintInput<'_>,
) -> Result<String, MintError> {
    let disclosable = input
        .claims
        .keys()
        .filter(|name| {
            !always_disclosed.contains(name) && !NEVER_DISCLOSABLE.contains(&name.as_str())
        })
        .map(ClaimPath::key);
    let validity = key.validity(input.now, input.ttl_seconds)?;
    let mut builder = SdJwtVcBuilder::borrowing(vct, input.claims)
        .with_issuer(input.issuer)
        .with_issued_at(validity.issued_at)
        .with_expires_at(validity.expires_at)
        .with_holder_key(input.holder)
        .with_status(input.status)
        .with_x5c(key.chain.clone())
        .with_disclosable_paths(disclosable);
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
        key_valid(NOW.saturating_sub(DAY), days)
    }

    /// A key whose self-signed certificate starts at `from` and ends `days` after [`NOW`].
    fn key_valid(from: UnixTime, days: u64) -> SigningKey {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut params = rcgen::CertificateParams::default();
        let at = |t: UnixTime| {
            time::OffsetDateTime::from_unix_timestamp(t.secs()).unwrap_or_else(|e| panic!("{e}"))
        };
        params.not_before = at(from);
        params.not_after = at(NOW.saturating_add(days.saturating_mul(DAY)));
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
    /// shares no precise timestamp), never before the certificate starts nor after it ends,
    /// and a lifetime shorter than what rounding leaves keeps its precise end.
    #[test]
    fn credential_times_are_whole_hours_within_the_certificate() {
        const HOUR: u64 = 3_600;
        let year = 365 * DAY;
        // NOW is on the hour; 25 minutes and 7 seconds past it.
        let at = NOW.saturating_add(1_507);
        let times =
            |key: &SigningKey, ttl| key.validity(at, ttl).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            times(&key_until(400), year),
            Validity {
                issued_at: NOW,
                expires_at: NOW.saturating_add(year),
            }
        );
        // A certificate ending at a precise second: the last whole hour before it.
        let ends_precisely = key_valid(NOW.saturating_sub(DAY), 100);
        let end = NOW.saturating_add(100 * DAY);
        assert_eq!(times(&ends_precisely, year).expires_at, end);
        // A certificate that started ten minutes after the hour: issued then, not before.
        let started = NOW.saturating_add(600);
        assert_eq!(times(&key_valid(started, 400), year).issued_at, started);
        // Thirty minutes of life: rounding down would end it before `at`, so it stays precise.
        assert_eq!(
            times(&key_until(400), HOUR / 2).expires_at,
            at.saturating_add(HOUR / 2)
        );
        // Two hours of life: the last whole hour in it.
        assert_eq!(
            times(&key_until(400), 2 * HOUR).expires_at,
            NOW.saturating_add(2 * HOUR)
        );
        for t in [
            times(&key_until(400), year),
            times(&key_until(400), 2 * HOUR),
        ] {
            assert_eq!(t.issued_at.secs() % TIME_GRANULARITY_SECONDS, 0);
            assert_eq!(t.expires_at.secs() % TIME_GRANULARITY_SECONDS, 0);
        }
    }
}
