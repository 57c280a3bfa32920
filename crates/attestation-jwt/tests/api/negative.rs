//! Every bad input named by the issue, each asserting the exact error, and each again in
//! lenient mode, where it is accepted with that error as the reason.

use attestation_jwt::{
    ATTESTATION_HEADER, AssuranceLevel, AuthMethod, ClientAuthRequest, Error, LenientReason,
    POP_HEADER, POP_TYP, oauth_error,
};
use jose_core::{ClaimError, JsonError, JwsPart};
use pop_verifier::Error as PopError;
use ring::hmac;

use super::*;

/// What a case sends.
struct Input {
    attestation: String,
    pop: String,
    client_id: Option<&'static str>,
}

fn input(attestation: String, pop: String) -> Input {
    Input {
        attestation,
        pop,
        client_id: None,
    }
}

/// A case: two tests, strict (exact error) and lenient (accepted with that error as reason).
macro_rules! case {
    ($name:ident, $fixture:expr, $input:expr, $expected:expr) => {
        mod $name {
            use super::*;

            fn run(required: bool) -> (Fixture, Result<Verdict, Error>) {
                let fx: Fixture = $fixture;
                let make: fn(&Fixture) -> Input = $input;
                let case = make(&fx);
                let result = fx.verify(required, &case.attestation, &case.pop, case.client_id);
                (fx, result)
            }

            #[test]
            fn strict() {
                let (fx, result) = run(true);
                let expected: fn(&Fixture) -> Error = $expected;
                assert_eq!(result, Err(expected(&fx)));
            }

            #[test]
            fn lenient() {
                let (fx, result) = run(false);
                let expected: fn(&Fixture) -> Error = $expected;
                let verdict = result.expect("lenient mode accepts");
                assert_eq!(verdict.lenient, Some(LenientReason::Invalid(expected(&fx))));
                assert_eq!(verdict.assurance, AssuranceLevel::None);
                assert_eq!(verdict.method, AuthMethod::Unauthenticated);
                assert_eq!(verdict.client_id, None);
                assert_eq!(verdict.instance_key, None);
            }
        }
    };
    ($name:ident, $input:expr, $expected:expr) => {
        case!($name, Fixture::new(), $input, $expected);
    };
}

fn with_payload(fx: &Fixture, edit: impl FnOnce(&mut Value)) -> String {
    let mut payload = fx.attestation_payload();
    edit(&mut payload);
    sign_json(&attestation_header("ES256"), &payload, &fx.attester)
}

fn with_pop_payload(fx: &Fixture, edit: impl FnOnce(&mut Value)) -> String {
    let mut payload = fx.pop_payload();
    edit(&mut payload);
    sign_json(&pop_header("ES256"), &payload, &fx.instance)
}

fn unsigned(header: &Value, payload: &Value) -> String {
    format!(
        "{}.{}.",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(payload.to_string().as_bytes())
    )
}

fn hs256(header: &Value, payload: &Value, key: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(payload.to_string().as_bytes())
    );
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), input.as_bytes());
    format!("{input}.{}", base64url::encode(tag.as_ref()))
}

fn replace_part(token: &str, index: usize, edit: impl FnOnce(&str) -> String) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = edit(&parts[index]);
    parts.join(".")
}

// ---- alg none and HMAC ----

case!(
    attestation_alg_none,
    |fx| input(
        unsigned(
            &json!({"typ": "oauth-client-attestation+jwt", "alg": "none"}),
            &fx.attestation_payload()
        ),
        fx.pop()
    ),
    |_| Error::AttestationAlgorithm(jose_core::Error::AlgorithmNone)
);

case!(
    pop_alg_none,
    |fx| input(
        fx.attestation(),
        unsigned(&pop_header("none"), &fx.pop_payload())
    ),
    |_| Error::Pop(PopError::Malformed {
        source: jose_core::Error::AlgorithmNone
    })
);

