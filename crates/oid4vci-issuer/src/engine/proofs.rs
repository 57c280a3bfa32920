//! The proofs of possession the engine verifies through pop-verifier: DPoP proofs and
//! OpenID4VCI key proofs, with their key attestations (OpenID4VCI 1.0 App. D). pop-verifier hands out a verified proof only through the engine's
//! replay guard, so every accepted proof is single-use.

use jose_core::keys::{KeyFn, KeyQuery};
use jose_core::{PublicJwk, UnixTime};
use oid4vci_types::{CredentialErrorCode, OAuthError, TokenErrorCode};
use pop_verifier::{
    AttestationNonce, DpopPolicy, KeyAttestationRequirement, KeyAttestationVerifier,
    KeyProofPolicy, NonceCheck, ProofClient, ReplayError, Unrecorded, VerifiedKeyAttestation,
};
use status_list::{Status, StatusListReference};

use super::IssuerEngine;

/// 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1): a part of the server (a replay guard, a
/// key source) cannot answer now; the detail goes to the log only.
fn unavailable(detail: String) -> OAuthError {
    OAuthError::new(
        503,
        "temporarily_unavailable",
        "the server cannot check proofs right now; retry later",
    )
    .with_internal_detail(detail)
}

/// A replay guard that cannot record is the server's fault: 503 `temporarily_unavailable`
/// (RFC 6749 §4.1.2.1), never a client error. A replay is the client's.
fn replay_failure(e: ReplayError, client_error: OAuthError) -> OAuthError {
    match e {
        ReplayError::Full { .. } | ReplayError::Unavailable { .. } => unavailable(e.to_string()),
        _ => client_error,
    }
}

/// Verifies a DPoP proof for a `POST` to `uri` and records its `jti`; the key thumbprint.
///
/// This issuer sends no `DPoP-Nonce` (RFC 9449 §8 makes server nonces optional): freshness
/// comes from `iat` and the single-use `jti`.
pub(super) fn dpop(
    engine: &IssuerEngine,
    proof: &str,
    uri: &str,
    access_token: Option<&str>,
    now: UnixTime,
) -> Result<pop_verifier::AcceptedDpopProof, OAuthError> {
    let invalid = |d: &str| OAuthError::from_code(TokenErrorCode::InvalidDpopProof, d);
    let mut policy = DpopPolicy::new(
        "POST",
        uri,
        &engine.settings.proof_algorithms,
        NonceCheck::NoneIssued,
    )
    .danger_skip_nonce_check();
    if let Some(token) = access_token {
        policy = policy.with_access_token(token);
    }
    let verified =
        pop_verifier::verify_dpop_proof(proof, &policy, now, &jose_core::Limits::default())
            .map_err(|e| invalid(&e.to_string()))?;
    verified
        .record(engine.replay.as_ref(), now)
        .map_err(|e| replay_failure(e.clone(), invalid(&format!("DPoP proof: {e}"))))
}

/// The key proof limits: jose-core's, with room for a `key_attestation` header when the
/// engine verifies key attestations.
fn key_proof_limits(engine: &IssuerEngine) -> jose_core::Limits {
    let limits = jose_core::Limits::default();
    if engine.key_attestation.is_some() {
        limits.with_max_token_len(
            pop_verifier::DEFAULT_MAX_KEY_ATTESTATION_LEN
                .saturating_mul(2)
                .saturating_add(limits.max_token_len()),
        )
    } else {
        limits
    }
}

/// Maps a pop-verifier error of a key proof or key attestation: a missing c_nonce is
/// `invalid_proof`; a wrong or stale one `invalid_nonce` (OpenID4VCI 1.0 §8.3.1.2); a key
/// source that cannot answer is the server's fault.
fn proof_error(what: &str, e: &pop_verifier::Error) -> OAuthError {
    use pop_verifier::Error as P;
    let code = match e {
        P::NonceMismatch | P::NonceInvalid { .. } => CredentialErrorCode::InvalidNonce,
        P::KeyLookupUnavailable { .. } => return unavailable(e.to_string()),
        _ => CredentialErrorCode::InvalidProof,
    };
    OAuthError::from_code(code, &format!("{what}: {e}"))
}

/// A key proof refused by the replay guard: its c_nonce was spent (by an earlier request, or
/// by this very proof sent before) is `invalid_nonce`, so the wallet fetches a fresh one
/// (OpenID4VCI 1.0 §8.3.1.2); the same proof twice in one request is `invalid_proof`.
fn spent_proof_error(what: &str, e: &ReplayError) -> OAuthError {
    let code = if matches!(e, ReplayError::NonceSpent) {
        CredentialErrorCode::InvalidNonce
    } else {
        CredentialErrorCode::InvalidProof
    };
    OAuthError::from_code(code, &format!("{what}: {e}"))
}

