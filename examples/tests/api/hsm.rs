//! Issue 15: the `attester` and `issuer` binaries with their keys in a SoftHSM2 token (Debian
//! package `softhsm2`). SoftHSM finds its tokens through `SOFTHSM2_CONF`, which this test
//! process cannot set for itself (no `unsafe`), so only the child processes get it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use examples::clock::SystemClock;
use examples::config::{IDENTITY_CONFIGURATION_ID, IssuerConfig, MDL_CONFIGURATION_ID};
use examples::demo::{create_offer, demo_claims, mdl_claims};
use examples::error::DemoError;
use examples::narrate::Narrator;
use examples::spawn::{self, ChildServer};
use examples::wallet::{Http, Wallet};
use jose_core::{Algorithm, PublicJwk};
use serde_json::{Value, json};
use status_list::Status;

use crate::common::{config_without_attestation, issue_identity_credential};

/// The SoftHSM2 module as Debian installs it.
const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The user PIN of the test tokens.
const USER_PIN: &str = "462913";
/// The variable the children read the PIN from.
const PIN_ENV: &str = "DEMO_HSM_TEST_PIN";

/// A temporary directory with a SoftHSM configuration and initialised tokens, removed when
/// dropped.
struct SoftHsm {
    dir: PathBuf,
    conf: PathBuf,
}

impl SoftHsm {
    /// A directory with the tokens `labels` (PIN [`USER_PIN`]) and a PIN file `pin`.
    fn new(name: &str, labels: &[&str]) -> Self {
        assert!(
            Path::new(MODULE).exists(),
            "this test needs SoftHSM2 ({MODULE}): apt-get install -y softhsm2"
        );
        let dir = std::env::temp_dir().join(format!(
            "demo-hsm-{name}-{}-{}",
            std::process::id(),
            spawn::free_port().unwrap()
        ));
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n\
                 slots.removable = false\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        let hsm = Self { dir, conf };
        for label in labels {
            let output = Command::new("softhsm2-util")
                .env("SOFTHSM2_CONF", &hsm.conf)
                .args(["--init-token", "--free", "--label", label])
                .args(["--so-pin", "13572468", "--pin", USER_PIN])
                .stdin(Stdio::null())
                .output()
                .expect("softhsm2-util (Debian package softhsm2)");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::fs::write(hsm.dir.join("pin"), format!("{USER_PIN}\n")).unwrap();
        hsm
    }

    /// The children's environment: the SoftHSM configuration and `pin` in [`PIN_ENV`].
    fn env<'a>(&'a self, pin: &'a str) -> [(&'a str, &'a OsStr); 2] {
        [
            ("SOFTHSM2_CONF", self.conf.as_os_str()),
            (PIN_ENV, OsStr::new(pin)),
        ]
    }
}

