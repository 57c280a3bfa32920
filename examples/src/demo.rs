//! The one-command demo: attester, issuer and wallet on loopback, the whole flow narrated.

use std::sync::Arc;

use jose_core::{Algorithm, SystemRandom};
use oid4vci_types::CredentialFormat;
use serde_json::{Value, json};
use status_list::Status;

use crate::attester::{self, Attester};
use crate::clock::{Clock, SystemClock};
use crate::config::{
    DEMO_ATTESTER_KEY_REFERENCE, DEMO_PASSWORD, DEMO_USERNAME, IDENTITY_CONFIGURATION_ID,
    IssuerConfig, KEY_ATTESTED_CONFIGURATION_ID, KeyAttestationConfig, MDL_CONFIGURATION_ID,
};
use crate::error::DemoError;
use crate::issuer::{self, IssuerState};
use crate::keystore::Keystore;
use crate::narrate::{Narrator, abbreviate};
use crate::pki::{DemoCa, LeafKind};
use crate::wallet::{
    CodeFlowStart, CodeRequest, Http, PRE_AUTHORIZED_GRANT, VerifiedCredential, Wallet,
};

/// The client id the demo attester puts in `sub`.
pub const DEMO_CLIENT_ID: &str = "https://wallet.example.org/demo-wallet";

/// Common name of the demo Client Attester CA.
pub const ATTESTER_CA_NAME: &str = "Demo Client Attester CA";

/// A required `clientAttestationConfig` with the `x509-chain` method trusting `root_pem`.
#[must_use]
pub fn x509_attestation_config(root_pem: &str) -> Value {
    json!({
        "required": true,
        "verificationMethod": {"type": "x509-chain", "trustedRootCertificatesPem": [root_pem]},
        "clockSkewSeconds": 300,
        "replayWindowSeconds": 300
    })
}

/// The demo's running parts.
#[derive(Debug)]
#[non_exhaustive]
pub struct DemoEnv {
    /// The issuer's state (stores, keys, lenient log).
    pub issuer: Arc<IssuerState>,
    /// The issuer's base URL.
    pub issuer_url: String,
    /// The attester.
    pub attester: Arc<Attester>,
    /// The attester's base URL.
    pub attester_url: String,
    /// The root of the demo attester CA (PEM), which certifies the attester's key.
    pub attester_ca_pem: String,
}

/// Starts an attester (fresh key in an in-memory keystore, certified by a fresh demo attester
/// CA, attestations carry `x5c`) and an issuer whose `clientAttestationConfig` trusts it through
/// `kms-key`, both on `127.0.0.1` ephemeral ports. `attestation` overrides the
/// `clientAttestationConfig` (`None`: required, kms-key).
///
/// # Errors
/// [`DemoError`] when a server cannot start.
pub async fn start(
    clock: Arc<dyn Clock>,
    attestation: Option<Value>,
    configure: impl FnOnce(&mut IssuerConfig),
) -> Result<DemoEnv, DemoError> {
    let ca = DemoCa::generate(ATTESTER_CA_NAME, clock.now())?;
    start_with_attester_ca(clock, &ca, attestation, configure).await
}

