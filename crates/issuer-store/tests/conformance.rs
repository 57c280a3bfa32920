//! One suite of store behaviour, written once and run against the engine's in-memory stores,
//! against SQLite and (feature `postgres`) against PostgreSQL: a durable store must answer
//! exactly like the in-memory one.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/temp.rs"]
mod temp;

#[cfg(feature = "postgres")]
#[path = "support/pg.rs"]
mod pg;

use std::collections::HashSet;
use std::sync::Arc;

use issuer_store::{SqliteOptions, SqliteStores};
use jose_core::{SystemRandom, UnixTime};
use oid4vci_issuer::{
    AccessGrant, CodeError, CodeRefusal, DEFAULT_MAX_EVENTS_PER_NOTIFICATION, DeferredError,
    GrantId, IssuedCode, IssuedCredential, PreAuthGrant, PushedRequest, RedeemError, RefreshError,
    RefreshGrant, StoreError, StoreLimits, Stores, SubjectClaims,
};
use pop_verifier::{InMemoryReplayGuard, ReplayError, ReplayGuard};
use serde_json::{Value, json};
use status_list::Status;

/// Entries per status list in the suite.
const LIST_SIZE: u32 = 64;

struct Backend {
    stores: Stores,
    replay: Arc<dyn ReplayGuard>,
    // Keeps the file until the test ends.
    _file: Option<temp::TempDb>,
}

fn memory() -> Backend {
    Backend {
        stores: Stores::in_memory(&StoreLimits::new(), LIST_SIZE),
        replay: Arc::new(InMemoryReplayGuard::new(10_000)),
        _file: None,
    }
}

fn sqlite() -> Backend {
    let file = temp::TempDb::new("conformance");
    let db = SqliteStores::open(
        file.path(),
        &SqliteOptions::default().with_status_list_size(LIST_SIZE),
    )
    .expect("open");
    Backend {
        stores: db.stores(),
        replay: db.replay_guard(),
        _file: Some(file),
    }
}

/// A fresh database on this binary's PostgreSQL server.
#[cfg(feature = "postgres")]
fn postgres() -> Backend {
    let url = pg::server().fresh_database("conformance");
    let db = issuer_store::PostgresStores::connect(
        &url,
        &issuer_store::PostgresOptions::default()
            .with_status_list_size(LIST_SIZE)
            .with_pool_size(8),
    )
    .expect("connect");
    Backend {
        stores: db.stores(),
        replay: db.replay_guard(),
        _file: None,
    }
}

