//! ABCA -10 §7.1 steps 9-16: the PoP JWT (or, in combined mode, the DPoP proof) and the
//! replay record.

use jose_core::UnixTime;
use pop_verifier::{AttestationPopPolicy, DpopPolicy, NoncePurpose, ReplayError, ReplayGuard};

use super::attestation::CheckedAttestation;
use super::{ChallengeCheck, ClientAttestationVerifier};
use crate::error::{Error, Token};
use crate::request::{ClientAuthRequest, DPOP_HEADER, POP_HEADER};

/// A proof that passed every check but the replay record.
#[derive(Debug)]
pub(crate) struct Proof {
    pub(crate) token: Token,
    pub(crate) replay_key: String,
    pub(crate) expires_at: UnixTime,
    pub(crate) has_iss: bool,
}

/// Steps 9-14 for a PoP JWT (the `jti` is recorded by [`record`] after everything passed).
pub(crate) fn check_pop(
    verifier: &ClientAttestationVerifier,
    pop: &str,
    attestation: &CheckedAttestation,
    challenge: ChallengeCheck<'_>,
    now: UnixTime,
) -> Result<Proof, Error> {
    let max = verifier.limits.max_header_len();
    if pop.len() > max {
        return Err(Error::HeaderTooLong {
            header: POP_HEADER,
            len: pop.len(),
            max,
        });
    }
    let config = &verifier.config;
    let required = config.challenge_required;
    let base = AttestationPopPolicy::new(&verifier.issuer, &verifier.pop_algs)
        .with_clock_skew(config.clock_skew_seconds)
        .with_replay_window(config.replay_window_seconds)
        .with_client_id(&attestation.sub);
    let policy = match challenge {
        ChallengeCheck::None => base.with_expected_challenge(None, required),
        ChallengeCheck::Expected(value) => base.with_expected_challenge(Some(value), required),
        ChallengeCheck::Stateless { nonces, max_age } => {
            base.with_stateless_challenges(nonces, max_age, required)
        }
        ChallengeCheck::Validator(validator) => base.with_challenge_validator(validator, required),
    };
    let verified = pop_verifier::verify_attestation_pop(
        pop,
        &attestation.cnf,
        &policy,
        now,
        verifier.limits.jose(),
    )
    .map_err(Error::Pop)?;
    Ok(Proof {
        token: Token::Pop,
        replay_key: verified.replay_key(&attestation.sub),
        expires_at: verified.replay_expires_at(),
        has_iss: verified.iss.is_some(),
    })
}

/// Step 16: combined mode (ABCA -10 §7.3): one `DPoP` header, RFC 9449 validation, its `jwk`
/// equal to `cnf.jwk`, and the challenge carried as the DPoP `nonce`.
///
/// Stateless challenges are issued for [`NoncePurpose::AttestationChallenge`], while
/// pop-verifier's stateless DPoP nonce check expects `DpopNonce`; a validator closure adapts
/// them (a challenge failure then reads as `NonceMismatch`).
pub(crate) fn check_dpop(
    verifier: &ClientAttestationVerifier,
    request: &ClientAuthRequest<'_>,
    attestation: &CheckedAttestation,
    challenge: ChallengeCheck<'_>,
    now: UnixTime,
) -> Result<Proof, Error> {
    let dpop = request.dpop.ok_or(Error::PopMissing)?;
    let max = verifier.limits.max_header_len();
    if dpop.len() > max {
        return Err(Error::HeaderTooLong {
            header: DPOP_HEADER,
            len: dpop.len(),
            max,
        });
    }
    let (Some(method), Some(uri)) = (request.http_method, request.http_uri) else {
        return Err(Error::DpopRequestTargetMissing);
    };
    let config = &verifier.config;
    let required = config.challenge_required;
    let base = DpopPolicy::new(method, uri, &verifier.pop_algs)
        .with_clock_skew(config.clock_skew_seconds)
        .with_max_age(config.replay_window_seconds);
    let stateless_check;
    let policy = match challenge {
        ChallengeCheck::None => base.with_expected_nonce(None, required),
        ChallengeCheck::Expected(value) => base.with_expected_nonce(Some(value), required),
        ChallengeCheck::Stateless { nonces, max_age } => {
            stateless_check = move |value: &str| {
                nonces
                    .verify(value, NoncePurpose::AttestationChallenge, now, max_age)
                    .is_ok()
            };
            base.with_nonce_validator(&stateless_check, required)
        }
        ChallengeCheck::Validator(validator) => base.with_nonce_validator(validator, required),
    };
    let verified = pop_verifier::verify_dpop_proof(dpop, &policy, now, verifier.limits.jose())
        .map_err(Error::Dpop)?;
    if !verified.jwk.same_key(&attestation.cnf) {
        return Err(Error::DpopKeyMismatch);
    }
    Ok(Proof {
        token: Token::Dpop,
        replay_key: verified.replay_key(),
        expires_at: verified.replay_expires_at(),
        has_iss: false,
    })
}

/// Step 15: records the proof's `jti`, refusing a replay.
pub(crate) fn record(replay: &dyn ReplayGuard, proof: &Proof, now: UnixTime) -> Result<(), Error> {
    replay
        .check_and_record(&proof.replay_key, proof.expires_at, now)
        .map_err(|e| match e {
            ReplayError::Replayed => Error::Replayed { token: proof.token },
            other => Error::ReplayGuard(other),
        })
}
