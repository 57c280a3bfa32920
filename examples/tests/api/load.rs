//! Issue 14 §1: a short, bounded run of the load generator against the issuer binary on each
//! store. It checks what the generator checks (every credential verifies, status indices are
//! unique and VALID, every replayed proof is refused, no failure) and that the report adds up;
//! it asserts no timing.

use core::time::Duration;

use examples::load::{self, LoadOptions, LoadStore, LocalServers};

fn short_run(store: LoadStore) -> (LocalServers, load::LoadReport) {
    let servers = LocalServers::start(store, 2).unwrap();
    let options = LoadOptions::default()
        .with_counts(16, 2, 2)
        .with_time_limit(Duration::from_secs(120));
    let report = load::run(&servers.target, &options).unwrap();
    assert!(report.failures.is_empty(), "{report}");
    assert_eq!(report.issuances, 16, "{report}");
    assert_eq!(report.credentials, 32, "{report}");
    assert_eq!(report.replays_sent, 16);
    assert_eq!(report.replays_refused, 16);
    for step in ["offer", "token", "token replay", "nonce", "credential"] {
        assert_eq!(report.steps[step].count(), 16, "{step}");
    }
    assert!(
        report.server_cpu.is_some(),
        "the issuer's CPU time is read from /proc"
    );
    assert!(report.floor > Duration::ZERO);
    assert_eq!(
        report.floor,
        report.floor_readings[0].min(report.floor_readings[1])
    );
    assert_eq!(report.durable_floor, None);
    (servers, report)
}

#[test]
fn a_short_load_run_on_the_in_memory_stores_loses_and_duplicates_nothing() {
    short_run(LoadStore::InMemory);
}

#[test]
fn a_short_load_run_on_sqlite_loses_and_duplicates_nothing() {
    let (servers, report) = short_run(LoadStore::Sqlite);
    // The durable floor is timed on the issuer's file system and joins the report.
    let durable = load::durable_floor(servers.dir(), 2, 2, 8).unwrap();
    assert!(durable > Duration::ZERO);
    let report = report.with_durable_floor(durable);
    assert!(report.to_string().contains("durable floor"), "{report}");
}