/// As [`start`], with the attester certified by `attester_ca` (so the caller can put its root
/// in an `x509-chain` configuration, see [`x509_attestation_config`]).
///
/// # Errors
/// [`DemoError`] when a server cannot start.
pub async fn start_with_attester_ca(
    clock: Arc<dyn Clock>,
    attester_ca: &DemoCa,
    attestation: Option<Value>,
    configure: impl FnOnce(&mut IssuerConfig),
) -> Result<DemoEnv, DemoError> {
    let mut keystore = Keystore::new();
    keystore.generate(
        DEMO_ATTESTER_KEY_REFERENCE,
        Algorithm::Es256,
        &SystemRandom::new(),
    )?;
    let attester_key = keystore
        .public_jwk(DEMO_ATTESTER_KEY_REFERENCE)
        .ok_or_else(|| DemoError::Keystore("attester key vanished".into()))?;
    let chain = attester_ca.issue(
        "Demo Client Attester",
        &attester_key,
        &LeafKind::Attester,
        clock.now(),
    )?;
    let attester = Arc::new(
        Attester::new(
            keystore.clone(),
            DEMO_ATTESTER_KEY_REFERENCE,
            DEMO_CLIENT_ID,
            Arc::clone(&clock),
        )?
        .with_x5c(chain),
    );
    let (listener, attester_url) = issuer::bind("127.0.0.1:0").await?;
    issuer::spawn(listener, attester::router(Arc::clone(&attester)))?;
    let mut config = IssuerConfig::default_config();
    config.keystore = None;
    // The attester is also the wallet provider whose key attestations the issuer trusts.
    config.key_attestation_config = Some(KeyAttestationConfig {
        trusted_root_certificates_pem: vec![attester_ca.root_pem().to_owned()],
        trusted_root_certificates_file: None,
    });
    config.client_attestation_config = Some(attestation.unwrap_or_else(|| {
        json!({
            "required": true,
            "verificationMethod": {"type": "kms-key", "keyReference": DEMO_ATTESTER_KEY_REFERENCE},
            "clockSkewSeconds": 300,
            "replayWindowSeconds": 300
        })
    }));
    configure(&mut config);
    let (server, state) = issuer::start(
        config,
        "127.0.0.1:0",
        keystore,
        clock,
        &issuer::Storage::InMemory,
    )
    .await?;
    Ok(DemoEnv {
        issuer: state,
        issuer_url: server.base_url,
        attester,
        attester_url,
        attester_ca_pem: attester_ca.root_pem().to_owned(),
    })
}

/// Creates an offer through the admin API; returns `(offer_uri, tx_code, pre-authorized code)`.
///
/// # Errors
/// [`DemoError`] when the admin API refuses.
pub fn create_offer(
    http: &Http,
    issuer_url: &str,
    configuration_id: &str,
    claims: &Value,
    tx_code: bool,
) -> Result<(String, Option<String>, String), DemoError> {
    let body = json!({"credential_configuration_id": configuration_id, "claims": claims, "tx_code": tx_code});
    let reply = http
        .post_json(
            "admin offer",
            &format!("{issuer_url}/admin/offers"),
            &body,
            &[],
        )?
        .expect("admin offer", 201)?;
    let uri = reply
        .str("offer_uri")
        .ok_or_else(|| DemoError::Protocol("admin offer reply without offer_uri".into()))?
        .to_owned();
    let code = reply
        .body
        .pointer("/offer/grants/urn:ietf:params:oauth:grant-type:pre-authorized_code/pre-authorized_code")
        .and_then(Value::as_str)
        .ok_or_else(|| DemoError::Protocol("admin offer reply without a pre-authorized code".into()))?
        .to_owned();
    Ok((uri, reply.str("tx_code").map(str::to_owned), code))
}

/// A fresh pre-authorized code for the identity credential, without a `tx_code`.
fn identity_code(http: &Http, issuer_url: &str) -> Result<String, DemoError> {
    let (_, _, code) = create_offer(
        http,
        issuer_url,
        IDENTITY_CONFIGURATION_ID,
        &demo_claims(),
        false,
    )?;
    Ok(code)
}

/// The subject claims the demo issues.
#[must_use]
pub fn demo_claims() -> Value {
    json!({"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1984-01-26"})
}

/// The demo mDL holder's portrait: a 60 × 80 grey silhouette, baseline JPEG (616 bytes),
/// drawn for the demo (ISO 18013-5 §7.2.1 makes `portrait` mandatory, a JPEG or JPEG 2000).
const DEMO_PORTRAIT_JPEG: &[u8] = include_bytes!("../assets/portrait.jpg");

