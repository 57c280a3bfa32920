//! Fallback client authentication: `private_key_jwt` and client secrets, with assurance levels.

use std::collections::HashMap;
use std::sync::Arc;

use attestation_jwt::{
    AssuranceLevel, AuthMethod, ClientAuthRequest, ClientRegistry, ClientSecret, Error, Fallback,
    JWT_BEARER_ASSERTION_TYPE, Token,
};

use super::*;

struct Registry {
    keys: HashMap<String, PublicJwk>,
    secrets: HashMap<String, ClientSecret>,
}

impl ClientRegistry for Registry {
    fn client_key(&self, client_id: &str) -> Option<PublicJwk> {
        self.keys.get(client_id).cloned()
    }

    fn client_secret(&self, client_id: &str) -> Option<&ClientSecret> {
        self.secrets.get(client_id)
    }
}

const TOKEN_ENDPOINT: &str = "https://as.example.com/token";

fn registry(client_key: &LocalSigner) -> Arc<Registry> {
    Arc::new(Registry {
        keys: HashMap::from([("legacy-app".to_owned(), client_key.public_jwk())]),
        secrets: HashMap::from([(
            "secret-app".to_owned(),
            ClientSecret::new(b"correct horse battery staple".to_vec()),
        )]),
    })
}

fn assertion(signer: &LocalSigner, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({"iss": "legacy-app", "sub": "legacy-app", "aud": TOKEN_ENDPOINT,
        "exp": NOW + 60, "iat": NOW, "jti": "assertion-1"});
    edit(&mut claims);
    sign_json(&json!({"alg": "ES256", "typ": "JWT"}), &claims, signer)
}

fn verify_assertion(
    fx: &Fixture,
    registry: &Arc<Registry>,
    token: &str,
    guard: &InMemoryReplayGuard,
) -> Result<Verdict, Error> {
    let verifier = fx
        .builder(true)
        .with_fallback(Fallback::new(registry.clone()).with_private_key_jwt(Some(TOKEN_ENDPOINT)))
        .build()
        .unwrap();
    let request = ClientAuthRequest::new()
        .with_client_assertion(Some(JWT_BEARER_ASSERTION_TYPE), Some(token));
    verifier.verify(&request, ChallengeCheck::None, guard, fx.now)
}

#[test]
fn private_key_jwt_is_key_bound_and_replay_protected() {
    let fx = Fixture::new();
    let client = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let registry = registry(&client);
    let guard = InMemoryReplayGuard::new(10);
    let token = assertion(&client, |_| {});
    let verdict = verify_assertion(&fx, &registry, &token, &guard).unwrap();
    assert_eq!(verdict.client_id.as_deref(), Some("legacy-app"));
    assert_eq!(verdict.assurance, AssuranceLevel::KeyBoundAssertion);
    assert_eq!(verdict.method, AuthMethod::PrivateKeyJwt);
    assert!(verdict.assurance < AssuranceLevel::Attested);
    assert_eq!(
        verify_assertion(&fx, &registry, &token, &guard),
        Err(Error::Replayed {
            token: Token::ClientAssertion
        })
    );
}

