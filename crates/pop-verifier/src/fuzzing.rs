//! Entry points for fuzz targets. Not part of the stable API: compiled only under
//! `--cfg fuzzing` (cargo-fuzz passes it) and for this crate's own tests.
//!
//! Each takes raw fuzzer bytes. The first byte picks the mode: even runs the rest as a token
//! string through the verifier; odd takes the rest as a JWT payload, signs it with a fixed
//! EdDSA key under a well-formed header, and verifies that, so the claim checks are reached.

use std::sync::OnceLock;

use jose_core::{
    Algorithm, Header, Limits, LocalSigner, PublicJwk, SystemRandom, UnixTime, UnsignedJws,
};

use crate::{
    AttestationPopPolicy, DpopPolicy, Error, InMemoryReplayGuard, KeyProofPolicy, NonceCheck,
    NoncePurpose, ProofClient, ReplayError, StatelessNonces, verify_attestation_pop,
    verify_dpop_proof, verify_key_proof,
};

const NOW: i64 = 1_772_487_600;
const ALGS: &[Algorithm] = &[Algorithm::Es256, Algorithm::EdDsa];

#[expect(
    clippy::expect_used,
    reason = "fuzz helper; failure means a broken ring build"
)]
fn signer() -> &'static LocalSigner {
    static SIGNER: OnceLock<LocalSigner> = OnceLock::new();
    SIGNER.get_or_init(|| {
        LocalSigner::generate(Algorithm::EdDsa, &SystemRandom::new()).expect("keygen")
    })
}

#[expect(
    clippy::expect_used,
    reason = "fuzz helper; a 32-byte secret is always accepted"
)]
fn nonces() -> &'static StatelessNonces {
    static NONCES: OnceLock<StatelessNonces> = OnceLock::new();
    NONCES.get_or_init(|| StatelessNonces::new(&[7; 32], None).expect("secret"))
}

/// The fuzzers' challenge and nonce check: stateless nonces, a carried value checked, a
/// missing one tolerated so that the signed mode reaches the claims after it.
fn stateless() -> NonceCheck<'static> {
    NonceCheck::Stateless {
        nonces: nonces(),
        max_age: 300,
    }
}

/// Records a verified proof in a fresh guard at the verification time. A fresh guard has room
/// (for the proof and the nonce it may spend) and no entry, and a verified proof's records
/// outlive `now` (the `iat` and nonce checks guarantee it), so a refusal is a bug of this
/// crate: the fuzzer is told by a panic.
fn record<T>(verified: crate::Unrecorded<T>) -> Result<(), Error> {
    let result: Result<T, ReplayError> =
        verified.record(&InMemoryReplayGuard::new(2), UnixTime::from_secs(NOW));
    if let Err(e) = result {
        panic!("a fresh replay guard refused a verified proof: {e}");
    }
    Ok(())
}

/// Splits the mode byte off and produces the token to verify.
fn token(data: &[u8], header: &Header) -> Option<String> {
    let (mode, rest) = data.split_first()?;
    if mode % 2 == 0 {
        return core::str::from_utf8(rest).ok().map(str::to_owned);
    }
    UnsignedJws::with_payload(header, rest)
        .and_then(|u| u.sign(signer()))
        .ok()
}

/// Fuzz entry for [`verify_attestation_pop`].
///
/// # Errors
/// Whatever verification returns.
pub fn attestation_pop_verify(data: &[u8]) -> Result<(), Error> {
    let header = Header::new(Algorithm::EdDsa).with_typ(crate::ATTESTATION_POP_TYP);
    let Some(token) = token(data, &header) else {
        return Ok(());
    };
    let key: PublicJwk = signer().public_jwk();
    let policy = AttestationPopPolicy::new(
        "https://as.example.com",
        "https://client.example.com",
        ALGS,
        stateless(),
    )
    .danger_allow_missing_challenge();
    record(verify_attestation_pop(
        &token,
        &key,
        &policy,
        UnixTime::from_secs(NOW),
        &Limits::default(),
    )?)
}

