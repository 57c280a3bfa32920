//! Successful flows: attester issues, wallet proves, issuer verifies.

use attestation_jwt::{
    AssuranceLevel, AuthMethod, ClientAuthRequest, ConfigError, DraftShape, Error, LenientReason,
    MethodKind, PopMode, Warning, oauth_error, prepare_attestation, prepare_pop,
};
use jose_core::keys::{KeyFn, KeyLookup, KeyLookupError, KeyQuery};
use pop_verifier::{NoncePurpose, StatelessNonces};

use super::*;

#[test]
fn draft10_shape_verifies_with_every_verdict_field() {
    let fx = Fixture::new();
    let verdict = fx
        .verify(true, &fx.attestation(), &fx.pop(), Some(CLIENT_ID))
        .unwrap();
    assert_eq!(verdict.client_id.as_deref(), Some(CLIENT_ID));
    assert_eq!(verdict.assurance, AssuranceLevel::Attested);
    assert_eq!(
        verdict.method,
        AuthMethod::Attestation {
            verification: MethodKind::StaticJwk,
            mode: PopMode::PopJwt,
            draft: DraftShape::Draft10,
        }
    );
    assert_eq!(verdict.instance_key, Some(fx.instance.public_jwk()));
    assert_eq!(
        verdict.instance_key_thumbprint,
        Some(fx.instance.public_jwk().thumbprint_base64url())
    );
    assert_eq!(
        verdict.attestation_expires_at,
        Some(fx.now.saturating_add(3600))
    );
    assert_eq!(verdict.lenient, None);
    assert!(verdict.warnings.is_empty());
    assert!(verdict.is_attested());
}

#[test]
fn draft07_shape_with_iss_in_both_jwts() {
    let fx = Fixture::new();
    let attestation = fx.attestation_from(
        &fx.claims()
            .with_issuer("https://wallet-provider.example.com")
            .with_wallet_name("Wallet X")
            .with_wallet_link("https://example.com/wallet")
            .with_status(json!({"status_list": {"idx": 7, "uri": "https://s.example.com/1"}})),
    );
    let pop = fx.pop_from(&fx.pop_claims().with_issuer(CLIENT_ID));
    let verdict = fx.verify(true, &attestation, &pop, None).unwrap();
    let AuthMethod::Attestation { draft, .. } = verdict.method else {
        panic!("not attested: {verdict:?}");
    };
    assert_eq!(draft, DraftShape::Draft07);
    let claims = verdict.attestation_claims.unwrap();
    assert_eq!(claims["wallet_name"], "Wallet X");
    assert_eq!(claims["wallet_link"], "https://example.com/wallet");
    assert_eq!(claims["status"]["status_list"]["idx"], 7);
}

#[test]
fn expired_within_skew_is_accepted_with_a_warning() {
    let fx = Fixture::new();
    let claims = AttestationClaims::new(
        CLIENT_ID,
        fx.instance.public_jwk(),
        fx.now.saturating_sub(5000),
        fx.now.saturating_sub(299),
    );
    let verdict = fx
        .verify(true, &fx.attestation_from(&claims), &fx.pop(), None)
        .unwrap();
    assert_eq!(verdict.assurance, AssuranceLevel::Attested);
    assert_eq!(
        verdict.warnings,
        vec![Warning::ExpiredWithinSkew { exp: NOW - 299 }]
    );
}

#[test]
fn eddsa_keys_work_for_both_jwts() {
    let fx = Fixture::with_algorithms(Algorithm::EdDsa, Algorithm::EdDsa);
    let verdict = fx.verify(true, &fx.attestation(), &fx.pop(), None).unwrap();
    assert_eq!(verdict.assurance, AssuranceLevel::Attested);
}

