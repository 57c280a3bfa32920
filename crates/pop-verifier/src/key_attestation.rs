//! Verification of OpenID4VCI key attestations (`key-attestation+jwt`, OpenID4VCI 1.0 App. D)
//! and their two carriers: the `key_attestation` header of a `jwt` key proof (App. F.1) and the
//! `attestation` proof type (App. F.3).

use std::sync::Arc;

use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use jose_core::{
    Algorithm, DEFAULT_HOLDER_CLOCK_SKEW_SECONDS, Limits, PublicJwk, UnixTime, base64url, claims,
};
use serde_json::{Map, Value};

use crate::common::{
    NonceCheck, NonceMode, check_expected, check_header, check_signature, claim_error, nonce_error,
    parse,
};
use crate::error::{Error, ReplayError};
use crate::key_proof::AcceptedKeyProof;
use crate::nonce::{NoncePurpose, spent_nonce_key};
use crate::replay::{ReplayGuard, record_entries, replay_key};

/// The `typ` of a key attestation JWT (OpenID4VCI 1.0 App. D.1).
pub const KEY_ATTESTATION_TYP: &str = "key-attestation+jwt";

/// Default maximum number of `attested_keys`: 64 (a batch of keys for one issuance; the
/// credential endpoint bounds it further by `batch_size`).
pub const DEFAULT_MAX_ATTESTED_KEYS: usize = 64;

/// Default maximum length in bytes of a key attestation JWT: 32 KiB (an `x5c` chain of a few
/// certificates plus up to [`DEFAULT_MAX_ATTESTED_KEYS`] keys). A `jwt` key proof that carries
/// one in its `key_attestation` header needs a token limit this large as well.
pub const DEFAULT_MAX_KEY_ATTESTATION_LEN: usize = 32 * 1024;

/// Default maximum number of values in `key_storage` and in `user_authentication`: 16.
pub const DEFAULT_MAX_ATTESTATION_VALUES: usize = 16;

/// Default maximum length in bytes of one `key_storage` or `user_authentication` value: 256.
pub const DEFAULT_MAX_ATTESTATION_VALUE_LEN: usize = 256;

/// Why a [`KeyAttestationVerifier`] could not be built. Each variant names the configuration
/// path at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyAttestationConfigError {
    /// The algorithm allow-list is empty.
    #[error("{path}: at least one algorithm is required")]
    NoAlgorithms {
        /// The configuration path.
        path: &'static str,
    },
    /// No wallet-provider trust is configured: a key attestation could be verified by no key.
    #[error("{path}: the wallet-provider roots (an x5c chain validator) are required")]
    NoTrust {
        /// The configuration path.
        path: &'static str,
    },
    /// A limit is zero.
    #[error("{path}: must be at least 1")]
    ZeroLimit {
        /// The configuration path.
        path: &'static str,
    },
}

/// Builds a [`KeyAttestationVerifier`]; [`KeyAttestationVerifierBuilder::build`] validates it.
#[derive(Clone)]
#[must_use]
pub struct KeyAttestationVerifierBuilder {
    algorithms: Vec<Algorithm>,
    x5c_keys: Option<Arc<dyn KeyLookup>>,
    skew: u64,
    limits: Limits,
    max_attested_keys: usize,
    max_values: usize,
    max_value_len: usize,
}

impl core::fmt::Debug for KeyAttestationVerifierBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyAttestationVerifierBuilder")
            .field("algorithms", &self.algorithms)
            .field("x5c_keys", &self.x5c_keys.is_some())
            .field("skew", &self.skew)
            .field("max_attested_keys", &self.max_attested_keys)
            .finish_non_exhaustive()
    }
}

