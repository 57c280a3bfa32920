//! Credential request and response encryption (OpenID4VCI 1.0 §8.2, §8.3, §10): encrypted
//! requests, encrypted immediate and deferred answers, and the exact
//! `invalid_encryption_parameters` answers.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]

use std::sync::Arc;

use jose_core::jwe::{
    CompactJwe, Compression, ContentEncryption, JweEncrypter, JweLimits, JwePolicy, KeyAgreement,
    LocalKeyAgreement,
};
use jose_core::{Algorithm, EcCurve, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    AccessGrant, CredentialFormat, CredentialProfile, EncryptionSettings, EndpointRequest,
    EndpointResponse, GrantId, IssuerEngine, IssuerKeys, IssuerSettings, RequestDecryptionKey,
    SigningKey, StoreLimits, Stores,
};
use oid4vci_types::OAuthError;
use pop_verifier::{KeyProofClaims, ProofKey, build_key_proof};
use serde_json::{Map, Value, json};

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const ISSUER: &str = "https://issuer.example";
const TOKEN: &str = "access-token-1";

struct Setup {
    engine: IssuerEngine,
    request_key: LocalKeyAgreement,
    wallet_key: LocalKeyAgreement,
    holder: LocalSigner,
}

fn setup(encryption: Option<fn(EncryptionSettings) -> EncryptionSettings>) -> Setup {
    setup_with(encryption, Stores::in_memory(&StoreLimits::default(), 64))
}

fn setup_with(
    encryption: Option<fn(EncryptionSettings) -> EncryptionSettings>,
    stores: Stores,
) -> Setup {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let grant = AccessGrant::new(
        GrantId::new("grant-1".into()),
        vec!["pid".into(), "pid_later".into()],
        Map::new(),
        ISSUER.into(),
        NOW.saturating_add(3600),
    );
    stores.tokens.insert(TOKEN.into(), grant, NOW).unwrap();
    let sd_jwt = CredentialFormat::SdJwtVc {
        vct: "urn:example:pid".into(),
        always_disclosed: Vec::new(),
    };
    let profiles = vec![
        CredentialProfile::new("pid", sd_jwt.clone()),
        CredentialProfile::new("pid_later", sd_jwt).deferred(),
    ];
    let request_key = LocalKeyAgreement::generate(EcCurve::P256, &rng).unwrap();
    let mut builder = IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        profiles,
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[5u8; 32],
        Arc::new(SystemRandom::new()),
    )
    .with_stores(stores);
    if let Some(configure) = encryption {
        let settings = EncryptionSettings::new(vec![RequestDecryptionKey::new(
            "req-1",
            Arc::new(request_key.clone()),
        )]);
        builder = builder.with_encryption(configure(settings));
    }
    Setup {
        engine: builder.build().unwrap(),
        request_key,
        wallet_key: LocalKeyAgreement::generate(EcCurve::P256, &rng).unwrap(),
        holder: LocalSigner::generate(Algorithm::Es256, &rng).unwrap(),
    }
}

fn offered(settings: EncryptionSettings) -> EncryptionSettings {
    settings.with_zip(true)
}

impl Setup {
    fn proof(&self) -> String {
        let nonce = self.engine.nonce(NOW).unwrap().body.unwrap()["c_nonce"]
            .as_str()
            .unwrap()
            .to_owned();
        let claims = KeyProofClaims::new(ISSUER, NOW).with_nonce(nonce);
        build_key_proof(
            &claims,
            &ProofKey::Jwk(self.holder.public_jwk()),
            &self.holder,
        )
        .unwrap()
    }

    /// `credential_response_encryption` to the wallet's key.
    fn response_params(&self, enc: &str) -> Value {
        let mut jwk = self.wallet_key.public_jwk().to_value();
        jwk["alg"] = "ECDH-ES".into();
        json!({ "jwk": jwk, "enc": enc })
    }

    fn encrypt(&self, body: &Value) -> String {
        JweEncrypter::new(
            &self.request_key.public_jwk().with_kid("req-1"),
            ContentEncryption::A128Gcm,
        )
        .unwrap()
        .encrypt(body.to_string().as_bytes(), &SystemRandom::new())
        .unwrap()
    }

    fn call(
        &self,
        deferred: bool,
        media_type: &str,
        body: &[u8],
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let auth = format!("Bearer {TOKEN}");
        let headers: [(&str, &[u8]); 2] = [
            ("authorization", auth.as_bytes()),
            ("content-type", media_type.as_bytes()),
        ];
        let request = EndpointRequest::new(&headers, body);
        if deferred {
            self.engine.deferred_credential(&request, now)
        } else {
            self.engine.credential(&request, now)
        }
    }

