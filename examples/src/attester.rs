//! The Client Attester service: signs Client Attestation JWTs for wallet instance keys with a
//! key it holds in the keystore (the demo's KMS) or in a PKCS#11 token.
//!
//! HTTP: `POST /attestations` with `{"jwk": {public instance key}}` answers
//! `{"attestation": "<oauth-client-attestation+jwt>"}`. As a wallet provider it also issues
//! key attestations (OpenID4VCI 1.0 App. D): `POST /key-attestations` with
//! `{"keys": [{public holder key}, ...], "nonce": "<c_nonce>"?}` answers
//! `{"key_attestation": "<key-attestation+jwt>"}`, signed with the same key and `x5c`. A real
//! attester first checks the device (platform key attestation, app integrity) and reports the
//! storage it saw; the demo attests every key it is shown at [`DEMO_KEY_STORAGE`].

use std::sync::Arc;

use attestation_jwt::{AttestationClaims, AttesterKeyId};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use jose_core::{PublicJwk, Signer, UnixTime};
use pop_verifier::KeyAttestationClaims;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::error::{ApiError, DemoError};
use crate::keystore::Keystore;

/// Default attestation lifetime: one hour.
pub const DEFAULT_ATTESTATION_TTL_SECS: u64 = 3600;
/// The `iss` of the demo attester's client attestations: the wallet provider's identifier.
/// ABCA draft -07, which OpenID4VCI 1.0 and HAIP 1.0 cite, requires `iss` in the attestation
/// (wallet libraries on that draft, such as oid4vc-ts, refuse one without); from -08 on it is
/// gone, and verifiers on later drafts ignore it.
pub const DEMO_ATTESTER_ISSUER: &str = "https://wallet-provider.example.org";

/// The `key_storage` and `user_authentication` level the demo claims for every attested key
/// (OpenID4VCI 1.0 App. D.2).
pub const DEMO_KEY_STORAGE: &str = "iso_18045_moderate";

/// The most keys one key attestation request may name.
pub const MAX_KEYS_PER_KEY_ATTESTATION: usize = 16;

/// The attester.
#[derive(Clone)]
pub struct Attester {
    signer: Arc<dyn Signer + Send + Sync>,
    key_reference: String,
    client_id: String,
    ttl: u64,
    x5c: Option<Vec<Vec<u8>>>,
    clock: Arc<dyn Clock>,
}

