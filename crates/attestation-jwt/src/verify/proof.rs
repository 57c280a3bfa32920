//! ABCA -10 §7.1 steps 9-16: the PoP JWT (or, in combined mode, the DPoP proof) and the
//! replay record.

use jose_core::UnixTime;
use pop_verifier::{
    AcceptedAttestationPop, AcceptedDpopProof, AttestationPopPolicy, DpopPolicy, NonceCheck,
    NoncePurpose, ReplayError, ReplayGuard, Unrecorded,
};

use super::attestation::CheckedAttestation;
use super::{ChallengeCheck, ClientAttestationVerifier};
use crate::error::{Error, Token};
use crate::request::{ClientAuthRequest, DPOP_HEADER, POP_HEADER};

/// A proof that passed every check but the replay record.
#[derive(Debug)]
pub(crate) struct Proof {
    pub(crate) token: Token,
    pending: Pending,
    pub(crate) has_iss: bool,
}

/// The verified proof, accepted only through the replay guard ([`record`]).
#[derive(Debug)]
enum Pending {
    Pop(Unrecorded<AcceptedAttestationPop>),
    Dpop(Box<(Unrecorded<AcceptedDpopProof>, jose_core::PublicJwk)>),
    Recorded,
}

/// The challenge expectation and how strictly it applies (`challengeRequired`).
fn nonce_check<'c>(challenge: &ChallengeCheck<'c>) -> NonceCheck<'c> {
    match *challenge {
        ChallengeCheck::None => NonceCheck::NoneIssued,
        ChallengeCheck::Expected(value) => NonceCheck::Value(value),
        ChallengeCheck::Stateless { nonces, max_age } => NonceCheck::Stateless { nonces, max_age },
        ChallengeCheck::Validator(validator) => NonceCheck::Validator(validator),
    }
}

/// Runs `f` with the challenge as a DPoP proof's nonce check. A stateless challenge is
/// checked as a predicate: a DPoP `nonce` of another purpose (a DPoP nonce proper) is a
/// mismatch, as any value this server did not issue as a challenge.
fn dpop_challenge_check<R>(
    challenge: ChallengeCheck<'_>,
    now: UnixTime,
    f: impl FnOnce(NonceCheck<'_>) -> R,
) -> R {
    match challenge {
        ChallengeCheck::Stateless { nonces, max_age } => {
            let issued = move |value: &str| {
                nonces
                    .verify(value, NoncePurpose::AttestationChallenge, now, max_age)
                    .is_ok()
            };
            f(NonceCheck::Validator(&issued))
        }
        other => f(nonce_check(&other)),
    }
}

/// How strictly the challenge applies to a proof: `challengeRequired`, else checked when
/// carried, else (no challenge issued) not at all.
#[derive(Clone, Copy)]
enum Strictness {
    Required,
    WhenCarried,
    Skipped,
}

fn strictness(verifier: &ClientAttestationVerifier, challenge: &ChallengeCheck<'_>) -> Strictness {
    match (verifier.config.challenge_required, challenge) {
        (true, _) => Strictness::Required,
        (false, ChallengeCheck::None) => Strictness::Skipped,
        (false, _) => Strictness::WhenCarried,
    }
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
    let strict = AttestationPopPolicy::new(
        &verifier.issuer,
        &attestation.sub,
        &verifier.pop_algs,
        nonce_check(&challenge),
    )
    .with_clock_skew_seconds(config.clock_skew_seconds)
    .with_replay_window_seconds(config.replay_window_seconds);
    let policy = match strictness(verifier, &challenge) {
        Strictness::Required => strict,
        Strictness::Skipped => strict.danger_skip_challenge_check(),
        Strictness::WhenCarried => strict.danger_allow_missing_challenge(),
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
        pending: Pending::Pop(verified),
        has_iss: false,
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
    let verified = dpop_challenge_check(challenge, now, |check| {
        let strict = DpopPolicy::new(method, uri, &verifier.pop_algs, check)
            .with_clock_skew_seconds(config.clock_skew_seconds)
            .with_replay_window_seconds(config.replay_window_seconds);
        let policy = match strictness(verifier, &challenge) {
            Strictness::Required => strict,
            Strictness::Skipped => strict.danger_skip_nonce_check(),
            Strictness::WhenCarried => strict.danger_allow_missing_nonce(),
        };
        pop_verifier::verify_dpop_proof(dpop, &policy, now, verifier.limits.jose())
    })
    .map_err(Error::Dpop)?;
    Ok(Proof {
        token: Token::Dpop,
        pending: Pending::Dpop(Box::new((verified, attestation.cnf.clone()))),
        has_iss: false,
    })
}

/// Combined mode with a DPoP proof the caller verified and recorded itself
/// ([`ClientAuthRequest::with_accepted_dpop`]): its signature, `htm`, `htu`, `iat` and `jti`
/// were checked there; here its `nonce` is checked as the challenge (as [`check_dpop`] would)
/// and its key compared with `cnf.jwk`. Nothing is left to record.
pub(crate) fn check_accepted_dpop(
    verifier: &ClientAttestationVerifier,
    accepted: &AcceptedDpopProof,
    attestation: &CheckedAttestation,
    challenge: ChallengeCheck<'_>,
    now: UnixTime,
) -> Result<Proof, Error> {
    let carried = accepted.nonce();
    let checked = match (strictness(verifier, &challenge), carried) {
        (Strictness::Skipped, _) | (Strictness::WhenCarried, None) => Ok(()),
        _ => dpop_challenge_check(challenge, now, |check| {
            check.check(carried, NoncePurpose::AttestationChallenge, now)
        }),
    };
    checked.map_err(Error::Dpop)?;
    if !accepted.jwk().same_key(&attestation.cnf) {
        return Err(Error::DpopKeyMismatch);
    }
    Ok(Proof {
        token: Token::Dpop,
        pending: Pending::Recorded,
        has_iss: false,
    })
}

/// Step 15: records the proof's `jti`, refusing a replay; in combined mode, then compares the
/// DPoP key with `cnf.jwk` (the proof is accepted only once recorded).
pub(crate) fn record(
    replay: &dyn ReplayGuard,
    proof: &mut Proof,
    now: UnixTime,
) -> Result<(), Error> {
    let token = proof.token;
    let replayed = |e| match e {
        ReplayError::Replayed => Error::Replayed { token },
        other => Error::ReplayGuard(other),
    };
    match core::mem::replace(&mut proof.pending, Pending::Recorded) {
        Pending::Pop(verified) => {
            proof.has_iss = verified
                .record(replay, now)
                .map_err(replayed)?
                .iss()
                .is_some();
        }
        Pending::Dpop(pending) => {
            let (verified, cnf) = *pending;
            if !verified
                .record(replay, now)
                .map_err(replayed)?
                .jwk()
                .same_key(&cnf)
            {
                return Err(Error::DpopKeyMismatch);
            }
        }
        Pending::Recorded => {}
    }
    Ok(())
}