/// Fuzz entry for [`verify_dpop_proof`].
///
/// # Errors
/// Whatever verification returns.
pub fn dpop_verify(data: &[u8]) -> Result<(), Error> {
    let header = Header::new(Algorithm::EdDsa)
        .with_typ(crate::DPOP_TYP)
        .with_jwk(signer().public_jwk());
    let Some(token) = token(data, &header) else {
        return Ok(());
    };
    let policy = DpopPolicy::new(
        "POST",
        "https://server.example.com/token",
        ALGS,
        stateless(),
    )
    .with_access_token("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
    .danger_allow_missing_nonce();
    record(verify_dpop_proof(
        &token,
        &policy,
        UnixTime::from_secs(NOW),
        &Limits::default(),
    )?)
}

/// Fuzz entry for [`verify_key_proof`], with `kid` and `x5c` key lookups that both answer
/// with the fixed key.
///
/// # Errors
/// Whatever verification returns.
pub fn key_proof_verify(data: &[u8]) -> Result<(), Error> {
    let header = Header::new(Algorithm::EdDsa)
        .with_typ(crate::KEY_PROOF_TYP)
        .with_jwk(signer().public_jwk());
    let Some(token) = token(data, &header) else {
        return Ok(());
    };
    let fixed = jose_core::keys::StaticKeys::from(signer().public_jwk());
    let policy = KeyProofPolicy::new("https://credential-issuer.example.com", ALGS, stateless())
        .danger_allow_missing_nonce()
        .with_client(ProofClient::ClientId("wallet"))
        .with_kid_keys(&fixed)
        .with_x5c_keys(&fixed);
    record(verify_key_proof(
        &token,
        &policy,
        UnixTime::from_secs(NOW),
        &Limits::default(),
    )?)
}

#[expect(
    clippy::expect_used,
    reason = "fuzz helper; a fixed, valid configuration always builds"
)]
fn key_attestation_verifier() -> &'static crate::KeyAttestationVerifier {
    static VERIFIER: OnceLock<crate::KeyAttestationVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        crate::KeyAttestationVerifier::builder()
            .algorithms(ALGS)
            .wallet_provider_roots(std::sync::Arc::new(jose_core::keys::StaticKeys::from(
                signer().public_jwk(),
            )))
            .build()
            .expect("verifier")
    })
}

/// Fuzz entry for [`KeyAttestationVerifier::verify`](crate::KeyAttestationVerifier::verify)
/// and the requirement check, with a wallet-provider trust that answers every `x5c` with the
/// fixed key.
///
/// # Errors
/// Whatever verification returns.
pub fn key_attestation_verify(data: &[u8]) -> Result<(), Error> {
    let header = Header::new(Algorithm::EdDsa)
        .with_typ(crate::KEY_ATTESTATION_TYP)
        .with_x5c(vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]]);
    let Some(token) = token(data, &header) else {
        return Ok(());
    };
    let verified = key_attestation_verifier().verify(
        &token,
        UnixTime::from_secs(NOW),
        crate::AttestationNonce::IfPresent(stateless()),
    )?;
    let required = crate::KeyAttestationRequirement::new(
        vec!["iso_18045_high".to_owned()],
        vec!["iso_18045_moderate".to_owned()],
    );
    let _ = verified.attests(&signer().public_jwk());
    verified.check_requirement(&required)
}

/// Fuzz entry for [`StatelessNonces::verify`] (any string, each purpose).
///
/// # Errors
/// Whatever verification returns for the c_nonce purpose.
pub fn nonce_verify(data: &str) -> Result<(), crate::NonceError> {
    let n = nonces();
    let _ = n.verify(data, NoncePurpose::DpopNonce, UnixTime::from_secs(NOW), 300);
    n.verify(data, NoncePurpose::CNonce, UnixTime::from_secs(NOW), 300)
        .map(|_| ())
}

#[cfg(test)]
mod tests;