case!(
    attestation_hs256_keyed_with_attester_public_key,
    |fx| {
        let key = fx.attester.public_jwk().to_value().to_string();
        input(
            hs256(
                &attestation_header("HS256"),
                &fx.attestation_payload(),
                key.as_bytes(),
            ),
            fx.pop(),
        )
    },
    |_| Error::AttestationAlgorithm(jose_core::Error::SymmetricAlgorithm {
        name: "HS256".into()
    })
);

case!(
    pop_hs256_keyed_with_instance_public_key,
    |fx| {
        let key = fx.instance.public_jwk().to_value().to_string();
        input(
            fx.attestation(),
            hs256(&pop_header("HS256"), &fx.pop_payload(), key.as_bytes()),
        )
    },
    |_| Error::Pop(PopError::Malformed {
        source: jose_core::Error::SymmetricAlgorithm {
            name: "HS256".into()
        }
    })
);

// ---- typ ----

case!(
    attestation_wrong_typ,
    |fx| input(
        sign_json(
            &json!({"typ": "jwt", "alg": "ES256"}),
            &fx.attestation_payload(),
            &fx.attester
        ),
        fx.pop()
    ),
    |_| Error::AttestationType {
        found: Some("jwt".into())
    }
);

case!(
    attestation_with_pop_typ,
    |fx| input(
        sign_json(
            &pop_header("ES256"),
            &fx.attestation_payload(),
            &fx.attester
        ),
        fx.pop()
    ),
    |_| Error::AttestationType {
        found: Some(POP_TYP.into())
    }
);

case!(
    pop_wrong_typ,
    |fx| input(
        fx.attestation(),
        sign_json(
            &attestation_header("ES256"),
            &fx.pop_payload(),
            &fx.instance
        )
    ),
    |_| Error::Pop(PopError::WrongType {
        expected: POP_TYP,
        found: Some("oauth-client-attestation+jwt".into())
    })
);

// ---- required claims ----

case!(
    attestation_missing_sub,
    |fx| input(
        with_payload(fx, |p| drop(p.as_object_mut().unwrap().remove("sub"))),
        fx.pop()
    ),
    |_| Error::AttestationClaim(ClaimError::Missing { name: "sub" })
);

case!(
    attestation_missing_exp,
    |fx| input(
        with_payload(fx, |p| drop(p.as_object_mut().unwrap().remove("exp"))),
        fx.pop()
    ),
    |_| Error::AttestationClaim(ClaimError::Missing { name: "exp" })
);

case!(
    attestation_missing_cnf,
    |fx| input(
        with_payload(fx, |p| drop(p.as_object_mut().unwrap().remove("cnf"))),
        fx.pop()
    ),
    |_| Error::AttestationClaim(ClaimError::Missing { name: "cnf" })
);

case!(
    attestation_missing_cnf_jwk,
    |fx| input(
        with_payload(fx, |p| p["cnf"] = json!({"jkt": "abc"})),
        fx.pop()
    ),
    |_| Error::AttestationClaim(ClaimError::Missing { name: "cnf.jwk" })
);

case!(
    attestation_cnf_jwk_with_private_member,
    |fx| input(
        with_payload(fx, |p| p["cnf"]["jwk"]["d"] =
            json!("ZHVtbXkgcHJpdmF0ZSBrZXk")),
        fx.pop()
    ),
    |_| Error::ConfirmationKey(jose_core::Error::PrivateKeyMember { member: "d" })
);

// ---- trust and freshness ----

case!(
    attestation_signed_by_untrusted_key,
    |fx| {
        let other = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
        input(
            sign_json(
                &attestation_header("ES256"),
                &fx.attestation_payload(),
                &other,
            ),
            fx.pop(),
        )
    },
    |_| Error::AttestationSignature(jose_core::Error::SignatureInvalid)
);

