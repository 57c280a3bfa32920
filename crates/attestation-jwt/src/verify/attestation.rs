//! ABCA -10 §7.1 steps 3-8: the Client Attestation JWT.

use jose_core::keys::{KeyLookupError, KeyQuery};
use jose_core::{ClaimError, CompactJws, HeaderPolicy, PublicJwk, UnixTime, claims};
use serde_json::{Map, Value};

use super::proof::Proof;
use super::{Attester, ClientAttestationVerifier};
use crate::config::MethodKind;
use crate::error::{Error, attestation_parse_error};
use crate::issue::ATTESTATION_TYP;
use crate::request::ATTESTATION_HEADER;
use crate::verdict::{AssuranceLevel, AuthMethod, DraftShape, PopMode, Verdict, Warning};

/// An attestation that passed steps 3-8.
#[derive(Debug)]
pub(crate) struct CheckedAttestation {
    pub(crate) sub: String,
    pub(crate) cnf: PublicJwk,
    pub(crate) has_iss: bool,
    pub(crate) exp: UnixTime,
    pub(crate) claims: Map<String, Value>,
    pub(crate) warnings: Vec<Warning>,
}

impl CheckedAttestation {
    pub(crate) fn into_verdict(self, kind: MethodKind, mode: PopMode, proof: &Proof) -> Verdict {
        let draft = if self.has_iss || proof.has_iss {
            DraftShape::Draft07
        } else {
            DraftShape::Draft10
        };
        let mut warnings = self.warnings;
        if mode == PopMode::LegacyBody {
            warnings.push(Warning::LegacyBodyForm);
        }
        let thumbprint = self.cnf.thumbprint_base64url();
        Verdict {
            client_id: Some(self.sub),
            assurance: AssuranceLevel::Attested,
            method: AuthMethod::Attestation {
                verification: kind,
                mode,
                draft,
            },
            instance_key: Some(self.cnf),
            instance_key_thumbprint: Some(thumbprint),
            attestation_claims: Some(self.claims),
            attestation_expires_at: Some(self.exp),
            lenient: None,
            warnings,
        }
    }
}