/// The engine's c_nonce check: a stateless nonce, which a key proof spends (pop-verifier's
/// default): one credential request per c_nonce.
const fn c_nonce(engine: &IssuerEngine) -> NonceCheck<'_> {
    NonceCheck::Stateless {
        nonces: &engine.nonces,
        max_age: engine.settings.nonce_max_age_seconds,
    }
}

/// Checks a verified key attestation's `status` through the engine's status client, if both
/// exist: an entry other than `VALID` is `invalid_proof`; a status that cannot be determined
/// is the server's fault (503).
fn check_attestation_status(
    engine: &IssuerEngine,
    what: &str,
    attestation: &VerifiedKeyAttestation,
    now: UnixTime,
) -> Result<(), OAuthError> {
    let (Some(status), Some(client)) = (attestation.status(), &engine.key_attestation_status)
    else {
        return Ok(());
    };
    let mut claims = serde_json::Map::new();
    claims.insert("status".to_owned(), status.clone());
    let reference = StatusListReference::from_claims(&claims).map_err(|e| {
        OAuthError::from_code(CredentialErrorCode::InvalidProof, &format!("{what}: {e}"))
    })?;
    let found = client
        .status(&reference, now)
        .map_err(|reason| unavailable(format!("key attestation status: {reason}")))?;
    if found == Status::VALID {
        Ok(())
    } else {
        Err(OAuthError::from_code(
            CredentialErrorCode::InvalidProof,
            &format!("{what}: its status list entry is {found}, not VALID"),
        ))
    }
}

/// Verifies the key proofs (`openid4vci-proof+jwt`) of one credential request against
/// c_nonces of this engine, with their key attestations, records them together; the holder
/// keys, in the proofs' order.
///
/// Every proof, and every key attestation it carries, is verified before any is recorded, and
/// the batch is recorded in one write
/// ([`Unrecorded::record_all`](pop_verifier::Unrecorded::record_all): all or none where the
/// guard can), which also spends the c_nonces of the proofs and of their key attestations: a
/// request refused for one proof's signature, nonce, claims or key attestation spends none of
/// its proofs or nonces, as ABCA asks of a refused request's PoP, and a batch with a replayed
/// proof or a spent nonce records none. Only a proof whose key its key attestation does not
/// attest is refused after recording.
///
/// A `key_attestation` header (OpenID4VCI 1.0 App. F.1) is verified when the engine has a key
/// attestation verifier: its `nonce` must be a valid c_nonce, the proof's key must be one of
/// its `attested_keys`, and it must meet `required`. When `required` is set, a proof without
/// the header is refused.
///
/// Such a proof may name its key by `kid` alone (App. F.1's example; the EUDI wallet libraries
/// send the attested key's index): the key is then one of the attestation's `attested_keys`,
/// the one at that index, or with that JWK `kid`, or any that verifies. A request of exactly
/// one proof with a key attestation gets one credential per attested key (App. F.1: SHOULD),
/// at most `batch_size`; with several proofs, one per proof.
pub(super) fn key_proofs(
    engine: &IssuerEngine,
    proofs: &[String],
    client_id: Option<&str>,
    required: Option<&KeyAttestationRequirement>,
    now: UnixTime,
) -> Result<Vec<PublicJwk>, OAuthError> {
    let client = client_id.map_or(ProofClient::Unknown, ProofClient::ClientId);
    let policy = KeyProofPolicy::new(
        &engine.settings.credential_issuer,
        &engine.settings.proof_algorithms,
        c_nonce(engine),
    )
    .with_client(client);
    let limits = key_proof_limits(engine);
    let mut verified = Vec::with_capacity(proofs.len());
    // The key attestation of each proof, if any: verified once, here.
    let mut attestations = Vec::with_capacity(proofs.len());
    for proof in proofs {
        let (unrecorded, attestation) =
            match pop_verifier::verify_key_proof(proof, &policy, now, &limits) {
                Ok(unrecorded) => {
                    let header = unrecorded.key_attestation();
                    let attestation = header_attestation(engine, header, required, now)?;
                    (unrecorded, attestation)
                }
                Err(first) => {
                    // Only a proof the plain policy refused is read for a `kid` inside a key
                    // attestation: proofs with a `jwk` (the usual case) are verified once.
                    let Some(attestation) = kid_in_key_attestation(engine, proof, &limits, now)?
                    else {
                        return Err(proof_error("proof", &first));
                    };
                    let keys = attestation.attested_keys().to_vec();
                    let lookup = KeyFn::new(move |query: &KeyQuery<'_>, _| {
                        Ok(attested_candidates(&keys, query.kid()))
                    });
                    let kid_policy = policy.with_kid_keys(&lookup);
                    let unrecorded =
                        pop_verifier::verify_key_proof(proof, &kid_policy, now, &limits)
                            .map_err(|e| proof_error("proof", &e))?;
                    check_attestation(engine, "key_attestation", &attestation, required, now)?;
                    (unrecorded, Some(attestation))
                }
            };
        let spends = attestation
            .as_ref()
            .and_then(VerifiedKeyAttestation::spent_nonce);
        verified.push(match spends {
            Some(nonce) => unrecorded.spending(nonce),
            None => unrecorded,
        });
        attestations.push(attestation);
    }
    let accepted = Unrecorded::record_all(verified, engine.replay.as_ref(), now)
        .map_err(|e| replay_failure(e.clone(), spent_proof_error("proof", &e)))?;
    let single = accepted.len() == 1;
    let mut keys = Vec::with_capacity(accepted.len());
    for (proof, attestation) in accepted.into_iter().zip(attestations) {
        let Some(attestation) = attestation else {
            keys.push(proof.into_holder_key());
            continue;
        };
        attestation
            .check_proof_key(&proof)
            .map_err(|e| proof_error("key_attestation", &e))?;
        if single {
            keys.extend(distinct_attested_keys(
                engine,
                &attestation,
                Some(proof.holder_key()),
            )?);
        } else {
            keys.push(proof.into_holder_key());
        }
    }
    Ok(keys)
}