case!(
    attestation_expired_beyond_skew,
    |fx| input(
        with_payload(fx, |p| {
            p["iat"] = json!(NOW - 5000);
            p["exp"] = json!(NOW - 301);
        }),
        fx.pop()
    ),
    |_| Error::AttestationExpired {
        exp: NOW - 301,
        now: NOW
    }
);

case!(
    attestation_not_yet_valid,
    |fx| input(with_payload(fx, |p| p["nbf"] = json!(NOW + 301)), fx.pop()),
    |_| Error::AttestationNotYetValid {
        nbf: NOW + 301,
        now: NOW
    }
);

case!(
    body_client_id_differs_from_sub,
    |fx| Input {
        client_id: Some("https://other-wallet.example.com"),
        ..input(fx.attestation(), fx.pop())
    },
    |_| Error::ClientIdMismatch
);

// ---- the PoP ----

case!(
    pop_signed_by_other_key,
    |fx| {
        let other = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
        input(
            fx.attestation(),
            sign_json(&pop_header("ES256"), &fx.pop_payload(), &other),
        )
    },
    |_| Error::Pop(PopError::SignatureInvalid)
);

case!(
    pop_aud_wrong,
    |fx| input(
        fx.attestation(),
        with_pop_payload(fx, |p| p["aud"] = json!("https://rs.example.com"))
    ),
    |_| Error::Pop(PopError::AudienceMismatch {
        found: "https://rs.example.com".into()
    })
);

case!(
    pop_aud_two_elements,
    |fx| input(
        fx.attestation(),
        with_pop_payload(fx, |p| p["aud"] = json!([ISSUER, "https://rs.example.com"]))
    ),
    |_| Error::Pop(PopError::AudienceMultiple { count: 2 })
);

case!(
    pop_iat_older_than_window,
    |fx| input(
        fx.attestation(),
        with_pop_payload(fx, |p| p["iat"] = json!(NOW - 601))
    ),
    |_| Error::Pop(PopError::IatTooOld {
        iat: NOW - 601,
        earliest: NOW - 600
    })
);

case!(
    pop_iat_beyond_skew_in_future,
    |fx| input(
        fx.attestation(),
        with_pop_payload(fx, |p| p["iat"] = json!(NOW + 301))
    ),
    |_| Error::Pop(PopError::IatInFuture {
        iat: NOW + 301,
        latest: NOW + 300
    })
);

case!(
    pop_draft07_iss_differs_from_sub,
    |fx| input(
        fx.attestation(),
        with_pop_payload(fx, |p| p["iss"] = json!("https://other-wallet.example.com"))
    ),
    |_| Error::Pop(PopError::IssuerMismatch {
        found: "https://other-wallet.example.com".into()
    })
);

// ---- strict JSON and base64url ----

case!(
    attestation_header_duplicate_member,
    |fx| input(
        sign_raw(
            r#"{"typ":"oauth-client-attestation+jwt","alg":"ES256","alg":"ES256"}"#,
            &fx.attestation_payload().to_string(),
            &fx.attester
        ),
        fx.pop()
    ),
    |_| Error::AttestationMalformed(jose_core::Error::InvalidJson {
        part: JwsPart::Header,
        error: JsonError::DuplicateMember { name: "alg".into() }
    })
);