#[test]
fn two_phase_signing_gives_verifiable_tokens() {
    let fx = Fixture::new();
    let unsigned = prepare_attestation(
        &fx.claims(),
        &AttesterKeyId::X5c(vec![vec![0x30, 0x00]]),
        Algorithm::Es256,
    )
    .unwrap();
    let signature = fx.attester.sign(unsigned.signing_input()).unwrap();
    let attestation = unsigned.attach_signature(&signature).unwrap();
    let unsigned_pop = prepare_pop(
        &fx.pop_claims().with_jti("fixed-jti"),
        Algorithm::Es256,
        &SystemRandom::new(),
    )
    .unwrap();
    let signature = fx.instance.sign(unsigned_pop.signing_input()).unwrap();
    let pop = unsigned_pop.attach_signature(&signature).unwrap();
    let jws = jose_core::CompactJws::parse(&pop, &jose_core::Limits::default()).unwrap();
    assert_eq!(jws.claims()["jti"], "fixed-jti");
    assert!(fx.verify(true, &attestation, &pop, None).is_ok());
}

#[test]
fn issue_refuses_exp_not_after_iat() {
    let fx = Fixture::new();
    let claims = AttestationClaims::new(CLIENT_ID, fx.instance.public_jwk(), fx.now, fx.now);
    assert_eq!(
        issue_attestation(&claims, &AttesterKeyId::None, &fx.attester),
        Err(Error::ApiMisuse {
            reason: "attestation exp must be after iat"
        })
    );
}

#[test]
fn generated_jti_is_random_and_128_bits() {
    let fx = Fixture::new();
    let jti = |token: &str| {
        let jws = jose_core::CompactJws::parse(token, &jose_core::Limits::default()).unwrap();
        jws.claims()["jti"].as_str().unwrap().to_owned()
    };
    let (a, b) = (jti(&fx.pop()), jti(&fx.pop()));
    assert_ne!(a, b);
    assert_eq!(a.len(), 22);
}

/// The KMS key reference of the `kms-key` tests.
pub(super) const KMS_REFERENCE: &str = "arn:aws:kms:eu-west-1:1:key/attester";

pub(super) fn kms_config(reference: &str, required: bool) -> ClientAttestationConfig {
    ClientAttestationConfig::new(VerificationMethod::KmsKey {
        key_reference: reference.into(),
        additional_key_references: Vec::new(),
    })
    .with_required(required)
}

#[test]
fn kms_key_method_uses_the_resolver() {
    let fx = Fixture::new();
    let attester = fx.attester.public_jwk();
    let now = fx.now;
    let resolver: Arc<dyn KeyLookup> = Arc::new(KeyFn::new(
        move |query: &KeyQuery<'_>, at: UnixTime| -> Result<Vec<PublicJwk>, KeyLookupError> {
            assert_eq!(at, now);
            if query.key_reference() == Some(KMS_REFERENCE) {
                Ok(vec![attester.clone()])
            } else {
                Err(KeyLookupError::no_trusted_key("no such key"))
            }
        },
    ));
    let (attestation, pop) = (fx.attestation(), fx.pop());
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&attestation))
        .with_pop(Some(&pop));
    let verifier = ClientAttestationVerifier::builder(kms_config(KMS_REFERENCE, true), ISSUER)
        .with_key_lookup(Arc::clone(&resolver), fx.now)
        .build()
        .unwrap();
    let verdict = verifier
        .verify(
            &request,
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(10),
            fx.now,
        )
        .unwrap();
    assert!(matches!(
        verdict.method,
        AuthMethod::Attestation {
            verification: MethodKind::KmsKey,
            ..
        }
    ));
    // A reference that does not resolve, or no resolver at all, is refused when the verifier
    // is built, in both modes, with the configuration path.
    for required in [true, false] {
        let other = "arn:aws:kms:eu-west-1:1:key/other";
        let error = ClientAttestationVerifier::builder(kms_config(other, required), ISSUER)
            .with_key_lookup(Arc::clone(&resolver), fx.now)
            .build()
            .unwrap_err();
        assert_eq!(
            error,
            ConfigError::KeyUnresolved {
                reason: "no such key".into()
            }
        );
        assert_eq!(
            error.to_string(),
            "verificationMethod.keyReference: does not resolve: no such key"
        );
        let error = ClientAttestationVerifier::builder(kms_config(KMS_REFERENCE, required), ISSUER)
            .build()
            .unwrap_err();
        assert_eq!(error, ConfigError::KeyResolverMissing);
        assert_eq!(
            error.to_string(),
            "verificationMethod.keyReference: kms-key needs a key resolver"
        );
    }
}

