//! Key attestation at the credential endpoint (OpenID4VCI 1.0 App. D, F.1, F.3): the exact
//! answer for every refusal, over real X.509 chains to a wallet provider's root.

use crate::FORM;
use std::sync::Arc;

use jose_core::{Algorithm, LocalSigner, PublicJwk, SystemRandom, UnixTime};
use oid4vci_issuer::{
    CredentialFormat, CredentialProfile, EndpointRequest, IssuerEngine, IssuerKeys, IssuerSettings,
    KeyAttestationStatus, SigningKey,
};
use pop_verifier::{
    KeyAttestationClaims, KeyAttestationRequirement, KeyAttestationVerifier, KeyProofClaims,
    NoncePurpose, ProofKey, build_attested_key_proof, build_key_attestation, build_key_proof,
};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{Map, Value, json};
use status_list::{Status, StatusListReference};
use trust_x509::{AnchorLookup, Policy, TrustAnchors};

const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const ISSUER: &str = "https://issuer.example";
const PRE_AUTH: &str = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code";
const HIGH: &str = "iso_18045_high";
const MODERATE: &str = "iso_18045_moderate";

/// A wallet provider: a root CA and a leaf whose key signs key attestations.
struct Provider {
    root_der: Vec<u8>,
    leaf_der: Vec<u8>,
    signer: LocalSigner,
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

fn signer_of(key: &KeyPair) -> LocalSigner {
    LocalSigner::from_pkcs8(Algorithm::Es256, &key.serialize_der())
        .unwrap_or_else(|e| panic!("{e}"))
}

impl Provider {
    fn new() -> Self {
        let ca_key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        ca.distinguished_name = name("Demo Wallet Provider CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let root = ca.self_signed(&ca_key).unwrap_or_else(|e| panic!("{e}"));
        let issuer = Issuer::new(ca, ca_key);
        let leaf_key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut leaf =
            CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        leaf.distinguished_name = name("Demo Wallet Provider key attester");
        leaf.is_ca = IsCa::NoCa;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.use_authority_key_identifier_extension = true;
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            root_der: root.der().to_vec(),
            leaf_der: leaf_cert.der().to_vec(),
            signer: signer_of(&leaf_key),
        }
    }

