//! Lenient mode tolerates a bad client, never a broken server: configuration, trust store, key
//! resolver (KMS) and replay guard failures are errors in both modes, with the exact error.

use core::sync::atomic::{AtomicBool, Ordering};

use attestation_jwt::{ClientAuthRequest, ConfigError, Error, LenientReason, oauth_error};
use jose_core::keys::{KeyLookup, KeyLookupError, KeyQuery};
use pop_verifier::{ReplayError, ReplayGuard};

use super::flow::{KMS_REFERENCE, kms_config};
use super::*;

/// A KMS whose availability the test switches.
struct Kms {
    key: PublicJwk,
    up: AtomicBool,
}

impl KeyLookup for Kms {
    fn keys(&self, query: &KeyQuery<'_>, _: UnixTime) -> Result<Vec<PublicJwk>, KeyLookupError> {
        if !self.up.load(Ordering::SeqCst) {
            return Err(KeyLookupError::unavailable("KMS unavailable"));
        }
        // The KMS knows the key under no kid but its own.
        match query.kid() {
            Some(kid) if kid != "att-1" => Err(KeyLookupError::no_trusted_key(format!(
                "the KMS has no key {kid}"
            ))),
            _ => Ok(vec![self.key.clone()]),
        }
    }
}

/// A replay guard whose backend is down.
struct DownGuard;

impl ReplayGuard for DownGuard {
    fn check_and_record(&self, _: &str, _: UnixTime, _: UnixTime) -> Result<(), ReplayError> {
        Err(ReplayError::Unavailable {
            reason: "backend down".into(),
        })
    }
}

fn request<'a>(attestation: &'a str, pop: &'a str) -> ClientAuthRequest<'a> {
    ClientAuthRequest::new()
        .with_attestation(Some(attestation))
        .with_pop(Some(pop))
}

fn assert_server_error(error: &Error) {
    assert!(error.is_server_fault(), "{error}");
    let oauth = oauth_error(error, || None);
    assert_eq!((oauth.error(), oauth.status()), ("server_error", 500));
}

#[test]
fn kms_outage_is_an_error_in_both_modes() {
    let fx = Fixture::new();
    let (attestation, pop) = (fx.attestation(), fx.pop());
    for required in [true, false] {
        let kms = Arc::new(Kms {
            key: fx.attester.public_jwk(),
            up: AtomicBool::new(true),
        });
        let verifier =
            ClientAttestationVerifier::builder(kms_config(KMS_REFERENCE, required), ISSUER)
                .with_key_lookup(kms.clone(), fx.now)
                .build()
                .unwrap();
        kms.up.store(false, Ordering::SeqCst);
        let error = verifier
            .verify(
                &request(&attestation, &pop),
                ChallengeCheck::None,
                &InMemoryReplayGuard::new(10),
                fx.now,
            )
            .unwrap_err();
        assert_eq!(
            error,
            Error::KeyResolution {
                reason: "KMS unavailable".into()
            }
        );
        assert_server_error(&error);
    }
}

#[test]
fn a_kid_the_kms_does_not_trust_is_a_client_fault() {
    let fx = Fixture::new();
    let attestation = issue_attestation(
        &fx.claims(),
        &AttesterKeyId::Kid("att-2".into()),
        &fx.attester,
    )
    .unwrap();
    let pop = fx.pop();
    let kms = Arc::new(Kms {
        key: fx.attester.public_jwk(),
        up: AtomicBool::new(true),
    });
    let expected = Error::AttesterKeyUntrusted {
        reason: "the KMS has no key att-2".into(),
    };
    for required in [true, false] {
        let verifier =
            ClientAttestationVerifier::builder(kms_config(KMS_REFERENCE, required), ISSUER)
                .with_key_lookup(kms.clone(), fx.now)
                .build()
                .unwrap();
        let result = verifier.verify(
            &request(&attestation, &pop),
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(10),
            fx.now,
        );
        if required {
            let error = result.unwrap_err();
            assert_eq!(error, expected);
            assert!(!error.is_server_fault());
            let oauth = oauth_error(&error, || None);
            assert_eq!((oauth.error(), oauth.status()), ("invalid_client", 401));
        } else {
            assert_eq!(
                result.unwrap().lenient,
                Some(LenientReason::Invalid(expected.clone()))
            );
        }
    }
}

#[test]
fn a_full_replay_guard_is_an_error_in_both_modes() {
    let fx = Fixture::new();
    let attestation = fx.attestation();
    for required in [true, false] {
        let verifier = fx.verifier(required);
        let guard = InMemoryReplayGuard::new(1);
        let first = fx.pop();
        verifier
            .verify(
                &request(&attestation, &first),
                ChallengeCheck::None,
                &guard,
                fx.now,
            )
            .unwrap();
        let second = fx.pop();
        let error = verifier
            .verify(
                &request(&attestation, &second),
                ChallengeCheck::None,
                &guard,
                fx.now,
            )
            .unwrap_err();
        assert_eq!(error, Error::ReplayGuard(ReplayError::Full { max: 1 }));
        assert_server_error(&error);
    }
}

#[test]
fn an_unavailable_replay_guard_is_an_error_in_both_modes() {
    let fx = Fixture::new();
    let (attestation, pop) = (fx.attestation(), fx.pop());
    for required in [true, false] {
        let error = fx
            .verifier(required)
            .verify(
                &request(&attestation, &pop),
                ChallengeCheck::None,
                &DownGuard,
                fx.now,
            )
            .unwrap_err();
        assert_eq!(
            error,
            Error::ReplayGuard(ReplayError::Unavailable {
                reason: "backend down".into()
            })
        );
        assert_server_error(&error);
    }
}

#[test]
fn configuration_errors_refuse_to_build_in_both_modes() {
    let fx = Fixture::new();
    for required in [true, false] {
        // The attester key fits no allowed algorithm: no attestation could ever verify.
        let error = fx
            .builder(required)
            .with_attestation_algorithms(&[Algorithm::EdDsa])
            .build()
            .unwrap_err();
        assert_eq!(
            error,
            ConfigError::AttesterKeyAlgorithm {
                path: "verificationMethod.jwk"
            }
        );
        assert_eq!(
            error.to_string(),
            "verificationMethod.jwk: the attester key fits none of the allowed attestation algorithms"
        );
        let error = fx
            .builder(required)
            .with_pop_algorithms(&[])
            .build()
            .unwrap_err();
        assert_eq!(
            error,
            ConfigError::NoAlgorithms {
                option: "with_pop_algorithms"
            }
        );
        assert_eq!(
            error.to_string(),
            "with_pop_algorithms: no algorithm is allowed"
        );
        assert_eq!(
            ClientAttestationVerifier::builder(kms_config(KMS_REFERENCE, required), ISSUER)
                .build()
                .unwrap_err(),
            ConfigError::KeyResolverMissing
        );
    }
}

#[test]
fn client_faults_stay_lenient() {
    // The counterpart: a bad client is still tolerated in lenient mode.
    let fx = Fixture::new();
    let (attestation, pop) = (fx.attestation(), fx.pop());
    let guard = InMemoryReplayGuard::new(10);
    let verifier = fx.verifier(false);
    verifier
        .verify(
            &request(&attestation, &pop),
            ChallengeCheck::None,
            &guard,
            fx.now,
        )
        .unwrap();
    let replay = verifier
        .verify(
            &request(&attestation, &pop),
            ChallengeCheck::None,
            &guard,
            fx.now,
        )
        .unwrap();
    assert_eq!(
        replay.lenient,
        Some(LenientReason::Invalid(Error::Replayed {
            token: attestation_jwt::Token::Pop
        }))
    );
}
