//! Issue 13: the `issuer` binary keeps its keys and state in its data directory. Killed and
//! started again on the same directory, it still verifies and revokes what it issued, and
//! codes and PoPs used before the restart stay used.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use examples::clock::SystemClock;
use examples::config::{IDENTITY_CONFIGURATION_ID, IssuerConfig};
use examples::demo::{create_offer, demo_claims};
use examples::narrate::Narrator;
use examples::spawn::{self, ChildServer};
use examples::wallet::{Http, Wallet};
use serde_json::json;
use status_list::Status;

use crate::common::assert_owner_only;

fn start(binary: &str, dir: &Path, args: &[&str], ready: &str) -> ChildServer {
    spawn::start(Path::new(binary), dir, args, ready).unwrap()
}

fn free_port() -> u16 {
    spawn::free_port().unwrap()
}

fn start_issuer(dir: &Path, port: u16) -> ChildServer {
    let listen = format!("127.0.0.1:{port}");
    start(
        env!("CARGO_BIN_EXE_issuer"),
        dir,
        &[
            "--listen",
            &listen,
            "--data-dir",
            "state",
            "--config",
            "config.json",
        ],
        &format!("http://{listen}/.well-known/openid-credential-issuer"),
    )
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "issuer-restart-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_restarted_issuer_keeps_its_keys_credentials_codes_and_replays() {
    let dir = temp_dir();
    let attester_port = free_port();
    let attester_url = format!("http://127.0.0.1:{attester_port}");
    let _attester = start(
        env!("CARGO_BIN_EXE_attester"),
        &dir,
        &["--listen", &format!("127.0.0.1:{attester_port}")],
        &format!("{attester_url}/"),
    );
    // The default configuration, with client attestation required (so a replayed PoP is
    // refused rather than accepted leniently).
    let mut config = IssuerConfig::default_config();
    let attestation = config.client_attestation_config.as_mut().unwrap();
    attestation["required"] = json!(true);
    std::fs::write(dir.join("config.json"), config.to_json().unwrap()).unwrap();
    let port = free_port();
    let issuer_url = format!("http://127.0.0.1:{port}");
    let mut issuer = start_issuer(&dir, port);

    let mut wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::quiet()).unwrap();
    wallet.fetch_attestation(&attester_url).unwrap();
    let http = Http::new();
    let offer = |issuer_url: &str| {
        create_offer(
            &http,
            issuer_url,
            IDENTITY_CONFIGURATION_ID,
            &demo_claims(),
            false,
        )
        .unwrap()
    };
    let (uri, _, used_code) = offer(&issuer_url);
    let before = wallet.run_offer(&uri, None, 1).unwrap();
    let credential = &before.credentials[0];
    assert_eq!(credential.status, Status::VALID);
    let (_, _, unused_code) = offer(&issuer_url);
    // A token request whose PoP (and attestation) the issuer saw, answered invalid_grant.
    let info = wallet.discover(&issuer_url).unwrap();
    let seen_headers = wallet.token_headers(&info).unwrap();
    let form = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        ),
        ("pre-authorized_code", "not-a-code"),
    ];
    let first = wallet.post_token(&info, &form, &seen_headers).unwrap();
    assert_eq!(first.error_code(), Some("invalid_grant"));
    let jwks_before = http
        .get("jwks", &format!("{issuer_url}/.well-known/jwt-vc-issuer"))
        .unwrap()
        .body;
    let keys_file = std::fs::read_to_string(dir.join("state/issuer-keys.json")).unwrap();
    assert_owner_only(&dir.join("state/issuer-keys.json"));

    // Killed without a chance to flush anything, then started on the same directory.
    drop(issuer);
    issuer = start_issuer(&dir, port);
    assert_eq!(
        std::fs::read_to_string(dir.join("state/issuer-keys.json")).unwrap(),
        keys_file,
        "the keys file is written once"
    );
    let jwks_after = http
        .get("jwks", &format!("{issuer_url}/.well-known/jwt-vc-issuer"))
        .unwrap()
        .body;
    assert_eq!(jwks_after, jwks_before);
    let info = wallet.discover(&issuer_url).unwrap();

    // The credential issued before the restart verifies with the served keys and its status.
    let again = wallet
        .verify_credential(&info, &credential.compact)
        .unwrap();
    assert_eq!(again.status, Status::VALID);
    assert_eq!(again.status_idx, credential.status_idx);

    // The used code stays used; the PoP seen before the restart stays seen.
    let reused = wallet
        .post_token(
            &info,
            &[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                ),
                ("pre-authorized_code", &used_code),
            ],
            &wallet.token_headers(&info).unwrap(),
        )
        .unwrap();
    assert_eq!(reused.status, 400);
    assert_eq!(reused.error_code(), Some("invalid_grant"));
    let replayed = wallet.post_token(&info, &form, &seen_headers).unwrap();
    assert_eq!(replayed.status, 401);
    assert_eq!(replayed.error_code(), Some("invalid_client"));

    // The code handed out before the restart still works, once.
    let after = wallet
        .receive(
            info.clone(),
            wallet.redeem(&info, &unused_code, None).unwrap(),
            IDENTITY_CONFIGURATION_ID,
            1,
        )
        .unwrap();
    assert_ne!(after.credentials[0].status_idx, credential.status_idx);

    // Revocation of the credential issued before the restart.
    let listed = http
        .get("list", &format!("{issuer_url}/admin/credentials"))
        .unwrap();
    let entries = listed.body["credentials"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let id = entries
        .iter()
        .find(|c| c["status_list"]["idx"] == credential.status_idx)
        .unwrap()["credential_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = http
        .post_json(
            "revoke",
            &format!("{issuer_url}/admin/revoke"),
            &json!({"credential_id": id}),
            &[],
        )
        .unwrap();
    assert_eq!(revoked.status, 200);
    let revoked_status = wallet
        .verify_credential(&info, &credential.compact)
        .unwrap();
    assert_eq!(revoked_status.status, Status::INVALID);

    // The audit trail kept the first run's events: the keys created once, the issuances, the
    // replay, and the revocation with its actor.
    let audit = http
        .get("audit", &format!("{issuer_url}/admin/audit?limit=1000"))
        .unwrap();
    let kinds: Vec<&str> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let count = |kind: &str| kinds.iter().filter(|k| **k == kind).count();
    assert_eq!(count("key_changed"), 2, "{kinds:?}");
    assert_eq!(count("credential_issued"), 2, "{kinds:?}");
    assert!(count("replay_detected") >= 1, "{kinds:?}");
    assert_eq!(count("credential_status_changed"), 1, "{kinds:?}");
    drop(issuer);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_data_directory_gives_back_its_keys_and_refuses_a_changed_algorithm_or_a_bad_file() {
    use examples::datadir::DataDir;
    use examples::error::DemoError;
    use jose_core::{Algorithm, SystemRandom, UnixTime};
    let dir = temp_dir();
    let data = DataDir::new(dir.join("data"));
    let rng = SystemRandom::new();
    let now = UnixTime::from_secs(crate::common::START);
    let (created, fresh) = data
        .keys(Some(Algorithm::Es256), "https://issuer.example", &rng, now)
        .unwrap();
    assert!(fresh);
    let (reopened, fresh) = data
        .keys(Some(Algorithm::Es256), "https://issuer.example", &rng, now)
        .unwrap();
    assert!(!fresh);
    assert_eq!(reopened.engine_secret, created.engine_secret);
    assert_eq!(
        reopened
            .credential_signer
            .as_ref()
            .unwrap()
            .signer()
            .unwrap()
            .public_jwk(),
        created
            .credential_signer
            .as_ref()
            .unwrap()
            .signer()
            .unwrap()
            .public_jwk()
    );
    assert_eq!(reopened.issuer_ca.root_pem(), created.issuer_ca.root_pem());
    assert_eq!(reopened.iaca.key_pkcs8(), created.iaca.key_pkcs8());

    let changed = data
        .keys(Some(Algorithm::Es384), "https://issuer.example", &rng, now)
        .unwrap_err();
    assert!(
        matches!(&changed, DemoError::Keystore(m) if m.contains("credentialSigner is an ES256 key but signingKey.alg is ES384")),
        "{changed}"
    );

    let text = std::fs::read_to_string(data.keys_file()).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&text).unwrap();
    file["issuerCa"]["keyPkcs8"] = file["iaca"]["keyPkcs8"].clone();
    std::fs::write(data.keys_file(), file.to_string()).unwrap();
    let swapped = data
        .keys(Some(Algorithm::Es256), "https://issuer.example", &rng, now)
        .unwrap_err();
    assert!(
        matches!(&swapped, DemoError::Keystore(m) if m.contains("issuerCa") && m.contains("not the root certificate's key")),
        "{swapped}"
    );

    // A directory created for a token's signing keys holds none, and refuses to start without
    // the token; the local keys of a directory created without one are not needed with it.
    let token_dir = DataDir::new(dir.join("token-data"));
    let (token_keys, fresh) = token_dir
        .keys(None, "https://issuer.example", &rng, now)
        .unwrap();
    assert!(fresh);
    assert!(token_keys.credential_signer.is_none() && token_keys.mdoc_signer.is_none());
    let text = std::fs::read_to_string(token_dir.keys_file()).unwrap();
    assert!(
        !text.contains("credentialSigner") && !text.contains("mdocSigner"),
        "{text}"
    );
    let (again, fresh) = token_dir
        .keys(None, "https://issuer.example", &rng, now)
        .unwrap();
    assert!(!fresh);
    assert_eq!(again.engine_secret, token_keys.engine_secret);
    let local = token_dir
        .keys(Some(Algorithm::Es256), "https://issuer.example", &rng, now)
        .unwrap_err();
    assert!(
        matches!(&local, DemoError::Keystore(m) if m.contains("no credentialSigner and mdocSigner: this directory's signing keys are in a PKCS#11 token")),
        "{local}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
