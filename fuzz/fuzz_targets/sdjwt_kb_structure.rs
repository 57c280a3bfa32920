//! Structure-aware SD-JWT key binding target (issue 14 §4): byte-level fuzzing of
//! `sdjwt_kb_verify` never gets past the issuer's and the holder's signatures, so the KB-JWT
//! checks (RFC 9901 §7.3, `kb.rs`) were reached only by the seeds. Here an SD-JWT VC is signed
//! with a fixed ES256 issuer key, its `cnf.jwk` usually the fixed holder key (at times another
//! key, a private JWK, no `jwk`, no `cnf`), with four disclosures of which the fuzzer's bytes
//! present a subset in some order, followed by a KB-JWT generated from the bytes: header `typ`
//! (`kb+jwt` usually) and `alg` (allowed, not allowed, `none`), claims `iat` (in or out of the
//! window, fractional, not a number), `aud`, `nonce` (right, wrong, missing, of another type),
//! `sd_hash` (over the presented SD-JWT, over another subset, wrong, missing), extra claims;
//! signed by the holder key or another one; at times the disclosures are dropped or reordered
//! after `sd_hash` was computed.
//!
//! It is verified with `KeyBinding::required`. When verification succeeds, what the verifier
//! promises is checked: the KB-JWT was signed by the `cnf.jwk` key with ES256 under `typ`
//! `kb+jwt`, its `aud` and `nonce` are the expected strings, its `sd_hash` is the hash of the
//! presented SD-JWT up to and including the last `~`, its `iat` is within the accepted age and
//! skew at `NOW`, the checked claims reported are those, and every presented disclosure was
//! disclosed. The same input is then refused with `KeyBindingUnexpected` under
//! `KeyBinding::forbidden()` (README: the verifier's decision, never the input's).
#![no_main]

use std::sync::OnceLock;

use credential_fuzz::{claim, scalar};
use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, LocalSigner, Signer, SystemRandom, UnixTime, media_type_eq};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sdjwt_vc::{DEFAULT_KB_MAX_AGE, Error, KB_JWT_TYP, KeyBinding, Verifier, sha256_base64url};
use serde_json::{Map, Value, json};

const ISSUER: &str = "https://issuer.example";
const AUD: &str = "https://verifier.example.org";
const NONCE: &str = "n-0S6_WzA2Mj";
const NOW: i64 = 1_750_000_000;
/// The clock skew the verifier is configured with (seconds).
const SKEW: i64 = 60;

/// The disclosures the issuer made (all referenced from the payload's `_sd`).
const CLAIMS: &[(&str, &str)] = &[
    ("given_name", "Erika"),
    ("family_name", "Mustermann"),
    ("birthdate", "1963-08-12"),
    ("email", "erika@example.com"),
];

/// Which fixed key signs (or is named in `cnf`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Key {
    Issuer,
    Holder,
    Other,
}

struct Fixture {
    issuer: LocalSigner,
    holder: LocalSigner,
    other: LocalSigner,
    keys: StaticKeys,
    disclosures: Vec<String>,
}

impl Fixture {
    fn signer(&self, key: Key) -> &LocalSigner {
        match key {
            Key::Issuer => &self.issuer,
            Key::Holder => &self.holder,
            Key::Other => &self.other,
        }
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = || {
            LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
                .unwrap_or_else(|e| panic!("fixture key: {e}"))
        };
        let issuer = key();
        let keys = StaticKeys::new(vec![issuer.public_jwk()]);
        let disclosures = CLAIMS
            .iter()
            .enumerate()
            .map(|(i, (name, value))| {
                let array = json!([format!("salt-{i}"), name, value]);
                jose_core::base64url::encode(array.to_string().as_bytes())
            })
            .collect();
        Fixture {
            issuer,
            holder: key(),
            other: key(),
            keys,
            disclosures,
        }
    })
}

