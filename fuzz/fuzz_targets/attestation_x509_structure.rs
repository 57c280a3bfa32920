//! Structure-aware client attestation target for the `x509-chain` verification method (issue
//! 14 §4): byte-level fuzzing never produces an `x5c` that chains to the configured root and a
//! signature by its leaf's key, so the X.509 path of the verifier (`verify/x509.rs`) and the
//! claim checks behind it were never reached. Here a fixed test PKI is built once with rcgen:
//! the configured root, an intermediate (and an expired twin with the same name and key), good
//! leaves under the intermediate and under the root, and wrong ones (expired, not yet valid,
//! without `digitalSignature`, with `keyCertSign`, a CA certificate, a self-issued leaf, a
//! self-signed one, the root itself, a leaf and an intermediate of another root). The fuzzer's
//! bytes choose the `x5c` (composition and order of fixture certificates, garbage base64, not
//! DER, a certificate with a byte changed, empty, too long, not an array), the header (`x5c`, `kid`, `jwk`, `typ`, `alg`), which
//! key signs the attestation and the PoP, and the claims (usually right and at times missing,
//! of the wrong type or value, as in `attestation_signed_structure`).
//!
//! When verification succeeds, what the verdict promises is checked against what was
//! generated: no `x5c` entry is garbage (a changed certificate that is still DER may be
//! presented unused); `x5c[0]` is an unchanged fixture leaf fit for the ABCA attester
//! profile (not a CA, `digitalSignature` allowed when KeyUsage is present, not self-issued, not
//! the anchor itself) valid at `NOW`, and it chains to the configured root either directly or
//! through an unchanged intermediate presented in `x5c` that is itself valid at `NOW`; the attestation
//! was signed by that leaf's key; the key in `cnf` signed the PoP; the client id is the signed
//! `sub`; the PoP's audience is this server; the same PoP is refused the second time.
#![no_main]

use std::sync::{Arc, OnceLock};

use attestation_jwt::{
    ATTESTATION_TYP, AuthMethod, ChallengeCheck, ClientAttestationConfig,
    ClientAttestationVerifier, ClientAuthRequest, MethodKind, POP_TYP, VerificationMethod,
};
use credential_fuzz::{assert_client_and_audience, claim, pop_claims, scalar, time};
use jose_core::{Algorithm, Header, LocalSigner, Signer, SystemRandom, UnixTime};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pop_verifier::InMemoryReplayGuard;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{Map, Value, json};

const AS: &str = "https://as.example.com";
const CLIENT: &str = "https://wallet.example.com";
const NOW: i64 = 1_750_000_000;
const DAY: i64 = 86_400;

/// The subject names of the fixture PKI (the common name is the whole name).
const ROOT: &str = "Fuzz Attester Root";
const OTHER_ROOT: &str = "Fuzz Other Root";
const INTER: &str = "Fuzz Attester Intermediate";

/// What the oracle knows about a fixture certificate.
struct Cert {
    der: Vec<u8>,
    /// Index of the certificate's own key in `Fixture::keys`.
    key: usize,
    subject: &'static str,
    issuer: &'static str,
    /// Index of the key that signed the certificate.
    issuer_key: usize,
    ca: bool,
    /// `notBefore <= NOW <= notAfter`.
    valid_now: bool,
    /// Fit to be an attester leaf by its extensions: not a CA, KeyUsage absent or with
    /// `digitalSignature` and without `keyCertSign`, not self-issued.
    leaf_profile: bool,
}