impl core::fmt::Debug for Attester {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Attester")
            .field("algorithm", &self.signer.algorithm())
            .field("key_reference", &self.key_reference)
            .field("client_id", &self.client_id)
            .field("ttl", &self.ttl)
            .field("x5c", &self.x5c.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl Attester {
    /// An attester signing with `key_reference` of `keystore`, for wallets of `client_id`.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] if the keystore has no such key.
    pub fn new(
        keystore: Keystore,
        key_reference: &str,
        client_id: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DemoError> {
        let signer = keystore.signer(key_reference).ok_or_else(|| {
            DemoError::Keystore(format!("no key {key_reference} in the keystore"))
        })?;
        Ok(Self::with_signer(signer, key_reference, client_id, clock))
    }

    /// An attester signing with `signer` (a keystore key, or a key in a PKCS#11 token), named
    /// `key_reference` in the `kid` of attestations without `x5c`, for wallets of `client_id`.
    #[must_use]
    pub fn with_signer(
        signer: Arc<dyn Signer + Send + Sync>,
        key_reference: &str,
        client_id: &str,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            signer,
            key_reference: key_reference.to_owned(),
            client_id: client_id.to_owned(),
            ttl: DEFAULT_ATTESTATION_TTL_SECS,
            x5c: None,
            clock,
        }
    }

    /// Sets the attestation lifetime.
    #[must_use]
    pub const fn with_ttl(mut self, secs: u64) -> Self {
        self.ttl = secs;
        self
    }

    /// Names the attester key by `x5c` (its certificate chain, leaf first, without the root)
    /// instead of `kid`. Both `kms-key` (which ignores the header) and `x509-chain` verifiers
    /// accept such attestations.
    #[must_use]
    pub fn with_x5c(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.x5c = Some(chain);
        self
    }

    /// The client id (`sub`) the attestations carry.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Attests `instance_key` now.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when signing fails.
    pub fn attest(&self, instance_key: &PublicJwk) -> Result<String, DemoError> {
        let now = self.clock.now();
        self.attest_between(instance_key, now, now.saturating_add(self.ttl))
    }

    /// Attests `instance_key` with explicit `iat` and `exp` (the demo uses it to show an
    /// expired attestation being refused).
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when signing fails or `exp <= iat`.
    pub fn attest_between(
        &self,
        instance_key: &PublicJwk,
        iat: UnixTime,
        exp: UnixTime,
    ) -> Result<String, DemoError> {
        let claims =
            AttestationClaims::new(self.client_id.as_str(), instance_key.clone(), iat, exp)
                .with_issuer(DEMO_ATTESTER_ISSUER)
                .with_wallet_name("Demo Wallet");
        let key_id = match &self.x5c {
            Some(chain) => AttesterKeyId::X5c(chain.clone()),
            None => AttesterKeyId::Kid(self.key_reference.clone()),
        };
        attestation_jwt::issue_attestation(&claims, &key_id, self.signer.as_ref())
            .map_err(|e| DemoError::Protocol(format!("attestation signing: {e}")))
    }
}

impl Attester {
    /// A key attestation (`key-attestation+jwt`) for `keys`, valid for the attestation
    /// lifetime, carrying `nonce` (a `c_nonce` of the issuer) when given.
    ///
    /// # Errors
    /// [`DemoError::Config`] when the attester has no `x5c` chain (key attestations name the
    /// provider key by `x5c` only); [`DemoError::Protocol`] when signing fails.
    pub fn attest_keys(
        &self,
        keys: Vec<PublicJwk>,
        nonce: Option<&str>,
    ) -> Result<String, DemoError> {
        let chain = self.x5c.clone().ok_or_else(|| {
            DemoError::Config("key attestations need the attester's x5c chain".into())
        })?;
        let now = self.clock.now();
        let mut claims = KeyAttestationClaims::new(now, now.saturating_add(self.ttl), keys)
            .with_levels(vec![DEMO_KEY_STORAGE.into()], vec![DEMO_KEY_STORAGE.into()]);
        if let Some(nonce) = nonce {
            claims = claims.with_nonce(nonce);
        }
        pop_verifier::build_key_attestation(&claims, chain, self.signer.as_ref())
            .map_err(|e| DemoError::Protocol(format!("key attestation signing: {e}")))
    }
}

/// The attester's router: `POST /attestations` and `POST /key-attestations`.
pub fn router(attester: Arc<Attester>) -> Router {
    Router::new()
        .route("/attestations", post(attest))
        .route("/key-attestations", post(attest_keys))
        .with_state(attester)
}

async fn attest_keys(
    State(attester): State<Arc<Attester>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_request(format!("body: {e}")))?;
    let keys = value
        .get("keys")
        .and_then(Value::as_array)
        .filter(|keys| !keys.is_empty())
        .ok_or_else(|| ApiError::invalid_request("keys must be a non-empty array of JWKs"))?;
    if keys.len() > MAX_KEYS_PER_KEY_ATTESTATION {
        return Err(ApiError::invalid_request(format!(
            "at most {MAX_KEYS_PER_KEY_ATTESTATION} keys per key attestation"
        )));
    }
    let keys = keys
        .iter()
        .enumerate()
        .map(|(i, jwk)| {
            PublicJwk::from_value(jwk)
                .map_err(|e| ApiError::invalid_request(format!("keys[{i}]: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let nonce = match value.get("nonce") {
        None | Some(Value::Null) => None,
        Some(Value::String(nonce)) => Some(nonce.as_str()),
        Some(_) => return Err(ApiError::invalid_request("nonce must be a string")),
    };
    let count = keys.len();
    let key_attestation = attester
        .attest_keys(keys, nonce)
        .map_err(|e| ApiError::server_error(&e))?;
    tracing::info!(keys = count, "key attestation issued");
    Ok(Json(json!({"key_attestation": key_attestation})))
}

async fn attest(
    State(attester): State<Arc<Attester>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid_request(format!("body: {e}")))?;
    let jwk = value
        .get("jwk")
        .ok_or_else(|| ApiError::invalid_request("jwk is required"))?;
    let jwk =
        PublicJwk::from_value(jwk).map_err(|e| ApiError::invalid_request(format!("jwk: {e}")))?;
    let attestation = attester
        .attest(&jwk)
        .map_err(|e| ApiError::server_error(&e))?;
    tracing::info!(client_id = attester.client_id(), "attestation issued");
    Ok(Json(json!({"attestation": attestation})))
}