impl KeyAttestationVerifierBuilder {
    /// The algorithms a key attestation may be signed with (`keyAttestation.algorithms`).
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        algorithms.clone_into(&mut self.algorithms);
        self
    }

    /// The wallet providers' trust (`keyAttestation.trustedRoots`): a key lookup that validates
    /// the `x5c` chain (DER, leaf first) to the configured roots at the verification time and
    /// returns the leaf's key, such as `trust_x509::AnchorLookup` with
    /// `trust_x509::Policy::attester()` (which refuses a self-issued leaf and, without direct
    /// trust, a chain that is only an anchor). Do not enable direct trust here: HAIP wants the
    /// wallet provider's `x5c` signer certified by a root, never the root or a pinned
    /// self-signed certificate.
    pub fn wallet_provider_roots(mut self, x5c_keys: Arc<dyn KeyLookup>) -> Self {
        self.x5c_keys = Some(x5c_keys);
        self
    }

    /// The tolerated clock skew in seconds for `iat` and `exp` (default
    /// [`DEFAULT_HOLDER_CLOCK_SKEW_SECONDS`]).
    pub const fn clock_skew_seconds(mut self, secs: u64) -> Self {
        self.skew = secs;
        self
    }

    /// The token limits (length, JSON depth); default: jose-core's with a maximum length of
    /// [`DEFAULT_MAX_KEY_ATTESTATION_LEN`].
    pub const fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The maximum number of `attested_keys` (default [`DEFAULT_MAX_ATTESTED_KEYS`]).
    pub const fn max_attested_keys(mut self, max: usize) -> Self {
        self.max_attested_keys = max;
        self
    }

    /// Validates the configuration.
    ///
    /// # Errors
    /// [`KeyAttestationConfigError::NoAlgorithms`] (`keyAttestation.algorithms`),
    /// [`KeyAttestationConfigError::NoTrust`] (`keyAttestation.trustedRoots`),
    /// [`KeyAttestationConfigError::ZeroLimit`] (`keyAttestation.maxAttestedKeys`).
    pub fn build(self) -> Result<KeyAttestationVerifier, KeyAttestationConfigError> {
        if self.algorithms.is_empty() {
            return Err(KeyAttestationConfigError::NoAlgorithms {
                path: "keyAttestation.algorithms",
            });
        }
        let x5c_keys = self.x5c_keys.ok_or(KeyAttestationConfigError::NoTrust {
            path: "keyAttestation.trustedRoots",
        })?;
        if self.max_attested_keys == 0 {
            return Err(KeyAttestationConfigError::ZeroLimit {
                path: "keyAttestation.maxAttestedKeys",
            });
        }
        Ok(KeyAttestationVerifier {
            algorithms: self.algorithms,
            x5c_keys,
            skew: self.skew,
            limits: self.limits,
            max_attested_keys: self.max_attested_keys,
            max_values: self.max_values,
            max_value_len: self.max_value_len,
        })
    }
}

/// What a verification expects of the attestation's `nonce`.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum AttestationNonce<'a> {
    /// The `nonce` must be present and pass the check: the `attestation` proof type at an
    /// issuer with a Nonce Endpoint (OpenID4VCI 1.0 App. F.3).
    Required(NonceCheck<'a>),
    /// A carried `nonce` must pass the check; an attestation without one is accepted. Below
    /// OpenID4VCI 1.0 App. F.1, which requires a c_nonce in a `jwt` proof's
    /// `key_attestation` header when the issuer provides one: for an issuer that chooses to
    /// accept attestations fetched before its nonce (the proof's own `nonce` is still checked).
    IfPresent(NonceCheck<'a>),
    /// Nothing is checked (an issuer without a Nonce Endpoint); a carried value is reported.
    Unchecked,
}

/// Whether a key attestation must carry `exp` (OpenID4VCI 1.0 App. D.1).
#[derive(Clone, Copy)]
enum ExpRule {
    /// With a `jwt` proof (the `key_attestation` header).
    Required,
    /// As the `attestation` proof type.
    Optional,
}

/// Verifies key attestations: built once, shared by every request (`Send + Sync`).
///
/// ```
/// use std::sync::Arc;
/// use jose_core::Algorithm;
/// use jose_core::keys::StaticKeys;
/// use pop_verifier::KeyAttestationVerifier;
/// // In production: trust_x509::AnchorLookup over the wallet providers' roots.
/// let roots = Arc::new(StaticKeys::new(vec![]));
/// let verifier = KeyAttestationVerifier::builder()
///     .algorithms(&[Algorithm::Es256])
///     .wallet_provider_roots(roots)
///     .build()?;
/// # let _ = verifier;
/// # Ok::<(), pop_verifier::KeyAttestationConfigError>(())
/// ```
#[derive(Clone)]
pub struct KeyAttestationVerifier {
    algorithms: Vec<Algorithm>,
    x5c_keys: Arc<dyn KeyLookup>,
    skew: u64,
    limits: Limits,
    max_attested_keys: usize,
    max_values: usize,
    max_value_len: usize,
}

impl core::fmt::Debug for KeyAttestationVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyAttestationVerifier")
            .field("algorithms", &self.algorithms)
            .field("skew", &self.skew)
            .field("max_attested_keys", &self.max_attested_keys)
            .finish_non_exhaustive()
    }
}