/// Steps 3-8 in order.
pub(crate) fn check(
    verifier: &ClientAttestationVerifier,
    token: &str,
    client_id: Option<&str>,
    now: UnixTime,
) -> Result<CheckedAttestation, Error> {
    let max = verifier.limits.max_header_len();
    if token.len() > max {
        return Err(Error::HeaderTooLong {
            header: ATTESTATION_HEADER,
            len: token.len(),
            max,
        });
    }
    let skew = verifier.config.clock_skew_seconds;
    let jws = CompactJws::parse(token, verifier.limits.jose()).map_err(attestation_parse_error)?;
    let header = jws.header();

    // Step 3: typ and the required claims; nbf enforced when present.
    if !header.typ_matches(ATTESTATION_TYP) {
        return Err(Error::AttestationType {
            found: header.typ().map(jose_core::short_text),
        });
    }
    let claims = jws.claims();
    let sub = claims::required_str(claims, "sub").map_err(Error::AttestationClaim)?;
    if sub.is_empty() {
        return Err(Error::AttestationClaim(ClaimError::Invalid { name: "sub" }));
    }
    let exp = claims::required_time(claims, "exp").map_err(Error::AttestationClaim)?;
    let cnf_jwk = confirmation_jwk(claims)?;
    let iat = claims::optional_time(claims, "iat").map_err(Error::AttestationClaim)?;
    let has_iss = claims::optional_str(claims, "iss")
        .map_err(Error::AttestationClaim)?
        .is_some();
    if let Some(nbf) = claims::optional_time(claims, "nbf").map_err(Error::AttestationClaim)?
        && nbf > now.saturating_add(skew)
    {
        return Err(Error::AttestationNotYetValid {
            nbf: nbf.secs(),
            now: now.secs(),
        });
    }

    // Step 4: alg allowed (none/MAC/unknown were refused while parsing); crit understood.
    HeaderPolicy::new(&verifier.attestation_algs)
        .check(header)
        .map_err(|e| match e {
            jose_core::Error::AlgorithmNotAllowed { .. } => Error::AttestationAlgorithm(e),
            other => Error::AttestationCritical(other),
        })?;

    // Step 5: the signature, with a trusted attester key (the first candidate that verifies;
    // else the fault of an unreachable `kms-key` reference, if any, else the first candidate's
    // error).
    let (candidates, unavailable) = attester_keys(verifier, &jws, now)?;
    let mut first_error = None;
    let mut verified = false;
    for attester_key in &candidates {
        match attester_key
            .check_algorithm(header.alg())
            .and_then(|()| jws.verify_signature(attester_key.key()))
        {
            Ok(()) => {
                verified = true;
                break;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if !verified {
        if let Some(fault) = unavailable {
            return Err(fault);
        }
        return Err(Error::AttestationSignature(
            first_error.unwrap_or(jose_core::Error::SignatureInvalid),
        ));
    }

    // Step 6: cnf.jwk is a public key.
    let cnf = PublicJwk::from_map(cnf_jwk).map_err(Error::ConfirmationKey)?;

    // Step 7: freshness.
    let mut warnings = Vec::new();
    if now > exp.saturating_add(skew) {
        return Err(Error::AttestationExpired {
            exp: exp.secs(),
            now: now.secs(),
        });
    }
    if now > exp {
        warnings.push(Warning::ExpiredWithinSkew { exp: exp.secs() });
    }
    match iat {
        Some(iat) if iat > now.saturating_add(skew) => {
            return Err(Error::AttestationIssuedInFuture {
                iat: iat.secs(),
                now: now.secs(),
            });
        }
        Some(_) => {}
        None if verifier.missing_iat_tolerated => warnings.push(Warning::AttestationWithoutIat),
        None => return Err(Error::AttestationClaim(ClaimError::Missing { name: "iat" })),
    }

    // Step 8: the request's client_id is the attestation's sub.
    if client_id.is_some_and(|id| id != sub) {
        return Err(Error::ClientIdMismatch);
    }

    let sub = sub.to_owned();
    Ok(CheckedAttestation {
        sub,
        cnf,
        has_iss,
        exp,
        claims: jws.into_claims(),
        warnings,
    })
}

/// `cnf.jwk` as an object (step 3: present; its content is checked in step 6).
fn confirmation_jwk(claims: &Map<String, Value>) -> Result<&Map<String, Value>, Error> {
    let cnf = match claims.get("cnf") {
        Some(Value::Object(cnf)) => cnf,
        Some(_) => return Err(Error::AttestationClaim(ClaimError::Invalid { name: "cnf" })),
        None => return Err(Error::AttestationClaim(ClaimError::Missing { name: "cnf" })),
    };
    match cnf.get("jwk") {
        Some(Value::Object(jwk)) => Ok(jwk),
        Some(_) => Err(Error::AttestationClaim(ClaimError::Invalid {
            name: "cnf.jwk",
        })),
        None => Err(Error::AttestationClaim(ClaimError::Missing {
            name: "cnf.jwk",
        })),
    }
}

/// The trusted attester keys of the configured method to try, in order (never empty), and the
/// server fault of a `kms-key` reference that could not be looked up while others could (to
/// report if no key verifies: the attestation may be signed by the unreachable key).
///
/// With several configured keys (a key transition), an attestation whose `kid` names one of
/// them is tried against that key only; otherwise against each. For `kms-key`, each reference
/// is looked up in order; a reference whose lookup fails is skipped while another yields keys;
/// when none does, the first "unavailable" failure (a server fault: the attestation may have
/// been signed by the unreachable key) is reported, else the first "untrusted" one, as with a
/// single reference.
fn attester_keys(
    verifier: &ClientAttestationVerifier,
    jws: &CompactJws<'_>,
    now: UnixTime,
) -> Result<(Vec<PublicJwk>, Option<Error>), Error> {
    match &verifier.attester {
        Attester::Static(jwks) => Ok((select_by_kid(jwks.clone(), jws.header().kid()), None)),
        Attester::Kms {
            key_references,
            lookup,
        } => {
            let mut keys = Vec::new();
            let mut untrusted = None;
            let mut unavailable = None;
            for key_reference in key_references {
                let query = KeyQuery::from_header(jws.header()).with_key_reference(key_reference);
                match lookup.keys(&query, now) {
                    Ok(found) if found.is_empty() => {
                        untrusted.get_or_insert(Error::AttesterKeyUntrusted {
                            reason: "the key lookup returned no key".to_owned(),
                        });
                    }
                    Ok(found) => keys.extend(found),
                    Err(KeyLookupError::Unavailable { reason }) => {
                        unavailable.get_or_insert(Error::KeyResolution { reason });
                    }
                    Err(other) => {
                        untrusted.get_or_insert(Error::AttesterKeyUntrusted {
                            reason: other.reason().to_owned(),
                        });
                    }
                }
            }
            if keys.is_empty() {
                return Err(unavailable.or(untrusted).unwrap_or_else(|| {
                    Error::AttesterKeyUntrusted {
                        reason: "the key lookup returned no key".to_owned(),
                    }
                }));
            }
            Ok((select_by_kid(keys, jws.header().kid()), unavailable))
        }
        #[cfg(feature = "x509")]
        Attester::X509(trust) => trust.leaf_key(jws, now).map(|key| (vec![key], None)),
    }
}

/// The keys whose `kid` equals the attestation's `kid`, if any does; else all of them.
fn select_by_kid(keys: Vec<PublicJwk>, kid: Option<&str>) -> Vec<PublicJwk> {
    if let Some(kid) = kid
        && keys.iter().any(|key| key.kid() == Some(kid))
    {
        return keys
            .into_iter()
            .filter(|key| key.kid() == Some(kid))
            .collect();
    }
    keys
}