/// The mDL elements the demo issues (flat: they go into the `org.iso.18013.5.1` name space):
/// every mandatory element of ISO 18013-5 §7.2.1, and `age_over_18`. The portrait is
/// base64url text here, as the byte strings of JSON claims are (`mdoc_cbor::mdl`).
#[must_use]
pub fn mdl_claims() -> Value {
    json!({
        "portrait": jose_core::base64url::encode(DEMO_PORTRAIT_JPEG),
        "un_distinguishing_sign": "D",
        "family_name": "Mustermann",
        "given_name": "Erika",
        "birth_date": "1984-01-26",
        "issue_date": "2026-01-15",
        "expiry_date": "2036-01-14",
        "issuing_country": crate::pki::DEMO_COUNTRY,
        "issuing_authority": "Demo Driving Licence Authority",
        "document_number": "D0000001",
        "age_over_18": true,
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2002-03-01"}]
    })
}

/// Runs the whole demo, narrating on `n`.
///
/// # Errors
/// [`DemoError`] naming the step that failed.
pub fn run(n: Narrator) -> Result<(), DemoError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let attester_ca = DemoCa::generate(ATTESTER_CA_NAME, clock.now())?;
    let env = runtime.block_on(start_with_attester_ca(
        Arc::clone(&clock),
        &attester_ca,
        Some(x509_attestation_config(attester_ca.root_pem())),
        |_| {},
    ))?;
    n.step("Started attester and issuer on loopback, with generated demo CAs");
    n.say(&format!(
        "attester {}  (key {DEMO_ATTESTER_KEY_REFERENCE}, certified by \"{ATTESTER_CA_NAME}\", sends x5c)",
        env.attester_url
    ));
    n.say(&format!(
        "issuer   {}  (clientAttestationConfig: required, x509-chain to that CA's root)",
        env.issuer_url
    ));
    let anchors = &env.issuer.trust_anchors;
    n.say(&format!(
        "GET /admin/trust-anchors: credential_issuer \"{}\", mdoc_iaca \"{}\", attester \"{ATTESTER_CA_NAME}\" ({} PEM roots)",
        issuer::ISSUER_CA_NAME,
        issuer::IACA_NAME,
        anchors.credential_issuer.len() + anchors.mdoc_iaca.len() + anchors.attester.len()
    ));

    let mut wallet = Wallet::new(Arc::clone(&clock), n)?
        .with_dpop()?
        .with_key_attester(&env.attester_url)
        .with_encryption();
    n.step("Wallet asks the attester to attest its instance key");
    wallet.fetch_attestation(&env.attester_url)?;
    n.say(&format!(
        "attestation for sub {DEMO_CLIENT_ID}, cnf.jwk thumbprint {}",
        abbreviate(&wallet.instance_jwk().thumbprint_base64url(), 12)
    ));

    n.step("Issuer operator creates an offer (POST /admin/offers)");
    let (uri, tx_code, _) = create_offer(
        &wallet.http,
        &env.issuer_url,
        IDENTITY_CONFIGURATION_ID,
        &demo_claims(),
        true,
    )?;
    n.say(&format!("offer URI: {}", abbreviate(&uri, 90)));
    n.say(&format!(
        "tx_code (shown to the user out of band): {}",
        tx_code.as_deref().unwrap_or("-")
    ));

    let outcome = wallet.run_offer(&uri, tx_code.as_deref(), 2)?;
    let first = outcome
        .credentials
        .first()
        .ok_or_else(|| DemoError::Protocol("no credential".into()))?;
    n.say(&format!(
        "disclosed claims: given_name={}, family_name={}",
        first.claims.get("given_name").unwrap_or(&Value::Null),
        first.claims.get("family_name").unwrap_or(&Value::Null)
    ));
    if first.status != Status::VALID {
        return Err(DemoError::Protocol("fresh credential is not VALID".into()));
    }
    n.say(&format!(
        "the SD-JWT header has kid and x5c ({} certificate: the leaf; the root is the wallet's anchor)",
        env.issuer.x5c().len()
    ));

    let mdl = issue_mdl(&env, &wallet, n)?;

    n.step("A configuration that requires key attestation (OpenID4VCI 1.0 App. D)");
    let (uri, _, _) = create_offer(
        &wallet.http,
        &env.issuer_url,
        KEY_ATTESTED_CONFIGURATION_ID,
        &demo_claims(),
        false,
    )?;
    let attested = wallet.run_offer(&uri, None, 2)?;
    n.say(&format!(
        "{} credentials of {KEY_ATTESTED_CONFIGURATION_ID}, each bound to a key the wallet provider attested (key_storage {})",
        attested.credentials.len(),
        attester::DEMO_KEY_STORAGE
    ));
    refusals(&env, &wallet, &clock, n)?;
    revoke(&env, &wallet, &[first, &mdl], &outcome.info, n)?;

    n.step("Wallet refreshes its tokens (refresh_token grant, same attested instance key)");
    let old = outcome
        .tokens
        .refresh_token
        .clone()
        .ok_or_else(|| DemoError::Protocol("no refresh token".into()))?;
    let refreshed = wallet.refresh(&outcome.info, &old)?;
    if refreshed.refresh_token.as_deref() != Some(old.as_str()) {
        return Err(DemoError::Protocol(
            "a sender-constrained refresh token was rotated".into(),
        ));
    }
    n.say(&format!(
        "new {} access token {}; the refresh token {}, bound to the attested instance, is kept (not rotated, FAPI 2.0)",
        refreshed.token_type,
        abbreviate(&refreshed.access_token, 10),
        abbreviate(&old, 8)
    ));
    let again = wallet.refresh(&outcome.info, &old)?;
    n.say(&format!(
        "the same refresh token again, as a wallet that lost the answer would send it: new access token {}",
        abbreviate(&again.access_token, 10)
    ));
    let mut other = Wallet::new(Arc::clone(&clock), Narrator::quiet())?.with_dpop()?;
    other.fetch_attestation(&env.attester_url)?;
    let reuse = other.post_token(
        &outcome.info,
        &[("grant_type", "refresh_token"), ("refresh_token", &old)],
        &other.token_headers(&outcome.info)?,
    )?;
    if reuse.error_code() != Some("invalid_grant") {
        return Err(DemoError::Protocol(format!(
            "another wallet instance's refresh was not refused: {}",
            reuse.body
        )));
    }
    n.say("the same refresh token from another wallet instance (its own valid attestation) is refused:");
    n.json("HTTP 400", &reuse.body);

    code_flow(&env, &clock, n)?;

    n.step("Done: every step verified");
    Ok(())
}