/// A key attestation whose signature, chain and claims were verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedKeyAttestation {
    attested_keys: Vec<PublicJwk>,
    key_storage: Vec<String>,
    user_authentication: Vec<String>,
    iat: UnixTime,
    exp: Option<UnixTime>,
    nonce: Option<String>,
    /// When the `nonce`, a stateless one that passed, is too old to be accepted.
    nonce_end: Option<UnixTime>,
    certification: Option<String>,
    status: Option<Value>,
    replay_key: String,
}

impl VerifiedKeyAttestation {
    /// The attested public keys (non-empty), in order.
    #[must_use]
    pub fn attested_keys(&self) -> &[PublicJwk] {
        &self.attested_keys
    }

    /// The `key_storage` values (empty when absent).
    #[must_use]
    pub fn key_storage(&self) -> &[String] {
        &self.key_storage
    }

    /// The `user_authentication` values (empty when absent).
    #[must_use]
    pub fn user_authentication(&self) -> &[String] {
        &self.user_authentication
    }

    /// The `iat`.
    #[must_use]
    pub const fn iat(&self) -> UnixTime {
        self.iat
    }

    /// The `exp`: always there for [`KeyAttestationVerifier::verify`], possibly absent for
    /// [`KeyAttestationVerifier::verify_attestation_proof`].
    #[must_use]
    pub const fn exp(&self) -> Option<UnixTime> {
        self.exp
    }

    /// The `nonce`, if carried.
    #[must_use]
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// What spends the attestation's `nonce`, when it is a stateless c_nonce that passed the
    /// check: its [`spent_nonce_key`](crate::spent_nonce_key) and the first second at which
    /// the nonce is refused as too old (until then the key must be kept). Record it with the
    /// proof the attestation came with ([`Unrecorded::spending`](crate::Unrecorded::spending)),
    /// or with [`Self::replay_key`] for the `attestation` proof type, so that its nonce, like a
    /// key proof's, serves one request.
    #[must_use]
    pub fn spent_nonce(&self) -> Option<(String, UnixTime)> {
        let nonce = self.nonce.as_deref()?;
        let end = self.nonce_end?;
        Some((spent_nonce_key(NoncePurpose::CNonce, nonce), end))
    }

    /// The `certification` URL, if carried.
    #[must_use]
    pub fn certification(&self) -> Option<&str> {
        self.certification.as_deref()
    }

    /// The `status` claim (a Token Status List reference object), unchecked: the caller checks
    /// it through its status-list client.
    #[must_use]
    pub const fn status(&self) -> Option<&Value> {
        self.status.as_ref()
    }

    /// A replay-guard key naming this attestation (the SHA-256 of its signing input), for the
    /// `attestation` proof type (OpenID4VCI 1.0 App. F.3), where the attestation is the whole
    /// proof and should be accepted once. Not for the `key_attestation` header, whose one
    /// attestation legitimately accompanies every proof of a batch.
    #[must_use]
    pub fn replay_key(&self) -> &str {
        &self.replay_key
    }