    fn attest(&self, claims: &KeyAttestationClaims) -> String {
        build_key_attestation(claims, vec![self.leaf_der.clone()], &self.signer)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

fn holder() -> LocalSigner {
    LocalSigner::generate(Algorithm::Es256, &SystemRandom::new()).unwrap_or_else(|e| panic!("{e}"))
}

fn levels(claims: KeyAttestationClaims) -> KeyAttestationClaims {
    claims.with_levels(vec![HIGH.into()], vec![MODERATE.into()])
}

fn attestation_claims(keys: Vec<PublicJwk>) -> KeyAttestationClaims {
    levels(KeyAttestationClaims::new(
        NOW.saturating_sub(10),
        NOW.saturating_add(3600),
        keys,
    ))
}

fn engine(provider: &Provider, batch_size: usize) -> IssuerEngine {
    engine_with_status(provider, batch_size, None)
}

fn engine_with_status(
    provider: &Provider,
    batch_size: usize,
    status: Option<Arc<dyn KeyAttestationStatus>>,
) -> IssuerEngine {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
    let anchors =
        TrustAnchors::from_der(vec![provider.root_der.clone()]).unwrap_or_else(|e| panic!("{e}"));
    let verifier = KeyAttestationVerifier::builder()
        .algorithms(&[Algorithm::Es256])
        .wallet_provider_roots(Arc::new(AnchorLookup::new(anchors, Policy::attester())))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let format = CredentialFormat::SdJwtVc {
        vct: "urn:example:pid".into(),
        always_disclosed: Vec::new(),
    };
    let required = KeyAttestationRequirement::new(
        vec![HIGH.into(), "iso_18045_enhanced-basic".into()],
        vec![MODERATE.into()],
    );
    let mut settings = IssuerSettings::new(ISSUER);
    settings.batch_size = batch_size;
    let builder = IssuerEngine::builder(
        settings,
        vec![
            CredentialProfile::new("pid", format.clone()).requires_key_attestation(required),
            CredentialProfile::new("plain", format),
        ],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[5u8; 32],
        Arc::new(rng),
    )
    .with_key_attestation_verifier(Arc::new(verifier));
    let builder = match status {
        Some(status) => builder.with_key_attestation_status(status),
        None => builder,
    };
    builder.build().unwrap_or_else(|e| panic!("{e}"))
}

/// An access token for `id` (pre-authorized code, anonymous, Bearer).
fn access_token(engine: &IssuerEngine, id: &str) -> String {
    let code = engine
        .create_pre_authorized_code(vec![id.into()], Map::new(), None, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    let body = format!("{PRE_AUTH}&pre-authorized_code={code}");
    let answer = engine
        .token(&EndpointRequest::new(&[FORM], body.as_bytes()), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    answer
        .body
        .as_ref()
        .and_then(|b| b["access_token"].as_str())
        .unwrap_or_else(|| panic!("no access token"))
        .to_owned()
}

fn c_nonce(engine: &IssuerEngine) -> String {
    engine
        .fresh(NoncePurpose::CNonce, NOW)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Posts a credential request for `id` with `proofs`: the number of credentials, or the
/// error code and description.
fn request(engine: &IssuerEngine, id: &str, proofs: &Value) -> Result<usize, (String, String)> {
    bound_keys(engine, id, proofs).map(|keys| keys.len())
}

/// The `cnf.jwk` of each credential issued for `proofs`, in order.
fn bound_keys(
    engine: &IssuerEngine,
    id: &str,
    proofs: &Value,
) -> Result<Vec<Value>, (String, String)> {
    let token = access_token(engine, id);
    let authorization = format!("Bearer {token}");
    let headers: [(&str, &[u8]); 2] = [
        ("authorization", authorization.as_bytes()),
        ("content-type", b"application/json"),
    ];
    let body = json!({"credential_configuration_id": id, "proofs": proofs}).to_string();
    engine
        .credential(&EndpointRequest::new(&headers, body.as_bytes()), NOW)
        .map(|answer| {
            let body = answer.body.unwrap_or_default();
            body["credentials"]
                .as_array()
                .map(|credentials| {
                    credentials
                        .iter()
                        .map(|c| cnf_jwk(c["credential"].as_str().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default()
        })
        .map_err(|e| (e.error().to_owned(), e.description().to_owned()))
}

/// The `cnf.jwk` of an SD-JWT VC (its payload read without verification: the engine signed
/// it in this process).
fn cnf_jwk(sd_jwt: &str) -> Value {
    let payload = sd_jwt.split('.').nth(1).unwrap_or_default();
    let bytes = jose_core::base64url::decode(payload).unwrap_or_default();
    serde_json::from_slice::<Value>(&bytes).unwrap_or_default()["cnf"]["jwk"].clone()
}

/// A `jwt` proof by `holder` with a c_nonce, carrying `attestation` when given.
fn proof(engine: &IssuerEngine, holder: &LocalSigner, attestation: Option<&str>) -> String {
    let claims = KeyProofClaims::new(ISSUER, NOW).with_nonce(c_nonce(engine));
    let key = ProofKey::Jwk(holder.public_jwk());
    match attestation {
        Some(a) => build_attested_key_proof(&claims, &key, a, holder),
        None => build_key_proof(&claims, &key, holder),
    }
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A `jwt` proof by `holder` over `nonce`, without a key attestation.
fn proof_over(holder: &LocalSigner, nonce: &str) -> String {
    let claims = KeyProofClaims::new(ISSUER, NOW).with_nonce(nonce);
    build_key_proof(&claims, &ProofKey::Jwk(holder.public_jwk()), holder)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A c_nonce serves one request wherever it appears: in a `jwt` proof, in the key attestation
/// a `jwt` proof carries (whose nonce may differ from the proof's), or as the nonce of an
/// `attestation` proof.
#[test]
fn a_c_nonce_serves_one_request_in_a_proof_or_a_key_attestation() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let (h1, h2) = (holder(), holder());
    let spent = |what: &str| {
        refused(
            "invalid_nonce",
            &format!("{what}: the nonce was already used by an earlier proof"),
        )
    };
    // Spent by a jwt proof: an attestation proof with it is refused.
    let nonce = c_nonce(&engine);
    let plain = json!({"jwt": [proof_over(&h1, &nonce)]});
    assert_eq!(request(&engine, "plain", &plain), Ok(1));
    let att = provider.attest(&attestation_claims(vec![h2.public_jwk()]).with_nonce(&nonce));
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [att]})),
        spent("key attestation")
    );
    // A key attestation's own nonce, other than its proof's, is spent with the proof.
    let attestation_nonce = c_nonce(&engine);
    let att =
        provider.attest(&attestation_claims(vec![h1.public_jwk()]).with_nonce(&attestation_nonce));
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h1, Some(&att))]})
        ),
        Ok(1)
    );
    let reuse = json!({"jwt": [proof_over(&h2, &attestation_nonce)]});
    assert_eq!(request(&engine, "plain", &reuse), spent("proof"));
    // The same attestation as the whole proof, with the victim's token: its nonce is spent.
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [att]})),
        spent("key attestation")
    );
}