fn t(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn g(id: &str) -> GrantId {
    GrantId::new(id.to_owned())
}

/// Common claims, and the `mdl` configuration's own: every store keeps both.
fn claims() -> SubjectClaims {
    let object = |value: Value| value.as_object().cloned().unwrap();
    SubjectClaims::new(object(
        json!({"given_name": "Erika", "address": {"locality": "Berlin"}, "age": 40}),
    ))
    .with_configuration(
        "mdl",
        object(json!({"birth_date": "1984-01-26", "document_number": "D-1"})),
    )
}

fn pre_auth(tx_code: Option<&str>, expires_at: i64) -> PreAuthGrant {
    PreAuthGrant::new(
        vec!["pid".into(), "mdl".into()],
        claims(),
        tx_code.map(str::to_owned),
        t(expires_at),
    )
}

fn pre_auth_code_redeems_once(b: &Backend) {
    let codes = &b.stores.codes;
    codes
        .insert("code-1".into(), pre_auth(None, 100), 3, t(0))
        .unwrap();
    let grant = codes.redeem("code-1", None, t(10)).unwrap();
    assert_eq!(grant.configuration_ids, ["pid", "mdl"]);
    assert_eq!(grant.claims, claims());
    assert_eq!(grant.expires_at, t(100));
    assert_eq!(
        codes.redeem("code-1", None, t(11)).unwrap_err(),
        RedeemError::Unknown
    );
    assert_eq!(
        codes.redeem("never-issued", None, t(11)).unwrap_err(),
        RedeemError::Unknown
    );
}

fn pre_auth_code_expires(b: &Backend) {
    let codes = &b.stores.codes;
    codes
        .insert("code-2".into(), pre_auth(None, 100), 3, t(0))
        .unwrap();
    assert_eq!(
        codes.redeem("code-2", None, t(100)).unwrap_err(),
        RedeemError::Expired
    );
    assert_eq!(
        codes.redeem("code-2", None, t(50)).unwrap_err(),
        RedeemError::Unknown,
        "an expired code is forgotten"
    );
}

/// A grant the caller's check refuses leaves the code unused, its tx_code attempts as they
/// were; the check sees the stored grant.
fn a_refused_pre_auth_check_leaves_the_code_usable(b: &Backend) {
    let codes = &b.stores.codes;
    codes
        .insert("code-c".into(), pre_auth(Some("493536"), 100), 2, t(0))
        .unwrap();
    assert_eq!(
        codes.redeem("code-c", Some("000000"), t(1)).unwrap_err(),
        RedeemError::WrongTxCode { attempts_left: 1 }
    );
    let refuse = |grant: &PreAuthGrant| Err(format!("not for {:?}", grant.configuration_ids));
    assert_eq!(
        codes
            .redeem_checked("code-c", Some("493536"), t(2), &refuse)
            .unwrap_err(),
        RedeemError::Refused("not for [\"pid\", \"mdl\"]".into())
    );
    assert_eq!(
        codes.redeem("code-c", Some("111111"), t(3)).unwrap_err(),
        RedeemError::WrongTxCode { attempts_left: 0 },
        "the refusal spent no attempt"
    );
    codes
        .insert("code-d".into(), pre_auth(None, 100), 2, t(0))
        .unwrap();
    assert!(matches!(
        codes.redeem_checked("code-d", None, t(1), &refuse),
        Err(RedeemError::Refused(_))
    ));
    assert!(codes.redeem("code-d", None, t(2)).is_ok(), "still usable");
    assert_eq!(
        codes.redeem("code-d", None, t(2)).unwrap_err(),
        RedeemError::Unknown
    );
}

fn tx_code_attempts_are_counted(b: &Backend) {
    let codes = &b.stores.codes;
    codes
        .insert("code-3".into(), pre_auth(Some("493536"), 100), 3, t(0))
        .unwrap();
    assert_eq!(
        codes.redeem("code-3", None, t(1)).unwrap_err(),
        RedeemError::TxCodeMissing
    );
    assert_eq!(
        codes.redeem("code-3", Some("000000"), t(1)).unwrap_err(),
        RedeemError::WrongTxCode { attempts_left: 2 }
    );
    assert_eq!(
        codes.redeem("code-3", Some("111111"), t(1)).unwrap_err(),
        RedeemError::WrongTxCode { attempts_left: 1 }
    );
    let grant = codes.redeem("code-3", Some("493536"), t(2)).unwrap();
    assert_eq!(grant.tx_code.as_deref(), Some("493536"));

    codes
        .insert("code-4".into(), pre_auth(Some("493536"), 100), 2, t(0))
        .unwrap();
    assert_eq!(
        codes.redeem("code-4", Some("1"), t(1)).unwrap_err(),
        RedeemError::WrongTxCode { attempts_left: 1 }
    );
    assert_eq!(
        codes.redeem("code-4", Some("2"), t(1)).unwrap_err(),
        RedeemError::WrongTxCode { attempts_left: 0 }
    );
    assert_eq!(
        codes.redeem("code-4", Some("493536"), t(1)).unwrap_err(),
        RedeemError::Unknown,
        "the last wrong attempt burns the code"
    );

    codes
        .insert("code-5".into(), pre_auth(None, 100), 3, t(0))
        .unwrap();
    assert_eq!(
        codes.redeem("code-5", Some("1234"), t(1)).unwrap_err(),
        RedeemError::TxCodeUnexpected
    );
    assert!(
        codes.redeem("code-5", None, t(1)).is_ok(),
        "an unexpected tx_code does not burn the code"
    );
}

fn access_grant(grant: &str, expires_at: i64) -> AccessGrant {
    let mut a = AccessGrant::new(
        g(grant),
        vec!["pid".into()],
        claims(),
        "https://issuer.example".into(),
        t(expires_at),
    );
    a.credential_identifiers = vec![("pid".into(), "pid-1".into())];
    a.client_id = Some("wallet".into());
    a.dpop_jkt = Some("jkt".into());
    a
}

fn access_tokens_expire_and_revoke_by_grant(b: &Backend) {
    let tokens = &b.stores.tokens;
    tokens
        .insert("at-1".into(), access_grant("g1", 100), t(0))
        .unwrap();
    tokens
        .insert("at-2".into(), access_grant("g2", 100), t(0))
        .unwrap();
    let got = tokens.get("at-1", t(10)).unwrap().unwrap();
    assert_eq!(got.grant, g("g1"));
    assert_eq!(got.configuration_of_identifier("pid-1"), Some("pid"));
    assert_eq!(got.client_id.as_deref(), Some("wallet"));
    assert_eq!(got.dpop_jkt.as_deref(), Some("jkt"));
    assert_eq!(got.audience, "https://issuer.example");
    assert_eq!(got.claims, claims());
    assert!(
        tokens.get("at-1", t(100)).unwrap().is_none(),
        "dead at its expiry"
    );
    assert!(tokens.get("unknown", t(10)).unwrap().is_none());
    tokens.revoke_grant(&g("g1")).unwrap();
    assert!(tokens.get("at-1", t(10)).unwrap().is_none());
    assert!(
        tokens.get("at-2", t(10)).unwrap().is_some(),
        "another grant is untouched"
    );
}

fn refresh_grant(grant: &str, expires_at: i64) -> RefreshGrant {
    let mut r = RefreshGrant::new(g(grant), vec!["pid".into()], claims(), t(expires_at));
    r.credential_identifiers = vec![("pid".into(), "pid-1".into())];
    r.client_id = Some("wallet".into());
    r.instance_key = Some("instance".into());
    r.dpop_jkt = Some("jkt".into());
    r
}

fn refresh_reuse_revokes_the_family(b: &Backend) {
    let refresh = &b.stores.refresh;
    refresh
        .insert("rt-1".into(), refresh_grant("g1", 1000), t(0))
        .unwrap();
    refresh
        .insert("other".into(), refresh_grant("g2", 1000), t(0))
        .unwrap();
    let got = refresh.rotate("rt-1", "rt-2".into(), None, t(10)).unwrap();
    assert_eq!(got.grant, g("g1"));
    assert_eq!(got.instance_key.as_deref(), Some("instance"));
    assert_eq!(got.credential_identifiers, [("pid".into(), "pid-1".into())]);
    assert_eq!(got.claims, claims());
    assert!(
        matches!(refresh.peek("rt-1", t(11)), Ok(None)),
        "a rotated token is used"
    );
    let next = refresh.peek("rt-2", t(11)).unwrap().unwrap();
    assert_eq!((next.grant, next.claims), (g("g1"), claims()));
    assert!(!refresh.is_revoked(&g("g1"), t(11)).unwrap());

    assert_eq!(
        refresh
            .rotate("rt-1", "rt-3".into(), None, t(12))
            .unwrap_err(),
        RefreshError::Reused { grant: g("g1") }
    );
    assert!(refresh.is_revoked(&g("g1"), t(12)).unwrap());
    assert!(
        matches!(refresh.peek("rt-2", t(12)), Ok(None)),
        "the family's current token died"
    );
    assert_eq!(
        refresh
            .rotate("rt-2", "rt-4".into(), None, t(12))
            .unwrap_err(),
        RefreshError::Unknown
    );
    assert!(matches!(refresh.peek("rt-3", t(12)), Ok(None)));
    assert!(!refresh.is_revoked(&g("g2"), t(12)).unwrap());
    assert!(
        matches!(refresh.peek("other", t(12)), Ok(Some(_))),
        "another family is untouched"
    );
    assert_eq!(
        refresh
            .rotate("never", "x".into(), None, t(12))
            .unwrap_err(),
        RefreshError::Unknown
    );
}

/// A family without a DPoP key is bound to the key of the first rotation that names one
/// (RFC 9449 §5); a bound family keeps its key.
fn refresh_binds_an_unbound_family_at_rotation(b: &Backend) {
    let refresh = &b.stores.refresh;
    let mut unbound = refresh_grant("g-b", 1000);
    unbound.dpop_jkt = None;
    refresh.insert("rt-b1".into(), unbound, t(0)).unwrap();
    let got = refresh
        .rotate("rt-b1", "rt-b2".into(), Some("jkt-1"), t(10))
        .unwrap();
    assert_eq!(got.dpop_jkt.as_deref(), Some("jkt-1"));
    let stored = refresh.peek("rt-b2", t(11)).unwrap().unwrap();
    assert_eq!(stored.dpop_jkt.as_deref(), Some("jkt-1"));
    assert_eq!(
        (stored.client_id.as_deref(), &stored.claims),
        (Some("wallet"), &claims()),
        "the rest is kept, the configurations' own claims too"
    );
    let again = refresh
        .rotate("rt-b2", "rt-b3".into(), Some("jkt-2"), t(12))
        .unwrap();
    assert_eq!(
        again.dpop_jkt.as_deref(),
        Some("jkt-1"),
        "a bound family keeps its key"
    );
    assert_eq!(
        refresh
            .peek("rt-b3", t(13))
            .unwrap()
            .unwrap()
            .dpop_jkt
            .as_deref(),
        Some("jkt-1")
    );
}

fn refresh_expires(b: &Backend) {
    let refresh = &b.stores.refresh;
    refresh
        .insert("rt-e".into(), refresh_grant("g1", 100), t(0))
        .unwrap();
    assert!(matches!(refresh.peek("rt-e", t(100)), Ok(None)));
    assert_eq!(
        refresh
            .rotate("rt-e", "next".into(), None, t(100))
            .unwrap_err(),
        RefreshError::Expired
    );
    assert!(
        matches!(refresh.peek("next", t(50)), Ok(None)),
        "no successor for an expired token"
    );
}

fn refresh_grant_revocation_lasts_until(b: &Backend) {
    let refresh = &b.stores.refresh;
    refresh
        .insert("rt-r".into(), refresh_grant("g1", 1000), t(0))
        .unwrap();
    refresh.revoke_grant(&g("g1"), t(500), t(10)).unwrap();
    assert!(refresh.is_revoked(&g("g1"), t(10)).unwrap());
    assert!(refresh.is_revoked(&g("g1"), t(499)).unwrap());
    assert!(
        !refresh.is_revoked(&g("g1"), t(500)).unwrap(),
        "forgotten at `until`"
    );
    assert!(matches!(refresh.peek("rt-r", t(10)), Ok(None)));
    assert_eq!(
        refresh.rotate("rt-r", "n".into(), None, t(10)).unwrap_err(),
        RefreshError::Unknown
    );
}

fn deferred_is_bound_ready_and_single_use(b: &Backend) {
    let deferred = &b.stores.deferred;
    deferred
        .insert(
            &g("g1"),
            "tx-1".into(),
            vec!["cred-a".into(), "cred-b".into()],
            t(50),
            t(1000),
            t(0),
        )
        .unwrap();
    assert_eq!(
        deferred.take(&g("g2"), "tx-1", t(60)).unwrap_err(),
        DeferredError::Unknown,
        "another grant's transaction is answered like an unknown one"
    );
    assert_eq!(
        deferred.take(&g("g1"), "tx-1", t(10)).unwrap_err(),
        DeferredError::Pending
    );
    assert_eq!(
        deferred.take(&g("g1"), "tx-1", t(60)).unwrap(),
        ["cred-a", "cred-b"],
        "the other grant's attempt left it in place"
    );
    assert_eq!(
        deferred.take(&g("g1"), "tx-1", t(61)).unwrap_err(),
        DeferredError::Unknown
    );
    deferred
        .insert(
            &g("g1"),
            "tx-2".into(),
            vec!["c".into()],
            t(0),
            t(100),
            t(0),
        )
        .unwrap();
    assert_eq!(
        deferred.take(&g("g1"), "tx-2", t(100)).unwrap_err(),
        DeferredError::Unknown,
        "expired"
    );
}

fn notifications_are_bound_and_capped(b: &Backend) {
    let n = &b.stores.notifications;
    n.register(&g("g1"), "n-1".into(), vec!["cred-a".into()], t(100), t(0))
        .unwrap();
    assert!(
        !n.record(&g("g2"), "n-1", "credential_accepted", t(1))
            .unwrap()
    );
    assert!(n.events(&g("g2"), "n-1", t(1)).unwrap().is_empty());
    assert!(
        n.record(&g("g1"), "n-1", "credential_accepted", t(1))
            .unwrap()
    );
    assert!(
        n.record(&g("g1"), "n-1", "credential_deleted", t(2))
            .unwrap()
    );
    assert_eq!(
        n.events(&g("g1"), "n-1", t(3)).unwrap(),
        ["credential_accepted", "credential_deleted"]
    );
    for _ in 0..DEFAULT_MAX_EVENTS_PER_NOTIFICATION {
        assert!(
            n.record(&g("g1"), "n-1", "credential_accepted", t(4))
                .unwrap()
        );
    }
    assert_eq!(
        n.events(&g("g1"), "n-1", t(5)).unwrap().len(),
        DEFAULT_MAX_EVENTS_PER_NOTIFICATION,
        "events are capped"
    );
    assert!(
        !n.record(&g("g1"), "n-1", "credential_accepted", t(100))
            .unwrap()
    );
    assert!(n.events(&g("g1"), "n-1", t(100)).unwrap().is_empty());
    assert!(
        !n.record(&g("g1"), "unknown", "credential_accepted", t(1))
            .unwrap()
    );
}

fn registry_keeps_records_in_order(b: &Backend) {
    let registry = &b.stores.registry;
    for i in 0..3u64 {
        registry
            .record(IssuedCredential::new(
                format!("cred-{i}"),
                g("g1"),
                "pid".into(),
                "1".into(),
                "https://issuer.example/status/1".into(),
                i * 7,
                t(i64::try_from(i).unwrap()),
            ))
            .unwrap();
    }
    let list = registry.list().unwrap();
    assert_eq!(list.len(), 3);
    for (i, c) in (0u64..).zip(&list) {
        assert_eq!(c.credential_id, format!("cred-{i}"));
        assert_eq!(c.grant, g("g1"));
        assert_eq!(c.status_idx, i * 7);
        assert_eq!(c.status_uri, "https://issuer.example/status/1");
    }
}

fn record(id: &str, idx: u64) -> IssuedCredential {
    IssuedCredential::new(
        id.into(),
        g("g1"),
        "pid".into(),
        "1".into(),
        "https://issuer.example/status/1".into(),
        idx,
        t(100),
    )
}

fn registry_records_a_batch_in_order(b: &Backend) {
    let registry = &b.stores.registry;
    registry.record(record("single", 1)).unwrap();
    registry
        .record_all(vec![
            record("b-0", 10),
            record("b-1", 11),
            record("b-2", 12),
        ])
        .unwrap();
    registry.record_all(Vec::new()).unwrap();
    let ids: Vec<(String, u64)> = registry
        .list()
        .unwrap()
        .into_iter()
        .map(|c| (c.credential_id, c.status_idx))
        .collect();
    assert_eq!(
        ids,
        [("single", 1), ("b-0", 10), ("b-1", 11), ("b-2", 12)].map(|(i, n)| (i.to_owned(), n))
    );
}

/// The durable registries keep a batch in one write: a record they cannot keep (an index
/// past what the database holds) leaves none of the batch recorded.
fn a_batch_with_a_record_it_cannot_keep_records_none(b: &Backend) {
    let registry = &b.stores.registry;
    let refused = registry.record_all(vec![
        record("ok-0", 1),
        record("too-far", u64::MAX),
        record("ok-2", 2),
    ]);
    assert!(
        matches!(refused, Err(StoreError::StatusList(_))),
        "{refused:?}"
    );
    assert!(
        registry.list().unwrap().is_empty(),
        "none of the batch is kept"
    );
    // Past what one statement carries, the same: the bad record comes late in the batch.
    let mut large: Vec<IssuedCredential> = (0..2_500u64)
        .map(|n| record(&format!("large-{n}"), n))
        .collect();
    large[2_200] = record("too-far", u64::MAX);
    assert!(registry.record_all(large).is_err());
    assert!(
        registry.list().unwrap().is_empty(),
        "none of the large batch is kept"
    );
    registry
        .record_all(
            (0..2_500u64)
                .map(|n| record(&format!("large-{n}"), n))
                .collect(),
        )
        .unwrap();
    let kept = registry.list().unwrap();
    assert_eq!(kept.len(), 2_500);
    assert!(
        kept.iter()
            .zip(0u64..)
            .all(|(c, n)| c.credential_id == format!("large-{n}") && c.status_idx == n)
    );
}

fn status_batches_are_unique_and_span_lists(b: &Backend) {
    let status = &b.stores.status;
    let rng = SystemRandom::new();
    let size = usize::try_from(LIST_SIZE).unwrap();
    assert_eq!(status.allocate(&rng).unwrap().0, "1");
    let batch = status.allocate_many(&rng, size).unwrap();
    assert_eq!(batch.len(), size);
    let mut seen: HashSet<(String, u64)> = batch.iter().cloned().collect();
    assert_eq!(seen.len(), size, "an index handed out twice in one batch");
    // The first list had room for all but one: the batch ends in a new list.
    assert_eq!(
        batch.iter().filter(|(list, _)| list == "1").count(),
        size - 1
    );
    assert_eq!(batch.iter().filter(|(list, _)| list == "2").count(), 1);
    assert!(status.allocate_many(&rng, 0).unwrap().is_empty());
    // A batch that fits the newest list stays in it.
    let fits = status.allocate_many(&rng, 3).unwrap();
    assert_eq!(fits.len(), 3);
    assert!(fits.iter().all(|(list, _)| list == "2"), "{fits:?}");
    for entry in fits {
        assert!(seen.insert(entry), "a batch index handed out again");
    }
    for _ in 0..3 {
        assert!(
            seen.insert(status.allocate(&rng).unwrap()),
            "a batch index handed out again"
        );
    }
}

fn status_indices_are_unique_random_and_settable(b: &Backend) {
    let status = &b.stores.status;
    let rng = SystemRandom::new();
    let mut seen = HashSet::new();
    let mut first_list = Vec::new();
    let total = LIST_SIZE * 2 + 3;
    for _ in 0..total {
        let (list, idx) = status.allocate(&rng).unwrap();
        assert!(idx < u64::from(LIST_SIZE));
        if list == "1" {
            first_list.push(idx);
        }
        assert!(seen.insert((list, idx)), "an index handed out twice");
    }
    let lists: HashSet<&str> = seen.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        lists,
        HashSet::from(["1", "2", "3"]),
        "a new list when one is full"
    );
    let mut sorted = first_list.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..u64::from(LIST_SIZE)).collect::<Vec<_>>());
    assert_ne!(
        first_list, sorted,
        "indices are drawn at random, not in order"
    );

    assert_eq!(status.status("1", 5), Ok(Some(Status::VALID)));
    assert_eq!(status.set("1", 5, Status::INVALID), Ok(true));
    assert_eq!(status.status("1", 5), Ok(Some(Status::INVALID)));
    assert_eq!(
        status
            .snapshot("1")
            .unwrap()
            .unwrap()
            .get(5u32.into())
            .unwrap(),
        Status::INVALID
    );
    assert_eq!(
        status.status("2", 5),
        Ok(Some(Status::VALID)),
        "lists are separate"
    );
    assert_eq!(status.set("1", 5, Status::VALID), Ok(true));
    assert_eq!(status.status("1", 5), Ok(Some(Status::VALID)));
    assert_eq!(
        status.set("99", 5, Status::INVALID),
        Ok(false),
        "no such list"
    );
    assert_eq!(
        status.set("1", u64::from(LIST_SIZE) * 8, Status::INVALID),
        Ok(false),
        "no such entry"
    );
    assert_eq!(status.status("99", 0), Ok(None));
    assert!(matches!(status.snapshot("99"), Ok(None)));
}