    /// Records the attestation as the whole proof (the `attestation` proof type, OpenID4VCI
    /// 1.0 App. F.3): its [`Self::replay_key`] and the nonce it spends ([`Self::spent_nonce`]),
    /// in one write, until the nonce is too old to be accepted. A replay of either is
    /// [`ReplayError::NonceSpent`]: the attestation's key covers its nonce.
    ///
    /// # Errors
    /// The guard's ([`Unrecorded::record`](crate::Unrecorded::record)); and
    /// [`ReplayError::Unavailable`] for an attestation without a checked stateless nonce,
    /// which says nothing about how long to remember it (verify it with
    /// [`AttestationNonce::Required`] and [`NonceCheck::Stateless`]).
    pub fn record_as_proof(
        &self,
        guard: &dyn ReplayGuard,
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        let Some((nonce_key, until)) = self.spent_nonce() else {
            return Err(ReplayError::Unavailable {
                reason: "the attestation proof carries no checked stateless c_nonce".to_owned(),
            });
        };
        let keys = [
            (self.replay_key.as_str(), until),
            (nonce_key.as_str(), until),
        ];
        record_entries(guard, &keys, true, now)
    }

    /// Whether `key` (compared by RFC 7638 thumbprint) is one of the attested keys.
    #[must_use]
    pub fn attests(&self, key: &PublicJwk) -> bool {
        let thumbprint = key.thumbprint();
        self.attested_keys
            .iter()
            .any(|k| k.thumbprint() == thumbprint)
    }

    /// Checks the attestation against a credential configuration's `key_attestations_required`
    /// (OpenID4VCI 1.0 §12.2.4): for each non-empty list of accepted values, the attestation
    /// must carry at least one of them.
    ///
    /// # Errors
    /// [`Error::KeyStorageNotAccepted`], [`Error::UserAuthenticationNotAccepted`].
    pub fn check_requirement(&self, required: &KeyAttestationRequirement) -> Result<(), Error> {
        if !accepted(&required.key_storage, &self.key_storage) {
            return Err(Error::KeyStorageNotAccepted);
        }
        if !accepted(&required.user_authentication, &self.user_authentication) {
            return Err(Error::UserAuthenticationNotAccepted);
        }
        Ok(())
    }

    /// Checks that a verified `jwt` key proof was signed by one of the attested keys
    /// (OpenID4VCI 1.0 App. F.1 `key_attestation`), comparing RFC 7638 thumbprints.
    ///
    /// # Errors
    /// [`Error::KeyNotAttested`].
    pub fn check_proof_key(&self, proof: &AcceptedKeyProof) -> Result<(), Error> {
        if self.attests(proof.holder_key()) {
            Ok(())
        } else {
            Err(Error::KeyNotAttested)
        }
    }
}

/// Whether `present` holds one of `accepted`; an empty `accepted` list is no constraint.
fn accepted(accepted: &[String], present: &[String]) -> bool {
    accepted.is_empty() || present.iter().any(|v| accepted.contains(v))
}

/// A credential configuration's `key_attestations_required` (OpenID4VCI 1.0 §12.2.4): the
/// accepted `key_storage` and `user_authentication` values (each empty = no constraint).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyAttestationRequirement {
    /// Accepted `key_storage` values (App. D.2); empty = any.
    pub key_storage: Vec<String>,
    /// Accepted `user_authentication` values (App. D.2); empty = any.
    pub user_authentication: Vec<String>,
}

impl KeyAttestationRequirement {
    /// A requirement with these accepted values.
    #[must_use]
    pub const fn new(key_storage: Vec<String>, user_authentication: Vec<String>) -> Self {
        Self {
            key_storage,
            user_authentication,
        }
    }
}

impl KeyAttestationVerifier {
    /// A builder with no algorithm and no trust (both required), skew
    /// [`DEFAULT_HOLDER_CLOCK_SKEW_SECONDS`] and default limits.
    pub fn builder() -> KeyAttestationVerifierBuilder {
        KeyAttestationVerifierBuilder {
            algorithms: Vec::new(),
            x5c_keys: None,
            skew: DEFAULT_HOLDER_CLOCK_SKEW_SECONDS,
            limits: Limits::default().with_max_token_len(DEFAULT_MAX_KEY_ATTESTATION_LEN),
            max_attested_keys: DEFAULT_MAX_ATTESTED_KEYS,
            max_values: DEFAULT_MAX_ATTESTATION_VALUES,
            max_value_len: DEFAULT_MAX_ATTESTATION_VALUE_LEN,
        }
    }

