//! The audit seam: each security-relevant event reaches the sink, with pseudonyms and never a
//! token, a code, a `jti` or a claim value.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]

use crate::FORM;
use std::sync::{Arc, Mutex};

use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
use oid4vci_issuer::{
    AuditEvent, AuditSink, CredentialFormat, CredentialProfile, EndpointRequest, IssuerEngine,
    IssuerKeys, IssuerSettings, ProofKind, RevocationCause, SigningKey,
};
use pop_verifier::{DpopProofClaims, KeyProofClaims, ProofKey, build_dpop_proof, build_key_proof};
use serde_json::{Map, Value, json};
use status_list::Status;

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const ISSUER: &str = "https://issuer.example";
const PRE_AUTH: &str = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";
const CLAIM_VALUE: &str = "Erika-Mustermann-secret";

/// Keeps every event it is handed (also used by the code flow tests).
#[derive(Default)]
pub(crate) struct Recorder(Mutex<Vec<(AuditEvent, UnixTime)>>);

impl AuditSink for Recorder {
    fn record(&self, event: &AuditEvent, now: UnixTime) {
        self.0.lock().unwrap().push((event.clone(), now));
    }
}

impl Recorder {
    pub(crate) fn events(&self) -> Vec<AuditEvent> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(e, _)| e.clone())
            .collect()
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.events().iter().map(AuditEvent::kind).collect()
    }

    /// Every event as text: what a log line or a store row would hold.
    fn text(&self) -> String {
        self.events()
            .iter()
            .map(|e| format!("{} {}", e.kind(), Value::Object(e.details())))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

struct Setup {
    engine: IssuerEngine,
    audit: Arc<Recorder>,
    holder: LocalSigner,
}

fn setup() -> Setup {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let profile = CredentialProfile::new(
        "pid",
        CredentialFormat::SdJwtVc {
            vct: "urn:example:pid".into(),
            always_disclosed: Vec::new(),
        },
    );
    let audit = Arc::new(Recorder::default());
    let engine = IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![profile],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new()).with_kid("key-1")),
        &[7u8; 32],
        Arc::new(rng),
    )
    .with_audit_sink(audit.clone())
    .build()
    .unwrap();
    Setup {
        engine,
        audit,
        holder: LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap(),
    }
}

impl Setup {
    fn code(&self, tx_code: Option<&str>) -> String {
        let mut claims = Map::new();
        claims.insert("given_name".into(), json!(CLAIM_VALUE));
        self.engine
            .create_pre_authorized_code(vec!["pid".into()], claims, tx_code.map(Into::into), NOW)
            .unwrap()
    }