fn pushed(client: &str, expires_at: i64) -> PushedRequest {
    let mut p = PushedRequest::new(
        client.into(),
        "https://wallet.example/cb".into(),
        "challenge".into(),
        vec!["pid".into()],
        t(expires_at),
    );
    p.state = Some("state".into());
    p.by_authorization_details = true;
    p.issuer_state = Some("issuer-state".into());
    p.dpop_jkt = Some("jkt".into());
    p.instance_key = Some("instance".into());
    p.granted_scope = Some("pid_scope".into());
    p
}

fn pushed_requests_are_single_use_and_client_bound(b: &Backend) {
    let a = &b.stores.authorizations;
    a.push(
        "urn:ietf:params:oauth:request_uri:1".into(),
        pushed("wallet", 100),
        t(0),
    )
    .unwrap();
    assert!(
        a.take_pushed("urn:ietf:params:oauth:request_uri:1", "intruder", t(1))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        a.take_pushed("urn:ietf:params:oauth:request_uri:1", "wallet", t(1))
            .unwrap(),
        Some(pushed("wallet", 100)),
        "another client's attempt left it in place"
    );
    assert!(
        a.take_pushed("urn:ietf:params:oauth:request_uri:1", "wallet", t(2))
            .unwrap()
            .is_none()
    );
    a.push("urn:2".into(), pushed("wallet", 100), t(0)).unwrap();
    assert!(
        a.take_pushed("urn:2", "wallet", t(100)).unwrap().is_none(),
        "expired"
    );
}