struct Fixture {
    /// The certificates' keys (indexed by `Cert::key`), then the instance key, then another
    /// key.
    keys: Vec<LocalSigner>,
    certs: Vec<Cert>,
    root_key: usize,
    instance: usize,
    verifier: Arc<ClientAttestationVerifier>,
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

fn date(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or_else(|e| panic!("fixture time: {e}"))
}

/// One certificate to make: who it is, who signs it, and what it says.
struct Spec {
    subject: &'static str,
    /// Index (in the fixture's certificate list) of the issuing certificate; `None` for a
    /// self-signed one.
    issuer: Option<usize>,
    /// Index of an earlier certificate whose key this one reuses.
    same_key_as: Option<usize>,
    ca: Option<u8>,
    usages: Option<Vec<KeyUsagePurpose>>,
    not_before: i64,
    not_after: i64,
}

impl Spec {
    fn leaf(subject: &'static str, issuer: usize) -> Self {
        Self {
            subject,
            issuer: Some(issuer),
            same_key_as: None,
            ca: None,
            usages: Some(vec![KeyUsagePurpose::DigitalSignature]),
            not_before: NOW - DAY,
            not_after: NOW + 365 * DAY,
        }
    }

    fn ca(subject: &'static str, issuer: Option<usize>, path_len: u8) -> Self {
        Self {
            subject,
            issuer,
            same_key_as: None,
            ca: Some(path_len),
            usages: Some(vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]),
            not_before: NOW - 365 * DAY,
            not_after: NOW + 3650 * DAY,
        }
    }
}

/// Certificate indices, in the order `specs` makes them.
const C_ROOT: usize = 0;
const C_INTER: usize = 1;
const C_INTER_EXPIRED: usize = 2;
const C_LEAF: usize = 3;
const C_LEAF_UNDER_ROOT: usize = 4;
const C_OTHER_ROOT: usize = 13;