fn challenge_config(fx: &Fixture) -> Arc<ClientAttestationVerifier> {
    ClientAttestationVerifier::builder(fx.config(true).with_challenge_required(true), ISSUER)
        .build()
        .unwrap()
}

#[test]
fn required_challenge_missing_gives_use_attestation_challenge_with_a_fresh_one() {
    let fx = Fixture::new();
    let nonces = StatelessNonces::new(&[7; 32], None).unwrap();
    let (attestation, pop) = (fx.attestation(), fx.pop());
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&attestation))
        .with_pop(Some(&pop));
    let guard = InMemoryReplayGuard::new(10);
    let error = challenge_config(&fx)
        .verify(
            &request,
            ChallengeCheck::Stateless {
                nonces: &nonces,
                max_age: 300,
            },
            &guard,
            fx.now,
        )
        .unwrap_err();
    assert_eq!(error, Error::Pop(pop_verifier::Error::ChallengeMissing));
    let oauth = oauth_error(&error, || {
        nonces
            .issue(
                NoncePurpose::AttestationChallenge,
                fx.now,
                &SystemRandom::new(),
            )
            .ok()
    });
    assert_eq!(
        (oauth.error(), oauth.status()),
        ("use_attestation_challenge", 400)
    );
    let fresh = oauth
        .header(attestation_jwt::CHALLENGE_HEADER)
        .unwrap()
        .to_owned();
    // The fresh challenge then works.
    let pop = fx.pop_from(&fx.pop_claims().with_challenge(fresh));
    let request = request.with_pop(Some(&pop));
    let verdict = challenge_config(&fx)
        .verify(
            &request,
            ChallengeCheck::Stateless {
                nonces: &nonces,
                max_age: 300,
            },
            &guard,
            fx.now,
        )
        .unwrap();
    assert_eq!(verdict.assurance, AssuranceLevel::Attested);
}

#[test]
fn wrong_expected_challenge_strict_and_lenient() {
    let fx = Fixture::new();
    let (attestation, pop) = (
        fx.attestation(),
        fx.pop_from(&fx.pop_claims().with_challenge("old-challenge")),
    );
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&attestation))
        .with_pop(Some(&pop));
    let guard = InMemoryReplayGuard::new(10);
    let check = ChallengeCheck::Expected("current-challenge");
    assert_eq!(
        challenge_config(&fx).verify(&request, check, &guard, fx.now),
        Err(Error::Pop(pop_verifier::Error::ChallengeMismatch))
    );
    let lenient =
        ClientAttestationVerifier::builder(fx.config(false).with_challenge_required(true), ISSUER)
            .build()
            .unwrap();
    assert_eq!(
        lenient
            .verify(&request, check, &guard, fx.now)
            .unwrap()
            .lenient,
        Some(LenientReason::Invalid(Error::Pop(
            pop_verifier::Error::ChallengeMismatch
        )))
    );
    let validator = |c: &str| c == "old-challenge";
    assert!(
        challenge_config(&fx)
            .verify(
                &request,
                ChallengeCheck::Validator(&validator),
                &guard,
                fx.now
            )
            .is_ok()
    );
}

