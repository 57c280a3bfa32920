//! Structure-aware SD-JWT target (issue 14 §4): byte-level fuzzing of `sdjwt_verify` never
//! gets past the issuer signature, so the disclosure processing behind it (RFC 9901 §7.1) is
//! only reached by the few seeds. Here the fuzzer's bytes drive a generator of payloads and
//! disclosures (reserved names, digests that do and do not match, nesting, duplicates,
//! `_sd_alg` values, registered claims), the payload is signed with a fixed ES256 key, and the
//! SD-JWT is verified under both profiles. When verification succeeds, what the verifier
//! promises is checked: no `_sd` or `...` member is left anywhere, `_sd_alg` is gone from the
//! top level, and every disclosed path leads to a claim.
#![no_main]

use std::sync::OnceLock;

use jose_core::keys::StaticKeys;
use jose_core::{Algorithm, LocalSigner, Signer, SystemRandom, UnixTime};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sdjwt_vc::{ClaimPath, KeyBinding, PathSegment, Verified, Verifier, sha256_base64url};
use serde_json::{Map, Value, json};

/// Names the generator draws member names from: the reserved ones, the registered claims and
/// some ordinary ones.
const NAMES: &[&str] = &[
    "_sd",
    "...",
    "_sd_alg",
    "iss",
    "vct",
    "iat",
    "exp",
    "nbf",
    "cnf",
    "jwk",
    "status",
    "status_list",
    "idx",
    "uri",
    "given_name",
    "address",
    "a",
    "",
];

const NOW: i64 = 1_750_000_000;

struct Fixture {
    signer: LocalSigner,
    keys: StaticKeys,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
            .unwrap_or_else(|e| panic!("fixture key: {e}"));
        let keys = StaticKeys::new(vec![signer.public_jwk()]);
        Fixture { signer, keys }
    })
}

/// Draws values; `digests` are those of the disclosures made so far (to reference them).
struct Generator<'a, 'u> {
    u: &'u mut Unstructured<'a>,
    digests: Vec<String>,
}

impl Generator<'_, '_> {
    fn name(&mut self) -> Result<String> {
        if self.u.ratio(1, 8)? {
            return self.u.arbitrary::<String>();
        }
        Ok((*self.u.choose(NAMES)?).to_owned())
    }

    /// A digest: of a disclosure made so far, of nothing, or not a digest at all.
    fn digest(&mut self) -> Result<Value> {
        if !self.digests.is_empty() && self.u.ratio(3, 4)? {
            let digests = self.digests.clone();
            return Ok(Value::String(self.u.choose(&digests)?.clone()));
        }
        Ok(match self.u.int_in_range(0..=2)? {
            0 => Value::String(sha256_base64url(&self.u.arbitrary::<String>()?)),
            1 => Value::String(self.u.arbitrary()?),
            _ => Value::from(self.u.arbitrary::<i64>()?),
        })
    }

    fn value(&mut self, depth: u8) -> Result<Value> {
        let kinds = if depth == 0 { 4 } else { 7 };
        Ok(match self.u.int_in_range(0..=kinds)? {
            0 => Value::Null,
            1 => Value::Bool(self.u.arbitrary()?),
            2 => Value::from(self.u.arbitrary::<i64>()?),
            3 => Value::String(self.name()?),
            4 => self.digest()?,
            5 => {
                let mut items = Vec::new();
                for _ in 0..self.u.int_in_range(0..=3)? {
                    if self.u.ratio(1, 2)? {
                        items.push(json!({ "...": self.digest()? }));
                    } else {
                        items.push(self.value(depth - 1)?);
                    }
                }
                Value::Array(items)
            }
            _ => Value::Object(self.object(depth - 1)?),
        })
    }

    fn object(&mut self, depth: u8) -> Result<Map<String, Value>> {
        let mut map = Map::new();
        for _ in 0..self.u.int_in_range(0..=3)? {
            let name = self.name()?;
            let value = self.value(depth)?;
            map.insert(name, value);
        }
        if self.u.ratio(2, 3)? {
            let sd = if self.u.ratio(7, 8)? {
                let mut digests = Vec::new();
                for _ in 0..self.u.int_in_range(0..=4)? {
                    digests.push(self.digest()?);
                }
                Value::Array(digests)
            } else {
                self.value(0)?
            };
            map.insert("_sd".into(), sd);
        }
        Ok(map)
    }

    /// One disclosure: usually a well-formed `[salt, name, value]` or `[salt, value]`, at
    /// times any JSON or any text, base64url-encoded.
    fn disclosure(&mut self) -> Result<String> {
        let salt = if self.u.ratio(1, 4)? {
            self.value(0)?
        } else {
            Value::String(self.u.arbitrary::<String>()?)
        };
        let array = match self.u.int_in_range(0..=9)? {
            0 => Value::Array(vec![salt]),
            1 => self.value(2)?,
            2..=4 => Value::Array(vec![salt, self.value(2)?]),
            _ => Value::Array(vec![salt, Value::String(self.name()?), self.value(2)?]),
        };
        let text = if self.u.ratio(1, 16)? {
            self.u.arbitrary::<String>()?
        } else {
            array.to_string()
        };
        Ok(jose_core::base64url::encode(text.as_bytes()))
    }

