//! Shared helpers: paths to the external vectors, time parsing.

use jose_core::UnixTime;

/// Path of a file under `../shared/vectors/` (relative to the workspace root).
pub(crate) fn vector_path(rel: &str) -> String {
    format!(
        "{}/../../../shared/vectors/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff]` followed by `Z` or `+00:00` into Unix time. Fractional
/// seconds are dropped (floor), as x509-limbo's `*-fractional` cases require.
pub(crate) fn parse_utc(text: &str) -> UnixTime {
    let num = |r: core::ops::Range<usize>| -> i64 { text[r].parse().expect("digits") };
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        rest = &frac[digits..];
    }
    assert!(rest == "Z" || rest == "+00:00", "only UTC times: {text}");
    let days = days_from_civil(num(0..4), num(5..7), num(8..10));
    UnixTime::from_secs(days * 86_400 + num(11..13) * 3600 + num(14..16) * 60 + num(17..19))
}

#[test]
fn parse_utc_known_values() {
    assert_eq!(parse_utc("1970-01-01T00:00:00Z").secs(), 0);
    assert_eq!(parse_utc("2024-01-01T00:00:00+00:00").secs(), 1_704_067_200);
    assert_eq!(parse_utc("2020-10-01T13:30:02Z").secs(), 1_601_559_002);
    assert_eq!(
        parse_utc("2024-03-01T00:00:00.999+00:00").secs(),
        1_709_251_200
    );
}
