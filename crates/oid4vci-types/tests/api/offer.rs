//! Credential offers: object rules, the URI form both ways, and a proptest round trip.

use oid4vci_types::{
    CredentialOffer, CredentialOfferRequest, Error, Grants, Limits, MessageKind,
    PreAuthorizedCodeGrant, TxCode, TxCodeInputMode,
};
use proptest::prelude::*;
use serde_json::json;

/// §4.1.3 example (by value), as published.
const SPEC_BY_VALUE: &str = "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22https%3A%2F%2Fcredential-issuer.example.com%22%2C%22credential_configuration_ids%22%3A%5B%22org.iso.18013.5.1.mDL%22%5D%2C%22grants%22%3A%7B%22urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code%22%3A%7B%22pre-authorized_code%22%3A%22oaKazRN8I0IbtZ0C7JuMn5%22%2C%22tx_code%22%3A%7B%22input_mode%22%3A%22text%22%2C%22description%22%3A%22Please%20enter%20the%20serial%20number%20of%20your%20physical%20drivers%20license%22%7D%7D%7D%7D";

/// §4.1.3 example (by reference).
const SPEC_BY_REFERENCE: &str = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fserver%2Eexample%2Ecom%2Fcredential-offer%2FGkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM";

fn offer_json(extra: &str) -> String {
    format!(
        r#"{{"credential_issuer":"https://issuer.example","credential_configuration_ids":["a"]{extra}}}"#
    )
}

#[test]
fn spec_uri_by_value() {
    let CredentialOfferRequest::ByValue(offer) =
        CredentialOfferRequest::parse_uri(SPEC_BY_VALUE).unwrap()
    else {
        panic!("by value expected")
    };
    assert_eq!(
        offer.credential_issuer,
        "https://credential-issuer.example.com"
    );
    assert_eq!(
        offer.credential_configuration_ids,
        ["org.iso.18013.5.1.mDL"]
    );
    let grant = offer.pre_authorized_code_grant().unwrap();
    assert_eq!(grant.pre_authorized_code, "oaKazRN8I0IbtZ0C7JuMn5");
    let tx = grant.tx_code.as_ref().unwrap();
    assert_eq!(tx.input_mode, Some(TxCodeInputMode::Text));
    assert_eq!(
        tx.description.as_deref(),
        Some("Please enter the serial number of your physical drivers license")
    );
    // Built again, the URI parses to the same offer.
    let again = CredentialOfferRequest::ByValue(offer.clone()).to_uri();
    assert!(again.starts_with("openid-credential-offer://?credential_offer=%7B%22"));
    assert_eq!(
        CredentialOfferRequest::parse_uri(&again).unwrap(),
        CredentialOfferRequest::ByValue(offer)
    );
}

#[test]
fn spec_uri_by_reference_both_ways() {
    let parsed = CredentialOfferRequest::parse_uri(SPEC_BY_REFERENCE).unwrap();
    assert_eq!(
        parsed,
        CredentialOfferRequest::ByReference(
            "https://server.example.com/credential-offer/GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
                .into()
        )
    );
    assert_eq!(
        parsed.to_uri(),
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fserver.example.com%2Fcredential-offer%2FGkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
    );
    assert_eq!(
        parsed.to_uri_with_base("https://wallet.example/offer?x=1"),
        "https://wallet.example/offer?x=1&credential_offer_uri=https%3A%2F%2Fserver.example.com%2Fcredential-offer%2FGkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
    );
}

#[test]
fn uri_errors() {
    let cases: [(&str, Error); 7] = [
        (
            "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa",
            Error::AmbiguousOffer,
        ),
        ("openid-credential-offer://?x=1", Error::MissingOffer),
        ("openid-credential-offer://", Error::MissingOffer),
        (
            "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fa.example%2Fo",
            Error::InvalidUrl {
                member: "credential_offer_uri",
                reason: "not an https URL",
            },
        ),
        (
            "?credential_offer_uri=https%3A%2F%2Fa",
            Error::InvalidUrl {
                member: "credential offer URI",
                reason: "has no scheme",
            },
        ),
        (
            "openid-credential-offer://?credential_offer_uri=a&credential_offer_uri=b",
            Error::DuplicateParameter {
                name: "credential_offer_uri".into(),
            },
        ),
        (
            "openid-credential-offer://?credential_offer=%7",
            Error::InvalidPercentEncoding { position: 17 },
        ),
    ];
    for (uri, want) in cases {
        assert_eq!(
            CredentialOfferRequest::parse_uri(uri).unwrap_err(),
            want,
            "{uri}"
        );
    }
    let mut limits = Limits::default();
    limits.max_message_len = 10;
    assert_eq!(
        CredentialOfferRequest::parse_uri_with(SPEC_BY_REFERENCE, &limits).unwrap_err(),
        Error::InputTooLarge {
            len: SPEC_BY_REFERENCE.len(),
            max: 10
        }
    );
}

