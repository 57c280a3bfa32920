//! Credential request / response, deferred and notification messages.

use oid4vci_types::{
    CredentialErrorCode, CredentialRequest, CredentialResponse, CredentialTarget,
    DeferredCredentialRequest, Error, IssuedCredential, IssuedCredentials, MessageKind,
    NotificationEvent, NotificationRequest, ParseOptions, Proofs,
};
use serde_json::{Value, json};

fn strict(v: &Value) -> Result<CredentialRequest, Error> {
    CredentialRequest::parse(v.to_string().as_bytes(), &ParseOptions::strict())
}

fn compat(v: &Value) -> Result<CredentialRequest, Error> {
    CredentialRequest::parse(
        v.to_string().as_bytes(),
        &ParseOptions::draft13_compatible(),
    )
}

#[test]
fn request_1_0_shapes_round_trip() {
    let by_id = json!({
        "credential_configuration_id": "UniversityDegreeCredential",
        "proofs": { "jwt": ["a.b.c", "d.e.f"] },
        "credential_response_encryption": {
            "jwk": { "kty": "EC", "crv": "P-256", "x": "x", "y": "y", "alg": "ECDH-ES" },
            "enc": "A128GCM",
            "zip": "DEF"
        },
        "future_member": [1]
    });
    let req = strict(&by_id).unwrap();
    assert_eq!(
        req.target,
        CredentialTarget::ConfigurationId("UniversityDegreeCredential".into())
    );
    assert_eq!(
        req.proofs,
        Some(Proofs::Jwt(vec!["a.b.c".into(), "d.e.f".into()]))
    );
    assert_eq!(
        req.credential_response_encryption.as_ref().unwrap().enc,
        "A128GCM"
    );
    assert_eq!(req.extra["future_member"], json!([1]));
    assert_eq!(req.to_value(), by_id);
    // serde impls agree with parse (strict).
    assert_eq!(
        serde_json::from_value::<CredentialRequest>(by_id.clone()).unwrap(),
        req
    );
    assert_eq!(serde_json::to_value(&req).unwrap(), by_id);

    let by_ident = json!({ "credential_identifier": "CivilEngineeringDegree-2023", "proofs": { "attestation": ["k.a.t"] } });
    let req = strict(&by_ident).unwrap();
    assert_eq!(
        req.target,
        CredentialTarget::Identifier("CivilEngineeringDegree-2023".into())
    );
    assert_eq!(req.proofs.as_ref().unwrap().proof_type(), "attestation");
    assert_eq!(req.to_value(), by_ident);

    let di_vp = json!({ "credential_configuration_id": "x", "proofs": { "di_vp": [{ "type": "VerifiablePresentation" }] } });
    let req = strict(&di_vp).unwrap();
    assert!(
        matches!(&req.proofs, Some(Proofs::Other { proof_type, values }) if proof_type == "di_vp" && values.len() == 1)
    );
    assert_eq!(req.to_value(), di_vp);
}

#[test]
fn request_target_rules() {
    assert_eq!(
        strict(&json!({ "credential_identifier": "a", "credential_configuration_id": "b" }))
            .unwrap_err(),
        Error::AmbiguousCredentialTarget
    );
    assert_eq!(
        strict(&json!({ "proofs": { "jwt": ["a"] } })).unwrap_err(),
        Error::MissingCredentialTarget
    );
    assert!(matches!(
        strict(&json!({ "credential_identifier": 5 })).unwrap_err(),
        Error::InvalidMember {
            message: MessageKind::CredentialRequest,
            ..
        }
    ));
}