/// One `jwt` proof by `holder` carrying `attestation` is refused with `invalid_proof` and
/// `description`.
fn assert_invalid_proof(
    engine: &IssuerEngine,
    holder: &LocalSigner,
    attestation: &str,
    description: &str,
) {
    assert_eq!(
        request(
            engine,
            "pid",
            &json!({"jwt": [proof(engine, holder, Some(attestation))]})
        ),
        refused("invalid_proof", description)
    );
}

fn refused(code: &str, description: &str) -> Result<usize, (String, String)> {
    Err((code.to_owned(), description.to_owned()))
}

#[test]
fn attested_jwt_proofs_issue_one_credential_per_key() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let (h1, h2) = (holder(), holder());
    // One attestation for the whole batch, carried by every proof.
    let att = provider.attest(
        &attestation_claims(vec![h1.public_jwk(), h2.public_jwk()]).with_nonce(c_nonce(&engine)),
    );
    let proofs = json!({"jwt": [proof(&engine, &h1, Some(&att)), proof(&engine, &h2, Some(&att))]});
    assert_eq!(request(&engine, "pid", &proofs), Ok(2));
    // A configuration without the requirement still issues for a plain proof.
    let plain = json!({"jwt": [proof(&engine, &h1, None)]});
    assert_eq!(request(&engine, "plain", &plain), Ok(1));
}

#[test]
fn a_required_attestation_that_is_missing_is_invalid_proof() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let h = holder();
    let proofs = json!({"jwt": [proof(&engine, &h, None)]});
    assert_eq!(
        request(&engine, "pid", &proofs),
        refused(
            "invalid_proof",
            "the credential configuration requires a key attestation: the jwt proof has no key_attestation header"
        )
    );
}

#[test]
fn an_untrusted_chain_is_invalid_proof() {
    let (trusted, other) = (Provider::new(), Provider::new());
    let engine = engine(&trusted, 4);
    let h = holder();
    let att = other.attest(&attestation_claims(vec![h.public_jwk()]));
    let (code, description) = request(
        &engine,
        "pid",
        &json!({"jwt": [proof(&engine, &h, Some(&att))]}),
    )
    .err()
    .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(code, "invalid_proof");
    assert!(
        description.starts_with("key_attestation: key resolution failed: "),
        "{description}"
    );
}

#[test]
fn a_self_signed_attester_certificate_is_invalid_proof() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    // The provider's own root used as the signer: a chain of only the anchor.
    let root_key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let self_signed = params
        .self_signed(&root_key)
        .unwrap_or_else(|e| panic!("{e}"));
    let h = holder();
    let att = build_key_attestation(
        &attestation_claims(vec![h.public_jwk()]),
        vec![self_signed.der().to_vec()],
        &signer_of(&root_key),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, description) = request(
        &engine,
        "pid",
        &json!({"jwt": [proof(&engine, &h, Some(&att))]}),
    )
    .err()
    .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(code, "invalid_proof");
    assert!(
        description.starts_with("key_attestation: key resolution failed: "),
        "{description}"
    );
    // The anchor itself as the only certificate of x5c (signed by the root's key) is refused too.
    let anchor_only = Provider::new();
    let engine = self::engine(&anchor_only, 4);
    let att = build_key_attestation(
        &attestation_claims(vec![h.public_jwk()]),
        vec![anchor_only.root_der.clone()],
        &anchor_only.signer,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_invalid_proof(
        &engine,
        &h,
        &att,
        "key_attestation: key resolution failed: the chain's leaf is a trust anchor itself and direct trust is not enabled",
    );
}

