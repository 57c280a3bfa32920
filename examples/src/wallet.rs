//! The demo wallet: discovers an issuer, gets an attestation for its instance key, redeems a
//! pre-authorized code, proves key possession, receives and verifies credentials.
//!
//! Every step is a public method, so tests can drive a step with a twist (a replayed PoP, a
//! stale nonce); [`Wallet::run_offer`] runs them all in order with narration.

mod code_flow;
mod flow;
mod http;
mod mdoc;
mod trust;
mod verify;

use std::sync::Arc;

use attestation_jwt::PopClaims;
use jose_core::{Algorithm, LocalSigner, PublicJwk, SystemRandom};
use pop_verifier::{DpopProofClaims, KeyProofClaims, ProofKey, build_dpop_proof, build_key_proof};
use serde_json::{Value, json};

pub use code_flow::{CodeFlowStart, CodeRequest, DEMO_REDIRECT_URI, StartedAuthorization};
pub use flow::{FlowOutcome, IssuerInfo, Tokens};
pub use http::{Http, Reply};
pub use trust::{IssuerTrust, anchors, jws_x5c_key, x5c_key};
pub use verify::VerifiedCredential;

use crate::clock::Clock;
use crate::error::DemoError;
use crate::narrate::Narrator;

/// The pre-authorized code grant type.
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// A wallet instance.
#[derive(Debug)]
pub struct Wallet {
    /// The HTTP client.
    pub http: Http,
    instance: LocalSigner,
    dpop_key: Option<LocalSigner>,
    attestation: Option<String>,
    key_attester: Option<String>,
    clock: Arc<dyn Clock>,
    rng: SystemRandom,
    narrator: Narrator,
    encrypt: bool,
}

impl Wallet {
    /// A wallet with a fresh ES256 instance key, without DPoP.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] if key generation fails.
    pub fn new(clock: Arc<dyn Clock>, narrator: Narrator) -> Result<Self, DemoError> {
        let rng = SystemRandom::new();
        Ok(Self {
            http: Http::new(),
            instance: LocalSigner::generate(Algorithm::Es256, &rng)?,
            dpop_key: None,
            attestation: None,
            key_attester: None,
            clock,
            rng,
            narrator,
            encrypt: false,
        })
    }

    /// Encrypts credential requests to the issuer's `credential_request_encryption` key and
    /// asks for encrypted responses (OpenID4VCI 1.0 §8.2, §10) when the issuer offers both.
    #[must_use]
    pub const fn with_encryption(mut self) -> Self {
        self.encrypt = true;
        self
    }

    /// Uses DPoP (a fresh ES256 key) at the token and credential endpoints.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] if key generation fails.
    pub fn with_dpop(mut self) -> Result<Self, DemoError> {
        self.dpop_key = Some(LocalSigner::generate(Algorithm::Es256, &self.rng)?);
        Ok(self)
    }

    /// The public instance key (what the attester attests).
    #[must_use]
    pub fn instance_jwk(&self) -> PublicJwk {
        self.instance.public_jwk()
    }

    /// Sets the Client Attestation to present (`None`: present none).
    pub fn set_attestation(&mut self, attestation: Option<String>) {
        self.attestation = attestation;
    }

    /// Gets key attestations for its holder keys from the wallet provider at `attester_url`
    /// (`POST /key-attestations`) when a credential configuration requires them.
    #[must_use]
    pub fn with_key_attester(mut self, attester_url: &str) -> Self {
        self.key_attester = Some(attester_url.trim_end_matches('/').to_owned());
        self
    }

    /// Asks the wallet provider for a key attestation of `keys` (with the issuer's `nonce`).
    ///
    /// # Errors
    /// [`DemoError::Config`] when no key attester is set; [`DemoError`] when it cannot be
    /// reached or refuses.
    pub fn fetch_key_attestation(
        &self,
        keys: &[PublicJwk],
        nonce: &str,
    ) -> Result<String, DemoError> {
        let base = self.key_attester.as_deref().ok_or_else(|| {
            DemoError::Config(
                "the credential configuration requires key attestation: no key attester is set"
                    .into(),
            )
        })?;
        let body = json!({
            "keys": keys.iter().map(PublicJwk::to_value).collect::<Vec<_>>(),
            "nonce": nonce,
        });
        let reply = self
            .http
            .post_json(
                "key attestation",
                &format!("{base}/key-attestations"),
                &body,
                &[],
            )?
            .expect("key attestation", 200)?;
        reply
            .str("key_attestation")
            .map(str::to_owned)
            .ok_or_else(|| DemoError::Protocol("attester answered without key_attestation".into()))
    }

