//! Structure-aware client attestation target (issue 14 §4): byte-level fuzzing of
//! `attestation_verify` never gets past the attester's signature, so the claim checks of ABCA
//! §7.1 behind it are reached only by the seeds. Here the fuzzer's bytes drive a generator of
//! attestations and PoPs (claims usually right and at times missing, of the wrong type or
//! value; `cnf.jwk` the instance key, another key or a private JWK; each JWT signed by the
//! right key or another fixed one), verified in strict mode. When verification succeeds, what
//! the verdict promises is checked against what was generated: the attester signed the
//! attestation, the key in `cnf` signed the PoP, the client id is the attestation's `sub`, the
//! PoP's audience (and its challenge, when it carries one) are this server's, and the same PoP
//! is refused the second time.
#![no_main]

use std::sync::{Arc, OnceLock};

use attestation_jwt::{
    ATTESTATION_TYP, ChallengeCheck, ClientAttestationConfig, ClientAttestationVerifier,
    ClientAuthRequest, POP_TYP, VerificationMethod,
};
use credential_fuzz::{assert_client_and_audience, claim, pop_claims, scalar, time};
use jose_core::{Algorithm, Header, LocalSigner, SystemRandom, UnixTime, UnsignedJws};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pop_verifier::InMemoryReplayGuard;
use serde_json::{Map, Value, json};

const AS: &str = "https://as.example.com";
const CLIENT: &str = "https://wallet.example.com";
const CHALLENGE: &str = "challenge-1";
const NOW: i64 = 1_750_000_000;

/// Which fixed key signs (or is named in `cnf`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Key {
    Attester,
    Instance,
    Other,
}

struct Fixture {
    attester: LocalSigner,
    instance: LocalSigner,
    other: LocalSigner,
    verifier: Arc<ClientAttestationVerifier>,
}

impl Fixture {
    fn signer(&self, key: Key) -> &LocalSigner {
        match key {
            Key::Attester => &self.attester,
            Key::Instance => &self.instance,
            Key::Other => &self.other,
        }
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = || {
            LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
                .unwrap_or_else(|e| panic!("fixture key: {e}"))
        };
        let attester = key();
        let config = ClientAttestationConfig::new(VerificationMethod::StaticJwk {
            jwk: attester.public_jwk(),
            additional_jwks: Vec::new(),
        });
        let verifier = ClientAttestationVerifier::builder(config, AS)
            .build()
            .unwrap_or_else(|e| panic!("fixture verifier: {e}"));
        Fixture {
            attester,
            instance: key(),
            other: key(),
            verifier,
        }
    })
}

fn pick_key(u: &mut Unstructured<'_>, usual: Key) -> Result<Key> {
    Ok(if u.ratio(7, 8)? {
        usual
    } else {
        *u.choose(&[Key::Attester, Key::Instance, Key::Other])?
    })
}

fn typ(u: &mut Unstructured<'_>, right: &'static str) -> Result<Option<String>> {
    Ok(match u.int_in_range(0..=9)? {
        0 => None,
        1 => Some(u.arbitrary()?),
        2 => Some(format!("application/{right}")),
        3 => Some(right.to_uppercase()),
        _ => Some(right.to_owned()),
    })
}