/// The HAIP authorization code flow, wallet-initiated and issuer-initiated, and a replayed
/// code revoking what it bought.
fn code_flow(env: &DemoEnv, clock: &Arc<dyn Clock>, n: Narrator) -> Result<(), DemoError> {
    let mut wallet = Wallet::new(Arc::clone(clock), n)?.with_dpop()?;
    wallet.fetch_attestation(&env.attester_url)?;
    n.step("The authorization code flow: a user signs in (PAR, PKCE S256, DPoP, attestation)");
    n.say(&format!(
        "demo user {DEMO_USERNAME} (from the issuer configuration's users)"
    ));
    let outcome = wallet.run_code_flow(
        CodeFlowStart::Metadata {
            issuer: &env.issuer_url,
            configuration_id: IDENTITY_CONFIGURATION_ID,
        },
        DEMO_USERNAME,
        DEMO_PASSWORD,
    )?;
    let credential = outcome
        .credentials
        .first()
        .ok_or_else(|| DemoError::Protocol("no credential from the code flow".into()))?;
    n.say(&format!(
        "the credential carries the signed-in user's claims: given_name={}",
        credential.claims.get("given_name").unwrap_or(&Value::Null)
    ));

    n.step("Issuer operator creates an offer with the authorization_code grant");
    let reply = wallet
        .http
        .post_json(
            "admin offer",
            &format!("{}/admin/offers", env.issuer_url),
            &json!({"credential_configuration_id": IDENTITY_CONFIGURATION_ID, "grant": "authorization_code"}),
            &[],
        )?
        .expect("admin offer", 201)?;
    let (Some(uri), Some(page)) = (reply.str("offer_uri"), reply.str("offer_page")) else {
        return Err(DemoError::Protocol(
            "admin offer reply without offer_uri or offer_page".into(),
        ));
    };
    n.say(&format!("offer page (what a phone wallet scans): {page}"));
    n.block(
        &issuer::offer_qr_terminal(uri)
            .map_err(|e| DemoError::Protocol(format!("QR code: {e}")))?,
    );
    wallet.run_code_flow(CodeFlowStart::Offer(uri), DEMO_USERNAME, DEMO_PASSWORD)?;
    n.say("issued; the issuer_state of the offer is now used up");

    n.step(
        "A second use of an authorization code is refused and revokes its tokens (RFC 6749 §4.1.2)",
    );
    let info = wallet.discover(&env.issuer_url)?;
    let started = wallet.push_authorization(&info, &CodeRequest::new(IDENTITY_CONFIGURATION_ID))?;
    let redirect = wallet.sign_in_and_consent(
        &started.authorization_url,
        DEMO_USERNAME,
        DEMO_PASSWORD,
        true,
    )?;
    let code = wallet.authorization_code(&info, &started, &redirect)?;
    let tokens = wallet.redeem_code(&info, &started, &code)?;
    let again = wallet.redeem_code(&info, &started, &code);
    let refused = matches!(&again, Err(DemoError::Server { status: 400, body, .. }) if body.contains("invalid_grant"));
    if !refused {
        return Err(DemoError::Protocol(format!(
            "a reused code was not refused: {again:?}"
        )));
    }
    let url = info.credential_endpoint()?;
    let after = wallet.post_authorized("credential", url, &tokens, &json!({}))?;
    if after.status != 401 {
        return Err(DemoError::Protocol(format!(
            "the first redemption's access token still works: HTTP {}",
            after.status
        )));
    }
    n.say("second redemption: HTTP 400 invalid_grant");
    n.say(&format!(
        "the first redemption's access token: HTTP {} {}",
        after.status,
        after.error_code().unwrap_or("-")
    ));
    Ok(())
}

