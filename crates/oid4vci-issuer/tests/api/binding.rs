//! Every presented id is found only under the grant that created it.

use jose_core::UnixTime;
use oid4vci_issuer::{
    AccessGrant, AccessTokenStore, DeferredError, DeferredStore, GrantId, InMemoryAccessTokens,
    InMemoryDeferred, InMemoryNotifications, InMemoryRefreshTokens, NotificationStore,
    RefreshError, RefreshGrant, RefreshTokenStore,
};
use serde_json::Map;

const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

fn grants() -> (GrantId, GrantId) {
    (GrantId::new("alice".into()), GrantId::new("mallory".into()))
}

#[test]
fn a_foreign_transaction_id_is_unknown_and_stays_collectable_by_its_owner() {
    let (alice, mallory) = grants();
    let store = InMemoryDeferred::default();
    store
        .insert(
            &alice,
            "tx".into(),
            vec!["c1".into()],
            NOW,
            NOW.saturating_add(60),
            NOW,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.take(&mallory, "tx", NOW), Err(DeferredError::Unknown));
    assert_eq!(store.take(&alice, "tx", NOW), Ok(vec!["c1".to_owned()]));
    assert_eq!(store.take(&alice, "tx", NOW), Err(DeferredError::Unknown));
}

#[test]
fn a_pending_transaction_answers_pending_only_to_its_grant() {
    let (alice, mallory) = grants();
    let store = InMemoryDeferred::default();
    let ready = NOW.saturating_add(10);
    store
        .insert(
            &alice,
            "tx".into(),
            vec!["c1".into()],
            ready,
            NOW.saturating_add(60),
            NOW,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.take(&alice, "tx", NOW), Err(DeferredError::Pending));
    assert_eq!(store.take(&mallory, "tx", NOW), Err(DeferredError::Unknown));
    assert_eq!(
        store.take(&alice, "tx", NOW.saturating_add(60)),
        Err(DeferredError::Unknown)
    );
}

#[test]
fn a_foreign_notification_id_is_unknown() {
    let (alice, mallory) = grants();
    let store = InMemoryNotifications::default();
    store
        .register(
            &alice,
            "n".into(),
            vec!["cred".into()],
            NOW.saturating_add(60),
            NOW,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        store.record(&mallory, "n", "credential_deleted", NOW),
        Ok(false)
    );
    assert!(
        store.events(&alice, "n", NOW).unwrap().is_empty(),
        "nothing recorded for alice"
    );
    assert_eq!(
        store.record(&alice, "n", "credential_accepted", NOW),
        Ok(true)
    );
    assert_eq!(
        store.events(&alice, "n", NOW).unwrap(),
        vec!["credential_accepted".to_owned()]
    );
    assert!(store.events(&mallory, "n", NOW).unwrap().is_empty());
    assert_eq!(
        store.record(&alice, "n", "credential_accepted", NOW.saturating_add(60)),
        Ok(false),
        "expired"
    );
}

#[test]
fn a_reused_refresh_token_revokes_its_grant_and_its_access_tokens() {
    let (alice, _) = grants();
    let refresh = InMemoryRefreshTokens::default();
    let tokens = InMemoryAccessTokens::default();
    let exp = NOW.saturating_add(3600);
    refresh
        .insert(
            "r1".into(),
            RefreshGrant::new(alice.clone(), vec![], Map::new(), exp),
            NOW,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    tokens
        .insert(
            "at".into(),
            AccessGrant::new(alice.clone(), vec![], Map::new(), "aud".into(), exp),
            NOW,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let rotated = refresh
        .rotate("r1", "r2".into(), None, NOW)
        .map(|g| g.grant);
    assert_eq!(rotated, Ok(alice.clone()));
    assert_eq!(
        refresh
            .rotate("r1", "r3".into(), None, NOW)
            .map(|g| g.grant),
        Err(RefreshError::Reused {
            grant: alice.clone()
        })
    );
    assert_eq!(refresh.is_revoked(&alice, NOW), Ok(true));
    assert!(
        matches!(refresh.peek("r2", NOW), Ok(None)),
        "the current token of the family is gone too"
    );
    tokens
        .revoke_grant(&alice)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(tokens.get("at", NOW), Ok(None)));
}

#[test]
fn credential_identifiers_resolve_only_within_their_access_grant() {
    let (alice, _) = grants();
    let mut grant = AccessGrant::new(alice, vec!["pid".into()], Map::new(), "aud".into(), NOW);
    grant.credential_identifiers = vec![("pid".into(), "pid-1".into())];
    assert_eq!(grant.configuration_of_identifier("pid-1"), Some("pid"));
    assert_eq!(grant.configuration_of_identifier("pid-2"), None);
}