/// What the issuer put in `cnf`.
#[derive(Clone, Copy, Debug)]
enum Cnf {
    /// `{"jwk": <public key>}`.
    Key(Key),
    /// `{"jwk": <key with a private member>}`.
    Private(Key),
    /// `{"jkt": ...}`: no `jwk`.
    NoJwk,
    /// `{"jwk": <not an object>}`.
    NotJwk,
    /// No `cnf` claim.
    Missing,
}

fn cnf(u: &mut Unstructured<'_>) -> Result<Cnf> {
    Ok(match u.int_in_range(0..=15)? {
        0 => Cnf::Key(Key::Other),
        1 => Cnf::Key(Key::Issuer),
        2 => Cnf::Private(Key::Holder),
        3 => Cnf::NoJwk,
        4 => Cnf::NotJwk,
        5 => Cnf::Missing,
        _ => Cnf::Key(Key::Holder),
    })
}

fn encode_jwt(header: &Value, claims: &Map<String, Value>, key: Key) -> String {
    let mut jwt = jose_core::base64url::encode(header.to_string().as_bytes());
    jwt.push('.');
    jwt.push_str(&jose_core::base64url::encode(
        Value::Object(claims.clone()).to_string().as_bytes(),
    ));
    let signature = fixture()
        .signer(key)
        .sign(jwt.as_bytes())
        .unwrap_or_else(|e| panic!("fixture signature: {e}"));
    jwt.push('.');
    jwt.push_str(&jose_core::base64url::encode(&signature));
    jwt
}

/// The issuer-signed JWT: right in everything but `cnf`.
fn issuer_jwt(cnf: Cnf) -> String {
    let f = fixture();
    let mut payload = Map::new();
    payload.insert("iss".into(), ISSUER.into());
    payload.insert("vct".into(), "urn:example:pid".into());
    payload.insert("iat".into(), (NOW - 1000).into());
    payload.insert("_sd_alg".into(), "sha-256".into());
    let digests: Vec<Value> = f
        .disclosures
        .iter()
        .map(|d| Value::String(sha256_base64url(d)))
        .collect();
    payload.insert("_sd".into(), Value::Array(digests));
    let cnf = match cnf {
        Cnf::Key(key) => Some(json!({ "jwk": f.signer(key).public_jwk().to_value() })),
        Cnf::Private(key) => {
            let mut jwk = f.signer(key).public_jwk().to_value();
            if let Some(map) = jwk.as_object_mut() {
                map.insert("d".into(), "AAAA".into());
            }
            Some(json!({ "jwk": jwk }))
        }
        Cnf::NoJwk => Some(json!({ "jkt": f.holder.public_jwk().thumbprint_base64url() })),
        Cnf::NotJwk => Some(json!({ "jwk": "not a key" })),
        Cnf::Missing => None,
    };
    if let Some(cnf) = cnf {
        payload.insert("cnf".into(), cnf);
    }
    encode_jwt(
        &json!({ "alg": "ES256", "typ": "dc+sd-jwt" }),
        &payload,
        Key::Issuer,
    )
}

/// `<issuer JWT>~<D>~...~<D>~` with the disclosures at these indices, in this order.
fn presentation(jwt: &str, selection: &[usize]) -> String {
    let f = fixture();
    let mut out = jwt.to_owned();
    out.push('~');
    for &i in selection {
        out.push_str(&f.disclosures[i]);
        out.push('~');
    }
    out
}

/// Which disclosures are presented: usually a subset in the issued order, at times reordered.
fn selection(u: &mut Unstructured<'_>) -> Result<Vec<usize>> {
    let mut selection: Vec<usize> = Vec::new();
    for i in 0..CLAIMS.len() {
        if u.ratio(3, 4)? {
            selection.push(i);
        }
    }
    if selection.len() > 1 && u.ratio(1, 4)? {
        let (a, b) = (
            u.choose_index(selection.len())?,
            u.choose_index(selection.len())?,
        );
        selection.swap(a, b);
    }
    Ok(selection)
}