fn specs() -> Vec<Spec> {
    vec![
        // C_ROOT: the configured anchor.
        Spec::ca(ROOT, None, 1),
        // C_INTER.
        Spec::ca(INTER, Some(C_ROOT), 0),
        // C_INTER_EXPIRED: the intermediate's name and key, expired an hour ago.
        Spec {
            same_key_as: Some(C_INTER),
            not_after: NOW - 3600,
            ..Spec::ca(INTER, Some(C_ROOT), 0)
        },
        // C_LEAF: the attester.
        Spec::leaf("Fuzz Attester", C_INTER),
        // C_LEAF_UNDER_ROOT: an attester issued by the root, without KeyUsage.
        Spec {
            usages: None,
            ..Spec::leaf("Fuzz Attester Direct", C_ROOT)
        },
        // 5: expired a second ago.
        Spec {
            not_after: NOW - 1,
            ..Spec::leaf("Fuzz Attester Expired", C_INTER)
        },
        // 6: valid from the next second.
        Spec {
            not_before: NOW + 1,
            ..Spec::leaf("Fuzz Attester Not Yet", C_INTER)
        },
        // 7: valid exactly until NOW (inclusive, RFC 5280 §4.1.2.5).
        Spec {
            not_after: NOW,
            ..Spec::leaf("Fuzz Attester Last Second", C_INTER)
        },
        // 8: KeyUsage without digitalSignature.
        Spec {
            usages: Some(vec![KeyUsagePurpose::KeyEncipherment]),
            ..Spec::leaf("Fuzz Attester Encipherment", C_INTER)
        },
        // 9: a leaf asserting keyCertSign.
        Spec {
            usages: Some(vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyCertSign,
            ]),
            ..Spec::leaf("Fuzz Attester Cert Sign", C_INTER)
        },
        // 10: a CA certificate (with digitalSignature) used as the leaf.
        Spec {
            usages: Some(vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyCertSign,
            ]),
            ..Spec::ca("Fuzz Attester CA", Some(C_INTER), 0)
        },
        // 11: a self-issued leaf (subject = issuer = the intermediate's name).
        Spec::leaf(INTER, C_INTER),
        // 12: a self-signed leaf.
        Spec {
            issuer: None,
            ..Spec::leaf("Fuzz Self Signed", 0)
        },
        // C_OTHER_ROOT: a root that is not configured.
        Spec::ca(OTHER_ROOT, None, 1),
        // 14: an attester of the other root.
        Spec::leaf("Fuzz Other Attester", C_OTHER_ROOT),
        // 15: an intermediate of the other root with the intermediate's name.
        Spec::ca(INTER, Some(C_OTHER_ROOT), 0),
        // 16: a leaf under that impostor intermediate.
        Spec::leaf("Fuzz Impostor Attester", 15),
    ]
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut key_pairs: Vec<KeyPair> = Vec::new();
        let mut issuers: Vec<Issuer<'static, KeyPair>> = Vec::new();
        let mut certs: Vec<Cert> = Vec::new();
        for spec in specs() {
            let key = match spec.same_key_as {
                Some(earlier) => certs[earlier].key,
                None => {
                    key_pairs
                        .push(KeyPair::generate().unwrap_or_else(|e| panic!("fixture key: {e}")));
                    key_pairs.len() - 1
                }
            };
            let mut params = CertificateParams::default();
            params.distinguished_name = name(spec.subject);
            params.not_before = date(spec.not_before);
            params.not_after = date(spec.not_after);
            params.is_ca = match spec.ca {
                Some(path_len) => IsCa::Ca(BasicConstraints::Constrained(path_len)),
                None => IsCa::ExplicitNoCa,
            };
            params.key_usages = spec.usages.clone().unwrap_or_default();
            params.use_authority_key_identifier_extension = spec.issuer.is_some();
            let cert = match spec.issuer {
                Some(issuer) => params.signed_by(&key_pairs[key], &issuers[issuer]),
                None => params.self_signed(&key_pairs[key]),
            }
            .unwrap_or_else(|e| panic!("fixture certificate {}: {e}", spec.subject));
            let (issuer_name, issuer_key) = match spec.issuer {
                Some(issuer) => (certs[issuer].subject, certs[issuer].key),
                None => (spec.subject, key),
            };
            let ca = spec.ca.is_some();
            let usages_ok = spec.usages.as_ref().is_none_or(|usages| {
                usages.contains(&KeyUsagePurpose::DigitalSignature)
                    && !usages.contains(&KeyUsagePurpose::KeyCertSign)
            });
            certs.push(Cert {
                der: cert.der().to_vec(),
                key,
                subject: spec.subject,
                issuer: issuer_name,
                issuer_key,
                ca,
                valid_now: spec.not_before <= NOW && NOW <= spec.not_after,
                leaf_profile: !ca && usages_ok && issuer_name != spec.subject,
            });
            // Every certificate can issue (rcgen does not check); only the CAs' issued ones
            // are meant to chain.
            let key_der = key_pairs[key].serialize_der();
            let issuer_key_pair = KeyPair::try_from(key_der.as_slice())
                .unwrap_or_else(|e| panic!("fixture key copy: {e}"));
            issuers.push(Issuer::new(params, issuer_key_pair));
        }
        let mut keys: Vec<LocalSigner> = key_pairs
            .iter()
            .map(|pair| {
                LocalSigner::from_pkcs8(Algorithm::Es256, &pair.serialize_der())
                    .unwrap_or_else(|e| panic!("fixture signer: {e}"))
            })
            .collect();
        for _ in 0..2 {
            keys.push(
                LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
                    .unwrap_or_else(|e| panic!("fixture key: {e}")),
            );
        }
        let config = ClientAttestationConfig::new(VerificationMethod::X509Chain {
            trusted_roots_der: vec![certs[C_ROOT].der.clone()],
        });
        let verifier = ClientAttestationVerifier::builder(config, AS)
            .build()
            .unwrap_or_else(|e| panic!("fixture verifier: {e}"));
        let root_key = certs[C_ROOT].key;
        Fixture {
            instance: keys.len() - 2,
            keys,
            certs,
            root_key,
            verifier,
        }
    })
}

impl Fixture {
    /// Whether `leaf` chains to the configured root: issued by it, or by a CA certificate
    /// among `intermediates` that is valid now and issued by it (the root's pathLen is 1 and
    /// every intermediate's 0, so no longer path exists).
    fn chains_to_root(&self, leaf: &Cert, intermediates: &[usize]) -> bool {
        let by_root = |cert: &Cert| cert.issuer == ROOT && cert.issuer_key == self.root_key;
        by_root(leaf)
            || intermediates.iter().any(|&index| {
                let inter = &self.certs[index];
                inter.ca
                    && inter.valid_now
                    && inter.subject == leaf.issuer
                    && inter.key == leaf.issuer_key
                    && by_root(inter)
                    && index != C_ROOT
            })
    }
}

