//! Issue 15, key rotation: the admin API introduces a new credential signing key, publishes it
//! beside the old one, signs with it only, keeps the old key's credentials verifiable and
//! revocable, and retires the old key later; the state survives a restart.

use std::path::Path;
use std::sync::Arc;

use examples::clock::{Clock, ManualClock, SystemClock};
use examples::issuer::{self, IssuerState};
use examples::keystore::Keystore;
use examples::narrate::Narrator;
use examples::spawn::{self, ChildServer};
use examples::wallet::{Http, IssuerInfo, Reply, VerifiedCredential, Wallet};
use jose_core::{PublicJwk, UnixTime};
use serde_json::{Value, json};
use status_list::Status;

use crate::common::{
    START, TestEnv, assert_owner_only, config_without_attestation, issue_identity_credential,
};

/// The exact error the demo wallet gives for a credential whose key is retired.
pub(crate) const RETIRED_KEY_ERROR: &str = "protocol: no issuer key with the credential's kid";

fn post(http: &Http, url: &str, body: &Value) -> Reply {
    http.post_json("admin", url, body, &[]).unwrap()
}

/// After A's retirement: the wallet refuses the credential `a` signed by A with
/// [`RETIRED_KEY_ERROR`], and the credential `b` signed by B still verifies as VALID.
pub(crate) fn assert_only_b_verifies(
    wallet: &Wallet,
    info: &IssuerInfo,
    a: &VerifiedCredential,
    b: &VerifiedCredential,
) {
    assert_eq!(
        wallet
            .verify_credential(info, &a.compact)
            .unwrap_err()
            .to_string(),
        RETIRED_KEY_ERROR
    );
    assert_eq!(
        wallet.verify_credential(info, &b.compact).unwrap().status,
        Status::VALID
    );
}