/// A string claim: usually `right`, at times another string or `right` in an array.
fn text(u: &mut Unstructured<'_>, right: &str) -> Result<Value> {
    Ok(match u.int_in_range(0..=9)? {
        0 => Value::String(u.arbitrary()?),
        1 => json!([right]),
        2 => Value::String(right.to_uppercase()),
        _ => Value::String(right.to_owned()),
    })
}

/// `iat`: usually inside the window, at times at and beyond its edges, fractional, far off.
fn iat(u: &mut Unstructured<'_>) -> Result<Value> {
    let max_age = i64::try_from(DEFAULT_KB_MAX_AGE).unwrap_or(i64::MAX);
    Ok(match u.int_in_range(0..=11)? {
        0 => Value::from(u.arbitrary::<i64>()?),
        1 => {
            let edges = [
                -max_age - SKEW - 1,
                -max_age - SKEW,
                SKEW,
                SKEW + 1,
                -max_age - SKEW - 3600,
                3600,
            ];
            Value::from(NOW + *u.choose(&edges)?)
        }
        2 => {
            let offset = f64::from(u.int_in_range(-400_i32..=100)?);
            let fraction = f64::from(u.int_in_range(0_u8..=9)?) / 10.0;
            json!(1_750_000_000.0 + offset + fraction)
        }
        _ => Value::from(NOW + u.int_in_range(-max_age..=SKEW)?),
    })
}

/// The KB-JWT `sd_hash`: usually over `presented`, at times over another presentation or not
/// a hash.
fn sd_hash(u: &mut Unstructured<'_>, jwt: &str, presented: &str) -> Result<Value> {
    Ok(match u.int_in_range(0..=11)? {
        0 => {
            let other = selection(u)?;
            Value::String(sha256_base64url(&presentation(jwt, &other)))
        }
        1 => Value::String(sha256_base64url(presented.trim_end_matches('~'))),
        2 => Value::String(u.arbitrary()?),
        3 => Value::String(sha256_base64url(jwt)),
        _ => Value::String(sha256_base64url(presented)),
    })
}

fn kb_header(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut header = Map::new();
    let alg = match u.int_in_range(0..=15)? {
        0 => Value::String("ES384".into()),
        1 => Value::String("none".into()),
        2 => Value::String("HS256".into()),
        3 => Value::String("EdDSA".into()),
        _ => Value::String("ES256".into()),
    };
    header.insert("alg".into(), alg);
    let typ = match u.int_in_range(0..=15)? {
        0 => None,
        1 => Some(Value::String(u.arbitrary()?)),
        2 => Some(Value::String("application/kb+jwt".into())),
        3 => Some(Value::String("KB+JWT".into())),
        4 => Some(Value::String("jwt".into())),
        5 => Some(scalar(u)?),
        _ => Some(Value::String(KB_JWT_TYP.into())),
    };
    if let Some(typ) = typ {
        header.insert("typ".into(), typ);
    }
    if u.ratio(1, 16)? {
        header.insert("kid".into(), Value::String(u.arbitrary()?));
    }
    Ok(Value::Object(header))
}

fn pick_key(u: &mut Unstructured<'_>, usual: Key) -> Result<Key> {
    Ok(if u.ratio(7, 8)? {
        usual
    } else {
        *u.choose(&[Key::Issuer, Key::Holder, Key::Other])?
    })
}