#[test]
fn private_key_jwt_failures() {
    let fx = Fixture::new();
    let client = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let other = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let registry = registry(&client);
    let guard = InMemoryReplayGuard::new(10);
    let cases = [
        (
            assertion(&client, |c| c["sub"] = json!("someone-else")),
            Error::ClientAssertionSubject,
        ),
        (
            assertion(&client, |c| {
                c["iss"] = json!("unknown");
                c["sub"] = json!("unknown");
            }),
            Error::UnknownClient,
        ),
        (
            assertion(&other, |_| {}),
            Error::ClientAssertion(jose_core::Error::SignatureInvalid),
        ),
        (
            assertion(&client, |c| {
                c["aud"] = json!("https://elsewhere.example.com")
            }),
            Error::ClientAssertionAudience,
        ),
        (
            assertion(&client, |c| c["exp"] = json!(NOW - 301)),
            Error::ClientAssertionExpired {
                exp: NOW - 301,
                now: NOW,
            },
        ),
        (
            assertion(&client, |c| c["exp"] = json!(NOW + 86_400)),
            Error::ClientAssertionLifetime {
                exp: NOW + 86_400,
                now: NOW,
            },
        ),
        (
            assertion(&client, |c| drop(c.as_object_mut().unwrap().remove("jti"))),
            Error::ClientAssertionClaim(jose_core::ClaimError::Missing { name: "jti" }),
        ),
    ];
    for (token, expected) in cases {
        assert_eq!(
            verify_assertion(&fx, &registry, &token, &guard),
            Err(expected)
        );
    }
    // The issuer identifier is an accepted audience too.
    let token = assertion(&client, |c| c["aud"] = json!([ISSUER]));
    assert!(verify_assertion(&fx, &registry, &token, &guard).is_ok());
}

#[test]
fn fallback_methods_are_off_unless_configured() {
    let fx = Fixture::new();
    let client = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let token = assertion(&client, |_| {});
    let guard = InMemoryReplayGuard::new(10);
    let request = ClientAuthRequest::new()
        .with_client_assertion(Some(JWT_BEARER_ASSERTION_TYPE), Some(&token));
    assert_eq!(
        fx.verifier(true)
            .verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::MethodNotEnabled {
            method: "private_key_jwt"
        })
    );
    // Lenient mode does not make an unconfigured fallback acceptable either.
    assert_eq!(
        fx.verifier(false)
            .verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::MethodNotEnabled {
            method: "private_key_jwt"
        })
    );
    let registry = registry(&client);
    let only_secrets = fx
        .builder(true)
        .with_fallback(Fallback::new(registry.clone()).with_client_secret(true))
        .build()
        .unwrap();
    assert_eq!(
        only_secrets.verify(&request, ChallengeCheck::None, &guard, fx.now),
        Err(Error::MethodNotEnabled {
            method: "private_key_jwt"
        })
    );
    let unknown_type =
        ClientAuthRequest::new().with_client_assertion(Some("urn:example:other"), Some(&token));
    assert_eq!(
        only_secrets.verify(&unknown_type, ChallengeCheck::None, &guard, fx.now),
        Err(Error::UnsupportedAssertionType)
    );
}

/// A strict verifier with the client secret fallback on, over [`registry`].
fn secret_verifier(fx: &Fixture) -> Arc<ClientAttestationVerifier> {
    let client = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    fx.builder(true)
        .with_fallback(Fallback::new(registry(&client)).with_client_secret(true))
        .build()
        .unwrap()
}

#[test]
fn client_secret_is_the_lowest_assurance() {
    let fx = Fixture::new();
    let verifier = secret_verifier(&fx);
    let guard = InMemoryReplayGuard::new(10);
    let run = |id: &str, secret: &str| {
        let request = ClientAuthRequest::new()
            .with_client_id(Some(id))
            .with_client_secret(Some(secret));
        verifier.verify(&request, ChallengeCheck::None, &guard, fx.now)
    };
    let verdict = run("secret-app", "correct horse battery staple").unwrap();
    assert_eq!(verdict.assurance, AssuranceLevel::SharedSecret);
    assert_eq!(verdict.method, AuthMethod::ClientSecret);
    assert_eq!(verdict.client_id.as_deref(), Some("secret-app"));
    assert!(AssuranceLevel::SharedSecret < AssuranceLevel::KeyBoundAssertion);
    assert_eq!(
        run("secret-app", "correct horse battery stapl"),
        Err(Error::ClientSecretMismatch)
    );
    assert_eq!(run("secret-app", ""), Err(Error::ClientSecretMismatch));
    assert_eq!(run("legacy-app", "x"), Err(Error::UnknownClient));
    let oauth = attestation_jwt::oauth_error(&Error::ClientSecretMismatch, || None);
    assert_eq!((oauth.error(), oauth.status()), ("invalid_client", 401));
    assert!(!oauth.description().contains("staple"));
}

