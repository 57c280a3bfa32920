//! Structure-aware Status List Token target (issue 14 §4): byte-level fuzzing of
//! `status_token_verify` never gets past the signature, so the claim and list checks behind it
//! (draft-ietf-oauth-status-list §8.3) are reached only by the seed. Here the fuzzer's bytes
//! drive a generator of headers and claims (`sub`, `iat`, `exp`, `ttl`, `iss` and the
//! `status_list` object, each usually right and at times of the wrong type or value), a raw
//! status list of any width and content, signed with a fixed ES256 key and verified. When
//! verification succeeds, what the verifier promises is checked against what was generated:
//! the subject is the expected URI, the times are inside the skew, and every status read from
//! the token equals the status in the list that was encoded.
#![no_main]

use std::sync::OnceLock;

use jose_core::{Algorithm, Header, LocalSigner, PublicJwk, SystemRandom, UnixTime, UnsignedJws};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use status_list::{Bits, Limits, StatusIndex, StatusList, StatusListToken, VerifyOptions};

const URI: &str = "https://issuer.example/statuslists/1";
const NOW: i64 = 1_750_000_000;
const SKEW: u64 = 60;
/// A small inflation cap keeps each run fast; lists above it must be refused, not truncated.
const LIMITS: Limits = Limits::new().with_max_inflated_bytes(4096);

fn fixture() -> &'static (LocalSigner, PublicJwk) {
    static FIXTURE: OnceLock<(LocalSigner, PublicJwk)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())
            .unwrap_or_else(|e| panic!("fixture key: {e}"));
        let jwk = signer.public_jwk();
        (signer, jwk)
    })
}

/// Any JSON scalar, for a claim of the wrong type.
fn scalar(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=4)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => Value::from(u.arbitrary::<f64>()?),
        _ => Value::String(u.arbitrary()?),
    })
}

/// A time around `NOW`, at times far off, at times not a number.
fn time(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=7)? {
        0 => scalar(u)?,
        1 => Value::from(u.arbitrary::<i64>()?),
        _ => Value::from(NOW.saturating_add(i64::from(u.arbitrary::<i16>()?))),
    })
}

/// Inserts `name` usually with `value`, at times with any scalar, at times not at all.
fn claim(
    u: &mut Unstructured<'_>,
    map: &mut Map<String, Value>,
    name: &str,
    value: Value,
) -> Result<()> {
    match u.int_in_range(0..=9)? {
        0 => {}
        1 => {
            map.insert(name.to_owned(), scalar(u)?);
        }
        _ => {
            map.insert(name.to_owned(), value);
        }
    }
    Ok(())
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let bits = *u.choose(&Bits::ALL)?;
    let bytes: Vec<u8> = if u.ratio(1, 16)? {
        vec![0; usize::from(u.arbitrary::<u16>()?)]
    } else {
        u.arbitrary()?
    };
    let list = StatusList::from_bytes(bits, bytes);

    let mut status_list = Map::new();
    claim(u, &mut status_list, "bits", Value::from(bits.get()))?;
    let lst = if u.ratio(1, 8)? {
        u.arbitrary::<String>()?
    } else {
        list.to_lst()
    };
    claim(u, &mut status_list, "lst", Value::String(lst))?;
    if u.ratio(1, 4)? {
        let uri = Value::String(u.arbitrary()?);
        claim(u, &mut status_list, "aggregation_uri", uri)?;
    }
    if u.ratio(1, 8)? {
        status_list.insert(u.arbitrary()?, scalar(u)?);
    }

    let mut claims = Map::new();
    let sub = if u.ratio(1, 8)? {
        u.arbitrary::<String>()?
    } else {
        URI.to_owned()
    };
    claim(u, &mut claims, "sub", Value::String(sub))?;
    let iat = time(u)?;
    claim(u, &mut claims, "iat", iat)?;
    if u.ratio(1, 2)? {
        let exp = time(u)?;
        claim(u, &mut claims, "exp", exp)?;
    }
    if u.ratio(1, 2)? {
        let ttl = Value::from(u.int_in_range(0..=86_400u64)?);
        claim(u, &mut claims, "ttl", ttl)?;
    }
    if u.ratio(1, 4)? {
        let iss = Value::String(u.arbitrary()?);
        claim(u, &mut claims, "iss", iss)?;
    }
    if u.ratio(15, 16)? {
        claims.insert("status_list".into(), Value::Object(status_list));
    } else {
        claims.insert("status_list".into(), scalar(u)?);
    }
    let typ = *u.choose(&[
        "statuslist+jwt",
        "statuslist+jwt",
        "application/statuslist+jwt",
        "STATUSLIST+JWT",
        "jwt",
        "",
    ])?;

    let (signer, jwk) = fixture();
    let Ok(unsigned) = UnsignedJws::new(&Header::new(Algorithm::Es256).with_typ(typ), &claims)
    else {
        return Ok(());
    };
    let Ok(token) = unsigned.sign(signer) else {
        return Ok(());
    };
    let options = VerifyOptions::new(&[Algorithm::Es256])
        .with_clock_skew_seconds(SKEW)
        .with_limits(LIMITS);
    let now = UnixTime::from_secs(NOW);
    let Ok(verified) = StatusListToken::verify_jwt(token.as_bytes(), URI, jwk, &options, now)
    else {
        return Ok(());
    };

    // What a successful verification promises.
    assert_eq!(verified.subject(), URI, "sub is the expected URI");
    assert_eq!(claims.get("sub"), Some(&Value::String(URI.to_owned())));
    assert!(
        verified.issued_at() <= now.saturating_add(SKEW),
        "iat is not in the future"
    );
    if let Some(exp) = verified.expires_at() {
        assert!(now < exp.saturating_add(SKEW), "the token has not expired");
    }
    if let Some(ttl) = verified.ttl() {
        assert_eq!(claims.get("ttl").and_then(Value::as_u64), Some(ttl.get()));
    }
    let stated = claims.get("status_list").cloned().unwrap_or_default();
    let decoded = verified.list();
    assert!(
        decoded.as_bytes().len() <= LIMITS.max_inflated_bytes(),
        "the inflation cap holds"
    );
    assert_eq!(
        stated["bits"].as_u64(),
        Some(u64::from(decoded.bits().get())),
        "the list has the width the token states"
    );
    // When the token carries the generated list, every status reads back as encoded.
    if stated["lst"].as_str() == Some(list.to_lst().as_str()) && decoded.bits() == bits {
        assert_eq!(decoded.len(), list.len());
        for idx in 0..list.len().min(512) {
            let idx = StatusIndex::new(idx);
            assert_eq!(decoded.get(idx).ok(), list.get(idx).ok(), "status {idx:?}");
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