fn sign(
    u: &mut Unstructured<'_>,
    claims: &Map<String, Value>,
    typ: Option<String>,
    key: Key,
) -> Result<Option<String>> {
    let mut header = Header::new(Algorithm::Es256);
    if let Some(typ) = typ {
        header = header.with_typ(typ);
    }
    if u.ratio(1, 8)? {
        header = header.with_kid(u.arbitrary::<String>()?);
    }
    let Ok(unsigned) = UnsignedJws::new(&header, claims) else {
        return Ok(None);
    };
    Ok(unsigned.sign(fixture().signer(key)).ok())
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let f = fixture();

    // The attestation.
    let sub = if u.ratio(1, 8)? {
        u.arbitrary::<String>()?
    } else {
        CLIENT.to_owned()
    };
    let cnf_key = pick_key(u, Key::Instance)?;
    let mut jwk = f.signer(cnf_key).public_jwk().to_value();
    if u.ratio(1, 16)?
        && let Some(map) = jwk.as_object_mut()
    {
        map.insert("d".into(), Value::String("AAAA".into()));
    }
    let mut attestation = Map::new();
    claim(u, &mut attestation, "sub", Value::String(sub.clone()))?;
    if u.ratio(1, 2)? {
        claim(u, &mut attestation, "iss", Value::String(CLIENT.to_owned()))?;
    }
    let iat = time(u, NOW, -600..=60)?;
    claim(u, &mut attestation, "iat", iat)?;
    let exp = time(u, NOW, -600..=86_400)?;
    claim(u, &mut attestation, "exp", exp)?;
    if u.ratio(1, 4)? {
        let nbf = time(u, NOW, -600..=600)?;
        claim(u, &mut attestation, "nbf", nbf)?;
    }
    claim(u, &mut attestation, "cnf", json!({ "jwk": jwk }))?;
    if u.ratio(1, 8)? {
        attestation.insert(u.arbitrary()?, scalar(u)?);
    }
    let attestation_signer = pick_key(u, Key::Attester)?;
    let attestation_typ = typ(u, ATTESTATION_TYP)?;
    let Some(attestation_jwt) = sign(u, &attestation, attestation_typ, attestation_signer)? else {
        return Ok(());
    };

    // The PoP.
    let mut pop = Map::new();
    if u.ratio(1, 2)? {
        claim(u, &mut pop, "iss", Value::String(sub.clone()))?;
    }
    pop_claims(u, &mut pop, AS, NOW)?;
    if u.ratio(1, 4)? {
        let pop_exp = time(u, NOW, -600..=600)?;
        claim(u, &mut pop, "exp", pop_exp)?;
    }
    if u.ratio(1, 2)? {
        let challenge = if u.ratio(7, 8)? {
            CHALLENGE.to_owned()
        } else {
            u.arbitrary()?
        };
        claim(u, &mut pop, "challenge", Value::String(challenge))?;
    }
    let pop_signer = pick_key(u, Key::Instance)?;
    let pop_typ = typ(u, POP_TYP)?;
    let Some(pop_jwt) = sign(u, &pop, pop_typ, pop_signer)? else {
        return Ok(());
    };

    let client_id = match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some(u.arbitrary::<String>()?),
        _ => Some(sub.clone()),
    };
    let expect_challenge = u.arbitrary::<bool>()?;
    let check = || {
        if expect_challenge {
            ChallengeCheck::Expected(CHALLENGE)
        } else {
            ChallengeCheck::None
        }
    };
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&attestation_jwt))
        .with_pop(Some(&pop_jwt))
        .with_client_id(client_id.as_deref());
    let guard = InMemoryReplayGuard::new(16);
    let now = UnixTime::from_secs(NOW);
    let Ok(verdict) = f.verifier.verify(&request, check(), &guard, now) else {
        return Ok(());
    };

    // What an accepted attestation promises.
    assert!(
        verdict.is_attested(),
        "strict mode accepts only attested clients"
    );
    assert_eq!(
        attestation_signer,
        Key::Attester,
        "only the attester's key signs an accepted attestation"
    );
    assert_eq!(pop_signer, cnf_key, "the key in cnf signed the PoP");
    assert_eq!(
        verdict.instance_key.as_ref().map(|k| k.key().clone()),
        Some(f.signer(cnf_key).public_jwk().key().clone()),
        "the verdict's instance key is the attested one"
    );
    assert_client_and_audience(
        verdict.client_id.as_deref(),
        &attestation,
        &pop,
        client_id.as_deref(),
        AS,
    );
    // `challengeRequired` is off (the default): a PoP may omit the challenge, but one it
    // carries must be the one this server issued.
    if expect_challenge && let Some(carried) = pop.get("challenge") {
        assert_eq!(
            carried.as_str(),
            Some(CHALLENGE),
            "the PoP's challenge is this server's"
        );
    }
    if let Some(exp) = verdict.attestation_expires_at {
        assert!(
            now < exp.saturating_add(300),
            "the attestation has not expired"
        );
    }
    assert!(
        f.verifier.verify(&request, check(), &guard, now).is_err(),
        "the same PoP is refused the second time"
    );
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
