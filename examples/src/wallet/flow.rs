//! The wallet's protocol steps and the whole flow.

use jose_core::jwe::{
    CompactJwe, ContentEncryption, JweEncrypter, JweLimits, JwePolicy, KeyAgreement as _,
    LocalKeyAgreement,
};
use oid4vci_types::{CredentialFormat, CredentialOfferRequest, WellKnown};
use serde_json::{Value, json};

use super::{
    IssuerTrust, PRE_AUTHORIZED_GRANT, Reply, VerifiedCredential, Wallet, credential_request_body,
};
use crate::error::DemoError;
use crate::narrate::abbreviate;

/// What discovery found out about an issuer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuerInfo {
    /// The credential issuer identifier.
    pub issuer: String,
    /// The credential issuer metadata.
    pub metadata: Value,
    /// The authorization server metadata.
    pub as_metadata: Value,
    /// The issuer's trust anchors (`None`: the issuer does not serve them).
    pub trust: Option<IssuerTrust>,
}

impl IssuerInfo {
    /// Whether the metadata of `configuration_id` requires a key attestation with `jwt`
    /// proofs (`proof_types_supported.jwt.key_attestations_required`).
    #[must_use]
    pub fn requires_key_attestation(&self, configuration_id: &str) -> bool {
        self.metadata
            .get("credential_configurations_supported")
            .and_then(|c| c.get(configuration_id))
            .and_then(|c| c.pointer("/proof_types_supported/jwt/key_attestations_required"))
            .is_some()
    }

    /// A string member of the credential issuer metadata.
    #[must_use]
    pub fn endpoint(&self, name: &str) -> Option<&str> {
        self.metadata.get(name).and_then(Value::as_str)
    }

    /// A string member of the AS metadata.
    #[must_use]
    pub fn as_endpoint(&self, name: &str) -> Option<&str> {
        self.as_metadata.get(name).and_then(Value::as_str)
    }

    fn need<'a>(&'a self, value: Option<&'a str>, name: &str) -> Result<&'a str, DemoError> {
        value.ok_or_else(|| DemoError::Protocol(format!("metadata has no {name}")))
    }

    /// The token endpoint.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when the AS metadata has none.
    pub fn token_endpoint(&self) -> Result<&str, DemoError> {
        self.need(self.as_endpoint("token_endpoint"), "token_endpoint")
    }

    /// The credential endpoint.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when the metadata has none.
    pub fn credential_endpoint(&self) -> Result<&str, DemoError> {
        self.need(self.endpoint("credential_endpoint"), "credential_endpoint")
    }

    /// The AS issuer identifier (the PoP audience; REQUIRED in AS metadata, RFC 8414 §2).
    ///
    /// # Errors
    /// [`DemoError::Protocol`] when the AS metadata has none.
    pub fn as_issuer(&self) -> Result<&str, DemoError> {
        self.need(self.as_endpoint("issuer"), "issuer")
    }
}

/// Tokens from the token endpoint.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// `Bearer` or `DPoP`.
    pub token_type: String,
    /// The refresh token, if any.
    pub refresh_token: Option<String>,
    /// `(credential_configuration_id, credential_identifier)` pairs from the token
    /// response's `authorization_details` (OpenID4VCI 1.0 §6.2): credential requests then
    /// name the identifier instead of the configuration.
    pub credential_identifiers: Vec<(String, String)>,
}

impl Tokens {
    /// The tokens of a 200 token response.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] without `access_token` or `token_type`.
    pub fn from_reply(reply: &Reply) -> Result<Self, DemoError> {
        let access_token = reply
            .str("access_token")
            .ok_or_else(|| DemoError::Protocol("token response without access_token".into()))?;
        Ok(Self {
            access_token: access_token.to_owned(),
            token_type: reply
                .str("token_type")
                .ok_or_else(|| DemoError::Protocol("token response without token_type".into()))?
                .to_owned(),
            refresh_token: reply.str("refresh_token").map(str::to_owned),
            credential_identifiers: credential_identifiers(&reply.body),
        })
    }