/// `client_secret_basic` (RFC 6749 §2.3.1): the id and secret are form-urlencoded, joined
/// with `:` and base64-encoded; a body `client_id` beside them must name the same client; a
/// header that holds no Basic credentials is refused, as is Basic without the fallback.
#[test]
fn client_secret_basic_is_decoded_and_checked() {
    use base64ct::Encoding;
    let fx = Fixture::new();
    let verifier = secret_verifier(&fx);
    let guard = InMemoryReplayGuard::new(10);
    let basic = |credentials: &str| {
        format!(
            "Basic {}",
            base64ct::Base64::encode_string(credentials.as_bytes())
        )
    };
    let run = |header: &str, body_client_id: Option<&str>| {
        let request = ClientAuthRequest::new()
            .with_client_id(body_client_id)
            .with_authorization(Some(header));
        verifier.verify(&request, ChallengeCheck::None, &guard, fx.now)
    };
    let good = basic("secret-app:correct+horse%20battery+staple");
    let verdict = run(&good, None).unwrap();
    assert_eq!(verdict.client_id.as_deref(), Some("secret-app"));
    assert_eq!(verdict.method, AuthMethod::ClientSecret);
    assert_eq!(
        run(&good, Some("secret-app")).map(|v| v.client_id),
        Ok(Some("secret-app".into()))
    );
    assert_eq!(run(&good, Some("other-app")), Err(Error::ClientIdMismatch));
    assert_eq!(
        run(&basic("secret-app:correct horse battery stapl"), None),
        Err(Error::ClientSecretMismatch)
    );
    for malformed in [
        "basic".to_owned(),
        "BASIC".to_owned(),
        "Basic !!!".to_owned(),
        basic("no-colon"),
        basic("secret-app:bad%zzescape"),
    ] {
        assert_eq!(
            run(&malformed, None),
            Err(Error::BasicCredentialsMalformed),
            "{malformed}"
        );
    }
    // Another scheme is not client authentication: no method at all.
    assert_eq!(run("Bearer abc", None), Err(Error::AttestationMissing));
    let without_fallback = fx.verifier(true);
    let request = ClientAuthRequest::new().with_authorization(Some(&good));
    let refused = without_fallback.verify(&request, ChallengeCheck::None, &guard, fx.now);
    assert_eq!(
        refused,
        Err(Error::MethodNotEnabled {
            method: "client_secret_basic"
        })
    );
    // RFC 6749 §5.2: the 401 challenges the scheme the client used.
    let answer = without_fallback.oauth_error_for(&request, &refused.unwrap_err(), || None);
    assert_eq!((answer.status(), answer.error()), (401, "invalid_client"));
    let challenge = answer
        .headers()
        .find(|(name, _)| *name == "www-authenticate")
        .map(|(_, value)| value.into_owned());
    assert!(
        challenge
            .as_deref()
            .is_some_and(|c| c.starts_with("Basic ")),
        "{challenge:?}"
    );
}

#[test]
fn metadata_lists_enabled_fallbacks() {
    let fx = Fixture::new();
    let client = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let registry = registry(&client);
    let metadata = fx
        .builder(true)
        .with_attestation_algorithms(&[Algorithm::Es256])
        .with_fallback(
            Fallback::new(registry)
                .with_private_key_jwt(None)
                .with_client_secret(true),
        )
        .build()
        .unwrap()
        .metadata(Some("https://as.example.com/challenge"));
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!([
            "attest_jwt_client_auth",
            "private_key_jwt",
            "client_secret_basic",
            "client_secret_post"
        ])
    );
    assert_eq!(
        metadata["token_endpoint_auth_signing_alg_values_supported"],
        json!(["ES256"])
    );
    assert_eq!(
        metadata["challenge_endpoint"],
        "https://as.example.com/challenge"
    );
}