fn authorization_codes_are_single_use(b: &Backend) {
    let a = &b.stores.authorizations;
    let issued = IssuedCode::new(g("g1"), pushed("wallet", 100), claims(), t(100));
    a.insert_code("ac-1".into(), issued.clone(), t(0)).unwrap();
    assert_eq!(
        a.redeem_code("ac-1", t(1), t(1000), &|_| Err(CodeRefusal::PkceMismatch))
            .unwrap_err(),
        CodeError::Refused(CodeRefusal::PkceMismatch)
    );
    let got = a
        .redeem_code("ac-1", t(2), t(1000), &|c| {
            if c.request.client_id == "wallet" {
                Ok(())
            } else {
                Err(CodeRefusal::ClientMismatch)
            }
        })
        .unwrap();
    assert_eq!(got, issued, "a refused redemption left the code unused");
    assert_eq!(
        a.redeem_code("ac-1", t(3), t(1000), &|_| Ok(()))
            .unwrap_err(),
        CodeError::Reused { grant: g("g1") }
    );
    assert_eq!(
        a.redeem_code("never", t(3), t(1000), &|_| Ok(()))
            .unwrap_err(),
        CodeError::Unknown
    );
    a.insert_code(
        "ac-2".into(),
        IssuedCode::new(g("g2"), pushed("wallet", 100), claims(), t(100)),
        t(0),
    )
    .unwrap();
    assert_eq!(
        a.redeem_code("ac-2", t(100), t(1000), &|_| Ok(()))
            .unwrap_err(),
        CodeError::Expired
    );
}