    /// Verifies a key attestation JWT at `now`.
    ///
    /// Checks (OpenID4VCI 1.0 App. D.1, HAIP): strict parse; `typ` `key-attestation+jwt`;
    /// `alg` allowed; `crit`; the key from `x5c` only (validated by the wallet-provider roots;
    /// a `kid` beside it is allowed and not used, `jwk` and `trust_chain` are refused);
    /// signature; `iat` required and not after `now + skew`; `exp` required (OpenID4VCI 1.0
    /// App. D.1: with `jwt` proofs, where this is used as the `key_attestation` header) and
    /// not before `now - skew`; `attested_keys` a non-empty
    /// array (at most the configured maximum) of public JWKs (a private member is refused);
    /// `key_storage` and `user_authentication` arrays of strings (bounded); `certification` a
    /// string; `nonce` per `nonce`; `status` an object.
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::WrongType`], [`Error::AlgorithmNotAllowed`],
    /// [`Error::Header`], [`Error::KeySourceCount`], [`Error::KeyResolution`] (an untrusted,
    /// self-signed or anchor-only chain), [`Error::KeyLookupUnavailable`],
    /// [`Error::KeyAlgorithmMismatch`], [`Error::SignatureInvalid`], [`Error::MissingClaim`],
    /// [`Error::InvalidClaim`], [`Error::IatInFuture`], [`Error::Expired`],
    /// [`Error::AttestedKeysEmpty`], [`Error::AttestedKeysTooMany`],
    /// [`Error::AttestedKeyInvalid`], [`Error::AttestationValuesTooMany`],
    /// [`Error::NonceMissing`], [`Error::NonceMismatch`], [`Error::NonceInvalid`].
    pub fn verify(
        &self,
        token: &str,
        now: UnixTime,
        nonce: AttestationNonce<'_>,
    ) -> Result<VerifiedKeyAttestation, Error> {
        self.verify_with(token, now, nonce, ExpRule::Required)
    }

    /// [`Self::verify`] for the `attestation` proof type (OpenID4VCI 1.0 App. F.3), where the
    /// attestation is the whole proof: App. D.1 makes `exp` REQUIRED only with `jwt` proofs, so
    /// here it may be absent (freshness then comes from the `nonce`, which an issuer with a
    /// Nonce Endpoint requires); a carried `exp` is still enforced.
    ///
    /// # Errors
    /// As [`Self::verify`], without [`Error::MissingClaim`] for `exp`.
    pub fn verify_attestation_proof(
        &self,
        token: &str,
        now: UnixTime,
        nonce: AttestationNonce<'_>,
    ) -> Result<VerifiedKeyAttestation, Error> {
        self.verify_with(token, now, nonce, ExpRule::Optional)
    }

    fn verify_with(
        &self,
        token: &str,
        now: UnixTime,
        nonce: AttestationNonce<'_>,
        exp_rule: ExpRule,
    ) -> Result<VerifiedKeyAttestation, Error> {
        let jws = parse(token, &self.limits)?;
        check_header(&jws, KEY_ATTESTATION_TYP, &self.algorithms)?;
        let header = jws.header();
        // The key comes from `x5c` alone. A `kid` beside it is only a name for that key (App.
        // D.1 lists `x5c`, `kid` and `trust_chain` as ways to find the key, and attesters set
        // a `kid` out of habit), so it is allowed there; a `jwk` (an attester vouching for
        // itself) or a `trust_chain` (not supported) is refused.
        let others = usize::from(header.jwk().is_some())
            + usize::from(header.member("trust_chain").is_some());
        let Some(chain) = header.x5c().filter(|_| others == 0) else {
            return Err(Error::KeySourceCount {
                found: others
                    + usize::from(header.x5c().is_some())
                    + usize::from(header.kid().is_some()),
            });
        };
        // The lookup is asked with the chain alone: a `kid` beside it selects nothing.
        let keys = self
            .x5c_keys
            .keys(&KeyQuery::new().with_x5c(chain), now)
            .map_err(|e| match e {
                KeyLookupError::Unavailable { reason } => Error::KeyLookupUnavailable { reason },
                other => Error::KeyResolution {
                    reason: other.reason().to_owned(),
                },
            })?;
        let key = keys.first().ok_or_else(|| Error::KeyResolution {
            reason: "the key lookup returned no key".to_owned(),
        })?;
        check_signature(&jws, key)?;
        let claims = jws.claims();
        let iat = claims::required_time(claims, "iat").map_err(claim_error)?;
        let latest = now.saturating_add(self.skew);
        if iat > latest {
            return Err(Error::IatInFuture {
                iat: iat.secs(),
                latest: latest.secs(),
            });
        }
        let exp = match exp_rule {
            ExpRule::Required => Some(claims::required_time(claims, "exp").map_err(claim_error)?),
            ExpRule::Optional => claims::optional_time(claims, "exp").map_err(claim_error)?,
        };
        if let Some(exp) = exp
            && exp < now.saturating_sub(self.skew)
        {
            return Err(Error::Expired { exp: exp.secs() });
        }
        let attested_keys = self.attested_keys(claims)?;
        let key_storage = self.values(claims, "key_storage")?;
        let user_authentication = self.values(claims, "user_authentication")?;
        let certification = claims::optional_str(claims, "certification")
            .map_err(claim_error)?
            .map(str::to_owned);
        let status = match claims.get("status") {
            None => None,
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(_) => return Err(Error::InvalidClaim { name: "status" }),
        };
        let carried = claims::optional_str(claims, "nonce").map_err(claim_error)?;
        let (check, mode) = match nonce {
            AttestationNonce::Required(c) => (c, NonceMode::Required),
            AttestationNonce::IfPresent(c) => (c, NonceMode::DangerOptional),
            AttestationNonce::Unchecked => (NonceCheck::NoneIssued, NonceMode::DangerSkipped),
        };
        let nonce_end =
            check_expected(check, mode, carried, NoncePurpose::CNonce, now).map_err(nonce_error)?;
        let digest = ring::digest::digest(&ring::digest::SHA256, jws.signing_input());
        let replay_key = replay_key(
            "key-attestation",
            "sha256",
            &base64url::encode(digest.as_ref()),
        );
        Ok(VerifiedKeyAttestation {
            attested_keys,
            key_storage,
            user_authentication,
            iat,
            exp,
            nonce: carried.map(str::to_owned),
            nonce_end,
            certification,
            status,
            replay_key,
        })
    }

    /// `attested_keys`: a non-empty, bounded array of public JWKs.
    fn attested_keys(&self, claims: &Map<String, Value>) -> Result<Vec<PublicJwk>, Error> {
        let array = match claims.get("attested_keys") {
            None => {
                return Err(Error::MissingClaim {
                    name: "attested_keys",
                });
            }
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(Error::InvalidClaim {
                    name: "attested_keys",
                });
            }
        };
        if array.is_empty() {
            return Err(Error::AttestedKeysEmpty);
        }
        if array.len() > self.max_attested_keys {
            return Err(Error::AttestedKeysTooMany {
                count: array.len(),
                max: self.max_attested_keys,
            });
        }
        array
            .iter()
            .enumerate()
            .map(|(index, v)| {
                PublicJwk::from_value(v)
                    .map_err(|source| Error::AttestedKeyInvalid { index, source })
            })
            .collect()
    }

    /// An optional, bounded array of bounded strings (empty when absent).
    fn values(
        &self,
        claims: &Map<String, Value>,
        name: &'static str,
    ) -> Result<Vec<String>, Error> {
        let array = match claims.get(name) {
            None => return Ok(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(Error::InvalidClaim { name }),
        };
        if array.len() > self.max_values {
            return Err(Error::AttestationValuesTooMany {
                name,
                count: array.len(),
                max: self.max_values,
            });
        }
        array
            .iter()
            .map(|v| match v {
                Value::String(s) if s.len() <= self.max_value_len => Ok(s.clone()),
                _ => Err(Error::InvalidClaim { name }),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