fn refusals(
    env: &DemoEnv,
    wallet: &Wallet,
    clock: &Arc<dyn Clock>,
    n: Narrator,
) -> Result<(), DemoError> {
    let http = &wallet.http;
    let info = wallet.discover(&env.issuer_url)?;
    n.step("A replayed PoP is refused");
    let headers = wallet.token_headers(&info)?;
    let code = identity_code(http, &env.issuer_url)?;
    let form = [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code.as_str()),
    ];
    let first = wallet
        .post_token(&info, &form, &headers)?
        .expect("token", 200)?;
    n.say(&format!(
        "first use of the attestation + PoP: HTTP {}",
        first.status
    ));
    let code = identity_code(http, &env.issuer_url)?;
    let form = [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code.as_str()),
    ];
    let mut replay_headers = headers.clone();
    replay_headers.retain(|(name, _)| name != "DPoP");
    let replay = wallet.post_token(&info, &form, &replay_headers)?;
    if replay.status != 401 || replay.error_code() != Some("invalid_client") {
        return Err(DemoError::Protocol(format!(
            "replay not refused: {}",
            replay.body
        )));
    }
    n.say("the same PoP again (same jti):");
    n.json(&format!("HTTP {}", replay.status), &replay.body);

    n.step("An expired attestation is refused");
    let now = clock.now();
    let expired = env.attester.attest_between(
        &wallet.instance_jwk(),
        now.saturating_sub(7200),
        now.saturating_sub(3600),
    )?;
    let pop = wallet.pop(info.as_issuer()?, None)?;
    let code = identity_code(http, &env.issuer_url)?;
    let form = [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code.as_str()),
    ];
    let headers = vec![
        ("OAuth-Client-Attestation".to_owned(), expired),
        ("OAuth-Client-Attestation-PoP".to_owned(), pop),
    ];
    let reply = wallet.post_token(&info, &form, &headers)?;
    if reply.status != 401 || reply.error_code() != Some("invalid_client") {
        return Err(DemoError::Protocol(format!(
            "expired attestation not refused: {}",
            reply.body
        )));
    }
    n.say("an attestation whose exp passed an hour ago:");
    n.json(&format!("HTTP {}", reply.status), &reply.body);
    Ok(())
}