case!(
    attestation_payload_duplicate_member,
    |fx| {
        let payload = fx.attestation_payload().to_string();
        let payload = payload.replacen('{', r#"{"sub":"https://evil.example.com","#, 1);
        input(
            sign_raw(
                &attestation_header("ES256").to_string(),
                &payload,
                &fx.attester,
            ),
            fx.pop(),
        )
    },
    |_| Error::AttestationMalformed(jose_core::Error::InvalidJson {
        part: JwsPart::Payload,
        error: JsonError::DuplicateMember { name: "sub".into() }
    })
);

case!(
    pop_payload_duplicate_member,
    |fx| input(
        fx.attestation(),
        sign_raw(
            &pop_header("ES256").to_string(),
            &format!(
                r#"{{"aud":"{ISSUER}","jti":"a","jti":"b","iat":{}}}"#,
                NOW - 5
            ),
            &fx.instance
        )
    ),
    |_| Error::Pop(PopError::Malformed {
        source: jose_core::Error::InvalidJson {
            part: JwsPart::Payload,
            error: JsonError::DuplicateMember { name: "jti".into() }
        }
    })
);

case!(
    attestation_header_over_size_limit,
    |fx| input(
        with_payload(fx, |p| p["padding"] = json!("x".repeat(9000))),
        fx.pop()
    ),
    |fx| {
        let len = with_payload(fx, |p| p["padding"] = json!("x".repeat(9000))).len();
        Error::HeaderTooLong {
            header: ATTESTATION_HEADER,
            len,
            max: 8192,
        }
    }
);

case!(
    // A long value that is also not a token is refused for its length, before any scan.
    pop_header_over_size_limit_and_not_a_token,
    |fx| input(fx.attestation(), format!("{} ;p", "a".repeat(22_000))),
    |_| Error::HeaderTooLong {
        header: POP_HEADER,
        len: 22_003,
        max: 8192,
    }
);

case!(
    attestation_padded_header_segment,
    |fx| input(
        replace_part(&fx.attestation(), 0, |h| format!("{h}=")),
        fx.pop()
    ),
    // `=` is not a structured-field token character: refused before the JWS is parsed.
    |_| Error::HeaderNotToken {
        header: ATTESTATION_HEADER
    }
);

case!(
    attestation_standard_base64_payload,
    |fx| input(
        replace_part(&fx.attestation(), 1, |p| format!("+{}", &p[1..])),
        fx.pop()
    ),
    |_| Error::AttestationMalformed(jose_core::Error::InvalidBase64 {
        part: JwsPart::Payload
    })
);

case!(
    pop_padded_signature,
    |fx| input(
        fx.attestation(),
        replace_part(&fx.pop(), 2, |s| format!("{s}=="))
    ),
    |_| Error::HeaderNotToken { header: POP_HEADER }
);

case!(
    attestation_four_parts,
    |fx| input(format!("{}.e30", fx.attestation()), fx.pop()),
    |_| Error::AttestationMalformed(jose_core::Error::WrongPartCount { found: 4 })
);

// ---- crit and algorithm/key fit ----

case!(
    attestation_unknown_crit,
    |fx| input(
        sign_json(
            &json!({"typ": "oauth-client-attestation+jwt", "alg": "ES256",
                "crit": ["x-ext"], "x-ext": true}),
            &fx.attestation_payload(),
            &fx.attester
        ),
        fx.pop()
    ),
    |_| Error::AttestationCritical(jose_core::Error::CriticalNotUnderstood {
        name: "x-ext".into()
    })
);

case!(
    pop_unknown_crit,
    |fx| input(
        fx.attestation(),
        sign_json(
            &json!({"typ": POP_TYP, "alg": "ES256", "crit": ["x-ext"], "x-ext": true}),
            &fx.pop_payload(),
            &fx.instance
        )
    ),
    |_| Error::Pop(PopError::Header {
        source: jose_core::Error::CriticalNotUnderstood {
            name: "x-ext".into()
        }
    })
);

case!(
    attestation_es256_with_p384_attester_key,
    Fixture::with_algorithms(Algorithm::Es384, Algorithm::Es256),
    |fx| {
        let es256 = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
        input(
            sign_json(
                &attestation_header("ES256"),
                &fx.attestation_payload(),
                &es256,
            ),
            fx.pop(),
        )
    },
    |_| Error::AttestationSignature(jose_core::Error::KeyAlgorithmMismatch {
        alg: Algorithm::Es256,
        key: "EC P-384"
    })
);

case!(
    pop_es256_with_p384_instance_key,
    Fixture::with_algorithms(Algorithm::Es256, Algorithm::Es384),
    |fx| {
        let es256 = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
        input(
            fx.attestation(),
            sign_json(&pop_header("ES256"), &fx.pop_payload(), &es256),
        )
    },
    |_| Error::Pop(PopError::KeyAlgorithmMismatch {
        alg: Algorithm::Es256,
        key: "EC P-384"
    })
);

case!(
    attestation_algorithm_not_allowed,
    Fixture::with_algorithms(Algorithm::Es256, Algorithm::Es256),
    |fx| input(
        sign_json(
            &attestation_header("RS256"),
            &fx.attestation_payload(),
            &fx.attester
        ),
        fx.pop()
    ),
    |_| Error::AttestationAlgorithm(jose_core::Error::AlgorithmNotAllowed {
        alg: Algorithm::Rs256
    })
);

// ---- tests that need more than one request or another request shape ----

#[test]
fn same_jti_twice_is_a_replay_in_both_modes() {
    let fx = Fixture::new();
    let attestation = fx.attestation();
    let pop = fx.pop();
    for required in [true, false] {
        let guard = InMemoryReplayGuard::new(100);
        let verifier = fx.verifier(required);
        let request = ClientAuthRequest::new()
            .with_attestation(Some(&attestation))
            .with_pop(Some(&pop));
        let first = verifier
            .verify(&request, ChallengeCheck::None, &guard, fx.now)
            .unwrap();
        assert_eq!(first.assurance, AssuranceLevel::Attested);
        let second = verifier.verify(&request, ChallengeCheck::None, &guard, fx.now);
        let expected = Error::Replayed {
            token: attestation_jwt::Token::Pop,
        };
        if required {
            assert_eq!(second, Err(expected));
        } else {
            let verdict = second.unwrap();
            assert_eq!(verdict.lenient, Some(LenientReason::Invalid(expected)));
            assert_eq!(verdict.assurance, AssuranceLevel::None);
        }
    }
}

#[test]
fn expired_attestation_is_invalid_client() {
    let fx = Fixture::new();
    let claims = AttestationClaims::new(
        CLIENT_ID,
        fx.instance.public_jwk(),
        fx.now.saturating_sub(5000),
        fx.now.saturating_sub(301),
    );
    let error = fx
        .verify(true, &fx.attestation_from(&claims), &fx.pop(), None)
        .unwrap_err();
    let oauth = oauth_error(&error, || None);
    assert_eq!((oauth.error(), oauth.status()), ("invalid_client", 401));
    assert_eq!(
        oauth.description(),
        format!("client attestation expired at {} (now {NOW})", NOW - 301)
    );
}

#[test]
fn missing_pop_header() {
    let fx = Fixture::new();
    let attestation = fx.attestation();
    let request = ClientAuthRequest::new().with_attestation(Some(&attestation));
    let guard = InMemoryReplayGuard::new(10);
    assert_eq!(
        fx.verifier(true)
            .verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::PopMissing)
    );
}

