//! Structure-aware mdoc target (issue 14 §4): byte-level fuzzing of
//! `mdoc_issuer_signed_verify` never gets past the `issuerAuth` signature, so the MSO checks
//! behind it (ISO 18013-5 §9.1.2.4: digests per element, docType, validity, device key) are
//! only reached by the Annex D seed. Here the fuzzer's bytes drive a generator of `IssuerSigned`
//! structures (items with good and bad members, digests that match, differ or are missing,
//! digest algorithms, docTypes, validity periods around the verification time, device keys),
//! the MSO is signed with a fixed ES256 key, and the result is verified. When verification
//! succeeds, what the verifier promises is checked: the expected docType, `now` inside the
//! validity period, and only elements whose namespace and identifier were in the input.
#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use ciborium::Value;
use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, LocalSigner, PublicKey, Signer, SystemRandom, UnixTime};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mdoc_cbor::{MDL_DOC_TYPE, Verifier};

const NOW: i64 = 1_750_000_000;
const NAME_SPACES: &[&str] = &["org.iso.18013.5.1", "org.iso.18013.5.1.aamva", "", "x"];
const IDENTIFIERS: &[&str] = &["family_name", "birth_date", "portrait", "age_over_18", ""];
const DOC_TYPES: &[&str] = &[MDL_DOC_TYPE, "eu.europa.ec.eudi.pid.1", ""];
const DIGEST_ALGORITHMS: &[&str] = &["SHA-256", "SHA-384", "SHA-512", "sha-256", "MD5"];

struct Fixture {
    signer: LocalSigner,
    keys: StaticKeys,
    /// The signer's public key as a COSE_Key (a valid device key).
    cose_key: Value,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
            .unwrap_or_else(|e| panic!("fixture key: {e}"));
        let jwk = signer.public_jwk();
        let PublicKey::Ec { point, .. } = jwk.key() else {
            panic!("an ES256 key without an EC point");
        };
        let (x, y) = point.get(1..).unwrap_or_default().split_at(32);
        let cose_key = Value::Map(vec![
            (int(1), int(2)),
            (int(-1), int(1)),
            (int(-2), Value::Bytes(x.to_vec())),
            (int(-3), Value::Bytes(y.to_vec())),
        ]);
        let keys = StaticKeys::new(vec![jwk]);
        Fixture {
            signer,
            keys,
            cose_key,
        }
    })
}

fn int(value: i64) -> Value {
    Value::Integer(value.into())
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap_or_else(|e| panic!("encode: {e}"));
    out
}

