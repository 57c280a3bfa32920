//! Entry points for fuzz targets. Not part of the stable API.
//!
//! Each takes raw fuzzer bytes. The first byte picks the mode: even runs the rest as a token
//! string through the verifier; odd takes the rest as a JWT payload, signs it with a fixed
//! EdDSA key under a well-formed header, and verifies that, so the claim checks are reached.

use std::sync::OnceLock;

use jose_core::{
    Algorithm, Header, Limits, LocalSigner, PublicJwk, SystemRandom, UnixTime, UnsignedJws,
};

use crate::{
    AttestationPopPolicy, DpopPolicy, Error, KeyProofPolicy, NoncePurpose, ProofClient,
    StatelessNonces, verify_attestation_pop, verify_dpop_proof, verify_key_proof,
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
    let policy = AttestationPopPolicy::new("https://as.example.com", ALGS)
        .with_client_id("https://client.example.com")
        .with_stateless_challenges(nonces(), 300, false);
    let verified = verify_attestation_pop(
        &token,
        &key,
        &policy,
        UnixTime::from_secs(NOW),
        &Limits::default(),
    )?;
    let _ = verified.replay_key("https://client.example.com");
    Ok(())
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
    let policy = DpopPolicy::new("POST", "https://server.example.com/token", ALGS)
        .with_access_token("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
        .with_stateless_nonces(nonces(), 300, false);
    verify_dpop_proof(
        &token,
        &policy,
        UnixTime::from_secs(NOW),
        &Limits::default(),
    )
    .map(|_| ())
}

/// Fuzz entry for [`verify_key_proof`], with a `kid` resolver and an `x5c` validator that
/// both answer with the fixed key.
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
    let resolver = |_: &str, _: &Header| -> Result<PublicJwk, String> { Ok(signer().public_jwk()) };
    let validator = |_: &[Vec<u8>]| -> Result<PublicJwk, String> { Ok(signer().public_jwk()) };
    let policy = KeyProofPolicy::new("https://credential-issuer.example.com", ALGS)
        .with_stateless_nonces(nonces(), 300, false)
        .with_client(ProofClient::ClientId("wallet"))
        .with_kid_resolver(&resolver)
        .with_chain_validator(&validator);
    verify_key_proof(
        &token,
        &policy,
        UnixTime::from_secs(NOW),
        &Limits::default(),
    )
    .map(|_| ())
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