#[test]
fn request_proofs_rules() {
    let with = |proofs: Value| json!({ "credential_configuration_id": "c", "proofs": proofs });
    assert_eq!(
        strict(&with(json!({ "jwt": ["a"], "attestation": ["b"] }))).unwrap_err(),
        Error::InvalidProofsShape { proof_types: 2 }
    );
    assert_eq!(
        strict(&with(json!({}))).unwrap_err(),
        Error::InvalidProofsShape { proof_types: 0 }
    );
    assert_eq!(
        strict(&with(json!({ "jwt": [] }))).unwrap_err(),
        Error::MalformedProofs {
            detail: "the proof type's array is empty"
        }
    );
    assert_eq!(
        strict(&with(json!({ "attestation": ["a", "b"] }))).unwrap_err(),
        Error::TooManyProofs { count: 2, max: 1 }
    );
    for (bad, detail) in [
        (
            json!({ "jwt": "a" }),
            "the proof type's value is not an array",
        ),
        (
            json!({ "jwt": [1] }),
            "jwt and attestation proofs must be strings",
        ),
        (json!(["a"]), "not an object"),
    ] {
        assert_eq!(
            strict(&with(bad.clone())).unwrap_err(),
            Error::MalformedProofs { detail },
            "{bad}"
        );
    }
    // Each fault of `proofs` is `invalid_proof` (§8.3.1.2), as is a draft-13 `proof` alone.
    for bad in [
        with(json!({ "jwt": [] })),
        with(json!({ "jwt": [1] })),
        with(json!("x")),
        with(json!({ "attestation": ["a", "b"] })),
        with(json!({})),
        json!({ "credential_configuration_id": "c", "proof": { "proof_type": "jwt", "jwt": "h.p.s" } }),
    ] {
        assert_eq!(
            strict(&bad).unwrap_err().credential_error_code(),
            CredentialErrorCode::InvalidProof,
            "{bad}"
        );
    }
    // Beside `proofs`, a draft-13 `proof` is an unknown member: ignored.
    let both = json!({
        "credential_configuration_id": "c",
        "proofs": { "jwt": ["a.b.c"] },
        "proof": { "proof_type": "jwt", "jwt": "h.p.s" }
    });
    let parsed = strict(&both).unwrap();
    assert_eq!(parsed.proofs, Some(Proofs::Jwt(vec!["a.b.c".into()])));
    assert_eq!(parsed.to_value(), both);
    let mut options = ParseOptions::strict();
    options.limits.max_proofs = 3;
    let four = with(json!({ "jwt": ["a", "b", "c", "d"] }));
    assert_eq!(
        CredentialRequest::parse(four.to_string().as_bytes(), &options).unwrap_err(),
        Error::TooManyProofs { count: 4, max: 3 }
    );
    // Encryption parameters that are "either invalid or missing": their own error, which a
    // server answers `invalid_encryption_parameters` (§8.3.1.2).
    let missing_enc = strict(&json!({ "credential_configuration_id": "c", "credential_response_encryption": { "jwk": {} } })).unwrap_err();
    assert_eq!(
        missing_enc,
        Error::MalformedEncryptionParameters {
            member: "credential_response_encryption",
            reason: "credential request: required member \"enc\" is missing".into()
        }
    );
    assert_eq!(
        missing_enc.credential_error_code(),
        CredentialErrorCode::InvalidEncryptionParameters
    );
}

#[test]
fn draft13_shapes_are_refused_by_default_and_converted_on_request() {
    let proof = json!({
        "credential_configuration_id": "c",
        "proof": { "proof_type": "jwt", "jwt": "h.p.s" }
    });
    assert_eq!(
        strict(&proof).unwrap_err(),
        Error::Draft13Shape {
            message: MessageKind::CredentialRequest,
            member: "proof"
        }
    );
    let converted = compat(&proof).unwrap();
    assert_eq!(
        converted.to_value(),
        json!({ "credential_configuration_id": "c", "proofs": { "jwt": ["h.p.s"] } })
    );

    let format = json!({ "format": "vc+sd-jwt", "vct": "IdentityCredential", "proof": { "proof_type": "jwt", "jwt": "h.p.s" } });
    assert_eq!(
        strict(&format).unwrap_err(),
        Error::Draft13Shape {
            message: MessageKind::CredentialRequest,
            member: "format"
        }
    );
    let req = compat(&format).unwrap();
    let CredentialTarget::Draft13Format { format: f, details } = &req.target else {
        panic!()
    };
    assert_eq!(f, "vc+sd-jwt");
    assert_eq!(details["vct"], "IdentityCredential");

    assert_eq!(
        compat(&json!({ "credential_configuration_id": "c", "proof": { "jwt": "x" } }))
            .unwrap_err(),
        Error::MissingMember {
            message: MessageKind::CredentialRequest,
            member: "proof.proof_type".into()
        }
    );
    assert_eq!(
        compat(&json!({ "credential_configuration_id": "c", "proof": { "proof_type": "cwt" } }))
            .unwrap_err(),
        Error::MissingMember {
            message: MessageKind::CredentialRequest,
            member: "proof.cwt".into()
        }
    );
}

#[test]
fn credential_response_200_and_202() {
    let issued = json!({
        "credentials": [{ "credential": "eyJ...~" }, { "credential": { "@context": [] } }],
        "notification_id": "3fwe98js"
    });
    let resp =
        CredentialResponse::parse(issued.to_string().as_bytes(), &ParseOptions::strict()).unwrap();
    assert_eq!(resp.http_status(), 200);
    let CredentialResponse::Issued(i) = &resp else {
        panic!()
    };
    assert_eq!(i.notification_id.as_deref(), Some("3fwe98js"));
    assert_eq!(resp.to_value(), issued);
    assert_eq!(resp.clone().into_value(), issued);

    let deferred = json!({ "transaction_id": "8xLOxBtZp8", "interval": 3600 });
    let resp = CredentialResponse::parse(deferred.to_string().as_bytes(), &ParseOptions::strict())
        .unwrap();
    assert_eq!(resp.http_status(), 202);
    assert_eq!(resp.to_value(), deferred);
    assert_eq!(resp.into_value(), deferred);
}