/// The key attestation of a `jwt` proof with a `jwk` or `x5c` key, verified and checked
/// against `required`, or its absence where that is allowed: a proof without one is refused
/// when `required` is set; one with one is verified when the engine has a verifier, and is a
/// server fault when a requirement cannot be checked for want of a verifier.
fn header_attestation(
    engine: &IssuerEngine,
    header: Option<&str>,
    required: Option<&KeyAttestationRequirement>,
    now: UnixTime,
) -> Result<Option<VerifiedKeyAttestation>, OAuthError> {
    match (header, &engine.key_attestation, required) {
        (Some(attestation), Some(verifier), _) => {
            let verified = verify_key_attestation(engine, verifier, attestation, now)?;
            check_attestation(engine, "key_attestation", &verified, required, now)?;
            Ok(Some(verified))
        }
        (None, _, Some(_)) => Err(OAuthError::from_code(
            CredentialErrorCode::InvalidProof,
            "the credential configuration requires a key attestation: the jwt proof has no key_attestation header",
        )),
        (Some(_), None, Some(_)) => Err(unavailable(
            "a profile requires key attestation but no verifier is configured".to_owned(),
        )),
        (Some(_) | None, None, None) | (None, Some(_), None) => Ok(None),
    }
}

/// The checks of a verified key attestation that need no proof: it meets `required`, and its
/// status list entry (when the engine checks statuses) is `VALID`.
fn check_attestation(
    engine: &IssuerEngine,
    what: &str,
    attestation: &VerifiedKeyAttestation,
    required: Option<&KeyAttestationRequirement>,
    now: UnixTime,
) -> Result<(), OAuthError> {
    if let Some(required) = required {
        attestation
            .check_requirement(required)
            .map_err(|e| proof_error(what, &e))?;
    }
    check_attestation_status(engine, what, attestation, now)
}

/// The verified key attestation of a proof that names its key by `kid` inside a
/// `key_attestation` header (no `jwk`, no `x5c`); `None` for any other proof (whose own errors
/// the proof verification reports).
fn kid_in_key_attestation(
    engine: &IssuerEngine,
    proof: &str,
    limits: &jose_core::Limits,
    now: UnixTime,
) -> Result<Option<VerifiedKeyAttestation>, OAuthError> {
    let Ok(jws) = jose_core::CompactJws::parse(proof, limits) else {
        return Ok(None);
    };
    let header = jws.header();
    let (Some(_), None, None, Some(serde_json::Value::String(attestation)), Some(verifier)) = (
        header.kid(),
        header.jwk(),
        header.x5c(),
        header.member("key_attestation"),
        &engine.key_attestation,
    ) else {
        return Ok(None);
    };
    verify_key_attestation(engine, verifier, attestation, now).map(Some)
}

