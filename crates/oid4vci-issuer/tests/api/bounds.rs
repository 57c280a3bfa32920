//! The in-memory stores are bounded and forget expired entries.

use jose_core::UnixTime;
use oid4vci_issuer::{
    AccessGrant, AccessTokenStore, InMemoryAccessTokens, InMemoryPreAuthCodes, PreAuthCodeStore,
    PreAuthGrant, RedeemError, StoreError,
};
use serde_json::Map;

const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

#[test]
fn a_full_access_token_store_refuses_until_a_token_expires() {
    let store = InMemoryAccessTokens::new(1);
    let grant = |exp| {
        AccessGrant::new(
            oid4vci_issuer::GrantId::new("g".into()),
            vec![],
            Map::new(),
            "aud".into(),
            exp,
        )
    };
    let exp = NOW.saturating_add(10);
    assert_eq!(store.insert("a".into(), grant(exp), NOW), Ok(()));
    assert_eq!(
        store.insert("b".into(), grant(exp), NOW),
        Err(StoreError::Full {
            store: "access token",
            capacity: 1
        })
    );
    assert!(
        matches!(store.get("a", exp), Ok(None)),
        "a token is dead at its expiry"
    );
    assert_eq!(
        store.insert("b".into(), grant(exp.saturating_add(10)), exp),
        Ok(())
    );
}

#[test]
fn a_code_redeems_once_and_a_wrong_tx_code_burns_it_after_the_attempts() {
    let store = InMemoryPreAuthCodes::new(4);
    let exp = NOW.saturating_add(300);
    let grant = PreAuthGrant::new(vec!["pid".into()], Map::new(), Some("123456".into()), exp);
    store
        .insert("code".into(), grant.clone(), 2, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        store.redeem("code", Some("000000"), NOW).map(|_| ()),
        Err(RedeemError::WrongTxCode { attempts_left: 1 })
    );
    assert_eq!(
        store.redeem("code", None, NOW).map(|_| ()),
        Err(RedeemError::TxCodeMissing)
    );
    assert!(store.redeem("code", Some("123456"), NOW).is_ok());
    assert_eq!(
        store.redeem("code", Some("123456"), NOW).map(|_| ()),
        Err(RedeemError::Unknown)
    );
    store
        .insert("code2".into(), grant, 1, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        store.redeem("code2", Some("123456"), exp).map(|_| ()),
        Err(RedeemError::Expired)
    );
}