/// One `x5c` entry as generated.
#[derive(Clone, Debug)]
enum Entry {
    /// A fixture certificate, standard base64 of its DER.
    Cert(usize),
    /// A fixture certificate with one byte changed, standard base64: it may still be DER (a
    /// changed signature or name), so it may be presented unused, but it is no certificate a
    /// path can go through.
    Changed(Vec<u8>),
    /// Anything else: bad base64, base64url, not DER, a number.
    Garbage(Value),
}

fn garbage(u: &mut Unstructured<'_>) -> Result<Value> {
    let f = fixture();
    Ok(match u.int_in_range(0..=5)? {
        0 => Value::String(u.arbitrary()?),
        1 => Value::from(u.arbitrary::<i64>()?),
        2 => {
            // A fixture certificate in base64url (not the standard alphabet of RFC 7515).
            let cert = &f.certs[u.choose_index(f.certs.len())?];
            Value::String(jose_core::base64url::encode(&cert.der))
        }
        3 => {
            // A fixture certificate cut short.
            let cert = &f.certs[u.choose_index(f.certs.len())?];
            let mut der = cert.der.clone();
            der.truncate(u.choose_index(der.len())?);
            Value::String(standard_base64(&der))
        }
        4 => Value::String(standard_base64(&u.arbitrary::<Vec<u8>>()?)),
        _ => Value::Null,
    })
}

/// Standard base64 with padding, as `Header::with_x5c` writes it.
fn standard_base64(der: &[u8]) -> String {
    let header = Header::new(Algorithm::Es256).with_x5c(vec![der.to_vec()]);
    match header.to_map().get("x5c") {
        Some(Value::Array(items)) => items
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

/// The `x5c` chain: usually the right chain, at times with certificates missing, added,
/// swapped or replaced.
fn chain(u: &mut Unstructured<'_>) -> Result<Vec<Entry>> {
    let f = fixture();
    let mut entries = match u.int_in_range(0..=9)? {
        0 => vec![Entry::Cert(C_LEAF_UNDER_ROOT)],
        1 => vec![Entry::Cert(u.choose_index(f.certs.len())?)],
        2 => vec![
            Entry::Cert(u.choose_index(f.certs.len())?),
            Entry::Cert(C_INTER),
        ],
        3 => vec![Entry::Cert(C_LEAF)],
        4 => vec![Entry::Cert(C_LEAF), Entry::Cert(C_INTER_EXPIRED)],
        _ => vec![Entry::Cert(C_LEAF), Entry::Cert(C_INTER)],
    };
    // Changes, each rare.
    for _ in 0..u.int_in_range(0..=2)? {
        match u.int_in_range(0..=8)? {
            0 => entries.push(Entry::Cert(u.choose_index(f.certs.len())?)),
            1 => entries.push(Entry::Garbage(garbage(u)?)),
            8 => {
                let mut der = f.certs[u.choose_index(f.certs.len())?].der.clone();
                let at = u.choose_index(der.len())?;
                der[at] ^= u.int_in_range(1..=255)?;
                let at = u.choose_index(entries.len().saturating_add(1))?;
                entries.insert(at, Entry::Changed(der));
            }
            2 if !entries.is_empty() => {
                let at = u.choose_index(entries.len())?;
                entries[at] = Entry::Garbage(garbage(u)?);
            }
            3 if entries.len() > 1 => {
                let (a, b) = (
                    u.choose_index(entries.len())?,
                    u.choose_index(entries.len())?,
                );
                entries.swap(a, b);
            }
            4 if !entries.is_empty() => {
                entries.remove(u.choose_index(entries.len())?);
            }
            5 => entries.push(Entry::Cert(C_ROOT)),
            6 => {
                // Too long: the default limit is five certificates.
                let extra = u.int_in_range(1..=6)?;
                for _ in 0..extra {
                    entries.push(Entry::Cert(C_INTER));
                }
            }
            _ => {}
        }
    }
    Ok(entries)
}

fn entry_value(entry: &Entry) -> Value {
    match entry {
        Entry::Cert(index) => Value::String(standard_base64(&fixture().certs[*index].der)),
        Entry::Changed(der) => Value::String(standard_base64(der)),
        Entry::Garbage(value) => value.clone(),
    }
}

fn typ(u: &mut Unstructured<'_>, right: &'static str) -> Result<Option<String>> {
    Ok(match u.int_in_range(0..=9)? {
        0 => None,
        1 => Some(u.arbitrary()?),
        2 => Some(format!("application/{right}")),
        _ => Some(right.to_owned()),
    })
}

/// `alg`: usually ES256 (every fixture key is P-256), at times another allowed or refused one.
fn alg(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=15)? {
        0 => Value::String("ES384".into()),
        1 => Value::String("none".into()),
        2 => Value::String("HS256".into()),
        3 => scalar(u)?,
        _ => Value::String("ES256".into()),
    })
}