/// `into_value` moves what `to_value` copies, and makes the same value: unknown members
/// included, and replacing a known member of the same name as `serde`'s flattening does.
#[test]
fn credential_response_into_value_is_to_value() {
    let bodies = [
        json!({ "credentials": [{ "credential": "a~" }] }),
        json!({
            "credentials": [{ "credential": "a~", "x": 1 }, { "credential": { "k": [1] } }],
            "notification_id": "n", "extra": { "deep": true }
        }),
    ];
    for body in bodies {
        let resp = CredentialResponse::parse(body.to_string().as_bytes(), &ParseOptions::strict())
            .unwrap();
        assert_eq!(resp.clone().into_value(), resp.to_value());
        assert_eq!(resp.into_value(), body);
    }
    let mut entry = IssuedCredential::from("a~".to_owned());
    assert_eq!(entry, IssuedCredential::from_string("a~"));
    entry
        .extra
        .insert("credential".into(), Value::String("b".into()));
    let mut issued = IssuedCredentials::new(vec![entry]);
    issued.notification_id = Some("n".into());
    issued
        .extra
        .insert("notification_id".into(), Value::String("m".into()));
    let resp = CredentialResponse::Issued(issued);
    assert_eq!(resp.clone().into_value(), resp.to_value());
    assert_eq!(
        resp.into_value(),
        json!({ "credentials": [{ "credential": "b" }], "notification_id": "m" })
    );
}

#[test]
fn credential_response_errors_and_draft13() {
    let parse = |v: Value, o: ParseOptions| CredentialResponse::parse(v.to_string().as_bytes(), &o);
    let s = ParseOptions::strict();
    assert_eq!(
        parse(
            json!({ "credentials": [{ "credential": "a" }], "transaction_id": "t", "interval": 5 }),
            s
        )
        .unwrap_err(),
        Error::ConflictingResponse
    );
    assert_eq!(
        parse(json!({ "transaction_id": "t" }), s).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::CredentialResponse,
            member: "interval".into()
        }
    );
    assert_eq!(
        parse(json!({ "credentials": [] }), s).unwrap_err(),
        Error::EmptyArray {
            message: MessageKind::CredentialResponse,
            member: "credentials"
        }
    );
    assert_eq!(
        parse(json!({ "notification_id": "n" }), s).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::CredentialResponse,
            member: "credentials".into()
        }
    );
    assert!(matches!(
        parse(json!({ "credentials": [{ "credential": 5 }] }), s).unwrap_err(),
        Error::InvalidMember {
            message: MessageKind::CredentialResponse,
            ..
        }
    ));
    let old = json!({ "credential": "eyJ...", "c_nonce": "n", "c_nonce_expires_in": 86400 });
    assert_eq!(
        parse(old.clone(), s).unwrap_err(),
        Error::Draft13Shape {
            message: MessageKind::CredentialResponse,
            member: "credential"
        }
    );
    let converted = parse(old, ParseOptions::draft13_compatible()).unwrap();
    assert_eq!(
        converted.to_value(),
        json!({ "credentials": [{ "credential": "eyJ..." }], "c_nonce": "n", "c_nonce_expires_in": 86400 })
    );
}

#[test]
fn deferred_request() {
    let req = DeferredCredentialRequest::from_json(br#"{"transaction_id":"8xLOxBtZp8"}"#).unwrap();
    assert_eq!(req.transaction_id, "8xLOxBtZp8");
    assert_eq!(
        DeferredCredentialRequest::from_json(b"{}").unwrap_err(),
        Error::MissingMember {
            message: MessageKind::DeferredCredentialRequest,
            member: "transaction_id".into()
        }
    );
}

#[test]
fn notification_request() {
    let text = json!({ "notification_id": "3fwe98js", "event": "credential_failure", "event_description": "Could not store the Credential. Out of storage." });
    let req = NotificationRequest::from_json(text.to_string().as_bytes()).unwrap();
    assert_eq!(req.event, NotificationEvent::CredentialFailure);
    assert_eq!(serde_json::to_value(&req).unwrap(), text);
    for (event, want) in [
        ("credential_accepted", NotificationEvent::CredentialAccepted),
        ("credential_deleted", NotificationEvent::CredentialDeleted),
    ] {
        let body = json!({ "notification_id": "n", "event": event }).to_string();
        assert_eq!(
            NotificationRequest::from_json(body.as_bytes())
                .unwrap()
                .event,
            want
        );
    }
    assert!(matches!(
        NotificationRequest::from_json(br#"{"notification_id":"n","event":"credential_lost"}"#)
            .unwrap_err(),
        Error::InvalidMember {
            message: MessageKind::NotificationRequest,
            ..
        }
    ));
    assert_eq!(
        NotificationRequest::from_json(br#"{"notification_id":"n","event":"credential_accepted","event_description":"caf\u00e9"}"#).unwrap_err(),
        Error::InvalidDescriptionChar { position: 3 }
    );
    assert_eq!(
        NotificationRequest::from_json(br#"{"event":"credential_accepted"}"#).unwrap_err(),
        Error::MissingMember {
            message: MessageKind::NotificationRequest,
            member: "notification_id".into()
        }
    );
}