/// `#6.24(bstr .cbor item)`.
fn tag24(item: &[u8]) -> Value {
    Value::Tag(24, Box::new(Value::Bytes(item.to_vec())))
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// A tdate (`#6.0(tstr)`) `offset` seconds from [`NOW`], or at times not a tdate.
fn tdate(u: &mut Unstructured<'_>, offset: i64) -> Result<Value> {
    let at = time::OffsetDateTime::from_unix_timestamp(NOW.saturating_add(offset))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let formatted = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Ok(match u.int_in_range(0..=15)? {
        0 => text(&formatted),
        1 => Value::Tag(0, Box::new(text(&u.arbitrary::<String>()?))),
        2 => Value::Tag(1, Box::new(int(NOW.saturating_add(offset)))),
        _ => Value::Tag(0, Box::new(text(&formatted))),
    })
}

/// An element value: the common CBOR types, full-dates, nesting.
fn element_value(u: &mut Unstructured<'_>, depth: u8) -> Result<Value> {
    let kinds = if depth == 0 { 6 } else { 8 };
    Ok(match u.int_in_range(0..=kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => int(u.arbitrary()?),
        3 => text(&u.arbitrary::<String>()?),
        4 => Value::Bytes(u.arbitrary()?),
        5 => Value::Tag(1004, Box::new(text("1964-08-12"))),
        6 => Value::Float(u.arbitrary()?),
        7 => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                items.push(element_value(u, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let mut members = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                members.push((text(u.choose(IDENTIFIERS)?), element_value(u, depth - 1)?));
            }
            Value::Map(members)
        }
    })
}

/// One `IssuerSignedItem`, usually with its four members right.
fn item(u: &mut Unstructured<'_>, id: u64) -> Result<Value> {
    let digest_id = match u.int_in_range(0..=15)? {
        0 => text("1"),
        1 => int(-1),
        2 => Value::Integer(u.arbitrary::<u64>()?.into()),
        _ => Value::Integer(id.into()),
    };
    let random_len = if u.ratio(1, 8)? {
        u.int_in_range(0..=15)?
    } else {
        16
    };
    let mut members = vec![
        (text("digestID"), digest_id),
        (text("random"), Value::Bytes(vec![0x5a; random_len])),
        (text("elementIdentifier"), text(u.choose(IDENTIFIERS)?)),
        (text("elementValue"), element_value(u, 2)?),
    ];
    match u.int_in_range(0..=15)? {
        0 => drop(members.pop()),
        1 => members.push((text("extra"), int(1))),
        2 => members.swap(0, 3),
        3 => {
            let copy = members[2].clone();
            members.push(copy);
        }
        _ => {}
    }
    Ok(Value::Map(members))
}

/// The (name space, identifier) pairs of the items an issuer-signed structure carries.
type ItemNames = BTreeSet<(String, String)>;

/// The issuer-signed structure the fuzzer's bytes describe, and the (name space, identifier)
/// pairs it carries.
fn generate(u: &mut Unstructured<'_>) -> Result<(Vec<u8>, ItemNames)> {
    let fixture = fixture();
    let mut name_spaces = Vec::new();
    let mut value_digests = Vec::new();
    let mut carried = BTreeSet::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let name_space = (*u.choose(NAME_SPACES)?).to_owned();
        let mut items = Vec::new();
        let mut digests = Vec::new();
        for id in 0..u.int_in_range(0..=3u64)? {
            let item = item(u, id)?;
            if let Value::Map(members) = &item {
                for (key, value) in members {
                    if let (Value::Text(key), Value::Text(identifier)) = (key, value)
                        && key == "elementIdentifier"
                    {
                        carried.insert((name_space.clone(), identifier.clone()));
                    }
                }
            }
            let wrapped = tag24(&encode(&item));
            let digest = match u.int_in_range(0..=9)? {
                0 => None,
                1 => Some(vec![0u8; 32]),
                2 => Some(sha256(&encode(&item))),
                _ => Some(sha256(&encode(&wrapped))),
            };
            if let Some(digest) = digest {
                let digest_id = if u.ratio(1, 8)? { id + 1 } else { id };
                digests.push((Value::Integer(digest_id.into()), Value::Bytes(digest)));
            }
            items.push(wrapped);
        }
        if u.ratio(1, 8)? {
            let copy = items.first().cloned();
            items.extend(copy);
        }
        name_spaces.push((text(&name_space), Value::Array(items)));
        value_digests.push((text(&name_space), Value::Map(digests)));
    }
    let device_key = if u.ratio(7, 8)? {
        fixture.cose_key.clone()
    } else {
        element_value(u, 1)?
    };
    let from = i64::from(u.arbitrary::<i16>()?);
    let until = i64::from(u.arbitrary::<i16>()?);
    let mut validity = vec![
        (text("signed"), tdate(u, from)?),
        (text("validFrom"), tdate(u, from)?),
        (text("validUntil"), tdate(u, until)?),
    ];
    if u.ratio(1, 4)? {
        validity.push((text("expectedUpdate"), tdate(u, until)?));
    }
    let mut mso = vec![
        (
            text("version"),
            text(if u.ratio(15, 16)? { "1.0" } else { "2.0" }),
        ),
        (text("digestAlgorithm"), text(u.choose(DIGEST_ALGORITHMS)?)),
        (text("valueDigests"), Value::Map(value_digests)),
        (
            text("deviceKeyInfo"),
            Value::Map(vec![(text("deviceKey"), device_key)]),
        ),
        (text("docType"), text(u.choose(DOC_TYPES)?)),
        (text("validityInfo"), Value::Map(validity)),
    ];
    if u.ratio(1, 4)? {
        let status = Value::Map(vec![(
            text("status_list"),
            Value::Map(vec![
                (text("idx"), int(u.arbitrary::<i32>()?.into())),
                (text("uri"), text("https://example.com/statuslists/1")),
            ]),
        )]);
        mso.push((text("status"), status));
    }
    if u.ratio(1, 16)? {
        mso.remove(u.choose_index(mso.len())?);
    }
    let payload = encode(&tag24(&encode(&Value::Map(mso))));
    let protected = encode(&Value::Map(vec![(int(1), int(-7))]));
    let to_be_signed = encode(&Value::Array(vec![
        text("Signature1"),
        Value::Bytes(protected.clone()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.clone()),
    ]));
    let signature = fixture
        .signer
        .sign(&to_be_signed)
        .unwrap_or_else(|e| panic!("fixture signature: {e}"));
    let issuer_auth = Value::Array(vec![
        Value::Bytes(protected),
        Value::Map(Vec::new()),
        Value::Bytes(payload),
        Value::Bytes(signature),
    ]);
    let mut issuer_signed = Vec::new();
    if !name_spaces.is_empty() || u.ratio(1, 2)? {
        issuer_signed.push((text("nameSpaces"), Value::Map(name_spaces)));
    }
    issuer_signed.push((text("issuerAuth"), issuer_auth));
    Ok((encode(&Value::Map(issuer_signed)), carried))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok((bytes, carried)) = generate(&mut u) else {
        return;
    };
    let now = UnixTime::from_secs(NOW);
    // No clock skew, so that "inside the validity period" is exact.
    let verifier = Verifier::new(&fixture().keys).with_clock_skew_seconds(0);
    let Ok(verified) = verifier.verify(&bytes, MDL_DOC_TYPE, now) else {
        return;
    };
    assert_eq!(verified.doc_type, MDL_DOC_TYPE, "another docType verified");
    assert!(
        verified.validity.valid_from <= now && now <= verified.validity.valid_until,
        "verified outside its validity period: {:?}",
        verified.validity
    );
    for (name_space, elements) in &verified.name_spaces {
        for identifier in elements.keys() {
            assert!(
                carried.contains(&(name_space.clone(), identifier.clone())),
                "verified an element that was not sent: {name_space} {identifier}"
            );
        }
    }
});