#[test]
fn an_expired_attestation_is_invalid_proof() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let h = holder();
    let claims = levels(KeyAttestationClaims::new(
        NOW.saturating_sub(7200),
        NOW.saturating_sub(3600),
        vec![h.public_jwk()],
    ));
    let att = provider.attest(&claims);
    assert_invalid_proof(
        &engine,
        &h,
        &att,
        &format!("key_attestation: expired at {}", NOW.secs() - 3600),
    );
}

#[test]
fn a_private_member_in_attested_keys_is_invalid_proof() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let h = holder();
    let mut key = h.public_jwk().to_value();
    key["d"] = json!("AAAA");
    // Built by hand: the builder takes public keys only.
    let header = Value::Object(
        jose_core::Header::new(Algorithm::Es256)
            .with_typ("key-attestation+jwt")
            .with_x5c(vec![provider.leaf_der.clone()])
            .to_map(),
    );
    let claims = json!({"iat": NOW.secs(), "exp": NOW.secs() + 60, "attested_keys": [key],
        "key_storage": [HIGH], "user_authentication": [MODERATE]});
    let att = sign_raw(&provider.signer, &header, &claims);
    assert_invalid_proof(
        &engine,
        &h,
        &att,
        "key_attestation: attested_keys[0] is refused: JWK carries private key member 'd' where a public key is expected",
    );
}

fn sign_raw(signer: &LocalSigner, header: &Value, claims: &Value) -> String {
    use jose_core::{Signer, base64url};
    let input = format!(
        "{}.{}",
        base64url::encode(header.to_string().as_bytes()),
        base64url::encode(claims.to_string().as_bytes())
    );
    let sig = signer
        .sign(input.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{input}.{}", base64url::encode(&sig))
}

/// A `jwt` proof in the shape of OpenID4VCI 1.0 App. F.1's example and of the EUDI wallet
/// libraries: `kid` (the attested key's index) and `key_attestation`, no `jwk`.
fn kid_proof(engine: &IssuerEngine, holder: &LocalSigner, kid: &str, attestation: &str) -> String {
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": kid,
        "key_attestation": attestation});
    let claims = json!({"aud": ISSUER, "iat": NOW.secs(), "nonce": c_nonce(engine)});
    sign_raw(holder, &header, &claims)
}

/// One proof naming its key by `kid` inside a key attestation of two keys: its key is the
/// attested key the `kid` names, and the request gets one credential per attested key.
#[test]
fn a_kid_proof_with_a_key_attestation_issues_one_credential_per_attested_key() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let (h1, h2) = (holder(), holder());
    // Each request's attestation has a c_nonce of its own: the request spends it.
    let att = || {
        provider.attest(
            &attestation_claims(vec![h1.public_jwk(), h2.public_jwk()])
                .with_nonce(c_nonce(&engine)),
        )
    };
    let first = att();
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [kid_proof(&engine, &h2, "1", &first)]})
        ),
        Ok(2)
    );
    // The attestation again, with a proof over a fresh c_nonce: its own nonce is spent.
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [kid_proof(&engine, &h2, "1", &first)]})
        ),
        refused(
            "invalid_nonce",
            "proof: the nonce was already used by an earlier proof"
        )
    );
    // A kid that is no index: each attested key is tried.
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [kid_proof(&engine, &h1, "k", &att())]})
        ),
        Ok(2)
    );
    // The index names the other key: the signature does not verify with it.
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [kid_proof(&engine, &h1, "1", &att())]})
        ),
        refused("invalid_proof", "proof: signature does not verify")
    );
    // A key that is not attested at all.
    let stranger = holder();
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [kid_proof(&engine, &stranger, "k", &att())]})
        ),
        refused("invalid_proof", "proof: signature does not verify")
    );
    // Without a verifiable attestation, a kid names nothing.
    let foreign = Provider::new()
        .attest(&attestation_claims(vec![h1.public_jwk()]).with_nonce(c_nonce(&engine)));
    let (code, _) = request(
        &engine,
        "pid",
        &json!({"jwt": [kid_proof(&engine, &h1, "0", &foreign)]}),
    )
    .err()
    .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(code, "invalid_proof");
}