/// `floor(value)` of a NumericDate, as jose-core reads it.
fn numeric_date(value: &Value) -> Option<i64> {
    let n = value.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?.floor();
    // Only the generator's fractional values (near NOW) get here.
    (f.abs() < 1e15).then(|| format!("{f:.0}").parse().ok())?
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let f = fixture();
    let cnf = cnf(u)?;
    let jwt = issuer_jwt(cnf);
    let mut selected = selection(u)?;
    let hashed = presentation(&jwt, &selected);

    let header = kb_header(u)?;
    let mut kb = Map::new();
    let iat = iat(u)?;
    claim(u, &mut kb, "iat", iat)?;
    let aud = text(u, AUD)?;
    claim(u, &mut kb, "aud", aud)?;
    let nonce = text(u, NONCE)?;
    claim(u, &mut kb, "nonce", nonce)?;
    let hash = sd_hash(u, &jwt, &hashed)?;
    claim(u, &mut kb, "sd_hash", hash)?;
    if u.ratio(1, 8)? {
        kb.insert(u.arbitrary()?, scalar(u)?);
    }
    let kb_key = pick_key(u, Key::Holder)?;
    let kb_jwt = encode_jwt(&header, &kb, kb_key);

    // At times the presentation changes after sd_hash was computed.
    match u.int_in_range(0..=15)? {
        0 if !selected.is_empty() => {
            selected.remove(u.choose_index(selected.len())?);
        }
        1 if selected.len() > 1 => {
            let last = selected.len() - 1;
            selected.swap(0, last);
        }
        2 => selected.push(u.choose_index(CLAIMS.len())?),
        _ => {}
    }
    let mut input = presentation(&jwt, &selected);
    input.push_str(&kb_jwt);

    let max_age = if u.ratio(1, 8)? {
        u.int_in_range(0..=1000)?
    } else {
        DEFAULT_KB_MAX_AGE
    };
    let binding = KeyBinding::required(AUD, NONCE).with_max_age(max_age);
    let now = UnixTime::from_secs(NOW);
    let verifier = Verifier::new(&f.keys, &[Algorithm::Es256], binding)
        .with_clock_skew_seconds(SKEW.unsigned_abs());
    let Ok(verified) = verifier.verify(&input, now) else {
        return Ok(());
    };

    // What an accepted key binding promises.
    let Cnf::Key(cnf_key) = cnf else {
        panic!("accepted without a public cnf.jwk: {cnf:?}");
    };
    assert_eq!(kb_key, cnf_key, "the cnf.jwk key signed the KB-JWT");
    assert_eq!(
        header.get("alg").and_then(Value::as_str),
        Some("ES256"),
        "the KB-JWT algorithm is an allowed one"
    );
    let typ = header.get("typ").and_then(Value::as_str);
    assert!(
        typ.is_some_and(|typ| media_type_eq(typ, KB_JWT_TYP)),
        "the KB-JWT typ is kb+jwt: {typ:?}"
    );
    assert_eq!(
        kb.get("aud"),
        Some(&Value::String(AUD.into())),
        "the KB-JWT is for this verifier"
    );
    assert_eq!(
        kb.get("nonce"),
        Some(&Value::String(NONCE.into())),
        "the KB-JWT carries this verifier's nonce"
    );
    let last = input
        .rfind('~')
        .unwrap_or_else(|| panic!("no ~ in {input}"));
    let presented = &input[..=last];
    assert_eq!(
        kb.get("sd_hash"),
        Some(&Value::String(sha256_base64url(presented))),
        "sd_hash is the hash of the presented SD-JWT"
    );
    let iat = kb.get("iat").and_then(numeric_date);
    let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
    assert!(
        iat.is_some_and(|iat| NOW - max_age - SKEW <= iat && iat <= NOW + SKEW),
        "the KB-JWT iat is within the window: {:?}",
        kb.get("iat")
    );
    let claims = verified
        .key_binding()
        .unwrap_or_else(|| panic!("an accepted KB-JWT's claims are reported"));
    assert_eq!(claims.aud, AUD);
    assert_eq!(claims.nonce, NONCE);
    assert_eq!(claims.sd_hash, sha256_base64url(presented));
    assert_eq!(Some(claims.iat.secs()), iat);
    assert_eq!(
        verified.disclosed().len(),
        selected.len(),
        "every presented disclosure is disclosed once"
    );

    let forbidden = Verifier::new(&f.keys, &[Algorithm::Es256], KeyBinding::forbidden());
    assert_eq!(
        forbidden.verify(&input, now).err(),
        Some(Error::KeyBindingUnexpected),
        "a KB-JWT is refused when key binding is forbidden"
    );
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