    fn encrypted_call(&self, deferred: bool, body: &Value) -> Result<EndpointResponse, OAuthError> {
        self.call(
            deferred,
            "application/jwt",
            self.encrypt(body).as_bytes(),
            NOW,
        )
    }

    /// The JSON inside an encrypted answer, after checking its media type.
    fn open(&self, answer: &EndpointResponse) -> Value {
        assert_eq!(answer.body, None);
        assert!(
            answer
                .headers
                .iter()
                .any(|(n, v)| *n == "content-type" && v == "application/jwt"),
            "{:?}",
            answer.headers
        );
        let token = answer.jwt.as_deref().unwrap();
        let jwe = CompactJwe::parse(token, &JweLimits::default()).unwrap();
        let plain = jwe
            .decrypt(&self.wallet_key, &JwePolicy::default())
            .unwrap();
        serde_json::from_slice(&plain).unwrap()
    }
}

fn assert_refused(answer: Result<EndpointResponse, OAuthError>, description: &str) {
    let error = answer.unwrap_err();
    assert_eq!(
        (error.status(), error.error(), error.description()),
        (400, "invalid_encryption_parameters", description)
    );
}

#[test]
fn an_encrypted_request_gets_an_encrypted_credential() {
    let s = setup(Some(offered));
    for (enc, zip) in [("A128GCM", None), ("A256GCM", Some("DEF"))] {
        let mut params = s.response_params(enc);
        if let Some(zip) = zip {
            params["zip"] = zip.into();
        }
        let body = json!({
            "credential_configuration_id": "pid",
            "proofs": { "jwt": [s.proof()] },
            "credential_response_encryption": params,
        });
        let answer = s.encrypted_call(false, &body).unwrap();
        assert_eq!(answer.status, 200);
        let jwe = CompactJwe::parse(answer.jwt.as_deref().unwrap(), &JweLimits::default()).unwrap();
        assert_eq!(jwe.header().enc().jose_name(), enc);
        assert_eq!(jwe.header().zip(), zip.map(|_| Compression::Deflate));
        let inner = s.open(&answer);
        let credential = inner["credentials"][0]["credential"].as_str().unwrap();
        assert_eq!(credential.split('~').next().unwrap().split('.').count(), 3);
        assert!(inner["notification_id"].is_string());
    }
}

#[test]
fn an_encrypted_request_without_response_encryption_gets_plain_json() {
    let s = setup(Some(offered));
    let body = json!({ "credential_configuration_id": "pid", "proofs": { "jwt": [s.proof()] } });
    let answer = s.encrypted_call(false, &body).unwrap();
    assert_eq!((answer.status, answer.jwt.as_deref()), (200, None));
    assert!(answer.body.unwrap()["credentials"][0]["credential"].is_string());
}

#[test]
fn deferred_answers_202_and_200_are_encrypted() {
    let s = setup(Some(offered));
    let body = json!({
        "credential_configuration_id": "pid_later",
        "proofs": { "jwt": [s.proof()] },
        "credential_response_encryption": s.response_params("A128GCM"),
    });
    let answer = s.encrypted_call(false, &body).unwrap();
    assert_eq!(answer.status, 202);
    let inner = s.open(&answer);
    let transaction_id = inner["transaction_id"].as_str().unwrap().to_owned();
    assert_eq!(inner["interval"], 1);

    let deferred = json!({
        "transaction_id": transaction_id,
        "credential_response_encryption": s.response_params("A256GCM"),
    });
    let pending = s.encrypted_call(true, &deferred).unwrap();
    assert_eq!(pending.status, 202);
    assert_eq!(s.open(&pending)["transaction_id"], transaction_id.as_str());

    let ready = s
        .call(
            true,
            "application/jwt",
            s.encrypt(&deferred).as_bytes(),
            NOW.saturating_add(2),
        )
        .unwrap();
    assert_eq!(ready.status, 200);
    assert!(s.open(&ready)["credentials"][0]["credential"].is_string());
}

/// Notification ids that cannot be registered while `down` is set (a database gone).
#[derive(Debug, Default)]
struct FlakyNotifications {
    inner: oid4vci_issuer::InMemoryNotifications,
    down: core::sync::atomic::AtomicBool,
}