/// A request's proofs recorded together: all, or (one live key, a key given twice, an expired
/// entry) none; a key whose entry expired is taken over inside a batch too.
fn replay_batches_are_all_or_none(b: &Backend) {
    let r = &b.replay;
    let key = |n: u32| format!("openid4vci-proof|0:|batch-{n}");
    let (k1, k2, k3, k4) = (key(1), key(2), key(3), key(4));
    r.check_and_record(&k1, t(100), t(0)).unwrap();
    let refused: [(Vec<(&str, UnixTime)>, ReplayError); 3] = [
        (
            vec![(&k2, t(100)), (&k1, t(100)), (&k3, t(100))],
            ReplayError::Replayed,
        ),
        (vec![(&k2, t(100)), (&k2, t(100))], ReplayError::Replayed),
        (
            vec![(&k2, t(100)), (&k3, t(10))],
            ReplayError::AlreadyExpired,
        ),
    ];
    for (batch, error) in refused {
        assert_eq!(
            r.check_and_record_all(&batch, t(10)),
            Err(error),
            "{batch:?}"
        );
    }
    // Nothing of the refused batches was kept.
    r.check_and_record_all(&[(&k2, t(100)), (&k3, t(150))], t(10))
        .unwrap();
    for k in [&k1, &k2, &k3] {
        assert_eq!(
            r.check_and_record(k, t(200), t(20)),
            Err(ReplayError::Replayed),
            "{k}"
        );
    }
    // At 100 the entries of k1 and k2 have expired: a batch takes them over; k3 still lives.
    r.check_and_record_all(&[(&k1, t(300)), (&k2, t(300)), (&k4, t(300))], t(100))
        .unwrap();
    assert_eq!(
        r.check_and_record_all(&[(&k4, t(300))], t(120)),
        Err(ReplayError::Replayed)
    );
    assert_eq!(
        r.check_and_record(&k3, t(300), t(120)),
        Err(ReplayError::Replayed)
    );
    assert_eq!(r.check_and_record_all(&[], t(120)), Ok(()));
}

