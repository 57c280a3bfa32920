//! The one-command demo: attester, issuer and wallet on loopback, the whole flow narrated.

use std::sync::Arc;

use jose_core::{Algorithm, SystemRandom};
use serde_json::{Value, json};
use status_list::Status;

use crate::attester::{self, Attester};
use crate::clock::{Clock, SystemClock};
use crate::config::{DEMO_ATTESTER_KEY_REFERENCE, IDENTITY_CONFIGURATION_ID, IssuerConfig};
use crate::error::DemoError;
use crate::issuer::{self, IssuerState};
use crate::keystore::Keystore;
use crate::narrate::{Narrator, abbreviate};
use crate::wallet::{Http, PRE_AUTHORIZED_GRANT, Wallet};

/// The client id the demo attester puts in `sub`.
pub const DEMO_CLIENT_ID: &str = "https://wallet.example.org/demo-wallet";

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
}

/// Starts an attester (fresh key in an in-memory keystore) and an issuer whose
/// `clientAttestationConfig` trusts it through `kms-key`, both on `127.0.0.1` ephemeral ports.
/// `attestation` overrides the `clientAttestationConfig` (`None`: required, kms-key).
///
/// # Errors
/// [`DemoError`] when a server cannot start.
pub async fn start(
    clock: Arc<dyn Clock>,
    attestation: Option<Value>,
    configure: impl FnOnce(&mut IssuerConfig),
) -> Result<DemoEnv, DemoError> {
    let mut keystore = Keystore::new();
    keystore.generate(
        DEMO_ATTESTER_KEY_REFERENCE,
        Algorithm::Es256,
        &SystemRandom::new(),
    )?;
    let attester = Arc::new(Attester::new(
        keystore.clone(),
        DEMO_ATTESTER_KEY_REFERENCE,
        DEMO_CLIENT_ID,
        Arc::clone(&clock),
    )?);
    let (listener, attester_url) = issuer::bind("127.0.0.1:0").await?;
    issuer::spawn(listener, attester::router(Arc::clone(&attester)))?;
    let mut config = IssuerConfig::default_config();
    config.keystore = None;
    config.client_attestation_config = Some(attestation.unwrap_or_else(|| {
        json!({
            "required": true,
            "verificationMethod": {"type": "kms-key", "keyReference": DEMO_ATTESTER_KEY_REFERENCE},
            "clockSkewSeconds": 300,
            "replayWindowSeconds": 300
        })
    }));
    configure(&mut config);
    let (server, state) = issuer::start(config, "127.0.0.1:0", keystore, clock).await?;
    Ok(DemoEnv {
        issuer: state,
        issuer_url: server.base_url,
        attester,
        attester_url,
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
    let uri = reply.str("offer_uri").unwrap_or_default().to_owned();
    let code = reply
        .body
        .pointer("/offer/grants/urn:ietf:params:oauth:grant-type:pre-authorized_code/pre-authorized_code")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok((uri, reply.str("tx_code").map(str::to_owned), code))
}

/// The subject claims the demo issues.
#[must_use]
pub fn demo_claims() -> Value {
    json!({"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1984-01-26"})
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
    let env = runtime.block_on(start(Arc::clone(&clock), None, |_| {}))?;
    n.step("Started attester and issuer on loopback");
    n.say(&format!(
        "attester {}  (key kms-key:{DEMO_ATTESTER_KEY_REFERENCE})",
        env.attester_url
    ));
    n.say(&format!(
        "issuer   {}  (clientAttestationConfig: required, kms-key)",
        env.issuer_url
    ));

    let mut wallet = Wallet::new(Arc::clone(&clock), n)?.with_dpop()?;
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

    refusals(&env, &wallet, &clock, n)?;
    revoke(&env, &wallet, first, &outcome.info, n)?;

    n.step("Wallet refreshes its tokens (refresh_token grant, same attested key)");
    let old = outcome
        .tokens
        .refresh_token
        .clone()
        .ok_or_else(|| DemoError::Protocol("no refresh token".into()))?;
    let refreshed = wallet.refresh(&outcome.info, &old)?;
    let new = refreshed.refresh_token.clone().unwrap_or_default();
    if new == old || new.is_empty() {
        return Err(DemoError::Protocol("refresh token was not rotated".into()));
    }
    n.say(&format!(
        "new {} access token {}; refresh token rotated {} -> {}",
        refreshed.token_type,
        abbreviate(&refreshed.access_token, 10),
        abbreviate(&old, 8),
        abbreviate(&new, 8)
    ));
    let headers = wallet.token_headers(&outcome.info)?;
    let reuse = wallet.post_token(
        &outcome.info,
        &[("grant_type", "refresh_token"), ("refresh_token", &old)],
        &headers,
    )?;
    if reuse.error_code() != Some("invalid_grant") {
        return Err(DemoError::Protocol(
            "reused refresh token was accepted".into(),
        ));
    }
    n.say("presenting the old refresh token again revokes the whole token family:");
    n.json("HTTP 400", &reuse.body);

    n.step("Done: every step verified");
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
    let (_, _, code) = create_offer(
        http,
        &env.issuer_url,
        IDENTITY_CONFIGURATION_ID,
        &demo_claims(),
        false,
    )?;
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
    let (_, _, code) = create_offer(
        http,
        &env.issuer_url,
        IDENTITY_CONFIGURATION_ID,
        &demo_claims(),
        false,
    )?;
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
    let pop = wallet.pop(info.as_issuer(), None)?;
    let (_, _, code) = create_offer(
        http,
        &env.issuer_url,
        IDENTITY_CONFIGURATION_ID,
        &demo_claims(),
        false,
    )?;
    let form = [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code.as_str()),
    ];
    let headers = vec![
        ("OAuth-Client-Attestation".to_owned(), expired),
        ("OAuth-Client-Attestation-PoP".to_owned(), pop),
    ];
    let reply = wallet.post_token(&info, &form, &headers)?;
    if reply.status != 400 || reply.error_code() != Some("use_fresh_attestation") {
        return Err(DemoError::Protocol(format!(
            "expired attestation not refused: {}",
            reply.body
        )));
    }
    n.say("an attestation whose exp passed an hour ago:");
    n.json(&format!("HTTP {}", reply.status), &reply.body);
    Ok(())
}

fn revoke(
    env: &DemoEnv,
    wallet: &Wallet,
    credential: &crate::wallet::VerifiedCredential,
    info: &crate::wallet::IssuerInfo,
    n: Narrator,
) -> Result<(), DemoError> {
    n.step("Issuer operator revokes the first credential (POST /admin/revoke)");
    let body = json!({"status_list": {"uri": credential.status_uri, "idx": credential.status_idx}});
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
    let again = wallet.verify_credential(info, &credential.compact)?;
    n.say(&format!(
        "wallet re-reads {} -> entry {} is now {}",
        credential.status_uri, credential.status_idx, again.status
    ));
    if again.status != Status::INVALID {
        return Err(DemoError::Protocol(
            "revoked credential still reads VALID".into(),
        ));
    }
    Ok(())
}