#[test]
fn legacy_body_form_is_off_by_default_and_works_when_enabled() {
    let fx = Fixture::new();
    let assertion = format!("{}~{}", fx.attestation(), fx.pop());
    let request = ClientAuthRequest::new().with_client_assertion(
        Some(attestation_jwt::LEGACY_ASSERTION_TYPE),
        Some(&assertion),
    );
    let guard = InMemoryReplayGuard::new(10);
    assert_eq!(
        fx.verifier(true)
            .verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::LegacyFormDisabled)
    );
    let verifier = fx
        .builder(true)
        .with_legacy_body_form(true)
        .build()
        .unwrap();
    let verdict = verifier
        .verify(&request, ChallengeCheck::None, &guard, fx.now)
        .unwrap();
    assert!(matches!(
        verdict.method,
        AuthMethod::Attestation {
            mode: PopMode::LegacyBody,
            ..
        }
    ));
    assert_eq!(verdict.warnings, vec![Warning::LegacyBodyForm]);
    let bad = ClientAuthRequest::new()
        .with_client_assertion(Some(attestation_jwt::LEGACY_ASSERTION_TYPE), Some("a~b~c"));
    assert_eq!(
        verifier.verify(&bad, ChallengeCheck::None, &guard, fx.now),
        Err(Error::LegacyFormMalformed)
    );
}

/// RFC 6749 §2.3: one authentication method per request. Valid attestation headers with a
/// client secret (body or HTTP Basic) or any `client_assertion` are refused in strict and in
/// lenient mode, and answered `400 invalid_request` (§5.2).
#[test]
fn headers_and_another_method_together_are_refused() {
    let fx = Fixture::new();
    let (attestation, pop) = (fx.attestation(), fx.pop());
    let headers = ClientAuthRequest::new()
        .with_attestation(Some(&attestation))
        .with_pop(Some(&pop));
    let seconds = [
        headers.with_client_secret(Some("secret")),
        headers.with_authorization(Some("Basic YTpi")),
        headers.with_client_assertion(
            Some(attestation_jwt::JWT_BEARER_ASSERTION_TYPE),
            Some("x.y.z"),
        ),
        headers.with_client_assertion(Some(attestation_jwt::LEGACY_ASSERTION_TYPE), Some("a~b")),
        ClientAuthRequest::new()
            .with_client_secret(Some("secret"))
            .with_authorization(Some("Basic YTpi")),
    ];
    for required in [true, false] {
        for request in &seconds {
            let refused = fx.verifier(required).verify(
                request,
                ChallengeCheck::None,
                &InMemoryReplayGuard::new(10),
                fx.now,
            );
            assert_eq!(
                refused,
                Err(Error::MultipleAuthenticationMethods),
                "{request:?}"
            );
        }
    }
    let oauth = oauth_error(&Error::MultipleAuthenticationMethods, || None);
    assert_eq!((oauth.status(), oauth.error()), (400, "invalid_request"));
    // An `Authorization` header of another scheme is not client authentication: ignored.
    let bearer = headers.with_authorization(Some("Bearer x"));
    assert!(
        fx.verifier(true)
            .verify(
                &bearer,
                ChallengeCheck::None,
                &InMemoryReplayGuard::new(10),
                fx.now
            )
            .is_ok()
    );
}

#[test]
fn metadata_fragment() {
    let fx = Fixture::new();
    let metadata = fx
        .builder(false)
        .with_attestation_algorithms(&[Algorithm::Es256])
        .with_pop_algorithms(&[Algorithm::Es256, Algorithm::EdDsa])
        .with_combined_mode(true)
        .build()
        .unwrap()
        .metadata(None);
    assert_eq!(
        Value::Object(metadata),
        json!({
            "token_endpoint_auth_methods_supported":
                ["attest_jwt_client_auth", "attest_jwt_client_auth_dpop", "none"],
            "client_attestation_signing_alg_values_supported": ["ES256"],
            "client_attestation_pop_signing_alg_values_supported": ["ES256", "EdDSA"],
            "client_attestation_pop_methods_supported": ["attestation_pop_jwt", "dpop_combined", "none"],
            "dpop_signing_alg_values_supported": ["ES256", "EdDSA"],
        })
    );
}
