//! Issue 13: two issuer processes on one PostgreSQL database, with the replay guard in Redis,
//! behind a round-robin load balancer, sharing one keys file. A PoP sent to both at once is
//! accepted once; a pre-authorized code redeemed on both at once succeeds once; both keep one
//! audit trail; a load run spread over both loses and duplicates nothing. Issue 15 in a fleet:
//! a key rotation at one instance is taken up by the other.

use core::time::Duration;

use examples::clock::{Clock as _, SystemClock};
use examples::config::IDENTITY_CONFIGURATION_ID;
use examples::demo::{create_offer, demo_claims};
use examples::issuer::FOLLOW_INTERVAL;
use examples::load::{self, LoadOptions, LocalServers};
use examples::narrate::Narrator;
use examples::wallet::{Http, Reply, Wallet};

use crate::common::issue_identity_credential;
use crate::rotation::{key_states, published_kids, retire, rotate, status_token_key};
use crate::{pg, redis_server};

const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
const ROUNDS: usize = 12;

/// `host=… port=… user=… dbname=…` as a `postgres://` URL (what `--store` takes).
fn postgres_url(key_values: &str) -> String {
    let value = |key: &str| {
        key_values
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
            .unwrap()
            .to_owned()
    };
    format!(
        "postgres://{}@{}:{}/{}",
        value("user"),
        value("host"),
        value("port"),
        value("dbname")
    )
}

/// Posts the same token request body and headers to two instances at the same moment.
fn race(
    instances: &[String],
    forms: [&[(&str, &str)]; 2],
    headers: [&[(String, String)]; 2],
) -> [Reply; 2] {
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        let sends: Vec<_> = (0..2)
            .map(|i| {
                let (barrier, url) = (&barrier, format!("{}/token", instances[i]));
                let (form, headers) = (forms[i], headers[i]);
                scope.spawn(move || {
                    let headers: Vec<(&str, &str)> = headers
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .collect();
                    barrier.wait();
                    Http::new()
                        .post_form("token", &url, form, &headers)
                        .unwrap()
                })
            })
            .collect();
        let mut replies = sends.into_iter().map(|s| s.join().unwrap());
        [replies.next().unwrap(), replies.next().unwrap()]
    })
}

#[test]
fn two_issuers_on_one_postgres_and_redis_accept_each_proof_and_code_once() {
    let database = postgres_url(&pg::server().fresh_database("fleet"));
    let redis = redis_server::RedisServer::start();
    let redis_url = redis.url();
    let servers =
        LocalServers::fleet(&["--store", &database, "--replay", &redis_url], 2, 2).unwrap();
    let instances = &servers.instances;
    let http = Http::new();
    // One fleet, one key: both instances publish the same jwt-vc-issuer keys.
    let jwks = |url: &str| {
        http.get("jwks", &format!("{url}/.well-known/jwt-vc-issuer"))
            .unwrap()
            .body["jwks"]
            .clone()
    };
    assert_eq!(jwks(&instances[0]), jwks(&instances[1]));

    let mut wallet = Wallet::new(std::sync::Arc::new(SystemClock::new()), Narrator::quiet())
        .unwrap()
        .with_dpop()
        .unwrap();
    wallet
        .fetch_attestation(&servers.target.attester_url)
        .unwrap();
    let info = wallet.discover(&servers.target.issuer_url).unwrap();
    let code = || {
        create_offer(
            &http,
            &servers.target.issuer_url,
            IDENTITY_CONFIGURATION_ID,
            &demo_claims(),
            false,
        )
        .unwrap()
        .2
    };

    for round in 0..ROUNDS {
        // The same attestation, PoP and DPoP proof at both instances, each with a fresh code.
        let headers = wallet.token_headers(&info).unwrap();
        let (first, second) = (code(), code());
        let forms: [&[(&str, &str)]; 2] = [
            &[
                ("grant_type", PRE_AUTHORIZED_GRANT),
                ("pre-authorized_code", &first),
            ],
            &[
                ("grant_type", PRE_AUTHORIZED_GRANT),
                ("pre-authorized_code", &second),
            ],
        ];
        let replies = race(instances, forms, [&headers, &headers]);
        let accepted = replies.iter().filter(|r| r.status == 200).count();
        assert_eq!(accepted, 1, "round {round}: {:?}", replies.map(|r| r.body));
        let refused = replies.iter().find(|r| r.status != 200).unwrap();
        assert!(
            matches!(
                refused.error_code(),
                Some("invalid_client" | "invalid_dpop_proof")
            ),
            "round {round}: {:?}",
            refused.body
        );

        // One code at both instances, each request with its own fresh proofs.
        let shared = code();
        let form: &[(&str, &str)] = &[
            ("grant_type", PRE_AUTHORIZED_GRANT),
            ("pre-authorized_code", &shared),
        ];
        let (one, two) = (
            wallet.token_headers(&info).unwrap(),
            wallet.token_headers(&info).unwrap(),
        );
        let replies = race(instances, [form, form], [&one, &two]);
        let accepted = replies.iter().filter(|r| r.status == 200).count();
        assert_eq!(accepted, 1, "round {round}: {:?}", replies.map(|r| r.body));
        let refused = replies.iter().find(|r| r.status != 200).unwrap();
        assert_eq!(refused.error_code(), Some("invalid_grant"), "round {round}");
    }

    // One audit trail for the fleet: both instances page the same events, with every raced
    // proof's replay in it.
    let audit = |url: &str| {
        http.get("audit", &format!("{url}/admin/audit?limit=1000"))
            .unwrap()
            .body["events"]
            .clone()
    };
    let trail = audit(&instances[0]);
    assert_eq!(trail, audit(&instances[1]));
    let replays = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "replay_detected")
        .count();
    assert!(replays >= ROUNDS, "{replays} replays recorded");

    // Load through the balancer: issuances on both instances, status indices unique across them.
    let options = LoadOptions::default()
        .with_counts(60, 4, 2)
        .with_time_limit(Duration::from_secs(120));
    let report = load::run(&servers.target, &options).unwrap();
    assert!(report.failures.is_empty(), "{report}");
    assert_eq!(report.issuances, 60, "{report}");
    assert_eq!(report.credentials, 120);
    assert_eq!(report.replays_refused, report.replays_sent);
    let connections = servers.connections();
    assert!(
        connections.iter().all(|c| *c > 0),
        "both instances served: {connections:?}"
    );
}