/// The `kid`s of the published `jwt-vc-issuer` keys at `issuer_url`.
pub(crate) fn published_kids(http: &Http, issuer_url: &str) -> Vec<String> {
    http.get("jwks", &format!("{issuer_url}/.well-known/jwt-vc-issuer"))
        .unwrap()
        .body["jwks"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// `POST /admin/keys/rotate`, which must answer 201: the new active `kid`.
pub(crate) fn rotate(http: &Http, issuer_url: &str, previous: &str) -> String {
    let reply = post(http, &format!("{issuer_url}/admin/keys/rotate"), &json!({}));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["previous"], previous);
    let active = reply.body["active"].as_str().unwrap().to_owned();
    assert_ne!(active, previous);
    active
}

/// `POST /admin/keys/retire` of `kid`.
pub(crate) fn retire(http: &Http, issuer_url: &str, kid: &str) -> Reply {
    post(
        http,
        &format!("{issuer_url}/admin/keys/retire"),
        &json!({"kid": kid}),
    )
}

/// `GET /admin/keys`: `(kid, state, location)` of every key.
pub(crate) fn key_states(http: &Http, issuer_url: &str) -> Vec<(String, String, String)> {
    let reply = http
        .get("keys", &format!("{issuer_url}/admin/keys"))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_owned(),
                k["state"].as_str().unwrap().to_owned(),
                k["location"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Revokes the credential at status index `idx` through `POST /admin/revoke`.
pub(crate) fn revoke_index(http: &Http, issuer_url: &str, idx: u64) {
    let listed = http
        .get("list", &format!("{issuer_url}/admin/credentials"))
        .unwrap();
    let id = listed.body["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status_list"]["idx"] == idx)
        .unwrap()["credential_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = post(
        http,
        &format!("{issuer_url}/admin/revoke"),
        &json!({"credential_id": id}),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
}

/// The key of the `x5c` leaf of the status list token served at `uri`, validated to the
/// `credential_issuer` roots of `info`.
pub(crate) fn status_token_key(
    wallet: &Wallet,
    info: &IssuerInfo,
    uri: &str,
    now: UnixTime,
) -> PublicJwk {
    let token = wallet.http.get("status", uri).unwrap().body;
    let token = token.as_str().unwrap();
    let roots = examples::wallet::anchors(&info.trust.as_ref().unwrap().credential_issuer).unwrap();
    examples::wallet::jws_x5c_key(token, &roots.unwrap(), now).unwrap()
}

/// The published key `kid` at `issuer_url`.
fn published_key(wallet: &Wallet, issuer_url: &str, kid: &str) -> PublicJwk {
    wallet
        .issuer_keys(issuer_url)
        .unwrap()
        .keys()
        .iter()
        .find(|k| k.kid() == Some(kid))
        .unwrap()
        .clone()
}

fn issue(t: &TestEnv, wallet: &Wallet) -> VerifiedCredential {
    let (uri, _, _) = t.offer(false);
    wallet
        .run_offer(&uri, None, 1)
        .unwrap()
        .credentials
        .remove(0)
}

#[test]
fn a_rotated_issuer_signs_with_the_new_key_and_keeps_the_old_one_until_it_is_retired() {
    let t = TestEnv::start();
    let http = Http::new();
    let url = t.env.issuer_url.clone();
    let wallet = t.wallet();
    let key_a = t.env.issuer.kid();
    let a = issue(&t, &wallet);
    assert_eq!(a.kid, key_a);
    assert_eq!(published_kids(&http, &url), [key_a.as_str()]);

    // The list token, signed (and cached) under A.
    let info = wallet.discover(&url).unwrap();
    let now = UnixTime::from_secs(START);
    let a_key = published_key(&wallet, &url, &key_a);
    assert!(status_token_key(&wallet, &info, &a.status_uri, now).same_key(&a_key));

    let key_b = rotate(&http, &url, &key_a);
    assert_eq!(t.env.issuer.kid(), key_b);
    // The unchanged list is signed again at the next fetch, by B.
    let b_key = published_key(&wallet, &url, &key_b);
    assert!(status_token_key(&wallet, &info, &a.status_uri, now).same_key(&b_key));
    assert_eq!(published_kids(&http, &url), [key_a.clone(), key_b.clone()]);
    assert_eq!(
        key_states(&http, &url),
        [
            (key_a.clone(), "published".into(), "initial".into()),
            (key_b.clone(), "active".into(), "data-dir".into()),
        ]
    );

    // B signs the new credentials (kid and x5c leaf); A's credential still verifies.
    let b = issue(&t, &wallet);
    assert_eq!(b.kid, key_b);
    let jwt = b.compact.split('~').next().unwrap();
    let header = jose_core::CompactJws::parse(jwt, &jose_core::Limits::default()).unwrap();
    let roots = examples::wallet::anchors(&info.trust.as_ref().unwrap().credential_issuer)
        .unwrap()
        .unwrap();
    let leaf = examples::wallet::x5c_key(header.header().x5c().unwrap(), &roots, now).unwrap();
    assert!(leaf.same_key(&b_key));
    let again = wallet.verify_credential(&info, &a.compact).unwrap();
    assert_eq!(
        (again.kid.as_str(), again.status),
        (key_a.as_str(), Status::VALID)
    );
    assert_eq!(
        wallet.verify_credential(&info, &b.compact).unwrap().status,
        Status::VALID
    );

    // A's credential is still revocable; its status list token is now signed by B.
    revoke_index(&http, &url, a.status_idx);
    let revoked = wallet.verify_credential(&info, &a.compact).unwrap();
    assert_eq!(revoked.status, Status::INVALID);
    assert!(status_token_key(&wallet, &info, &a.status_uri, now).same_key(&b_key));
    // A wallet that trusts the jwt-vc-issuer keys only (no anchors) reads it too.
    let mut keys_only = info.clone();
    keys_only.trust = None;
    let by_kid = wallet.verify_credential(&keys_only, &a.compact).unwrap();
    assert_eq!(
        (by_kid.trusted_by.as_str(), by_kid.status),
        ("jwt-vc-issuer key (kid)", Status::INVALID)
    );

    // Bad retirements, exact answers.
    let active = retire(&http, &url, &key_b);
    assert_eq!(
        (active.status, active.error_code()),
        (409, Some("key_in_use")),
        "{}",
        active.body
    );
    assert_eq!(
        active.body["error_description"],
        "this is the active signing key: rotate to a new key first"
    );
    let unknown = retire(&http, &url, "no-such-kid");
    assert_eq!(
        (unknown.status, unknown.error_code()),
        (404, Some("not_found"))
    );
    assert_eq!(unknown.body["error_description"], "no such signing key");
    let no_kid = post(&http, &format!("{url}/admin/keys/retire"), &json!({}));
    assert_eq!(
        (no_kid.status, no_kid.error_code()),
        (400, Some("invalid_request"))
    );
    assert_eq!(published_kids(&http, &url), [key_a.clone(), key_b.clone()]);

    // Retired: A is no longer published, its credential fails as the README says; B verifies.
    let retired = retire(&http, &url, &key_a);
    assert_eq!(retired.status, 200, "{}", retired.body);
    assert_eq!(retired.body["retired"], key_a.as_str());
    assert_eq!(published_kids(&http, &url), [key_b.as_str()]);
    let refused = wallet.verify_credential(&info, &a.compact).unwrap_err();
    assert_eq!(refused.to_string(), RETIRED_KEY_ERROR);
    assert!(wallet.verify_credential(&keys_only, &a.compact).is_err());
    assert_eq!(
        wallet.verify_credential(&info, &b.compact).unwrap().status,
        Status::VALID
    );
    let twice = retire(&http, &url, &key_a);
    assert_eq!(
        (twice.status, twice.error_code()),
        (409, Some("key_retired"))
    );

    // The audit trail has the key ids and what happened, nothing else.
    let audit = http
        .get("audit", &format!("{url}/admin/audit?limit=1000"))
        .unwrap();
    let changes: Vec<Value> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "key_changed" && e["details"]["purpose"] == "credential")
        .map(|e| e["details"].clone())
        .collect();
    assert_eq!(
        changes,
        [
            json!({"key_id": key_a, "purpose": "credential", "change": "created"}),
            json!({"key_id": key_b, "purpose": "credential", "change": "created"}),
            json!({"key_id": key_b, "purpose": "credential", "change": "rotated"}),
            json!({"key_id": key_a, "purpose": "credential", "change": "retired"}),
        ]
    );
}

#[test]
fn the_key_admin_api_refuses_a_non_loopback_peer() {
    let Some(ip) = crate::observability::non_loopback_address() else {
        eprintln!("skipped: this machine has no non-loopback address to connect from");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
    let (server, state) = runtime.block_on(async {
        let (listener, _) = issuer::bind(&format!("{ip}:0")).await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let config = config_without_attestation();
        let state = Arc::new(IssuerState::new(config, base_url, Keystore::new(), clock).unwrap());
        let server = issuer::spawn(listener, issuer::router(Arc::clone(&state))).unwrap();
        (server, state)
    });
    let kid = state.kid();
    let http = Http::new();
    let url = &server.base_url;
    // The peer address is `ip` itself: not loopback.
    for reply in [
        post(&http, &format!("{url}/admin/keys/rotate"), &json!({})),
        retire(&http, url, &kid),
        http.get("keys", &format!("{url}/admin/keys")).unwrap(),
    ] {
        assert_eq!(
            (reply.status, reply.error_code()),
            (403, Some("access_denied")),
            "{}",
            reply.body
        );
        assert_eq!(
            reply.body["error_description"],
            "the admin API answers loopback clients only"
        );
    }
    assert_eq!(state.kid(), kid, "nothing rotated");
    assert_eq!(published_kids(&http, url), [kid]);
}

fn start_issuer(dir: &Path, port: u16) -> ChildServer {
    let listen = format!("127.0.0.1:{port}");
    spawn::start(
        Path::new(env!("CARGO_BIN_EXE_issuer")),
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
    .unwrap()
}

#[test]
fn a_rotation_and_a_retirement_survive_restarts_on_the_same_data_directory() {
    let dir = std::env::temp_dir().join(format!(
        "issuer-rotation-{}-{}",
        std::process::id(),
        spawn::free_port().unwrap()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    // No client attestation: this test is about the keys.
    let config = config_without_attestation();
    std::fs::write(dir.join("config.json"), config.to_json().unwrap()).unwrap();
    let port = spawn::free_port().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut issuer = start_issuer(&dir, port);
    let wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::quiet()).unwrap();
    let http = Http::new();
    let issue = || issue_identity_credential(&http, &url, &wallet);
    let a = issue();
    let key_a = a.kid.clone();
    let key_b = rotate(&http, &url, &key_a);
    let keys_file = std::fs::read_to_string(dir.join("state/issuer-keys.json")).unwrap();
    assert_owner_only(&dir.join("state/issuer-key-rotation.json"));

    // Restarted: both keys published, B active (it signs), A's credential verifies and is
    // revocable.
    drop(issuer);
    issuer = start_issuer(&dir, port);
    assert_eq!(
        std::fs::read_to_string(dir.join("state/issuer-keys.json")).unwrap(),
        keys_file,
        "a rotation leaves the keys file alone"
    );
    assert_eq!(published_kids(&http, &url), [key_a.clone(), key_b.clone()]);
    assert_eq!(
        key_states(&http, &url),
        [
            (key_a.clone(), "published".into(), "initial".into()),
            (key_b.clone(), "active".into(), "data-dir".into()),
        ]
    );
    let b = issue();
    assert_eq!(b.kid, key_b);
    let info = wallet.discover(&url).unwrap();
    revoke_index(&http, &url, a.status_idx);
    assert_eq!(
        wallet.verify_credential(&info, &a.compact).unwrap().status,
        Status::INVALID
    );
    let retired = retire(&http, &url, &key_a);
    assert_eq!(retired.status, 200, "{}", retired.body);

    // Restarted again: A stays retired.
    drop(issuer);
    issuer = start_issuer(&dir, port);
    assert_eq!(published_kids(&http, &url), [key_b.as_str()]);
    assert_only_b_verifies(&wallet, &info, &a, &b);
    assert_eq!(issue().kid, key_b);
    drop(issuer);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A rotation file the issuer cannot read back (mangled by hand, say) is not taken up by the
/// issuer's follower: the keys it has stay published and signing. A rotation then answers 500
/// rather than build on a state it cannot read; once the file is mended, rotations work again.
#[test]
fn a_rotation_file_that_cannot_be_read_keeps_the_keys_and_holds_rotations() {
    let dir = std::env::temp_dir().join(format!(
        "issuer-rotation-mangled-{}-{}",
        std::process::id(),
        spawn::free_port().unwrap()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = config_without_attestation();
    std::fs::write(dir.join("config.json"), config.to_json().unwrap()).unwrap();
    let port = spawn::free_port().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let issuer = start_issuer(&dir, port);
    let wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::quiet()).unwrap();
    let http = Http::new();
    let key_a = issue_identity_credential(&http, &url, &wallet).kid;
    let key_b = rotate(&http, &url, &key_a);
    let file = dir.join("state/issuer-key-rotation.json");
    let good = std::fs::read_to_string(&file).unwrap();

    std::fs::write(&file, "{\"version\": 1, \"credentialKeys\": [").unwrap();
    std::thread::sleep(issuer::FOLLOW_INTERVAL * 2 + core::time::Duration::from_millis(500));
    assert_eq!(published_kids(&http, &url), [key_a.clone(), key_b.clone()]);
    assert_eq!(issue_identity_credential(&http, &url, &wallet).kid, key_b);
    let held = post(&http, &format!("{url}/admin/keys/rotate"), &json!({}));
    assert_eq!(
        (held.status, held.error_code()),
        (500, Some("server_error")),
        "{}",
        held.body
    );
    assert_eq!(published_kids(&http, &url), [key_a.clone(), key_b.clone()]);

    std::fs::write(&file, good).unwrap();
    let key_c = rotate(&http, &url, &key_b);
    assert_eq!(published_kids(&http, &url), [key_a, key_b, key_c.clone()]);
    assert_eq!(issue_identity_credential(&http, &url, &wallet).kid, key_c);
    drop(issuer);
    let _ = std::fs::remove_dir_all(&dir);
}