#[test]
fn missing_headers_strict_and_lenient() {
    let fx = Fixture::new();
    let guard = InMemoryReplayGuard::new(10);
    let request = ClientAuthRequest::new().with_client_id(Some(CLIENT_ID));
    assert_eq!(
        fx.verifier(true)
            .verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::AttestationMissing)
    );
    let oauth = oauth_error(&Error::AttestationMissing, || None);
    assert_eq!((oauth.error(), oauth.status()), ("invalid_client", 401));
    let verdict = fx
        .verifier(false)
        .verify(&request, ChallengeCheck::None, &guard, fx.now)
        .unwrap();
    assert_eq!(verdict.lenient, Some(LenientReason::Absent));
    assert_eq!(verdict.assurance, AssuranceLevel::None);
}

#[test]
fn repeated_header_is_refused() {
    let fx = Fixture::new();
    let (attestation, pop) = (fx.attestation(), fx.pop());
    let request = ClientAuthRequest::from_headers([
        ("OAuth-Client-Attestation", attestation.as_str()),
        ("oauth-client-attestation-pop", pop.as_str()),
        ("OAUTH-CLIENT-ATTESTATION", attestation.as_str()),
    ]);
    let guard = InMemoryReplayGuard::new(10);
    assert_eq!(
        fx.verifier(true)
            .verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::HeaderRepeated {
            header: ATTESTATION_HEADER
        })
    );
}