    fn token(&self, body: &str, dpop: Option<&str>) -> Result<Value, (u16, String)> {
        let headers: Vec<(&str, &[u8])> = core::iter::once(FORM)
            .chain(dpop.map(|p| ("dpop", p.as_bytes())))
            .collect();
        self.engine
            .token(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
            .map(|a| a.body.unwrap_or_default())
            .map_err(|e| (e.status(), e.error().to_owned()))
    }

    fn redeem(&self, code: &str) -> Value {
        self.token(&format!("{PRE_AUTH}&pre-authorized_code={code}"), None)
            .unwrap()
    }

    fn proof(&self) -> String {
        let nonce = self.engine.nonce(NOW).unwrap().body.unwrap()["c_nonce"]
            .as_str()
            .unwrap()
            .to_owned();
        let claims = KeyProofClaims::new(ISSUER, NOW).with_nonce(nonce);
        build_key_proof(
            &claims,
            &ProofKey::Jwk(self.holder.public_jwk()),
            &self.holder,
        )
        .unwrap()
    }

    fn credential(&self, access_token: &str, proof: &str) -> Result<Value, (u16, String)> {
        let auth = format!("Bearer {access_token}");
        let body = json!({
            "credential_configuration_id": "pid",
            "proofs": {"jwt": [proof]},
        })
        .to_string();
        let headers: [(&str, &[u8]); 2] = [
            ("authorization", auth.as_bytes()),
            ("content-type", b"application/json"),
        ];
        self.engine
            .credential(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
            .map(|a| a.body.unwrap_or_default())
            .map_err(|e| (e.status(), e.error().to_owned()))
    }
}

fn dpop_proof(jti: &str) -> String {
    let key = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap();
    let claims = DpopProofClaims::new("POST", format!("{ISSUER}/token"), jti, NOW);
    build_dpop_proof(&claims, &key.public_jwk(), &key).unwrap()
}

#[test]
fn redemption_and_issuance_are_recorded_with_the_same_grant_pseudonym() {
    let s = setup();
    let code = s.code(None);
    let tokens = s.redeem(&code);
    let access = tokens["access_token"].as_str().unwrap();
    let answer = s.credential(access, &s.proof()).unwrap();
    assert!(answer["credentials"].is_array());
    let events = s.audit.events();
    let [
        AuditEvent::PreAuthorizedCodeRedeemed {
            grant: redeemed,
            configuration_ids,
            ..
        },
        AuditEvent::CredentialIssued {
            grant: issued,
            configuration_id,
            format,
            status_list_id,
            status_index,
            key_id,
            deferred,
            ..
        },
    ] = events.as_slice()
    else {
        panic!("unexpected events {events:?}");
    };
    assert_eq!(redeemed, issued, "one grant, one pseudonym");
    assert_eq!(configuration_ids, &["pid".to_owned()]);
    assert_eq!(
        (
            configuration_id.as_str(),
            *format,
            key_id.as_deref(),
            *deferred
        ),
        ("pid", "dc+sd-jwt", Some("key-1"), false)
    );
    // The status entry named is the one the registry holds.
    let registered = s.engine.stores().registry.list().unwrap();
    assert_eq!(registered.len(), 1);
    assert_eq!(
        (&registered[0].status_list_id, registered[0].status_idx),
        (status_list_id, *status_index)
    );
    let text = s.audit.text();
    for secret in [code.as_str(), access, CLAIM_VALUE] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
}

#[test]
fn pseudonyms_differ_per_grant_and_hide_the_grant_id() {
    let s = setup();
    s.redeem(&s.code(None));
    s.redeem(&s.code(None));
    let grants: Vec<String> = s
        .audit
        .events()
        .iter()
        .filter_map(|e| match e {
            AuditEvent::PreAuthorizedCodeRedeemed { grant, .. } => Some(grant.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(grants.len(), 2);
    assert_ne!(grants[0], grants[1]);
    assert!(grants.iter().all(|g| g.len() == 22));
}

#[test]
fn a_replayed_dpop_proof_is_recorded_without_its_jti() {
    let s = setup();
    let proof = dpop_proof("jti-audit-dpop");
    let first = s.token(
        &format!("{PRE_AUTH}&pre-authorized_code={}", s.code(None)),
        Some(&proof),
    );
    assert!(first.is_ok(), "{first:?}");
    let second = s.token(
        &format!("{PRE_AUTH}&pre-authorized_code={}", s.code(None)),
        Some(&proof),
    );
    assert_eq!(second, Err((400, "invalid_dpop_proof".to_owned())));
    assert!(
        matches!(
            s.audit.events().last(),
            Some(AuditEvent::ReplayDetected {
                proof: ProofKind::Dpop,
                ..
            })
        ),
        "{:?}",
        s.audit.events()
    );
    assert!(!s.audit.text().contains("jti-audit-dpop"));
}

#[test]
fn a_replayed_key_proof_is_recorded_as_a_key_proof_replay() {
    let s = setup();
    let tokens = s.redeem(&s.code(None));
    let access = tokens["access_token"].as_str().unwrap();
    let proof = s.proof();
    assert!(s.credential(access, &proof).is_ok());
    // The replayed proof carries the c_nonce it spent.
    assert_eq!(
        s.credential(access, &proof),
        Err((400, "invalid_nonce".to_owned()))
    );
    assert_eq!(
        s.audit.kinds(),
        [
            "pre_authorized_code_redeemed",
            "credential_issued",
            "replay_detected"
        ]
    );
    assert!(s.audit.events().iter().any(|e| matches!(
        e,
        AuditEvent::ReplayDetected {
            proof: ProofKind::KeyProof,
            ..
        }
    )));
}

#[test]
fn the_last_wrong_tx_code_is_a_lockout_and_earlier_ones_are_not() {
    let s = setup();
    let code = s.code(Some("493536"));
    let attempt = format!("{PRE_AUTH}&pre-authorized_code={code}&tx_code=000000");
    let max = s.engine.settings().tx_code_max_attempts;
    for _ in 1..max {
        assert_eq!(
            s.token(&attempt, None),
            Err((400, "invalid_grant".to_owned()))
        );
        assert!(s.audit.events().is_empty(), "{:?}", s.audit.events());
    }
    assert_eq!(
        s.token(&attempt, None),
        Err((400, "invalid_grant".to_owned()))
    );
    let events = s.audit.events();
    let [
        AuditEvent::TxCodeLockout {
            code: pseudonym, ..
        },
    ] = events.as_slice()
    else {
        panic!("unexpected events {events:?}");
    };
    assert!(!pseudonym.as_str().contains(&code));
    assert!(!s.audit.text().contains("493536"));
    // The burnt code no longer redeems with the right tx_code either.
    let right = format!("{PRE_AUTH}&pre-authorized_code={code}&tx_code=493536");
    assert_eq!(
        s.token(&right, None),
        Err((400, "invalid_grant".to_owned()))
    );
}

#[test]
fn refresh_is_recorded_and_a_reused_refresh_token_revokes_the_family() {
    let s = setup();
    let tokens = s.redeem(&s.code(None));
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let body = format!("grant_type=refresh_token&refresh_token={refresh}");
    assert!(s.token(&body, None).is_ok());
    assert_eq!(s.token(&body, None), Err((400, "invalid_grant".to_owned())));
    let events = s.audit.events();
    let [
        AuditEvent::PreAuthorizedCodeRedeemed { grant: started, .. },
        AuditEvent::RefreshTokenUsed { grant: used, .. },
        AuditEvent::RefreshFamilyRevoked {
            grant: revoked,
            cause,
            ..
        },
    ] = events.as_slice()
    else {
        panic!("unexpected events {events:?}");
    };
    assert_eq!((started, started), (used, revoked));
    assert_eq!(*cause, RevocationCause::RefreshTokenReused);
    assert!(!s.audit.text().contains(refresh));
}

#[test]
fn a_status_change_names_its_actor_and_entry() {
    let s = setup();
    let tokens = s.redeem(&s.code(None));
    s.credential(tokens["access_token"].as_str().unwrap(), &s.proof())
        .unwrap();
    let issued = s.engine.stores().registry.list().unwrap().remove(0);
    s.engine
        .set_credential_status(&issued, Status::INVALID, "admin@127.0.0.1", NOW)
        .unwrap();
    assert_eq!(
        s.engine
            .stores()
            .status
            .status(&issued.status_list_id, issued.status_idx),
        Ok(Some(Status::INVALID))
    );
    let last = s.audit.events().pop().unwrap();
    assert_eq!(last.kind(), "credential_status_changed");
    let details = last.details();
    assert_eq!(details["actor"], json!("admin@127.0.0.1"));
    assert_eq!(details["status"], json!("INVALID"));
    assert_eq!(details["status_index"], json!(issued.status_idx));
    // An entry the status store does not have is an error, and nothing is recorded.
    let mut missing = issued;
    missing.status_list_id = "no-such-list".into();
    let before = s.audit.events().len();
    assert!(
        s.engine
            .set_credential_status(&missing, Status::INVALID, "admin", NOW)
            .is_err()
    );
    assert_eq!(s.audit.events().len(), before);
}

/// Accepts every client leniently, as a lenient attestation mode does for a wallet without an
/// attestation.
#[derive(Debug)]
struct Lenient;

impl oid4vci_issuer::ClientAuthenticator for Lenient {
    fn authenticate(
        &self,
        _: &EndpointRequest<'_>,
        client_id: Option<&str>,
        _: &oid4vci_issuer::ClientAuthContext<'_>,
        _: UnixTime,
    ) -> Result<oid4vci_issuer::ClientIdentity, oid4vci_types::OAuthError> {
        let mut identity = oid4vci_issuer::ClientIdentity::default();
        identity.client_id = client_id.map(str::to_owned);
        identity.lenient_warning = Some("no client attestation presented".into());
        Ok(identity)
    }
}

#[test]
fn a_lenient_acceptance_is_recorded_with_its_reason_and_client() {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap();
    let audit = Arc::new(Recorder::default());
    let engine = IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![CredentialProfile::new(
            "pid",
            CredentialFormat::SdJwtVc {
                vct: "urn:example:pid".into(),
                always_disclosed: Vec::new(),
            },
        )],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[7u8; 32],
        Arc::new(rng),
    )
    .with_client_authenticator(Arc::new(Lenient))
    .with_audit_sink(audit.clone())
    .build()
    .unwrap();
    let code = engine
        .create_pre_authorized_code(vec!["pid".into()], Map::new(), None, NOW)
        .unwrap();
    let body = format!("{PRE_AUTH}&pre-authorized_code={code}&client_id=wallet-1");
    let answer = engine
        .token(&EndpointRequest::new(&[FORM], body.as_bytes()), NOW)
        .unwrap();
    assert_eq!(answer.warnings, ["no client attestation presented"]);
    let events = audit.events();
    let [lenient, redeemed] = events.as_slice() else {
        panic!("unexpected events {events:?}");
    };
    assert_eq!(lenient.kind(), "lenient_acceptance");
    assert_eq!(
        Value::Object(lenient.details()),
        json!({"client_id": "wallet-1", "reason": "no client attestation presented"})
    );
    assert_eq!(redeemed.kind(), "pre_authorized_code_redeemed");
}