    /// An OpenID4VCI `jwt` key proof like [`Self::proof`] carrying `key_attestation`.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when signing fails.
    pub fn attested_proof(
        &self,
        issuer: &str,
        key: &LocalSigner,
        nonce: &str,
        key_attestation: &str,
    ) -> Result<String, DemoError> {
        let claims = KeyProofClaims::new(issuer, self.clock.now()).with_nonce(nonce);
        Ok(pop_verifier::build_attested_key_proof(
            &claims,
            &ProofKey::Jwk(key.public_jwk()),
            key_attestation,
            key,
        )?)
    }

    /// The current attestation.
    #[must_use]
    pub fn attestation(&self) -> Option<&str> {
        self.attestation.as_deref()
    }

    /// Asks the attester at `attester_url` to attest the instance key.
    ///
    /// # Errors
    /// [`DemoError`] when the attester cannot be reached or refuses.
    pub fn fetch_attestation(&mut self, attester_url: &str) -> Result<(), DemoError> {
        let url = format!("{}/attestations", attester_url.trim_end_matches('/'));
        let body = json!({"jwk": self.instance_jwk().to_value()});
        let reply = self
            .http
            .post_json("attestation", &url, &body, &[])?
            .expect("attestation", 200)?;
        let attestation = reply
            .str("attestation")
            .ok_or_else(|| DemoError::Protocol("attester answered without attestation".into()))?;
        self.attestation = Some(attestation.to_owned());
        Ok(())
    }

    /// A fresh Client Attestation PoP for the AS `aud`.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when signing fails.
    pub fn pop(&self, aud: &str, challenge: Option<&str>) -> Result<String, DemoError> {
        let mut claims = PopClaims::new(aud, self.clock.now());
        if let Some(challenge) = challenge {
            claims = claims.with_challenge(challenge);
        }
        attestation_jwt::build_pop(&claims, &self.instance, &self.rng)
            .map_err(|e| DemoError::Protocol(format!("PoP: {e}")))
    }

    /// A DPoP proof for `method url` (with `ath` for `access_token`), if DPoP is on.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when signing fails.
    pub fn dpop_proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<Option<String>, DemoError> {
        let Some(key) = &self.dpop_key else {
            return Ok(None);
        };
        let jti = jose_core::random_base64url(&self.rng, 16)?;
        let mut claims = DpopProofClaims::new(method, url, jti, self.clock.now());
        if let Some(token) = access_token {
            claims = claims.with_access_token(token);
        }
        Ok(Some(build_dpop_proof(&claims, &key.public_jwk(), key)?))
    }

    /// An OpenID4VCI `jwt` key proof by `key` for `issuer` with `nonce`.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when signing fails.
    pub fn proof(&self, issuer: &str, key: &LocalSigner, nonce: &str) -> Result<String, DemoError> {
        let claims = KeyProofClaims::new(issuer, self.clock.now()).with_nonce(nonce);
        Ok(build_key_proof(
            &claims,
            &ProofKey::Jwk(key.public_jwk()),
            key,
        )?)
    }

    /// A fresh holder key (one per credential).
    ///
    /// # Errors
    /// [`DemoError::Protocol`] if key generation fails.
    pub fn new_holder_key(&self) -> Result<LocalSigner, DemoError> {
        Ok(LocalSigner::generate(Algorithm::Es256, &self.rng)?)
    }

    fn now(&self) -> jose_core::UnixTime {
        self.clock.now()
    }
}

/// The JSON body of a credential request for `configuration_id` with `proofs`.
#[must_use]
pub fn credential_request_body(configuration_id: &str, proofs: &[String]) -> Value {
    json!({"credential_configuration_id": configuration_id, "proofs": {"jwt": proofs}})
}