impl oid4vci_issuer::NotificationStore for FlakyNotifications {
    fn register(
        &self,
        grant: &GrantId,
        notification_id: String,
        credential_ids: Vec<String>,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), oid4vci_issuer::StoreError> {
        if self.down.load(core::sync::atomic::Ordering::SeqCst) {
            return Err(oid4vci_issuer::StoreError::Unavailable("down".into()));
        }
        self.inner
            .register(grant, notification_id, credential_ids, expires_at, now)
    }
    fn record(
        &self,
        grant: &GrantId,
        notification_id: &str,
        event: &str,
        now: UnixTime,
    ) -> Result<bool, oid4vci_issuer::StoreError> {
        self.inner.record(grant, notification_id, event, now)
    }
    fn events(
        &self,
        grant: &GrantId,
        notification_id: &str,
        now: UnixTime,
    ) -> Result<Vec<String>, oid4vci_issuer::StoreError> {
        self.inner.events(grant, notification_id, now)
    }
}

/// A ready deferred transaction whose answer cannot be completed (the notification store is
/// down) is a server error, and the credentials stay under the transaction: the wallet's
/// retry collects them (they used to be gone: `invalid_transaction_id` for ever).
#[test]
fn a_deferred_answer_that_fails_keeps_the_credentials_for_the_retry() {
    let notifications = Arc::new(FlakyNotifications::default());
    let mut stores = Stores::in_memory(&StoreLimits::default(), 64);
    stores.notifications = notifications.clone();
    let s = setup_with(None, stores);
    let body = json!({
        "credential_configuration_id": "pid_later",
        "proofs": { "jwt": [s.proof()] },
    });
    let json = |body: &Value, deferred: bool, now: UnixTime| {
        s.call(
            deferred,
            "application/json",
            body.to_string().as_bytes(),
            now,
        )
    };
    let answer = json(&body, false, NOW).unwrap();
    assert_eq!(answer.status, 202);
    let transaction_id = answer.body.unwrap()["transaction_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let collect = json!({ "transaction_id": transaction_id });
    notifications
        .down
        .store(true, core::sync::atomic::Ordering::SeqCst);
    let failed = json(&collect, true, NOW.saturating_add(2)).unwrap_err();
    assert_eq!((failed.status(), failed.error()), (500, "server_error"));
    notifications
        .down
        .store(false, core::sync::atomic::Ordering::SeqCst);
    let ready = json(&collect, true, NOW.saturating_add(3)).unwrap();
    assert_eq!(ready.status, 200);
    assert!(ready.body.unwrap()["credentials"][0]["credential"].is_string());
    let again = json(&collect, true, NOW.saturating_add(4)).unwrap_err();
    assert_eq!(again.error(), "invalid_transaction_id", "handed out once");
}

#[test]
fn bad_response_encryption_parameters_are_invalid_encryption_parameters() {
    let s = setup(Some(|e: EncryptionSettings| e));
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut params = s.response_params("A128GCM");
        edit(&mut params);
        json!({
            "credential_configuration_id": "pid",
            "proofs": { "jwt": [s.proof()] },
            "credential_response_encryption": params,
        })
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(&|p| p["enc"] = "A192GCM".into()),
            "credential_response_encryption.enc 'A192GCM' is not supported",
        ),
        (
            with(&|p| p["enc"] = "A128CBC-HS256".into()),
            "credential_response_encryption.enc 'A128CBC-HS256' is not supported",
        ),
        (
            with(&|p| p["zip"] = "DEF".into()),
            "credential_response_encryption.zip 'DEF' is not supported",
        ),
        (
            with(&|p| p["jwk"]["alg"] = "RSA-OAEP-256".into()),
            "credential_response_encryption.jwk.alg 'RSA-OAEP-256' is not supported (ECDH-ES only)",
        ),
        (
            with(&|p| {
                p["jwk"].as_object_mut().unwrap().remove("alg");
            }),
            "credential_response_encryption.jwk.alg is missing",
        ),
        (
            with(&|p| p["jwk"]["d"] = "AAAA".into()),
            "credential_response_encryption.jwk is not a usable public key: JWK carries private key member 'd' where a public key is expected",
        ),
        (
            with(&|p| {
                p["jwk"] = json!({"kty": "OKP", "crv": "Ed25519", "alg": "ECDH-ES",
                    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
            }),
            "credential_response_encryption.jwk cannot be used: recipient key cannot be used: not an EC key",
        ),
        // A signing key in place of an encryption key (RFC 7517 §4.2-4.3).
        (
            with(&|p| p["jwk"]["use"] = "sig".into()),
            "credential_response_encryption.jwk cannot be used: recipient key cannot be used: its use is not enc",
        ),
        (
            with(&|p| p["jwk"]["key_ops"] = json!(["verify"])),
            "credential_response_encryption.jwk cannot be used: recipient key cannot be used: its key_ops allow no encryption or key agreement",
        ),
    ];
    for (body, description) in cases {
        assert_refused(s.encrypted_call(false, &body), description);
    }
    // No jwk at all: encryption parameters that are "either invalid or missing" (§8.3.1.2).
    let mut body = with(&|_| {});
    body["credential_response_encryption"]
        .as_object_mut()
        .unwrap()
        .remove("jwk");
    let error = s.encrypted_call(false, &body).unwrap_err();
    assert_eq!(
        (error.status(), error.error()),
        (400, "invalid_encryption_parameters")
    );
}

#[test]
fn response_encryption_in_a_plaintext_request_is_refused() {
    let s = setup(Some(offered));
    let body = json!({
        "credential_configuration_id": "pid",
        "proofs": { "jwt": [s.proof()] },
        "credential_response_encryption": s.response_params("A128GCM"),
    });
    assert_refused(
        s.call(false, "application/json", body.to_string().as_bytes(), NOW),
        "credential_response_encryption requires an encrypted credential request",
    );
}

#[test]
fn required_encryption_refuses_plaintext_requests_and_responses() {
    let s = setup(Some(|e: EncryptionSettings| e.with_required(true, true)));
    let body = json!({ "credential_configuration_id": "pid", "proofs": { "jwt": [s.proof()] } });
    assert_refused(
        s.call(false, "application/json", body.to_string().as_bytes(), NOW),
        "the credential request must be encrypted (Content-Type: application/jwt)",
    );
    assert_refused(
        s.encrypted_call(false, &body),
        "credential_response_encryption is required by this issuer",
    );
    assert_refused(
        s.call(true, "application/json", br#"{"transaction_id":"t"}"#, NOW),
        "the credential request must be encrypted (Content-Type: application/jwt)",
    );
}

#[test]
fn undecryptable_requests_are_refused_exactly() {
    let s = setup(Some(|e: EncryptionSettings| {
        e.with_enc_values(vec![ContentEncryption::A128Gcm])
    }));
    let body = json!({ "credential_configuration_id": "pid", "proofs": { "jwt": [s.proof()] } });
    let rng = SystemRandom::new();
    let to_issuer = |enc, zip, kid: &str| {
        JweEncrypter::new(&s.request_key.public_jwk().with_kid(kid), enc)
            .unwrap()
            .with_zip(zip)
            .encrypt(body.to_string().as_bytes(), &rng)
            .unwrap()
    };
    let call = |token: &str| s.call(false, "application/jwt", token.as_bytes(), NOW);
    assert_refused(
        call(&to_issuer(ContentEncryption::A256Gcm, None, "req-1")),
        "the encrypted credential request is refused: JWE enc A256GCM is not allowed here",
    );
    assert_refused(
        call(&to_issuer(
            ContentEncryption::A128Gcm,
            Some(Compression::Deflate),
            "req-1",
        )),
        "the encrypted credential request is refused: JWE zip is not allowed here",
    );
    assert_refused(
        call(&to_issuer(ContentEncryption::A128Gcm, None, "req-2")),
        "the encrypted credential request names an unknown kid 'req-2'",
    );
    // Encrypted to another key under the right kid: authentication fails.
    let stranger = LocalKeyAgreement::generate(EcCurve::P256, &rng).unwrap();
    let token = JweEncrypter::new(&stranger.public_jwk(), ContentEncryption::A128Gcm)
        .unwrap()
        .with_kid("req-1")
        .encrypt(body.to_string().as_bytes(), &rng)
        .unwrap();
    assert_refused(
        call(&token),
        "the encrypted credential request is refused: JWE authentication failed",
    );
    // A header with an unsupported alg.
    let header = jose_core::base64url::encode(br#"{"alg":"RSA-OAEP","enc":"A128GCM"}"#);
    assert_refused(
        call(&format!(
            "{header}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"
        )),
        "the encrypted credential request is refused: unsupported JWE alg 'RSA-OAEP'",
    );
    assert_refused(
        call("not a jwe"),
        "the encrypted credential request is refused: compact JWE must have exactly 5 parts, found 1",
    );
}

#[test]
fn without_encryption_settings_encryption_is_refused() {
    let s = setup(None);
    let body = json!({
        "credential_configuration_id": "pid",
        "proofs": { "jwt": [s.proof()] },
        "credential_response_encryption": s.response_params("A128GCM"),
    });
    assert_refused(
        s.call(false, "application/jwt", b"a.b.c.d.e", NOW),
        "this issuer offers no credential request encryption",
    );
    assert_refused(
        s.call(false, "application/json", body.to_string().as_bytes(), NOW),
        "credential_response_encryption was requested, but this issuer offers no response encryption",
    );
}

#[test]
fn encryption_metadata_comes_from_the_settings() {
    let s = setup(Some(offered));
    let settings = s.engine.encryption().unwrap();
    let request = serde_json::to_value(settings.request_metadata()).unwrap();
    let mut jwk = s.request_key.public_jwk().to_value();
    jwk["kid"] = "req-1".into();
    jwk["use"] = "enc".into();
    jwk["alg"] = "ECDH-ES".into();
    assert_eq!(
        request,
        json!({"jwks": {"keys": [jwk]}, "enc_values_supported": ["A128GCM", "A256GCM"],
            "zip_values_supported": ["DEF"], "encryption_required": false})
    );
    assert_eq!(
        serde_json::to_value(settings.response_metadata()).unwrap(),
        json!({"alg_values_supported": ["ECDH-ES"], "enc_values_supported": ["A128GCM", "A256GCM"],
            "zip_values_supported": ["DEF"], "encryption_required": false})
    );
}

#[test]
fn bad_encryption_settings_are_refused_at_build_with_their_path() {
    let key: Arc<dyn KeyAgreement + Send + Sync> =
        Arc::new(LocalKeyAgreement::generate(EcCurve::P384, &SystemRandom::new()).unwrap());
    let cases = [
        (
            EncryptionSettings::new(Vec::new()),
            "encryption.requestKeys: needs at least one key (response encryption requires an encrypted request)",
        ),
        (
            EncryptionSettings::new(vec![
                RequestDecryptionKey::new("a", key.clone()),
                RequestDecryptionKey::new("a", key.clone()),
            ]),
            "encryption.requestKeys[1].kid: is used twice",
        ),
        (
            EncryptionSettings::new(vec![RequestDecryptionKey::new("", key.clone())]),
            "encryption.requestKeys[0].kid: is empty",
        ),
        (
            EncryptionSettings::new(vec![RequestDecryptionKey::new("a", key.clone())])
                .with_enc_values(Vec::new()),
            "encryption.encValuesSupported: must name at least one of A128GCM, A256GCM",
        ),
        (
            EncryptionSettings::new(vec![RequestDecryptionKey::new("a", key)])
                .with_enc_values(vec![ContentEncryption::A128Gcm, ContentEncryption::A128Gcm]),
            "encryption.encValuesSupported[1]: is listed twice",
        ),
    ];
    for (settings, expected) in cases {
        let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
        let error = IssuerEngine::builder(
            IssuerSettings::new(ISSUER),
            vec![CredentialProfile::new(
                "pid",
                CredentialFormat::SdJwtVc {
                    vct: "urn:example:pid".into(),
                    always_disclosed: Vec::new(),
                },
            )],
            IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
            &[5u8; 32],
            Arc::new(SystemRandom::new()),
        )
        .with_encryption(settings)
        .build()
        .unwrap_err();
        assert_eq!(error.to_string(), expected);
    }
}

/// A deferred request whose `credential_response_encryption` is not the §8.2 object is
/// `invalid_encryption_parameters` (§9.3 uses the credential endpoint's codes), not
/// `invalid_credential_request`; a request without `transaction_id` stays the latter.
#[test]
fn a_malformed_deferred_encryption_object_is_invalid_encryption_parameters() {
    let s = setup(Some(offered));
    let call = |body: Value| {
        s.call(true, "application/json", body.to_string().as_bytes(), NOW)
            .map(|answer| answer.status)
            .map_err(|e| (e.status(), e.error().to_owned()))
    };
    assert_eq!(
        call(json!({"transaction_id": "t-1", "credential_response_encryption": {"jwk": {}}})),
        Err((400, "invalid_encryption_parameters".into()))
    );
    assert_eq!(
        call(json!({"credential_response_encryption": s.response_params("A128GCM")})),
        Err((400, "invalid_credential_request".into()))
    );
}