impl Drop for SoftHsm {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `--pkcs11-*` options for `token`, PIN from [`PIN_ENV`].
fn pkcs11_args(token: &str) -> Vec<String> {
    [
        "--pkcs11-module",
        MODULE,
        "--pkcs11-token",
        token,
        "--pkcs11-pin-env",
        PIN_ENV,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn start_issuer(hsm: &SoftHsm, port: u16, data_dir: &str) -> ChildServer {
    let listen = format!("127.0.0.1:{port}");
    let mut args: Vec<String> = [
        "--listen",
        &listen,
        "--data-dir",
        data_dir,
        "--config",
        "config.json",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(pkcs11_args("demo"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    spawn::start_with_env(
        Path::new(env!("CARGO_BIN_EXE_issuer")),
        &hsm.dir,
        &args,
        &hsm.env(USER_PIN),
        &format!("http://{listen}/.well-known/openid-credential-issuer"),
    )
    .unwrap()
}

/// The published `jwt-vc-issuer` keys of the issuer at `url`.
fn published_keys(http: &Http, url: &str) -> Value {
    http.get("jwks", &format!("{url}/.well-known/jwt-vc-issuer"))
        .unwrap()
        .body["jwks"]["keys"]
        .clone()
}

#[test]
fn attester_and_issuer_keys_in_softhsm_issue_verifiable_credentials_across_restarts() {
    let hsm = SoftHsm::new("flow", &["demo"]);
    let attester_port = spawn::free_port().unwrap();
    let attester_url = format!("http://127.0.0.1:{attester_port}");
    let mut attester_args = vec![
        "--listen".to_owned(),
        format!("127.0.0.1:{attester_port}"),
        "--pkcs11-pin-file".to_owned(),
        "pin".to_owned(),
    ];
    // The PIN from a file here, from a variable for the issuer.
    attester_args.extend(pkcs11_args("demo").into_iter().take(4));
    let attester_args: Vec<&str> = attester_args.iter().map(String::as_str).collect();
    let _attester = spawn::start_with_env(
        Path::new(env!("CARGO_BIN_EXE_attester")),
        &hsm.dir,
        &attester_args,
        &[("SOFTHSM2_CONF", hsm.conf.as_os_str())],
        &format!("{attester_url}/"),
    )
    .unwrap();
    assert!(
        !hsm.dir.join("demo-keystore.json").exists(),
        "with a token the attester writes no keystore file"
    );
    // The default configuration (kms-key "demo-attester", keystore demo-keystore.json, which
    // does not exist: the reference must resolve through the token), attestation required.
    let mut config = IssuerConfig::default_config();
    config.client_attestation_config.as_mut().unwrap()["required"] = json!(true);
    std::fs::write(hsm.dir.join("config.json"), config.to_json().unwrap()).unwrap();
    let port = spawn::free_port().unwrap();
    let issuer_url = format!("http://127.0.0.1:{port}");
    let issuer = start_issuer(&hsm, port, "state");

    let mut wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::quiet()).unwrap();
    wallet.fetch_attestation(&attester_url).unwrap();
    let http = Http::new();
    let (uri, _, _) = create_offer(
        &http,
        &issuer_url,
        IDENTITY_CONFIGURATION_ID,
        &demo_claims(),
        false,
    )
    .unwrap();
    let sd_jwt = wallet.run_offer(&uri, None, 1).unwrap();
    let credential = &sd_jwt.credentials[0];
    assert_eq!(credential.status, Status::VALID);
    // An mdoc, signed by the Document Signer key in the token (the wallet verifies it).
    let (uri, _, _) = create_offer(
        &http,
        &issuer_url,
        MDL_CONFIGURATION_ID,
        &mdl_claims(),
        false,
    )
    .unwrap();
    let mdl = wallet.run_offer(&uri, None, 1).unwrap();
    assert_eq!(mdl.credentials.len(), 1);

    // The data directory holds no signing key: only the demo CAs, the engine secret and the
    // request-encryption key.
    let keys_before = published_keys(&http, &issuer_url);
    assert_eq!(keys_before.as_array().unwrap().len(), 1);
    let keys_file: Value = serde_json::from_str(
        &std::fs::read_to_string(hsm.dir.join("state/issuer-keys.json")).unwrap(),
    )
    .unwrap();
    let members: Vec<&str> = keys_file
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        members,
        [
            "engineSecret",
            "iaca",
            "issuerCa",
            "requestEncryptionKey",
            "version"
        ]
    );

    // Restarted on the same directory: same key, the credential still verifies and its
    // status is readable.
    drop(issuer);
    let issuer = start_issuer(&hsm, port, "state");
    assert_eq!(published_keys(&http, &issuer_url), keys_before);
    let info = wallet.discover(&issuer_url).unwrap();
    let again = wallet
        .verify_credential(&info, &credential.compact)
        .unwrap();
    assert_eq!(again.status, Status::VALID);
    // Its signature verifies with the published key itself, named by its kid.
    assert_eq!(again.kid, keys_before[0]["kid"].as_str().unwrap());
    let published = PublicJwk::from_value(&keys_before[0]).unwrap();
    let jws = credential.compact.split('~').next().unwrap();
    let (signing_input, signature) = jws.rsplit_once('.').unwrap();
    let signature = jose_core::base64url::decode(signature).unwrap();
    published
        .verify(Algorithm::Es256, signing_input.as_bytes(), &signature)
        .unwrap();

    // A fresh data directory (new keys file, new demo CAs) on the same token publishes the
    // same signing key: it lives in the token.
    drop(issuer);
    let _issuer = start_issuer(&hsm, port, "other-state");
    assert_eq!(published_keys(&http, &issuer_url), keys_before);
    let (uri, _, _) = create_offer(
        &http,
        &issuer_url,
        IDENTITY_CONFIGURATION_ID,
        &demo_claims(),
        false,
    )
    .unwrap();
    let third = wallet.run_offer(&uri, None, 1).unwrap();
    assert_eq!(third.credentials[0].status, Status::VALID);
}

/// The issuer binary on `hsm`'s token with its state in `state`, with no attester (client and
/// key attestation off): the child, its URL and its port.
fn start_issuer_without_attestation(hsm: &SoftHsm) -> (ChildServer, String, u16) {
    let config = config_without_attestation();
    std::fs::write(hsm.dir.join("config.json"), config.to_json().unwrap()).unwrap();
    let port = spawn::free_port().unwrap();
    let issuer = start_issuer(hsm, port, "state");
    (issuer, format!("http://127.0.0.1:{port}"), port)
}

#[test]
fn a_token_failing_at_run_time_answers_server_error_and_issues_nothing() {
    let hsm = SoftHsm::new("runtime", &["demo"]);
    let (_issuer, issuer_url, _) = start_issuer_without_attestation(&hsm);
    let wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::quiet()).unwrap();
    let http = Http::new();
    let offer = || {
        create_offer(
            &http,
            &issuer_url,
            IDENTITY_CONFIGURATION_ID,
            &demo_claims(),
            false,
        )
        .unwrap()
        .0
    };
    assert_eq!(
        wallet
            .run_offer(&offer(), None, 1)
            .unwrap()
            .credentials
            .len(),
        1
    );

    // The token's objects vanish under the running issuer (SoftHSM: its files are deleted).
    for entry in std::fs::read_dir(hsm.dir.join("tokens")).unwrap() {
        std::fs::remove_dir_all(entry.unwrap().path()).unwrap();
    }
    let err = wallet.run_offer(&offer(), None, 1).unwrap_err();
    assert!(
        matches!(&err, DemoError::Server { step: "credential", status: 500, body }
            if body.contains("\"error\":\"server_error\"")),
        "{err}"
    );
    // Nothing was issued or recorded for the failed request.
    let listed = http
        .get("list", &format!("{issuer_url}/admin/credentials"))
        .unwrap()
        .body;
    assert_eq!(
        listed["credentials"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
}

/// Runs the issuer binary in `hsm`'s directory with `args`, the PIN variable set to `pin`,
/// and returns its exit status and standard error (it must exit during start-up).
fn issuer_fails(hsm: &SoftHsm, args: &[&str], pin: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_issuer"))
        .current_dir(&hsm.dir)
        .args(["--store", "memory", "--listen", "127.0.0.1:0"])
        .args(args)
        .envs(hsm.env(pin))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "the issuer started: {args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn issuer_startup_errors_name_the_pkcs11_option() {
    let hsm = SoftHsm::new("errors", &["demo"]);
    let with = |module: &str, token: &str| {
        vec![
            "--pkcs11-module".to_owned(),
            module.to_owned(),
            "--pkcs11-token".to_owned(),
            token.to_owned(),
            "--pkcs11-pin-env".to_owned(),
            PIN_ENV.to_owned(),
        ]
    };
    let run = |args: Vec<String>, pin: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        issuer_fails(&hsm, &args, pin)
    };

    let missing_module = run(with("/nonexistent/libpkcs11.so", "demo"), USER_PIN);
    assert!(
        missing_module
            .contains("--pkcs11-module /nonexistent/libpkcs11.so: cannot load PKCS#11 module"),
        "{missing_module}"
    );
    let missing_token = run(with(MODULE, "no-such-token"), USER_PIN);
    assert!(
        missing_token.contains(
            "--pkcs11-token no-such-token: no token labelled \"no-such-token\" in the PKCS#11 \
             module (tokens present: [\"demo\"])"
        ),
        "{missing_token}"
    );
    let wrong_pin = run(with(MODULE, "demo"), "000000");
    assert!(
        wrong_pin.contains(&format!(
            "--pkcs11-pin-env {PIN_ENV}: wrong user PIN for token \"demo\" (CKR_PIN_INCORRECT)"
        )),
        "{wrong_pin}"
    );
    assert!(!wrong_pin.contains(USER_PIN) && !wrong_pin.contains("000000"));
    let pin_file = {
        let mut args = with(MODULE, "demo");
        args.truncate(4);
        args.extend(["--pkcs11-pin-file".to_owned(), "no-pin-file".to_owned()]);
        run(args, USER_PIN)
    };
    assert!(
        pin_file
            .contains("--pkcs11-pin-file no-pin-file: cannot read the PIN from file no-pin-file"),
        "{pin_file}"
    );
    let no_pin_source = {
        let mut args = with(MODULE, "demo");
        args.truncate(4);
        run(args, USER_PIN)
    };
    assert!(
        no_pin_source.contains("exactly one of --pkcs11-pin-env NAME and --pkcs11-pin-file PATH"),
        "{no_pin_source}"
    );
    // The right PIN, but the kms-key attester key the default configuration names is not in
    // the token (no attester created it).
    let missing_key = run(with(MODULE, "demo"), USER_PIN);
    assert!(
        missing_key.contains(
            "clientAttestationConfig: verificationMethod.keyReference: does not resolve: \
             keyReference demo-attester: no key labelled \"demo-attester\" in token \"demo\" \
             (--pkcs11-token)"
        ),
        "{missing_key}"
    );

    // A token without the mechanism the configured algorithm needs (SoftHSM restricted to
    // ECDSA): an EdDSA credential key cannot be made.
    let restricted = hsm.dir.join("restricted.conf");
    std::fs::write(
        &restricted,
        std::fs::read_to_string(&hsm.conf).unwrap()
            + "slots.mechanisms = CKM_ECDSA,CKM_EC_KEY_PAIR_GEN\n",
    )
    .unwrap();
    let mut eddsa: Value =
        serde_json::from_str(&IssuerConfig::default_config().to_json().unwrap()).unwrap();
    eddsa["signingKey"] = json!({"type": "generated", "alg": "EdDSA"});
    std::fs::write(hsm.dir.join("eddsa.json"), eddsa.to_string()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_issuer"))
        .current_dir(&hsm.dir)
        .args([
            "--store",
            "memory",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "eddsa.json",
        ])
        .args(with(MODULE, "demo"))
        .env("SOFTHSM2_CONF", &restricted)
        .env(PIN_ENV, USER_PIN)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "issuer: --pkcs11-token demo: token \"demo\" does not offer CKM_EDDSA (needed for EdDSA)"
        ),
        "{stderr}"
    );

    // The attester's startup errors name the options the same way.
    let attester = Command::new(env!("CARGO_BIN_EXE_attester"))
        .current_dir(&hsm.dir)
        .args(["--listen", "127.0.0.1:0"])
        .args(with(MODULE, "demo"))
        .envs(hsm.env("000000"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!attester.status.success());
    let stderr = String::from_utf8_lossy(&attester.stderr);
    assert!(
        stderr.contains(&format!(
            "attester: --pkcs11-pin-env {PIN_ENV}: wrong user PIN for token \"demo\" \
             (CKR_PIN_INCORRECT)"
        )),
        "{stderr}"
    );
    assert!(!hsm.dir.join("demo-keystore.json").exists());
}

#[test]
fn a_key_rotation_in_softhsm_makes_a_new_token_key_and_survives_a_restart() {
    use crate::rotation::{assert_only_b_verifies, key_states, published_kids, retire, rotate};
    let hsm = SoftHsm::new("rotation", &["demo"]);
    let (issuer, url, port) = start_issuer_without_attestation(&hsm);
    let wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::quiet()).unwrap();
    let http = Http::new();
    let issue = || issue_identity_credential(&http, &url, &wallet);
    let a = issue();
    let key_a = a.kid.clone();
    let key_b = rotate(&http, &url, &key_a);
    let expected = [
        (key_a.clone(), "published".to_owned(), "initial".to_owned()),
        (
            key_b.clone(),
            "active".to_owned(),
            "pkcs11:issuer-credential-es256-2".to_owned(),
        ),
    ];
    assert_eq!(key_states(&http, &url), expected);
    // The data directory records the new key's label, never key material.
    let rotation: Value = serde_json::from_str(
        &std::fs::read_to_string(hsm.dir.join("state/issuer-key-rotation.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        rotation["credentialKeys"][1]["pkcs11Label"],
        "issuer-credential-es256-2"
    );
    assert!(rotation["credentialKeys"][1].get("pkcs8").is_none());
    assert_eq!(issue().kid, key_b);

    // Restarted: B (in the token) still signs, A still verifies, then A is retired.
    drop(issuer);
    let _issuer = start_issuer(&hsm, port, "state");
    assert_eq!(key_states(&http, &url), expected);
    let b = issue();
    assert_eq!(b.kid, key_b);
    let info = wallet.discover(&url).unwrap();
    assert_eq!(
        wallet.verify_credential(&info, &a.compact).unwrap().status,
        Status::VALID
    );
    assert_eq!(retire(&http, &url, &key_a).status, 200);
    assert_eq!(published_kids(&http, &url), [key_b.as_str()]);
    assert_only_b_verifies(&wallet, &info, &a, &b);
}