/// A single `jwt` proof with a `jwk` whose key attestation names more keys than the batch
/// allows gets `batch_size` credentials, one of them for the proof's key (OpenID4VCI 1.0
/// §8.3: the issuer may issue fewer); with as many, one credential per attested key.
#[test]
fn a_single_attested_proof_is_bounded_by_the_batch_size() {
    let provider = Provider::new();
    let engine = engine(&provider, 2);
    let (h1, h2, h3) = (holder(), holder(), holder());
    let three = || {
        provider.attest(
            &attestation_claims(vec![h1.public_jwk(), h2.public_jwk(), h3.public_jwk()])
                .with_nonce(c_nonce(&engine)),
        )
    };
    let public = |h: &LocalSigner| h.public_jwk().to_value();
    assert_eq!(
        bound_keys(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h3, Some(&three()))]})
        ),
        Ok(vec![public(&h1), public(&h3)]),
        "the first key, and the proof's key in place of the second"
    );
    assert_eq!(
        bound_keys(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h1, Some(&three()))]})
        ),
        Ok(vec![public(&h1), public(&h2)])
    );
    let two = provider.attest(
        &attestation_claims(vec![h1.public_jwk(), h2.public_jwk()]).with_nonce(c_nonce(&engine)),
    );
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h1, Some(&two))]})
        ),
        Ok(2)
    );
}

#[test]
fn a_proof_key_outside_attested_keys_is_invalid_proof() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let (h, other) = (holder(), holder());
    let att =
        provider.attest(&attestation_claims(vec![other.public_jwk()]).with_nonce(c_nonce(&engine)));
    assert_invalid_proof(
        &engine,
        &h,
        &att,
        "key_attestation: the proof key is not among the attested keys",
    );
}

#[test]
fn levels_below_the_requirement_are_invalid_proof() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let h = holder();
    let base = KeyAttestationClaims::new(NOW, NOW.saturating_add(60), vec![h.public_jwk()])
        .with_nonce(c_nonce(&engine));
    let low_storage = base
        .clone()
        .with_levels(vec!["iso_18045_basic".into()], vec![MODERATE.into()]);
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h, Some(&provider.attest(&low_storage)))]})
        ),
        refused(
            "invalid_proof",
            "key_attestation: key_storage carries none of the accepted values"
        )
    );
    let no_user_auth = base.with_levels(vec![HIGH.into()], vec![]);
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h, Some(&provider.attest(&no_user_auth)))]})
        ),
        refused(
            "invalid_proof",
            "key_attestation: user_authentication carries none of the accepted values"
        )
    );
}

#[test]
fn the_attestation_proof_type_issues_one_credential_per_attested_key() {
    let provider = Provider::new();
    let engine = engine(&provider, 2);
    let (h1, h2, h3) = (holder(), holder(), holder());
    let att = provider.attest(
        &attestation_claims(vec![h1.public_jwk(), h2.public_jwk()]).with_nonce(c_nonce(&engine)),
    );
    // A configuration without a key attestation requirement does not list the attestation
    // proof type (metadata), and does not take it.
    assert_eq!(
        request(&engine, "plain", &json!({"attestation": [att]})),
        refused(
            "invalid_proof",
            "this credential configuration takes jwt proofs only"
        )
    );
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [att]})),
        Ok(2)
    );
    // The attestation is the whole proof: it is accepted once, and it spent its c_nonce, so
    // the wallet is told to fetch a fresh one.
    let spent = refused(
        "invalid_nonce",
        "key attestation: the nonce was already used by an earlier proof",
    );
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [att.clone()]})),
        spent
    );
    // A different attestation with the same c_nonce: the nonce serves one request.
    let nonce = c_nonce(&engine);
    let first = provider.attest(&attestation_claims(vec![h3.public_jwk()]).with_nonce(&nonce));
    let again = provider.attest(&attestation_claims(vec![h1.public_jwk()]).with_nonce(&nonce));
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [first]})),
        Ok(1)
    );
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [again]})),
        spent
    );
    let three = provider.attest(
        &attestation_claims(vec![h1.public_jwk(), h2.public_jwk(), h3.public_jwk()])
            .with_nonce(c_nonce(&engine)),
    );
    // More keys than the batch: the first `batch_size` of them.
    let public = |h: &LocalSigner| h.public_jwk().to_value();
    assert_eq!(
        bound_keys(&engine, "pid", &json!({"attestation": [three]})),
        Ok(vec![public(&h1), public(&h2)])
    );
}