#[test]
fn descriptions_never_contain_key_material() {
    let fx = Fixture::new();
    let private = fx.attestation_payload()["cnf"]["jwk"]["x"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = with_payload(&fx, |p| p["cnf"]["jwk"]["d"] = json!(private.clone()));
    let error = fx.verify(true, &token, &fx.pop(), None).unwrap_err();
    let oauth = oauth_error(&error, || None);
    assert!(!oauth.description().contains(&private));
    assert!(!format!("{error:?}").contains(&private));
    // The message quotes the member; the description stays in RFC 6749 §5.2's set.
    assert_eq!(
        error.to_string(),
        "client attestation cnf.jwk refused: JWK carries private key member \"d\" where a public key is expected"
    );
    assert_eq!(
        oauth.description(),
        "client attestation cnf.jwk refused: JWK carries private key member 'd' where a public key is expected"
    );
}

case!(
    attestation_header_with_a_parameter,
    |fx| input(format!("{};v=1", fx.attestation()), fx.pop()),
    |_| Error::HeaderNotToken {
        header: ATTESTATION_HEADER
    }
);

case!(
    pop_header_as_a_quoted_string,
    |fx| input(fx.attestation(), format!("\"{}\"", fx.pop())),
    |_| Error::HeaderNotToken { header: POP_HEADER }
);

case!(
    attestation_header_as_a_list,
    |fx| input(
        format!("{}, {}", fx.attestation(), fx.attestation()),
        fx.pop()
    ),
    |_| Error::HeaderNotToken {
        header: ATTESTATION_HEADER
    }
);

case!(
    attestation_without_iat,
    |fx| input(
        with_payload(fx, |p| {
            p.as_object_mut().map(|m| m.remove("iat"));
        }),
        fx.pop()
    ),
    |_| Error::AttestationClaim(ClaimError::Missing { name: "iat" })
);

#[test]
fn an_attestation_without_iat_passes_only_where_the_older_shapes_are_tolerated() {
    let fx = Fixture::new();
    let token = with_payload(&fx, |p| {
        p.as_object_mut().map(|m| m.remove("iat"));
    });
    let pop = fx.pop();
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&token))
        .with_pop(Some(&pop));
    let verdict = fx
        .builder(true)
        .with_missing_iat_tolerated(true)
        .build()
        .unwrap()
        .verify(
            &request,
            ChallengeCheck::None,
            &InMemoryReplayGuard::new(10),
            fx.now,
        )
        .unwrap();
    assert!(verdict.is_attested());
    assert!(
        verdict
            .warnings
            .contains(&attestation_jwt::Warning::AttestationWithoutIat),
        "{:?}",
        verdict.warnings
    );
}

#[test]
fn the_draft_error_code_answers_a_failed_attestation_with_400() {
    let fx = Fixture::new();
    let verifier = fx
        .builder(true)
        .with_error_code(attestation_jwt::AttestationErrorCode::InvalidClientAttestation)
        .build()
        .unwrap();
    let failed = verifier.oauth_error(&Error::ClientIdMismatch, || None);
    assert_eq!(
        (failed.error(), failed.status()),
        ("invalid_client_attestation", 400)
    );
    assert_eq!(failed.header("www-authenticate"), None);
    // An absent attestation is still invalid_client: no attestation was presented.
    let absent = verifier.oauth_error(&Error::AttestationMissing, || None);
    assert_eq!((absent.error(), absent.status()), ("invalid_client", 401));
    // The default stays invalid_client.
    let default = fx
        .verifier(true)
        .oauth_error(&Error::ClientIdMismatch, || None);
    assert_eq!((default.error(), default.status()), ("invalid_client", 401));
}
