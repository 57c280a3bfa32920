//! `GET /metrics` and `GET /admin/audit`: the counters and the audit trail follow a flow, and
//! both answer loopback clients only.

use core::net::IpAddr;
use std::net::UdpSocket;
use std::sync::Arc;

use examples::clock::{Clock, ManualClock};
use examples::config::IDENTITY_CONFIGURATION_ID;
use examples::issuer::{self, IssuerState};
use examples::keystore::Keystore;
use examples::wallet::{Http, Reply, credential_request_body};
use jose_core::UnixTime;
use serde_json::Value;

use crate::common::{START, TestEnv, config_without_attestation, fresh_proof};

fn get(url: &str) -> Reply {
    Http::new().get("test", url).unwrap()
}

/// The value of the sample `name{labels}` (e.g. `issuer_requests_total{endpoint="/token"}`),
/// 0 when it is not there yet.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn metrics(t: &TestEnv) -> String {
    let reply = get(&format!("{}/metrics", t.env.issuer_url));
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/openmetrics-text")),
        "{:?}",
        reply.headers
    );
    reply.body.as_str().unwrap().to_owned()
}

fn audit_page(t: &TestEnv, query: &str) -> Value {
    let reply = get(&format!("{}/admin/audit{query}", t.env.issuer_url));
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

#[test]
fn metrics_and_the_audit_trail_follow_a_flow() {
    let t = TestEnv::start();
    let before = metrics(&t);
    // Events from the start-up (none today; a key change later) are not this test's.
    let cursor = audit_page(&t, "")["next"].as_i64().unwrap_or(0);
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let (_, tx_code, code) = t.offer(true);
    // Every allowed wrong tx_code: refusals, then the lockout.
    for _ in 0..t.env.issuer.engine.settings().tx_code_max_attempts {
        assert!(wallet.redeem(&info, &code, Some("000000")).is_err());
    }
    assert!(tx_code.is_some());
    // A credential, then the same request again: a replayed key proof.
    let tokens = t.tokens(&wallet).1;
    let body = credential_request_body(IDENTITY_CONFIGURATION_ID, &[fresh_proof(&wallet, &info)]);
    let url = info.endpoint("credential_endpoint").unwrap().to_owned();
    let issued = wallet
        .post_authorized("test", &url, &tokens, &body)
        .unwrap();
    assert_eq!(issued.status, 200, "{}", issued.body);
    let replayed = wallet
        .post_authorized("test", &url, &tokens, &body)
        .unwrap();
    assert_eq!(replayed.status, 400);
    assert_eq!(replayed.error_code(), Some("invalid_nonce"));

    let after = metrics(&t);
    let moved = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(
        moved(r#"issuer_refusals_total{endpoint="/token",error="invalid_grant"}"#),
        f64::from(t.env.issuer.engine.settings().tx_code_max_attempts)
    );
    assert!(moved(r#"issuer_requests_total{endpoint="/token"}"#) >= 4.0);
    assert_eq!(
        moved(r#"issuer_refusals_total{endpoint="/credential",error="invalid_nonce"}"#),
        1.0
    );
    assert_eq!(
        moved(&format!(
            r#"issuer_credentials_issued_total{{credential_configuration_id="{IDENTITY_CONFIGURATION_ID}"}}"#
        )),
        1.0
    );
    assert_eq!(
        moved(r#"issuer_replays_detected_total{proof="key_proof"}"#),
        1.0
    );
    assert_eq!(
        moved(r#"issuer_audit_events_total{kind="tx_code_lockout"}"#),
        1.0
    );
    assert!(moved(r#"issuer_request_duration_seconds_count{endpoint="/credential"}"#) >= 2.0);

    // The trail, paged: oldest first, with a cursor.
    let all = audit_page(&t, &format!("?after={cursor}&limit=1000"));
    let kinds: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "tx_code_lockout",
            "pre_authorized_code_redeemed",
            "credential_issued",
            "replay_detected"
        ]
    );
    let events = all["events"].as_array().unwrap();
    assert_eq!(events[2]["at"], START);
    assert_eq!(events[2]["details"]["key_id"], t.env.issuer.kid());
    assert_eq!(events[3]["details"]["proof"], "key_proof");
    let text = all.to_string();
    assert!(!text.contains(&code), "the code leaked into {text}");
    assert!(!text.contains(&tokens.access_token), "a token leaked");
    assert!(!text.contains("Erika"), "a claim value leaked");

    let first = audit_page(&t, &format!("?after={cursor}&limit=3"));
    assert_eq!(first["events"].as_array().unwrap().len(), 3);
    assert_eq!(first["next"], events[2]["id"]);
    let rest = audit_page(&t, &format!("?after={}&limit=3", first["next"]));
    assert_eq!(rest["events"].as_array().unwrap(), &events[3..]);
    let empty = audit_page(&t, &format!("?after={}", rest["next"]));
    assert_eq!(empty["events"], Value::Array(Vec::new()));
    assert_eq!(
        empty["next"], rest["next"],
        "an empty page keeps the cursor"
    );

    let bad = get(&format!("{}/admin/audit?limit=0", t.env.issuer_url));
    assert_eq!(
        (bad.status, bad.error_code()),
        (400, Some("invalid_request"))
    );
    let bad = get(&format!("{}/admin/audit?after=x", t.env.issuer_url));
    assert_eq!(
        (bad.status, bad.error_code()),
        (400, Some("invalid_request"))
    );
}

#[test]
fn a_revocation_through_the_admin_api_is_audited_with_its_actor() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let (uri, tx, _) = t.offer(false);
    let outcome = wallet.run_offer(&uri, tx.as_deref(), 1).unwrap();
    let credential = &outcome.credentials[0];
    let reply = Http::new()
        .post_json(
            "revoke",
            &format!("{}/admin/revoke", t.env.issuer_url),
            &serde_json::json!({"status_list": {"uri": credential.status_uri, "idx": credential.status_idx}}),
            &[],
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let page = audit_page(&t, "?limit=1000");
    let last = page["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "credential_status_changed");
    assert_eq!(last["details"]["actor"], "admin-api@127.0.0.1");
    assert_eq!(last["details"]["status"], "INVALID");
    assert_eq!(last["details"]["status_index"], credential.status_idx);
}

/// A non-loopback address of this machine (the source address of its default route), if it
/// has one; no packet is sent.
pub(crate) fn non_loopback_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn metrics_and_the_audit_trail_refuse_a_non_loopback_peer() {
    let Some(ip) = non_loopback_address() else {
        eprintln!("skipped: this machine has no non-loopback address to connect from");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
    let server = runtime.block_on(async {
        let (listener, _) = issuer::bind(&format!("{ip}:0")).await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let config = config_without_attestation();
        let state = IssuerState::new(config, base_url, Keystore::new(), clock).unwrap();
        issuer::spawn(listener, issuer::router(Arc::new(state))).unwrap()
    });
    // The peer address is `ip` itself: not loopback.
    for path in ["/metrics", "/admin/audit", "/admin/credentials"] {
        let reply = get(&format!("{}{path}", server.base_url));
        assert_eq!(
            (reply.status, reply.error_code()),
            (403, Some("access_denied")),
            "{path}"
        );
    }
    // The public endpoints still answer.
    let reply = get(&format!(
        "{}/.well-known/openid-credential-issuer",
        server.base_url
    ));
    assert_eq!(reply.status, 200);
}

#[test]
fn a_replayed_client_attestation_pop_is_audited_and_counted() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    // One set of client authentication headers (one PoP `jti`) for two token requests.
    let headers = wallet.token_headers(&info).unwrap();
    let redeem = |code: &str| {
        let form = [
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            ),
            ("pre-authorized_code", code),
        ];
        wallet.post_token(&info, &form, &headers).unwrap()
    };
    let first = redeem(&t.offer(false).2);
    assert_eq!(first.status, 200, "{}", first.body);
    let second = redeem(&t.offer(false).2);
    assert_eq!(second.status, 401, "{}", second.body);
    let page = audit_page(&t, "?limit=1000");
    let last = page["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "replay_detected");
    assert_eq!(last["details"]["proof"], "client_attestation_pop");
    assert_eq!(
        sample(
            &metrics(&t),
            r#"issuer_replays_detected_total{proof="client_attestation_pop"}"#
        ),
        1.0
    );
}