/// OpenID4VCI 1.0 App. D.1 requires `exp` only with `jwt` proofs: as the `attestation`
/// proof type, an attestation without it (freshness from its required c_nonce) is accepted;
/// in a `jwt` proof's `key_attestation` header it is refused.
#[test]
fn only_jwt_proofs_need_an_attestation_exp() {
    let provider = Provider::new();
    let engine = engine(&provider, 2);
    let h = holder();
    let mut claims = Map::new();
    claims.insert("iat".into(), json!(NOW.secs() - 10));
    claims.insert("attested_keys".into(), json!([h.public_jwk().to_value()]));
    claims.insert("key_storage".into(), json!([HIGH]));
    claims.insert("user_authentication".into(), json!([MODERATE]));
    claims.insert("nonce".into(), json!(c_nonce(&engine)));
    let header = jose_core::Header::new(Algorithm::Es256)
        .with_typ("key-attestation+jwt")
        .with_x5c(vec![provider.leaf_der.clone()]);
    let without_exp = jose_core::UnsignedJws::new(&header, &claims)
        .and_then(|unsigned| unsigned.sign(&provider.signer))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h, Some(&without_exp))]})
        ),
        refused("invalid_proof", "key_attestation: claim 'exp' is missing")
    );
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [without_exp]})),
        Ok(1)
    );
}

#[test]
fn the_attestation_proof_type_needs_a_valid_c_nonce() {
    let provider = Provider::new();
    let engine = engine(&provider, 2);
    let h = holder();
    let without = provider.attest(&attestation_claims(vec![h.public_jwk()]));
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [without]})),
        refused("invalid_proof", "key attestation: nonce is missing")
    );
    let forged = provider.attest(&attestation_claims(vec![h.public_jwk()]).with_nonce("forged"));
    assert_eq!(
        request(&engine, "pid", &json!({"attestation": [forged]})),
        refused(
            "invalid_nonce",
            "key attestation: nonce invalid: malformed nonce"
        )
    );
    // In the key_attestation header of a jwt proof, the nonce is required too (App. F.1: this
    // issuer provides a c_nonce), and must be a valid c_nonce.
    let without = provider.attest(&attestation_claims(vec![h.public_jwk()]));
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h, Some(&without))]})
        ),
        refused("invalid_proof", "key_attestation: nonce is missing")
    );
    let forged = provider.attest(&attestation_claims(vec![h.public_jwk()]).with_nonce("forged"));
    assert_eq!(
        request(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h, Some(&forged))]})
        ),
        refused(
            "invalid_nonce",
            "key_attestation: nonce invalid: malformed nonce"
        )
    );
}

#[test]
fn a_profile_requiring_attestation_needs_a_verifier_at_build() {
    let rng = SystemRandom::new();
    let signer = LocalSigner::generate(Algorithm::Es256, &rng).unwrap_or_else(|e| panic!("{e}"));
    let format = CredentialFormat::SdJwtVc {
        vct: "urn:example:pid".into(),
        always_disclosed: Vec::new(),
    };
    let error = IssuerEngine::builder(
        IssuerSettings::new(ISSUER),
        vec![
            CredentialProfile::new("pid", format)
                .requires_key_attestation(KeyAttestationRequirement::default()),
        ],
        IssuerKeys::new(SigningKey::new(Arc::new(signer), Vec::new())),
        &[5u8; 32],
        Arc::new(rng),
    )
    .build()
    .err()
    .unwrap_or_else(|| panic!("built"));
    assert_eq!(
        error.to_string(),
        "credentialConfigurations[0].keyAttestationsRequired: requires key attestation, but no key attestation verifier is configured"
    );
}