    /// The first credential identifier the token response gave for `configuration_id`.
    #[must_use]
    pub fn credential_identifier(&self, configuration_id: &str) -> Option<&str> {
        self.credential_identifiers
            .iter()
            .find(|(c, _)| c == configuration_id)
            .map(|(_, id)| id.as_str())
    }
}

/// The `credential_identifiers` of each `openid_credential` entry of `authorization_details`.
fn credential_identifiers(body: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for detail in body
        .get("authorization_details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(configuration) = detail
            .get("credential_configuration_id")
            .and_then(Value::as_str)
        else {
            continue;
        };
        for id in detail
            .get("credential_identifiers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            out.push((configuration.to_owned(), id.to_owned()));
        }
    }
    out
}

/// The result of [`Wallet::run_offer`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FlowOutcome {
    /// The issuer.
    pub info: IssuerInfo,
    /// The tokens.
    pub tokens: Tokens,
    /// The credentials, verified.
    pub credentials: Vec<VerifiedCredential>,
    /// The notification id of the credential response.
    pub notification_id: Option<String>,
}

impl Wallet {
    /// Fetches the issuer and AS metadata of `issuer`, and its trust anchors (see
    /// [`Wallet::fetch_trust`]).
    ///
    /// # Errors
    /// [`DemoError`] when a document is missing or not for this issuer.
    pub fn discover(&self, issuer: &str) -> Result<IssuerInfo, DemoError> {
        let issuer = issuer.trim_end_matches('/');
        let url = |wk: WellKnown| {
            wk.url_for(issuer)
                .map_err(|e| DemoError::Protocol(format!("issuer identifier: {e}")))
        };
        let metadata = self
            .http
            .get("issuer metadata", &url(WellKnown::CredentialIssuer)?)?
            .expect("issuer metadata", 200)?
            .body;
        if metadata.get("credential_issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(DemoError::Protocol(
                "credential_issuer in the metadata differs from the issuer identifier".into(),
            ));
        }
        let as_metadata = self
            .http
            .get("AS metadata", &url(WellKnown::AuthorizationServer)?)?
            .expect("AS metadata", 200)?
            .body;
        let trust = self.fetch_trust(issuer)?;
        Ok(IssuerInfo {
            issuer: issuer.to_owned(),
            metadata,
            as_metadata,
            trust,
        })
    }

    /// The client authentication headers for a token request: the attestation and a fresh PoP
    /// (with a fresh challenge when the AS advertises a challenge endpoint), plus DPoP.
    ///
    /// # Errors
    /// [`DemoError`] when the challenge cannot be fetched or signing fails.
    pub fn token_headers(&self, info: &IssuerInfo) -> Result<Vec<(String, String)>, DemoError> {
        let mut headers = self.client_auth_headers(info)?;
        if let Some(dpop) = self.dpop_proof("POST", info.token_endpoint()?, None)? {
            headers.push(("DPoP".to_owned(), dpop));
        }
        Ok(headers)
    }

    /// The client authentication headers: the attestation and a fresh PoP (with a fresh
    /// challenge when the AS advertises a challenge endpoint); none without an attestation.
    ///
    /// # Errors
    /// [`DemoError`] when the challenge cannot be fetched or signing fails.
    pub fn client_auth_headers(
        &self,
        info: &IssuerInfo,
    ) -> Result<Vec<(String, String)>, DemoError> {
        let mut headers = Vec::new();
        if let Some(attestation) = &self.attestation {
            let challenge = match info.as_endpoint("challenge_endpoint") {
                Some(url) => self
                    .http
                    .post_json("challenge", url, &Value::Null, &[])?
                    .expect("challenge", 200)?
                    .str("attestation_challenge")
                    .map(str::to_owned),
                None => None,
            };
            headers.push(("OAuth-Client-Attestation".to_owned(), attestation.clone()));
            let pop = self.pop(info.as_issuer()?, challenge.as_deref())?;
            headers.push(("OAuth-Client-Attestation-PoP".to_owned(), pop));
        }
        Ok(headers)
    }

    /// Posts `form` to the token endpoint with `headers`.
    ///
    /// # Errors
    /// [`DemoError::Transport`].
    pub fn post_token(
        &self,
        info: &IssuerInfo,
        form: &[(&str, &str)],
        headers: &[(String, String)],
    ) -> Result<Reply, DemoError> {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.http
            .post_form("token", info.token_endpoint()?, form, &headers)
    }

    /// Redeems a pre-authorized code.
    ///
    /// # Errors
    /// [`DemoError::Server`] with the token endpoint's error.
    pub fn redeem(
        &self,
        info: &IssuerInfo,
        code: &str,
        tx_code: Option<&str>,
    ) -> Result<Tokens, DemoError> {
        let mut form = vec![
            ("grant_type", PRE_AUTHORIZED_GRANT),
            ("pre-authorized_code", code),
        ];
        if let Some(tx) = tx_code {
            form.push(("tx_code", tx));
        }
        let headers = self.token_headers(info)?;
        let reply = self
            .post_token(info, &form, &headers)?
            .expect("token", 200)?;
        Tokens::from_reply(&reply)
    }

    /// Uses a refresh token.
    ///
    /// # Errors
    /// [`DemoError::Server`] with the token endpoint's error.
    pub fn refresh(&self, info: &IssuerInfo, refresh_token: &str) -> Result<Tokens, DemoError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        let headers = self.token_headers(info)?;
        let reply = self
            .post_token(info, &form, &headers)?
            .expect("refresh", 200)?;
        Tokens::from_reply(&reply)
    }

    /// A fresh `c_nonce`.
    ///
    /// # Errors
    /// [`DemoError`] when the nonce endpoint fails.
    pub fn nonce(&self, info: &IssuerInfo) -> Result<String, DemoError> {
        let url = info
            .endpoint("nonce_endpoint")
            .ok_or_else(|| DemoError::Protocol("no nonce_endpoint".into()))?;
        let reply = self
            .http
            .post_json("nonce", url, &Value::Null, &[])?
            .expect("nonce", 200)?;
        reply
            .str("c_nonce")
            .map(str::to_owned)
            .ok_or_else(|| DemoError::Protocol("nonce response without c_nonce".into()))
    }

    /// Posts `body` to `url` with the access token (and a DPoP proof for DPoP tokens).
    ///
    /// # Errors
    /// [`DemoError::Transport`], or signing failures.
    pub fn post_authorized(
        &self,
        step: &'static str,
        url: &str,
        tokens: &Tokens,
        body: &Value,
    ) -> Result<Reply, DemoError> {
        let authorization = format!("{} {}", tokens.token_type, tokens.access_token);
        let mut headers = vec![("Authorization", authorization.as_str())];
        let dpop = if tokens.token_type.eq_ignore_ascii_case("DPoP") {
            self.dpop_proof("POST", url, Some(&tokens.access_token))?
        } else {
            None
        };
        if let Some(dpop) = &dpop {
            headers.push(("DPoP", dpop.as_str()));
        }
        self.http.post_json(step, url, body, &headers)
    }

    /// The encryption of this wallet's credential requests: `None` unless it was built
    /// [`with_encryption`](super::Wallet::with_encryption) and the issuer offers both request
    /// and response encryption with A128GCM.
    fn encryption_for(&self, info: &IssuerInfo) -> Result<Option<WalletEncryption>, DemoError> {
        if !self.encrypt {
            return Ok(None);
        }
        let offered = |member: &str| {
            info.metadata
                .get(member)
                .and_then(|m| m.get("enc_values_supported"))
                .and_then(Value::as_array)
                .is_some_and(|encs| encs.iter().any(|e| e == "A128GCM"))
        };
        if !offered("credential_request_encryption") || !offered("credential_response_encryption") {
            return Ok(None);
        }
        let issuer_key = info
            .metadata
            .pointer("/credential_request_encryption/jwks/keys/0")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                DemoError::Protocol("credential_request_encryption without a key".into())
            })?;
        let kid = issuer_key
            .get("kid")
            .and_then(Value::as_str)
            .ok_or_else(|| DemoError::Protocol("request encryption key without kid".into()))?;
        let issuer_jwk = jose_core::PublicJwk::from_map(issuer_key)
            .map_err(|e| DemoError::Protocol(format!("request encryption key: {e}")))?;
        let to_issuer = JweEncrypter::new(&issuer_jwk, ContentEncryption::A128Gcm)
            .map_err(|e| DemoError::Protocol(format!("request encryption key: {e}")))?
            .with_kid(kid);
        let response_key = LocalKeyAgreement::generate(jose_core::EcCurve::P256, &self.rng)
            .map_err(|e| DemoError::Protocol(format!("response key: {e}")))?;
        self.narrator.say(&format!(
            "encrypting the credential request to issuer key {}; answers encrypted to a fresh P-256 key",
            abbreviate(kid, 12)
        ));
        Ok(Some(WalletEncryption {
            to_issuer,
            response_key,
        }))
    }

    /// POSTs a credential or deferred credential request: plain JSON, or (with `encryption`)
    /// a JWE asking for an encrypted answer, whose JSON is then decrypted into the reply.
    fn post_credential(
        &self,
        step: &'static str,
        url: &str,
        tokens: &Tokens,
        mut body: Value,
        encryption: Option<&WalletEncryption>,
    ) -> Result<Reply, DemoError> {
        let Some(encryption) = encryption else {
            return self.post_authorized(step, url, tokens, &body);
        };
        let mut jwk = encryption.response_key.public_jwk().to_value();
        jwk["alg"] = "ECDH-ES".into();
        body["credential_response_encryption"] = json!({"jwk": jwk, "enc": "A128GCM"});
        let jwe = encryption
            .to_issuer
            .encrypt(body.to_string().as_bytes(), &self.rng)
            .map_err(|e| DemoError::Protocol(format!("request encryption: {e}")))?;
        let authorization = format!("{} {}", tokens.token_type, tokens.access_token);
        let mut headers = vec![
            ("Authorization", authorization.as_str()),
            ("Content-Type", "application/jwt"),
        ];
        let dpop = if tokens.token_type.eq_ignore_ascii_case("DPoP") {
            self.dpop_proof("POST", url, Some(&tokens.access_token))?
        } else {
            None
        };
        if let Some(dpop) = &dpop {
            headers.push(("DPoP", dpop.as_str()));
        }
        let mut reply = self.http.post_raw(step, url, jwe.as_bytes(), &headers)?;
        let encrypted = reply
            .header("content-type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/jwt"));
        if encrypted {
            let token = reply.body.as_str().unwrap_or_default().to_owned();
            let plaintext = CompactJwe::parse(&token, &JweLimits::default())
                .and_then(|jwe| {
                    jwe.decrypt(
                        &encryption.response_key,
                        &JwePolicy::new(&[ContentEncryption::A128Gcm]).with_zip(true),
                    )
                })
                .map_err(|e| DemoError::Protocol(format!("{step}: encrypted answer: {e}")))?;
            reply.body = serde_json::from_slice(&plaintext)
                .map_err(|e| DemoError::Protocol(format!("{step}: decrypted answer: {e}")))?;
            self.narrator
                .say(&format!("{step}: decrypted the {} answer", reply.status));
        } else if reply.status < 300 {
            return Err(DemoError::Protocol(format!(
                "{step}: the issuer answered {} in plaintext though an encrypted answer was asked for",
                reply.status
            )));
        }
        Ok(reply)
    }

    /// Requests `count` credentials of `configuration_id` (one fresh holder key each), polling
    /// the deferred endpoint if the issuer answers 202. Returns the credentials and the
    /// notification id.
    ///
    /// # Errors
    /// [`DemoError`] when any request fails.
    pub fn request_credentials(
        &self,
        info: &IssuerInfo,
        tokens: &Tokens,
        configuration_id: &str,
        count: usize,
    ) -> Result<(Vec<String>, Option<String>), DemoError> {
        let nonce = self.nonce(info)?;
        self.narrator
            .say(&format!("c_nonce {}", abbreviate(&nonce, 16)));
        let keys = (0..count)
            .map(|_| self.new_holder_key())
            .collect::<Result<Vec<_>, _>>()?;
        let mut proofs = Vec::with_capacity(count);
        if info.requires_key_attestation(configuration_id) {
            // One key attestation for the whole batch, carried by every proof (HAIP).
            let public: Vec<_> = keys
                .iter()
                .map(jose_core::LocalSigner::public_jwk)
                .collect();
            let key_attestation = self.fetch_key_attestation(&public, &nonce)?;
            self.narrator.say(&format!(
                "{configuration_id} requires key attestation: the wallet provider attests {count} holder key(s)"
            ));
            for key in &keys {
                proofs.push(self.attested_proof(&info.issuer, key, &nonce, &key_attestation)?);
            }
        } else {
            for key in &keys {
                proofs.push(self.proof(&info.issuer, key, &nonce)?);
            }
        }
        let body = match tokens.credential_identifier(configuration_id) {
            Some(identifier) => {
                json!({"credential_identifier": identifier, "proofs": {"jwt": proofs}})
            }
            None => credential_request_body(configuration_id, &proofs),
        };
        let encryption = self.encryption_for(info)?;
        let mut reply = self.post_credential(
            "credential",
            info.credential_endpoint()?,
            tokens,
            body,
            encryption.as_ref(),
        )?;
        while reply.status == 202 {
            let transaction_id = reply
                .str("transaction_id")
                .ok_or_else(|| DemoError::Protocol("202 without transaction_id".into()))?
                .to_owned();
            let interval = reply
                .body
                .get("interval")
                .and_then(Value::as_u64)
                .ok_or_else(|| DemoError::Protocol("202 without interval".into()))?
                .min(5);
            self.narrator.say(&format!(
                "deferred: transaction {}, polling again in {interval} s",
                abbreviate(&transaction_id, 12)
            ));
            std::thread::sleep(core::time::Duration::from_secs(interval));
            let url = info
                .endpoint("deferred_credential_endpoint")
                .ok_or_else(|| DemoError::Protocol("no deferred_credential_endpoint".into()))?;
            reply = self.post_credential(
                "deferred credential",
                url,
                tokens,
                json!({"transaction_id": transaction_id}),
                encryption.as_ref(),
            )?;
        }
        let reply = reply.expect("credential", 200)?;
        let credentials = reply
            .body
            .get("credentials")
            .and_then(Value::as_array)
            .ok_or_else(|| DemoError::Protocol("credential response without credentials".into()))?
            .iter()
            .map(|c| {
                c.get("credential")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        DemoError::Protocol("a credentials entry without credential".into())
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if credentials.len() != count {
            return Err(DemoError::Protocol(format!(
                "asked for {count} credentials, received {}",
                credentials.len()
            )));
        }
        Ok((credentials, reply.str("notification_id").map(str::to_owned)))
    }

    /// Runs the whole flow for a credential offer URI: discovery, token (with attestation),
    /// nonce, credential request, verification of each credential and its status, and the
    /// `credential_accepted` notification.
    ///
    /// # Errors
    /// [`DemoError`] naming the step that failed.
    pub fn run_offer(
        &self,
        offer_uri: &str,
        tx_code: Option<&str>,
        count: usize,
    ) -> Result<FlowOutcome, DemoError> {
        let n = &self.narrator;
        let offer = match CredentialOfferRequest::parse_uri(offer_uri)
            .map_err(|e| DemoError::Protocol(format!("offer URI: {e}")))?
        {
            CredentialOfferRequest::ByValue(offer) => *offer,
            CredentialOfferRequest::ByReference(uri) => {
                return Err(DemoError::Protocol(format!(
                    "offers by reference ({uri}) are not supported by the demo wallet"
                )));
            }
            _ => return Err(DemoError::Protocol("unsupported offer form".into())),
        };
        let grant = offer
            .pre_authorized_code_grant()
            .ok_or_else(|| DemoError::Protocol("the offer has no pre-authorized code".into()))?;
        let configuration_id = offer
            .credential_configuration_ids
            .first()
            .ok_or_else(|| DemoError::Protocol("the offer names no configuration".into()))?;
        n.step("Wallet reads the offer and discovers the issuer");
        let info = self.discover(&offer.credential_issuer)?;
        n.say(&format!(
            "issuer {} offers {configuration_id}; token endpoint {}",
            info.issuer,
            info.token_endpoint()?
        ));
        if let Some(methods) = info
            .as_metadata
            .get("token_endpoint_auth_methods_supported")
        {
            n.say(&format!("AS accepts client authentication: {methods}"));
        }
        n.step("Wallet redeems the pre-authorized code at /token");
        n.say(&format!(
            "sends OAuth-Client-Attestation ({}), a fresh PoP{}{}",
            if self.attestation.is_some() {
                "present"
            } else {
                "absent"
            },
            if grant.tx_code.is_some() {
                ", the tx_code"
            } else {
                ""
            },
            if self.dpop_key.is_some() {
                " and a DPoP proof"
            } else {
                ""
            },
        ));
        let tokens = self.redeem(&info, &grant.pre_authorized_code, tx_code)?;
        n.say(&format!(
            "received a {} access token {} and a refresh token",
            tokens.token_type,
            abbreviate(&tokens.access_token, 10)
        ));
        self.receive(info, tokens, configuration_id, count)
    }

    /// With tokens in hand: requests `count` credentials of `configuration_id`, verifies each
    /// and its status, and notifies `credential_accepted`.
    ///
    /// # Errors
    /// [`DemoError`] naming the step that failed.
    pub fn receive(
        &self,
        info: IssuerInfo,
        tokens: Tokens,
        configuration_id: &str,
        count: usize,
    ) -> Result<FlowOutcome, DemoError> {
        let n = &self.narrator;
        n.step(&format!(
            "Wallet requests {count} credential(s) with key proofs"
        ));
        let (credentials, notification_id) =
            self.request_credentials(&info, &tokens, configuration_id, count)?;
        let format = info
            .metadata
            .pointer(&format!(
                "/credential_configurations_supported/{configuration_id}/format"
            ))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                DemoError::Protocol(format!("the metadata gives {configuration_id} no format"))
            })?
            .to_owned();
        n.say(&format!(
            "received {} {format} credential(s)",
            credentials.len()
        ));
        n.step("Wallet verifies each credential and its status");
        let mut verified = Vec::with_capacity(credentials.len());
        for credential in &credentials {
            let v = self.verify_issued(&info, configuration_id, credential)?;
            n.say(&format!(
                "signature OK ({}), {} {}, status list idx {} -> {}",
                v.trusted_by,
                if CredentialFormat::from_name(&v.format) == CredentialFormat::MsoMdoc {
                    "docType"
                } else {
                    "vct"
                },
                v.credential_type,
                v.status_idx,
                v.status
            ));
            verified.push(v);
        }
        if let Some(id) = &notification_id {
            let url = info.endpoint("notification_endpoint").ok_or_else(|| {
                DemoError::Protocol("a notification_id without notification_endpoint".into())
            })?;
            let body = json!({"notification_id": id, "event": "credential_accepted"});
            let reply = self.post_authorized("notification", url, &tokens, &body)?;
            n.say(&format!(
                "notified credential_accepted -> HTTP {}",
                reply.status
            ));
        }
        Ok(FlowOutcome {
            info,
            tokens,
            credentials: verified,
            notification_id,
        })
    }
}

/// A wallet's encryption for one issuance: the encrypter to the issuer's request key, and the
/// fresh key the answers are encrypted to.
struct WalletEncryption {
    to_issuer: JweEncrypter,
    response_key: LocalKeyAgreement,
}
