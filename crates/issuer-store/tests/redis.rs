//! The Redis replay guard (feature `redis`) against a real `redis-server` started by the
//! tests (`support/redis_server.rs`): single use under a race across two guards (two pools,
//! as two processes), expiry, hashed and namespaced keys, and refusal while Redis is down
//! with recovery after.

#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/redis_server.rs"]
mod redis_server;

use core::time::Duration;
use std::sync::Barrier;

use issuer_store::{OpenError, RedisOptions, RedisReplayGuard};
use jose_core::UnixTime;
use pop_verifier::{ReplayError, ReplayGuard};
use redis_server::RedisServer;

fn t(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn guard(server: &RedisServer) -> RedisReplayGuard {
    RedisReplayGuard::connect(
        &server.url(),
        &RedisOptions::default()
            .with_pool_size(8)
            .with_timeout(Duration::from_millis(500)),
    )
    .unwrap()
}

#[test]
fn a_key_raced_from_16_threads_on_two_guards_is_accepted_once_per_round() {
    const THREADS: usize = 16;
    const ROUNDS: usize = 200;
    let server = RedisServer::start();
    let guards = [guard(&server), guard(&server)];
    let barrier = Barrier::new(THREADS);
    let accepted: Vec<Vec<bool>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (guard, barrier) = (&guards[thread % 2], &barrier);
                s.spawn(move || {
                    (0..ROUNDS)
                        .map(|round| {
                            barrier.wait();
                            let key = format!("dpop|4:jkt1|jti-{round}");
                            match guard.check_and_record(&key, t(100), t(0)) {
                                Ok(()) => true,
                                Err(ReplayError::Replayed) => false,
                                Err(e) => panic!("round {round}: {e:?}"),
                            }
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for round in 0..ROUNDS {
        let winners = accepted.iter().filter(|thread| thread[round]).count();
        assert_eq!(winners, 1, "round {round}: accepted {winners} times");
    }
}

#[test]
fn a_key_is_refused_until_it_expires() {
    let server = RedisServer::start();
    let g = guard(&server);
    g.check_and_record("k1", t(1), t(0)).unwrap();
    assert_eq!(
        g.check_and_record("k1", t(100), t(0)),
        Err(ReplayError::Replayed)
    );
    g.check_and_record("k2", t(100), t(0)).unwrap();
    assert_eq!(
        g.check_and_record("k3", t(5), t(5)),
        Err(ReplayError::AlreadyExpired)
    );
    // k1 lived one second.
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(g.check_and_record("k1", t(100), t(1)), Ok(()));
    assert_eq!(
        g.check_and_record("k2", t(100), t(1)),
        Err(ReplayError::Replayed)
    );
}

/// A request's batch in one script: all or none, each key with its own time to live, on a
/// second guard (another issuer instance) as on the first.
#[test]
fn a_batch_is_recorded_all_or_none() {
    let server = RedisServer::start();
    let (g, other) = (guard(&server), guard(&server));
    g.check_and_record("live", t(100), t(0)).unwrap();
    let refused: [(&[(&str, UnixTime)], ReplayError); 3] = [
        (&[("a", t(100)), ("live", t(100))], ReplayError::Replayed),
        (&[("a", t(100)), ("a", t(100))], ReplayError::Replayed),
        (&[("a", t(100)), ("b", t(0))], ReplayError::AlreadyExpired),
    ];
    for (batch, error) in refused {
        assert_eq!(
            other.check_and_record_all(batch, t(0)),
            Err(error),
            "{batch:?}"
        );
    }
    // Nothing of the refused batches was set.
    other
        .check_and_record_all(&[("a", t(1)), ("b", t(100))], t(0))
        .unwrap();
    for key in ["a", "b", "live"] {
        assert_eq!(
            g.check_and_record(key, t(100), t(0)),
            Err(ReplayError::Replayed),
            "{key}"
        );
    }
    // "a" lived one second, "b" lives on.
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        g.check_and_record_all(&[("a", t(100)), ("d", t(100))], t(1)),
        Ok(())
    );
    assert_eq!(
        g.check_and_record_all(&[("c", t(100)), ("b", t(100))], t(1)),
        Err(ReplayError::Replayed)
    );
    assert_eq!(g.check_and_record("c", t(100), t(1)), Ok(()));
}

#[test]
fn keys_are_namespaced_and_hashed() {
    let server = RedisServer::start();
    let a = RedisReplayGuard::connect(
        &server.url(),
        &RedisOptions::default().with_namespace("issuer-a:"),
    )
    .unwrap();
    let b = RedisReplayGuard::connect(
        &server.url(),
        &RedisOptions::default().with_namespace("issuer-b:"),
    )
    .unwrap();
    a.check_and_record("dpop|3:abc|secret-jti", t(100), t(0))
        .unwrap();
    b.check_and_record("dpop|3:abc|secret-jti", t(100), t(0))
        .expect("another namespace is another set");
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
    keys.sort();
    assert_eq!(keys.len(), 2);
    for (key, prefix) in keys.iter().zip(["issuer-a:", "issuer-b:"]) {
        let hash = key.strip_prefix(prefix).unwrap();
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert!(!keys.iter().any(|k| k.contains("secret-jti")));
    let ttl: i64 = redis::cmd("PTTL").arg(&keys[0]).query(&mut conn).unwrap();
    assert!((90_000..=100_000).contains(&ttl), "{ttl}");
}

#[test]
fn a_stopped_redis_refuses_and_the_same_guard_recovers() {
    let mut server = RedisServer::start();
    let g = guard(&server);
    g.check_and_record("before", t(100), t(0)).unwrap();
    server.stop();
    for key in ["before", "during"] {
        assert!(
            matches!(
                g.check_and_record(key, t(100), t(0)),
                Err(ReplayError::Unavailable { .. })
            ),
            "{key}"
        );
    }
    server.restart();
    // This server keeps nothing across a restart (no persistence): only the recovery of the
    // guard is checked here.
    g.check_and_record("during", t(100), t(0))
        .expect("the key refused while Redis was down was never recorded");
    assert_eq!(
        g.check_and_record("during", t(100), t(0)),
        Err(ReplayError::Replayed)
    );
}

#[test]
fn bad_urls_options_and_unreachable_servers_are_refused() {
    assert!(matches!(
        RedisReplayGuard::connect("http://nope", &RedisOptions::default()),
        Err(OpenError::Redis(_))
    ));
    let mut server = RedisServer::start();
    assert!(matches!(
        RedisReplayGuard::connect(&server.url(), &RedisOptions::default().with_pool_size(0)),
        Err(OpenError::Redis(_))
    ));
    let url = server.url();
    server.stop();
    assert!(matches!(
        RedisReplayGuard::connect(
            &url,
            &RedisOptions::default().with_timeout(Duration::from_millis(300))
        ),
        Err(OpenError::Redis(_))
    ));
}