/// The attested keys a proof's `kid` may name, in the order to try them: the key at that
/// index, else the keys whose JWK `kid` it is, else every key.
fn attested_candidates(keys: &[PublicJwk], kid: Option<&str>) -> Vec<PublicJwk> {
    let Some(kid) = kid else {
        return keys.to_vec();
    };
    if let Some(key) = kid.parse::<usize>().ok().and_then(|index| keys.get(index)) {
        return vec![key.clone()];
    }
    let named: Vec<PublicJwk> = keys
        .iter()
        .filter(|key| key.kid() == Some(kid))
        .cloned()
        .collect();
    if named.is_empty() {
        keys.to_vec()
    } else {
        named
    }
}

/// A `jwt` proof's `key_attestation` header verified. OpenID4VCI 1.0 App. F.1: this issuer
/// provides a c_nonce, so the attestation's `nonce` MUST be one; without it, an attestation
/// made long ago would pass for as long as it is valid.
fn verify_key_attestation(
    engine: &IssuerEngine,
    verifier: &KeyAttestationVerifier,
    attestation: &str,
    now: UnixTime,
) -> Result<VerifiedKeyAttestation, OAuthError> {
    verifier
        .verify(
            attestation,
            now,
            AttestationNonce::Required(c_nonce(engine)),
        )
        .map_err(|e| proof_error("key_attestation", &e))
}

/// An attestation's keys, one credential each, none twice. An attestation of more keys than
/// `batch_size` gets credentials for the first `batch_size` of them, always including
/// `proof_key` (the key of the `jwt` proof that carried it): `batch_size` bounds the
/// `proofs` array, which holds one proof here, and the issuer may issue fewer credentials
/// than keys (OpenID4VCI 1.0 §8.3); refusing a valid proof would not be `invalid_proof`.
fn distinct_attested_keys(
    engine: &IssuerEngine,
    attestation: &VerifiedKeyAttestation,
    proof_key: Option<&PublicJwk>,
) -> Result<Vec<PublicJwk>, OAuthError> {
    let keys = attestation.attested_keys();
    for (at, key) in keys.iter().enumerate() {
        if keys.iter().take(at).any(|k| k.same_key(key)) {
            return Err(OAuthError::from_code(
                CredentialErrorCode::InvalidProof,
                "the key attestation attests the same key twice: one credential per key",
            ));
        }
    }
    let mut chosen: Vec<PublicJwk> = keys
        .iter()
        .take(engine.settings.batch_size)
        .cloned()
        .collect();
    if let Some(proof_key) = proof_key
        && !chosen.iter().any(|k| k.same_key(proof_key))
        && let Some(last) = chosen.last_mut()
    {
        // The proof's key is attested (checked before), past the first `batch_size`.
        *last = proof_key.clone();
    }
    Ok(chosen)
}

/// Verifies the `attestation` proof type (OpenID4VCI 1.0 App. F.3): exactly one key
/// attestation whose `nonce` is a valid c_nonce, meeting `required`, attesting distinct
/// keys; it is accepted once. The attested keys, one credential each (the first
/// `batch_size`).
pub(super) fn attestation_proof(
    engine: &IssuerEngine,
    attestations: &[String],
    required: Option<&KeyAttestationRequirement>,
    now: UnixTime,
) -> Result<Vec<PublicJwk>, OAuthError> {
    let invalid = |d: &str| OAuthError::from_code(CredentialErrorCode::InvalidProof, d);
    let Some(verifier) = &engine.key_attestation else {
        return Err(invalid(
            "attestation proofs are not supported by this issuer",
        ));
    };
    let [attestation] = attestations else {
        return Err(invalid(
            "proofs.attestation must hold exactly one key attestation",
        ));
    };
    let verified = verifier
        .verify_attestation_proof(
            attestation,
            now,
            AttestationNonce::Required(c_nonce(engine)),
        )
        .map_err(|e| proof_error("key attestation", &e))?;
    check_attestation(engine, "key attestation", &verified, required, now)?;
    let distinct = distinct_attested_keys(engine, &verified, None)?;
    // The attestation is the whole proof: it is accepted once, and it spends its c_nonce as a
    // `jwt` proof does.
    verified
        .record_as_proof(engine.replay.as_ref(), now)
        .map_err(|e| replay_failure(e.clone(), spent_proof_error("key attestation", &e)))?;
    Ok(distinct)
}
