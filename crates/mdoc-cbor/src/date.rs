//! `tdate` (RFC 3339 date-time, tag 0) and `full-date` (RFC 8943, tag 1004) text forms.
//!
//! ISO 18013-5 §9.1.2.4 requires `tdate` in the MSO without fractional seconds and in UTC with
//! the `Z` designator, so exactly `YYYY-MM-DDTHH:MM:SSZ` is produced and accepted. Years are
//! limited to 0000–9999, the range RFC 3339 can write.

use jose_core::UnixTime;

use crate::error::Error;

const SECS_PER_DAY: i64 = 86_400;

/// Formats `time` as `YYYY-MM-DDTHH:MM:SSZ`.
///
/// # Errors
/// [`Error::InvalidDate`] for a time outside the years 0000–9999.
pub(crate) fn format_tdate(time: UnixTime, field: &'static str) -> Result<String, Error> {
    let text = tdate_text(time, field)?;
    Ok(core::str::from_utf8(&text)
        .map_err(|_| Error::InvalidDate { field })?
        .to_owned())
}

/// The ASCII bytes of `YYYY-MM-DDTHH:MM:SSZ` for `time`, without allocating (issuance writes
/// three of these per MSO).
///
/// # Errors
/// [`Error::InvalidDate`] for a time outside the years 0000–9999.
pub(crate) fn tdate_text(time: UnixTime, field: &'static str) -> Result<[u8; 20], Error> {
    let secs = time.secs();
    let days = secs.div_euclid(SECS_PER_DAY);
    let rem = secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return Err(Error::InvalidDate { field });
    }
    let mut out = *b"0000-00-00T00:00:00Z";
    for (at, value, width) in [
        (0, year, 4),
        (5, month, 2),
        (8, day, 2),
        (11, rem / 3600, 2),
        (14, (rem / 60) % 60, 2),
        (17, rem % 60, 2),
    ] {
        write_digits(&mut out, at, value, width);
    }
    Ok(out)
}

/// Writes the `width` lowest decimal digits of `value` (non-negative) at `out[at..at + width]`.
fn write_digits(out: &mut [u8], at: usize, mut value: i64, width: usize) {
    for slot in out.iter_mut().skip(at).take(width).rev() {
        let digit = u8::try_from(value.rem_euclid(10)).unwrap_or(0);
        *slot = b'0'.saturating_add(digit);
        value /= 10;
    }
}

/// Parses a strict `YYYY-MM-DDTHH:MM:SSZ`.
///
/// # Errors
/// [`Error::InvalidDate`] for any other form, fractional seconds, offsets other than `Z`, or an
/// impossible date or time.
pub(crate) fn parse_tdate(text: &str, field: &'static str) -> Result<UnixTime, Error> {
    let bad = || Error::InvalidDate { field };
    let b = text.as_bytes();
    if b.len() != 20 || b.get(10) != Some(&b'T') || b.get(19) != Some(&b'Z') {
        return Err(bad());
    }
    let days = parse_date(text.get(..10).ok_or_else(bad)?).ok_or_else(bad)?;
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return Err(bad());
    }
    let hour = digits(b, 11, 2).filter(|h| *h < 24).ok_or_else(bad)?;
    let minute = digits(b, 14, 2).filter(|m| *m < 60).ok_or_else(bad)?;
    let second = digits(b, 17, 2).filter(|s| *s < 60).ok_or_else(bad)?;
    Ok(UnixTime::from_secs(
        days * SECS_PER_DAY + hour * 3600 + minute * 60 + second,
    ))
}

/// Whether `text` is a valid RFC 3339 `full-date` (`YYYY-MM-DD`).
pub(crate) fn is_full_date(text: &str) -> bool {
    parse_date(text).is_some()
}

/// Whether `text` is a valid `tdate` in the strict form above.
pub(crate) fn is_tdate(text: &str) -> bool {
    parse_tdate(text, "tdate").is_ok()
}

/// `YYYY-MM-DD` to days since 1970-01-01.
fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn digits(bytes: &[u8], start: usize, len: usize) -> Option<i64> {
    let slice = bytes.get(start..start.checked_add(len)?)?;
    slice.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit()
            .then(|| acc * 10 + i64::from(b.wrapping_sub(b'0')))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since the epoch of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]. Saturates far outside the representable range, where the
/// caller rejects the year anyway.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe.saturating_add(era.saturating_mul(400)) + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_d_dates() {
        let t = parse_tdate("2020-10-01T13:30:02Z", "t").unwrap();
        assert_eq!(t.secs(), 1_601_559_002);
        assert_eq!(format_tdate(t, "t").unwrap(), "2020-10-01T13:30:02Z");
    }

    #[test]
    fn strictness() {
        for bad in [
            "2020-10-01T13:30:02.5Z",
            "2020-10-01T13:30:02+00:00",
            "2020-10-01t13:30:02Z",
            "2020-02-30T00:00:00Z",
            "2020-10-01T24:00:00Z",
            "2020-10-01T23:60:00Z",
            "2020-10-01T23:59:60Z",
            "+020-10-01T13:30:02Z",
        ] {
            assert_eq!(
                parse_tdate(bad, "t"),
                Err(Error::InvalidDate { field: "t" }),
                "{bad}"
            );
        }
        assert!(is_full_date("2024-02-29"));
        assert!(!is_full_date("2023-02-29"));
        assert!(!is_full_date("2023-13-01"));
    }

    #[test]
    fn range() {
        assert_eq!(
            format_tdate(UnixTime::from_secs(253_402_300_800), "t"),
            Err(Error::InvalidDate { field: "t" })
        );
        assert_eq!(
            format_tdate(UnixTime::from_secs(253_402_300_799), "t").unwrap(),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(
            format_tdate(UnixTime::from_secs(-62_167_219_200), "t").unwrap(),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            format_tdate(UnixTime::from_secs(i64::MIN), "t"),
            Err(Error::InvalidDate { field: "t" })
        );
    }
}