#[test]
fn offer_object_rules() {
    let bad_ids = r#"{"credential_issuer":"https://i.example","credential_configuration_ids":[]}"#;
    assert_eq!(
        CredentialOffer::from_json(bad_ids.as_bytes()).unwrap_err(),
        Error::EmptyArray {
            message: MessageKind::CredentialOffer,
            member: "credential_configuration_ids"
        }
    );
    let dup =
        r#"{"credential_issuer":"https://i.example","credential_configuration_ids":["a","b","a"]}"#;
    assert_eq!(
        CredentialOffer::from_json(dup.as_bytes()).unwrap_err(),
        Error::DuplicateConfigurationId { id: "a".into() }
    );
    let no_issuer = r#"{"credential_configuration_ids":["a"]}"#;
    assert_eq!(
        CredentialOffer::from_json(no_issuer.as_bytes()).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::CredentialOffer,
            member: "credential_issuer".into()
        }
    );
    let http_issuer =
        r#"{"credential_issuer":"http://i.example","credential_configuration_ids":["a"]}"#;
    assert_eq!(
        CredentialOffer::from_json(http_issuer.as_bytes()).unwrap_err(),
        Error::InvalidUrl {
            member: "credential_issuer",
            reason: "not an https URL"
        }
    );
    let no_code =
        offer_json(r#","grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{}}"#);
    assert_eq!(
        CredentialOffer::from_json(no_code.as_bytes()).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::CredentialOffer,
            member: "pre-authorized_code".into()
        }
    );
    let long = "x".repeat(301);
    let too_long = offer_json(&format!(
        r#","grants":{{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{{"pre-authorized_code":"c","tx_code":{{"description":"{long}"}}}}}}"#
    ));
    assert_eq!(
        CredentialOffer::from_json(too_long.as_bytes()).unwrap_err(),
        Error::TxCodeDescriptionTooLong { chars: 301 }
    );
    // 300 characters (multi-byte) are fine: the limit counts characters.
    let ok = offer_json(&format!(
        r#","grants":{{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{{"pre-authorized_code":"c","tx_code":{{"description":"{}"}}}}}}"#,
        "é".repeat(300)
    ));
    assert!(CredentialOffer::from_json(ok.as_bytes()).is_ok());
    let bad_mode = offer_json(
        r#","grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"c","tx_code":{"input_mode":"emoji"}}}"#,
    );
    assert!(matches!(
        CredentialOffer::from_json(bad_mode.as_bytes()).unwrap_err(),
        Error::InvalidMember {
            message: MessageKind::CredentialOffer,
            ..
        }
    ));
    let dup_member = r#"{"credential_issuer":"https://i.example","credential_issuer":"https://j.example","credential_configuration_ids":["a"]}"#;
    assert_eq!(
        CredentialOffer::from_json(dup_member.as_bytes()).unwrap_err(),
        Error::DuplicateMember {
            name: "credential_issuer".into()
        }
    );
}

#[test]
fn unknown_members_survive_round_trip() {
    let text = offer_json(
        r#","future":{"x":[1,2]},"grants":{"authorization_code":{"issuer_state":"s","new":true},"urn:example:grant":{"a":1}}"#,
    );
    let offer = CredentialOffer::from_json(text.as_bytes()).unwrap();
    assert_eq!(offer.extra["future"], json!({"x":[1,2]}));
    assert_eq!(
        offer.grants.as_ref().unwrap().extra["urn:example:grant"],
        json!({"a":1})
    );
    assert_eq!(
        offer.to_value(),
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    );
}

fn arb_text() -> impl Strategy<Value = String> {
    // Any characters, including the ones that need escaping in JSON and in URLs.
    proptest::string::string_regex("[ -~\u{e9}\u{4e2d}\u{1f600}&=%+#?\"\\\\]{1,24}").unwrap()
}

fn arb_offer() -> impl Strategy<Value = CredentialOffer> {
    (
        proptest::string::string_regex("[a-z0-9.-]{1,20}(/[a-zA-Z0-9_~-]{1,10}){0,2}").unwrap(),
        proptest::collection::btree_set(arb_text(), 1..4),
        proptest::option::of((
            arb_text(),
            proptest::option::of((
                proptest::option::of(1u64..12),
                proptest::option::of(arb_text()),
                any::<bool>(),
            )),
        )),
        proptest::option::of(proptest::option::of(arb_text())),
    )
        .prop_map(|(host, ids, pre, auth)| {
            let mut offer =
                CredentialOffer::new(&format!("https://{host}"), ids.into_iter().collect());
            if pre.is_some() || auth.is_some() {
                let mut grants = Grants::default();
                if let Some((code, tx)) = pre {
                    let mut g = PreAuthorizedCodeGrant::new(&code);
                    g.tx_code = tx.map(|(length, description, numeric)| {
                        let mut t = TxCode::default();
                        t.length = length;
                        t.description = description;
                        t.input_mode = Some(if numeric {
                            TxCodeInputMode::Numeric
                        } else {
                            TxCodeInputMode::Text
                        });
                        t
                    });
                    grants.pre_authorized_code = Some(g);
                }
                if let Some(state) = auth {
                    let mut a = oid4vci_types::AuthorizationCodeGrant::default();
                    a.issuer_state = state;
                    grants.authorization_code = Some(a);
                }
                offer.grants = Some(grants);
            }
            offer
        })
}

proptest! {
    #[test]
    fn offer_uri_round_trip(offer in arb_offer()) {
        let request = CredentialOfferRequest::ByValue(Box::new(offer));
        let uri = request.to_uri();
        prop_assert!(uri.bytes().all(|b| b.is_ascii_graphic()));
        prop_assert_eq!(CredentialOfferRequest::parse_uri(&uri).unwrap(), request);
    }

    #[test]
    fn offer_uri_by_reference_round_trip(path in "[a-zA-Z0-9/_.~%-]{0,40}") {
        let request = CredentialOfferRequest::ByReference(format!("https://o.example/{path}"));
        prop_assert_eq!(CredentialOfferRequest::parse_uri(&request.to_uri()).unwrap(), request);
    }

    #[test]
    fn offer_uri_parse_never_panics(s in "\\PC{0,200}") {
        let _ = CredentialOfferRequest::parse_uri(&s);
    }
}