fn issue_mdl(env: &DemoEnv, wallet: &Wallet, n: Narrator) -> Result<VerifiedCredential, DemoError> {
    n.step("Issuer operator offers an mDL (mso_mdoc, org.iso.18013.5.1.mDL)");
    let (uri, tx_code, _) = create_offer(
        &wallet.http,
        &env.issuer_url,
        MDL_CONFIGURATION_ID,
        &mdl_claims(),
        false,
    )?;
    let outcome = wallet.run_offer(&uri, tx_code.as_deref(), 1)?;
    let mdl = outcome
        .credentials
        .into_iter()
        .next()
        .ok_or_else(|| DemoError::Protocol("no mDL".into()))?;
    let elements = mdl.claims.get(mdoc_cbor::MDL_NAME_SPACE).ok_or_else(|| {
        DemoError::Protocol(format!(
            "the mDL has no {} name space",
            mdoc_cbor::MDL_NAME_SPACE
        ))
    })?;
    n.say(&format!(
        "IssuerSigned ({} base64url chars): issuerAuth ES256 (COSE -7) by the Document Signer, x5chain -> \"{}\"; every digest matched",
        mdl.compact.len(),
        issuer::IACA_NAME
    ));
    n.say(&format!(
        "elements: family_name={}, birth_date={}, age_over_18={}; device key (from the proof JWK) {}",
        elements.get("family_name").unwrap_or(&Value::Null),
        elements.get("birth_date").unwrap_or(&Value::Null),
        elements.get("age_over_18").unwrap_or(&Value::Null),
        abbreviate(&mdl.holder_key.thumbprint_base64url(), 12),
    ));
    if mdl.status != Status::VALID {
        return Err(DemoError::Protocol("fresh mDL is not VALID".into()));
    }
    Ok(mdl)
}

fn revoke(
    env: &DemoEnv,
    wallet: &Wallet,
    credentials: &[&VerifiedCredential],
    info: &crate::wallet::IssuerInfo,
    n: Narrator,
) -> Result<(), DemoError> {
    n.step("Issuer operator revokes the SD-JWT VC and the mDL (POST /admin/revoke)");
    for credential in credentials {
        let body =
            json!({"status_list": {"uri": credential.status_uri, "idx": credential.status_idx}});
        let reply = wallet
            .http
            .post_json(
                "admin revoke",
                &format!("{}/admin/revoke", env.issuer_url),
                &body,
                &[],
            )?
            .expect("admin revoke", 200)?;
        n.json("HTTP 200", &reply.body);
    }
    for credential in credentials {
        let again = if CredentialFormat::from_name(&credential.format) == CredentialFormat::MsoMdoc
        {
            wallet.verify_mdoc(info, &credential.compact, &credential.credential_type)?
        } else {
            wallet.verify_credential(info, &credential.compact)?
        };
        n.say(&format!(
            "wallet re-reads {} for its {} -> entry {} is now {}",
            credential.status_uri, credential.format, credential.status_idx, again.status
        ));
        if again.status != Status::INVALID {
            return Err(DemoError::Protocol(format!(
                "revoked {} still reads {}",
                credential.format, again.status
            )));
        }
    }
    Ok(())
}
