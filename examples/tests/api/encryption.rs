//! Credential request and response encryption over HTTP (OpenID4VCI 1.0 §8.2, §10): the
//! metadata, an encrypted issuance by the demo wallet, encrypted deferred answers, and the
//! refusals.

use examples::config::DEFERRED_CONFIGURATION_ID;
use examples::wallet::credential_request_body;
use jose_core::jwe::{
    CompactJwe, ContentEncryption, JweEncrypter, JweLimits, JwePolicy, KeyAgreement as _,
    LocalKeyAgreement,
};
use jose_core::{EcCurve, PublicJwk, SystemRandom};
use serde_json::{Value, json};

use crate::common::TestEnv;

#[test]
fn the_metadata_offers_request_and_response_encryption() {
    let t = TestEnv::start();
    let info = t.wallet().discover(&t.env.issuer_url).unwrap();
    let request = &info.metadata["credential_request_encryption"];
    assert_eq!(
        request["enc_values_supported"],
        json!(["A128GCM", "A256GCM"])
    );
    assert_eq!(request["zip_values_supported"], json!(["DEF"]));
    assert_eq!(request["encryption_required"], false);
    let key = &request["jwks"]["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["use"]),
        (
            &json!("EC"),
            &json!("P-256"),
            &json!("ECDH-ES"),
            &json!("enc")
        )
    );
    assert!(key["kid"].is_string() && key.get("d").is_none());
    assert_eq!(
        info.metadata["credential_response_encryption"],
        json!({"alg_values_supported": ["ECDH-ES"], "enc_values_supported": ["A128GCM", "A256GCM"],
            "zip_values_supported": ["DEF"], "encryption_required": false})
    );
}

#[test]
fn the_demo_wallet_runs_an_encrypted_issuance() {
    let t = TestEnv::start();
    let wallet = t.wallet().with_encryption();
    let (uri, tx, _) = t.offer(true);
    // The wallet refuses a plaintext 2xx once it asked for encryption: success means every
    // credential answer came as a JWE it decrypted.
    let outcome = wallet.run_offer(&uri, tx.as_deref(), 2).unwrap();
    assert_eq!(outcome.credentials.len(), 2);
    for c in &outcome.credentials {
        assert_eq!(c.claims["given_name"], "Erika");
    }
}

struct Encrypted {
    to_issuer: JweEncrypter,
    wallet_key: LocalKeyAgreement,
}

impl Encrypted {
    fn new(metadata: &Value) -> Self {
        let key = metadata["credential_request_encryption"]["jwks"]["keys"][0]
            .as_object()
            .unwrap();
        let to_issuer = JweEncrypter::new(
            &PublicJwk::from_map(key).unwrap(),
            ContentEncryption::A256Gcm,
        )
        .unwrap()
        .with_kid(key["kid"].as_str().unwrap());
        Self {
            to_issuer,
            wallet_key: LocalKeyAgreement::generate(EcCurve::P256, &SystemRandom::new()).unwrap(),
        }
    }

    fn seal(&self, mut body: Value) -> String {
        let mut jwk = self.wallet_key.public_jwk().to_value();
        jwk["alg"] = "ECDH-ES".into();
        body["credential_response_encryption"] =
            json!({"jwk": jwk, "enc": "A128GCM", "zip": "DEF"});
        self.to_issuer
            .encrypt(body.to_string().as_bytes(), &SystemRandom::new())
            .unwrap()
    }

    fn open(&self, reply: &examples::wallet::Reply) -> Value {
        assert_eq!(reply.header("content-type"), Some("application/jwt"));
        let jwe = CompactJwe::parse(reply.body.as_str().unwrap(), &JweLimits::default()).unwrap();
        assert_eq!(jwe.header().enc(), ContentEncryption::A128Gcm);
        let plain = jwe
            .decrypt(&self.wallet_key, &JwePolicy::default())
            .unwrap();
        serde_json::from_slice(&plain).unwrap()
    }
}

#[test]
fn deferred_answers_come_encrypted_and_plaintext_with_encryption_is_refused() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (info, tokens) = t.tokens_for(&wallet, DEFERRED_CONFIGURATION_ID);
    let proof = crate::common::fresh_proof(&wallet, &info);
    let encrypted = Encrypted::new(&info.metadata);
    let bearer = format!("Bearer {}", tokens.access_token);
    let jwt_headers = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/jwt"),
    ];
    let credential_url = info.credential_endpoint().unwrap().to_owned();
    let body = credential_request_body(DEFERRED_CONFIGURATION_ID, &[proof]);

    // Plaintext JSON asking for an encrypted answer: refused before anything is issued.
    let mut plain = body.clone();
    plain["credential_response_encryption"] = json!({"jwk": {}, "enc": "A128GCM"});
    let refused = wallet
        .post_authorized("credential", &credential_url, &tokens, &plain)
        .unwrap();
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error_code(), Some("invalid_encryption_parameters"));
    assert_eq!(
        refused.str("error_description"),
        Some("credential_response_encryption requires an encrypted credential request")
    );

    let reply = wallet
        .http
        .post_raw(
            "credential",
            &credential_url,
            encrypted.seal(body).as_bytes(),
            &jwt_headers,
        )
        .unwrap();
    assert_eq!(reply.status, 202);
    let pending = encrypted.open(&reply);
    let tx = json!({"transaction_id": pending["transaction_id"].as_str().unwrap()});
    let url = info
        .endpoint("deferred_credential_endpoint")
        .unwrap()
        .to_owned();
    t.clock.advance(1);
    let ready = wallet
        .http
        .post_raw(
            "deferred",
            &url,
            encrypted.seal(tx).as_bytes(),
            &jwt_headers,
        )
        .unwrap();
    assert_eq!(ready.status, 200);
    let inner = encrypted.open(&ready);
    let credential = inner["credentials"][0]["credential"].as_str().unwrap();
    assert!(wallet.verify_credential(&info, credential).is_ok());

    // A JWE that does not decrypt under the issuer's key.
    let reply = wallet
        .http
        .post_raw("credential", &credential_url, b"a.b.c.d.e", &jwt_headers)
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), Some("invalid_encryption_parameters"));
}