/// Polls `done` every 100 ms until it holds, for at most ten [`FOLLOW_INTERVAL`]s.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + FOLLOW_INTERVAL * 10;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "not within {:?}: {what}",
            FOLLOW_INTERVAL * 10
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Key rotation in a fleet sharing one data directory: a rotation at one instance is published
/// and then signed with by the other within a few [`FOLLOW_INTERVAL`]s; a retirement at the
/// other, sent at once after another rotation at the first, builds on that rotation (the
/// rotation file is read again under its lock) rather than on a stale state.
#[test]
fn a_key_rotation_at_one_instance_is_taken_up_by_the_other() {
    let database = postgres_url(&pg::server().fresh_database("fleet_rotation"));
    let servers = LocalServers::fleet(&["--store", &database], 2, 1).unwrap();
    let (one, two) = (&servers.instances[0], &servers.instances[1]);
    let http = Http::new();
    let key_a = published_kids(&http, one).remove(0);
    assert_eq!(published_kids(&http, two), [key_a.as_str()]);

    let mut wallet =
        Wallet::new(std::sync::Arc::new(SystemClock::new()), Narrator::quiet()).unwrap();
    wallet
        .fetch_attestation(&servers.target.attester_url)
        .unwrap();
    let balancer = &servers.target.issuer_url;
    let info = wallet.discover(balancer).unwrap();
    // The key whose certificate signs the Status List Token at `uri`, by its kid (thumbprint).
    let status_token_kid = |uri: &str| {
        status_token_key(&wallet, &info, uri, SystemClock::new().now()).thumbprint_base64url()
    };
    let a = issue_identity_credential(&http, balancer, &wallet);
    assert_eq!(a.kid, key_a);
    // The same status list, read from the second instance directly.
    let list_at_two = a.status_uri.replacen(balancer.as_str(), two, 1);
    assert_ne!(list_at_two, a.status_uri);
    assert_eq!(status_token_kid(&list_at_two), key_a);

    // Rotated at the first instance: the second publishes B, then signs with it.
    let key_b = rotate(&http, one, &key_a);
    let both = [key_a.clone(), key_b.clone()];
    assert_eq!(published_kids(&http, one), both);
    wait_until("the second instance publishes B", || {
        published_kids(&http, two) == both
    });
    wait_until("the second instance signs its status list with B", || {
        status_token_kid(&list_at_two) == key_b
    });
    for _ in 0..4 {
        let credential = issue_identity_credential(&http, balancer, &wallet);
        assert_eq!(credential.kid, key_b);
    }
    assert_eq!(key_states(&http, one), key_states(&http, two));

    // Rotated again at the second; B retired at the first straight away: the first reads
    // the file again before it retires, so B is no longer in use there (not 409 key_in_use).
    let key_c = rotate(&http, two, &key_b);
    let retired = retire(&http, one, &key_b);
    assert_eq!(retired.status, 200, "{}", retired.body);
    assert_eq!(retired.body["active"], key_c.as_str());
    assert_eq!(published_kids(&http, one), [key_a.clone(), key_c.clone()]);
    wait_until("the second instance unpublishes B", || {
        published_kids(&http, two) == [key_a.clone(), key_c.clone()]
    });
    let states = key_states(&http, two);
    assert_eq!(
        states
            .iter()
            .map(|(kid, state, _)| (kid.as_str(), state.as_str()))
            .collect::<Vec<_>>(),
        [
            (key_a.as_str(), "published"),
            (key_b.as_str(), "retired"),
            (key_c.as_str(), "active")
        ]
    );
    assert_eq!(key_states(&http, one), states);
}