    /// The issuer-signed payload: `iss`, `vct` and the times usually right, `_sd_alg` usually
    /// `sha-256`.
    fn payload(&mut self) -> Result<Map<String, Value>> {
        let mut payload = self.object(2)?;
        if self.u.ratio(7, 8)? {
            payload.insert("iss".into(), "https://issuer.example".into());
        }
        if self.u.ratio(7, 8)? {
            payload.insert("vct".into(), "urn:example:vct".into());
        }
        if self.u.ratio(1, 2)? {
            let offset = i64::from(self.u.arbitrary::<i16>()?);
            payload.insert("iat".into(), (NOW + offset).into());
        }
        if self.u.ratio(1, 4)? {
            let offset = i64::from(self.u.arbitrary::<i16>()?);
            payload.insert("exp".into(), (NOW + offset).into());
        }
        match self.u.int_in_range(0..=7)? {
            0 => {}
            1 => {
                let other = self.value(1)?;
                payload.insert("_sd_alg".into(), other);
            }
            _ => {
                payload.insert("_sd_alg".into(), "sha-256".into());
            }
        }
        Ok(payload)
    }
}

/// The compact SD-JWT the fuzzer's bytes describe.
fn generate(u: &mut Unstructured<'_>) -> Result<String> {
    let mut generator = Generator {
        u,
        digests: Vec::new(),
    };
    let mut disclosures = Vec::new();
    for _ in 0..generator.u.int_in_range(0..=6)? {
        let disclosure = generator.disclosure()?;
        generator.digests.push(sha256_base64url(&disclosure));
        disclosures.push(disclosure);
    }
    let payload = generator.payload()?;
    let typ = *generator
        .u
        .choose(&["dc+sd-jwt", "vc+sd-jwt", "example+sd-jwt", ""])?;
    let header = if typ.is_empty() {
        json!({ "alg": "ES256" })
    } else {
        json!({ "alg": "ES256", "typ": typ })
    };
    // Presented in another order, or with one sent twice, at times.
    if disclosures.len() > 1 && generator.u.ratio(1, 4)? {
        let last = disclosures.len() - 1;
        disclosures.swap(0, last);
    }
    if !disclosures.is_empty() && generator.u.ratio(1, 16)? {
        let first = disclosures[0].clone();
        disclosures.push(first);
    }
    let mut jwt = jose_core::base64url::encode(header.to_string().as_bytes());
    jwt.push('.');
    jwt.push_str(&jose_core::base64url::encode(
        Value::Object(payload).to_string().as_bytes(),
    ));
    let signature = fixture()
        .signer
        .sign(jwt.as_bytes())
        .unwrap_or_else(|e| panic!("fixture signature: {e}"));
    jwt.push('.');
    jwt.push_str(&jose_core::base64url::encode(&signature));
    let mut compact = jwt;
    for disclosure in &disclosures {
        compact.push('~');
        compact.push_str(disclosure);
    }
    compact.push('~');
    Ok(compact)
}

/// Panics unless no object in `value` has a `_sd` or `...` member.
fn assert_no_placeholders(value: &Value, sd_jwt: &str) {
    match value {
        Value::Object(map) => {
            for (name, member) in map {
                assert!(
                    name != "_sd" && name != "...",
                    "verified claims keep a `{name}` member: {sd_jwt}"
                );
                assert_no_placeholders(member, sd_jwt);
            }
        }
        Value::Array(items) => {
            for item in items {
                assert_no_placeholders(item, sd_jwt);
            }
        }
        _ => {}
    }
}

/// The claim `path` leads to, if any.
fn resolve<'v>(claims: &'v Map<String, Value>, path: &ClaimPath) -> Option<&'v Value> {
    let mut segments = path.segments().iter();
    let mut here = match segments.next()? {
        PathSegment::Key(name) => claims.get(name)?,
        _ => return None,
    };
    for segment in segments {
        here = match (segment, here) {
            (PathSegment::Key(name), Value::Object(map)) => map.get(name)?,
            (PathSegment::Index(index), Value::Array(items)) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(here)
}

fn check(verified: &Verified, sd_jwt: &str) {
    let claims = verified.claims();
    assert!(
        !claims.contains_key("_sd_alg"),
        "verified claims keep `_sd_alg`: {sd_jwt}"
    );
    for (name, value) in claims {
        assert!(
            name != "_sd" && name != "...",
            "verified claims keep a `{name}` member: {sd_jwt}"
        );
        assert_no_placeholders(value, sd_jwt);
    }
    for path in verified.disclosed() {
        assert!(
            resolve(claims, path).is_some(),
            "disclosed path {path:?} leads nowhere in the verified claims: {sd_jwt}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(sd_jwt) = generate(&mut u) else {
        return;
    };
    let fixture = fixture();
    let now = UnixTime::from_secs(NOW);
    let vc = Verifier::new(&fixture.keys, &[Algorithm::Es256], KeyBinding::forbidden());
    if let Ok(verified) = vc.verify(&sd_jwt, now) {
        check(&verified, &sd_jwt);
    }
    let plain = Verifier::new(&fixture.keys, &[Algorithm::Es256], KeyBinding::forbidden())
        .plain_sd_jwt(None);
    if let Ok(verified) = plain.verify(&sd_jwt, now) {
        check(&verified, &sd_jwt);
    }
});