/// Signs `claims` under a header given as a JSON object, with key `key`.
fn sign(header: &Map<String, Value>, claims: &Map<String, Value>, key: usize) -> String {
    let mut jwt =
        jose_core::base64url::encode(Value::Object(header.clone()).to_string().as_bytes());
    jwt.push('.');
    jwt.push_str(&jose_core::base64url::encode(
        Value::Object(claims.clone()).to_string().as_bytes(),
    ));
    let signature = fixture().keys[key]
        .sign(jwt.as_bytes())
        .unwrap_or_else(|e| panic!("fixture signature: {e}"));
    jwt.push('.');
    jwt.push_str(&jose_core::base64url::encode(&signature));
    jwt
}

/// Which key signs the attestation: usually the key of the first `x5c` certificate.
fn attestation_signer(u: &mut Unstructured<'_>, entries: &[Entry]) -> Result<usize> {
    let f = fixture();
    if let Some(Entry::Cert(first)) = entries.first()
        && u.ratio(7, 8)?
    {
        return Ok(f.certs[*first].key);
    }
    u.choose_index(f.keys.len())
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let f = fixture();

    // The attestation's header.
    let entries = chain(u)?;
    let mut header = Map::new();
    header.insert("alg".into(), alg(u)?);
    if let Some(typ) = typ(u, ATTESTATION_TYP)? {
        header.insert("typ".into(), Value::String(typ));
    }
    let x5c_form = u.int_in_range(0..=15)?;
    match x5c_form {
        0 => {}
        1 => {
            header.insert("x5c".into(), scalar(u)?);
        }
        _ => {
            header.insert(
                "x5c".into(),
                Value::Array(entries.iter().map(entry_value).collect()),
            );
        }
    }
    let x5c_sent = x5c_form >= 2;
    if u.ratio(1, 8)? {
        header.insert("kid".into(), Value::String(u.arbitrary()?));
    }
    if u.ratio(1, 8)? {
        let key = u.choose_index(f.keys.len())?;
        header.insert("jwk".into(), f.keys[key].public_jwk().to_value());
    }

    // The attestation.
    let sub = if u.ratio(1, 8)? {
        u.arbitrary::<String>()?
    } else {
        CLIENT.to_owned()
    };
    let cnf_key = if u.ratio(7, 8)? {
        f.instance
    } else {
        u.choose_index(f.keys.len())?
    };
    let mut attestation = Map::new();
    claim(u, &mut attestation, "sub", Value::String(sub.clone()))?;
    let iat = time(u, NOW, -600..=60)?;
    claim(u, &mut attestation, "iat", iat)?;
    let exp = time(u, NOW, -600..=86_400)?;
    claim(u, &mut attestation, "exp", exp)?;
    claim(
        u,
        &mut attestation,
        "cnf",
        json!({ "jwk": f.keys[cnf_key].public_jwk().to_value() }),
    )?;
    if u.ratio(1, 8)? {
        attestation.insert(u.arbitrary()?, scalar(u)?);
    }
    let attestation_key = attestation_signer(u, &entries)?;
    let attestation_jwt = sign(&header, &attestation, attestation_key);

    // The PoP.
    let mut pop = Map::new();
    pop_claims(u, &mut pop, AS, NOW)?;
    let pop_key = if u.ratio(7, 8)? {
        f.instance
    } else {
        u.choose_index(f.keys.len())?
    };
    let mut pop_header = Map::new();
    pop_header.insert("alg".into(), Value::String("ES256".into()));
    if let Some(typ) = typ(u, POP_TYP)? {
        pop_header.insert("typ".into(), Value::String(typ));
    }
    let pop_jwt = sign(&pop_header, &pop, pop_key);

    let client_id = match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some(u.arbitrary::<String>()?),
        _ => Some(sub.clone()),
    };
    let request = ClientAuthRequest::new()
        .with_attestation(Some(&attestation_jwt))
        .with_pop(Some(&pop_jwt))
        .with_client_id(client_id.as_deref());
    let guard = InMemoryReplayGuard::new(16);
    let now = UnixTime::from_secs(NOW);
    let Ok(verdict) = f
        .verifier
        .verify(&request, ChallengeCheck::None, &guard, now)
    else {
        return Ok(());
    };

    // What an accepted attestation promises.
    assert!(
        verdict.is_attested(),
        "strict mode accepts only attested clients"
    );
    assert!(
        matches!(
            verdict.method,
            AuthMethod::Attestation {
                verification: MethodKind::X509Chain,
                ..
            }
        ),
        "verified by the x509-chain method: {:?}",
        verdict.method
    );
    assert!(x5c_sent, "an accepted attestation carries an x5c array");
    assert!(
        entries.len() <= trust_x509::DEFAULT_MAX_CHAIN_LEN,
        "an accepted x5c is within the chain length limit: {entries:?}"
    );
    if let Some(Entry::Garbage(value)) = entries.iter().find(|e| matches!(e, Entry::Garbage(_))) {
        panic!("an accepted x5c holds only certificates, not {value}: {entries:?}");
    }
    let Some(Entry::Cert(first)) = entries.first() else {
        panic!("an accepted x5c starts with a fixture certificate: {entries:?}");
    };
    let first = *first;
    // The fixture certificates presented after the leaf (changed ones cannot be on a path).
    let intermediates: Vec<usize> = entries
        .iter()
        .skip(1)
        .filter_map(|entry| match entry {
            Entry::Cert(index) => Some(*index),
            _ => None,
        })
        .collect();
    let leaf = &f.certs[first];
    assert_ne!(first, C_ROOT, "the anchor itself is not an attester leaf");
    assert!(
        leaf.leaf_profile,
        "x5c[0] ({}) is fit for the attester profile",
        leaf.subject
    );
    assert!(leaf.valid_now, "x5c[0] ({}) is valid at NOW", leaf.subject);
    assert!(
        f.chains_to_root(leaf, &intermediates),
        "x5c[0] ({}) chains to the configured root through valid certificates: {entries:?}",
        leaf.subject
    );
    assert_eq!(
        attestation_key, leaf.key,
        "the attestation is signed by the key of x5c[0]"
    );
    assert_eq!(pop_key, cnf_key, "the key in cnf signed the PoP");
    assert_eq!(
        verdict.instance_key.as_ref().map(|k| k.key().clone()),
        Some(f.keys[cnf_key].public_jwk().key().clone()),
        "the verdict's instance key is the attested one"
    );
    assert_client_and_audience(
        verdict.client_id.as_deref(),
        &attestation,
        &pop,
        client_id.as_deref(),
        AS,
    );
    assert!(
        f.verifier
            .verify(&request, ChallengeCheck::None, &guard, now)
            .is_err(),
        "the same PoP is refused the second time"
    );
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