/// A status client that knows one list: entry 1 is revoked, entry 2 cannot be determined.
struct Lists;

impl KeyAttestationStatus for Lists {
    fn status(&self, reference: &StatusListReference, _: UnixTime) -> Result<Status, String> {
        assert_eq!(reference.uri(), "https://wallet-provider.example/status/1");
        match reference.idx().get() {
            1 => Ok(Status::INVALID),
            2 => Err("status list unreachable".to_owned()),
            _ => Ok(Status::VALID),
        }
    }
}

#[test]
fn a_revoked_attestation_is_invalid_proof_when_status_is_checked() {
    let provider = Provider::new();
    let engine = engine_with_status(&provider, 4, Some(Arc::new(Lists)));
    let h = holder();
    let with_status = |idx: u32| {
        provider.attest(
            &attestation_claims(vec![h.public_jwk()])
                .with_nonce(c_nonce(&engine))
                .with_status(json!({
                    "status_list": {"idx": idx, "uri": "https://wallet-provider.example/status/1"}
                })),
        )
    };
    let post = |att: &str| {
        request(
            &engine,
            "pid",
            &json!({"jwt": [proof(&engine, &h, Some(att))]}),
        )
    };
    assert_eq!(post(&with_status(0)), Ok(1));
    assert_eq!(
        post(&with_status(1)),
        refused(
            "invalid_proof",
            "key_attestation: its status list entry is INVALID, not VALID"
        )
    );
    assert_eq!(
        post(&with_status(2)),
        refused(
            "temporarily_unavailable",
            "the server cannot check proofs right now; retry later"
        )
    );
    let malformed = provider.attest(
        &attestation_claims(vec![h.public_jwk()])
            .with_nonce(c_nonce(&engine))
            .with_status(json!({"status_list": {"idx": 0}})),
    );
    assert_eq!(
        post(&malformed),
        refused(
            "invalid_proof",
            "key_attestation: claim 'status.status_list.uri' is missing"
        )
    );
    // Without a status client, the status is not checked.
    let unchecked = self::engine(&provider, 4);
    assert_eq!(
        request(
            &unchecked,
            "pid",
            &json!({"jwt": [proof(&unchecked, &h, Some(&with_status(1)))]})
        ),
        Ok(1)
    );
}

/// The key proofs of one request are all verified before any is recorded, then recorded
/// together: a request refused for one proof's signature, or for a proof given twice, spends
/// none of its proofs.
#[test]
fn a_refused_batch_spends_none_of_its_proofs() {
    let provider = Provider::new();
    let engine = engine(&provider, 4);
    let (h1, h2) = (holder(), holder());
    let good = proof(&engine, &h1, None);
    // A signature character changed (well inside the signature, so it still decodes).
    let mut forged = proof(&engine, &h2, None).into_bytes();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap_or_else(|e| panic!("{e}"));
    let code = |answer: Result<usize, (String, String)>| answer.map_err(|(code, _)| code);
    assert_eq!(
        code(request(&engine, "plain", &json!({"jwt": [good, forged]}))),
        Err("invalid_proof".to_owned())
    );
    let (code_twice, description) = request(&engine, "plain", &json!({"jwt": [good, good]}))
        .expect_err("a proof given twice is refused");
    assert_eq!(code_twice, "invalid_proof");
    assert!(description.contains("replayed"), "{description}");
    // Neither refusal spent the good proof or its c_nonce; accepting it spends both.
    assert_eq!(request(&engine, "plain", &json!({"jwt": [good]})), Ok(1));
    assert_eq!(
        code(request(&engine, "plain", &json!({"jwt": [good]}))),
        Err("invalid_nonce".to_owned())
    );
}