fn replay_is_refused_until_expiry(b: &Backend) {
    let r = &b.replay;
    r.check_and_record("dpop|3:abc|j1", t(100), t(0)).unwrap();
    assert_eq!(
        r.check_and_record("dpop|3:abc|j1", t(100), t(50)),
        Err(ReplayError::Replayed)
    );
    r.check_and_record("dpop|3:abc|j2", t(100), t(50)).unwrap();
    assert_eq!(
        r.check_and_record("dpop|3:abc|j3", t(50), t(50)),
        Err(ReplayError::AlreadyExpired)
    );
    assert_eq!(
        r.check_and_record("dpop|3:abc|j1", t(200), t(100)),
        Ok(()),
        "an expired entry no longer blocks its key"
    );
}

fn single_use_holds_under_concurrency(b: &Backend) {
    b.stores
        .codes
        .insert("race".into(), pre_auth(None, 100), 3, t(0))
        .unwrap();
    let (codes, replays) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let code = b.stores.codes.redeem("race", None, t(1)).is_ok();
                    let replay = b.replay.check_and_record("k", t(100), t(1)).is_ok();
                    (code, replay)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |(c, r), (code, replay)| {
                (c + usize::from(code), r + usize::from(replay))
            })
    });
    assert_eq!(codes, 1, "a code redeems exactly once");
    assert_eq!(replays, 1, "a key records exactly once");
    // Batches sharing one key, each with a key of its own: exactly one batch records, and the
    // refused batches leave their own keys free.
    let won: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                s.spawn(move || {
                    let own = format!("own-{i}");
                    b.replay
                        .check_and_record_all(&[("shared", t(100)), (&own, t(100))], t(1))
                        .is_ok()
                        .then_some(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(won.len(), 1, "one batch records: {won:?}");
    for i in 0..8 {
        let own = b.replay.check_and_record(&format!("own-{i}"), t(100), t(2));
        if won.contains(&i) {
            assert_eq!(own, Err(ReplayError::Replayed));
        } else {
            assert_eq!(own, Ok(()), "a refused batch spent own-{i}");
        }
    }
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod in_memory {
            $( #[test] fn $name() { super::$name(&super::memory()); } )*
        }
        mod sqlite {
            $( #[test] fn $name() { super::$name(&super::sqlite()); } )*
        }
        #[cfg(feature = "postgres")]
        mod postgresql {
            $( #[test] fn $name() { super::$name(&super::postgres()); } )*
        }
    };
}

suite!(
    pre_auth_code_redeems_once,
    pre_auth_code_expires,
    tx_code_attempts_are_counted,
    a_refused_pre_auth_check_leaves_the_code_usable,
    access_tokens_expire_and_revoke_by_grant,
    refresh_reuse_revokes_the_family,
    refresh_binds_an_unbound_family_at_rotation,
    refresh_expires,
    refresh_grant_revocation_lasts_until,
    deferred_is_bound_ready_and_single_use,
    notifications_are_bound_and_capped,
    registry_keeps_records_in_order,
    registry_records_a_batch_in_order,
    status_indices_are_unique_random_and_settable,
    status_batches_are_unique_and_span_lists,
    pushed_requests_are_single_use_and_client_bound,
    authorization_codes_are_single_use,
    replay_is_refused_until_expiry,
    replay_batches_are_all_or_none,
    single_use_holds_under_concurrency,
);

/// The backends that keep a batch in one write.
macro_rules! durable_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite_batches {
            $( #[test] fn $name() { super::$name(&super::sqlite()); } )*
        }
        #[cfg(feature = "postgres")]
        mod postgresql_batches {
            $( #[test] fn $name() { super::$name(&super::postgres()); } )*
        }
    };
}

durable_suite!(a_batch_with_a_record_it_cannot_keep_records_none);
