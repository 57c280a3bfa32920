//! Fuzz entry points (one per parse entry point) and doctest helpers.

use jose_core::{Algorithm, PublicJwk, UnixTime};

use crate::{Bits, Error, Limits, StatusList, StatusListToken, VerifyOptions};

/// The draft's example key (kid 12, P-256), public part: the key of the spec's example tokens.
pub const EXAMPLE_JWK: &[u8] = br#"{"kty":"EC","crv":"P-256","x":"I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo","y":"6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M","kid":"12"}"#;

/// The fuzz limits: a 64 KiB inflation ceiling keeps each run fast.
const FUZZ_LIMITS: Limits = Limits::new().with_max_inflated_bytes(64 * 1024);

/// Fuzz entry: the first byte picks `bits` (low two bits), the rest is tried both as `lst`
/// text and as raw ZLIB bytes. A list that decodes must re-encode and decode to itself.
///
/// # Errors
/// Whatever decoding returns.
///
/// # Panics
/// If a decoded list does not survive an encode/decode round trip (a bug).
pub fn decode_lst(data: &[u8]) -> Result<(), Error> {
    let Some((&selector, rest)) = data.split_first() else {
        return Ok(());
    };
    let bits = Bits::ALL
        .get(usize::from(selector & 3))
        .copied()
        .unwrap_or(Bits::One);
    if let Ok(text) = core::str::from_utf8(rest)
        && let Ok(list) = StatusList::from_lst(bits, text, None, &FUZZ_LIMITS)
    {
        let again = StatusList::from_lst(bits, &list.to_lst(), None, &FUZZ_LIMITS)?;
        assert_eq!(again, list, "lst round trip changed the list");
    }
    let list = StatusList::from_zlib(bits, rest, None, &FUZZ_LIMITS)?;
    let again = StatusList::from_zlib(bits, &list.to_zlib(), None, &FUZZ_LIMITS)?;
    assert_eq!(again, list, "zlib round trip changed the list");
    Ok(())
}

/// Fuzz entry: verifies `data` as a Status List Token JWT against the example key.
///
/// # Errors
/// Whatever verification returns.
pub fn verify_token(data: &[u8]) -> Result<(), Error> {
    let key = PublicJwk::from_json(EXAMPLE_JWK)?;
    let options = VerifyOptions::new(jose_core::ALL_ALGORITHMS).with_limits(FUZZ_LIMITS);
    StatusListToken::verify_jwt(
        data,
        "https://example.com/statuslists/1",
        &key,
        &options,
        UnixTime::from_secs(1_686_920_170),
    )
    .map(|_| ())
}

/// Fuzz entry: reads the `x5chain` of `data` as a Status List Token CWT, then parses and
/// verifies it against the example key.
///
/// # Errors
/// Whatever verification returns.
pub fn parse_cwt(data: &[u8]) -> Result<(), Error> {
    // Its own result does not decide the verification's: both run on every input.
    let _ = StatusListToken::cwt_x5chain(data, &FUZZ_LIMITS);
    let key = PublicJwk::from_json(EXAMPLE_JWK)?;
    let options = VerifyOptions::new(&[Algorithm::Es256]).with_limits(FUZZ_LIMITS);
    StatusListToken::verify_cwt(
        data,
        "https://example.com/statuslists/1",
        &key,
        &options,
        UnixTime::from_secs(1_686_920_170),
    )
    .map(|_| ())
}
