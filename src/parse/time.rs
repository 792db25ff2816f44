//! Timestamps shared by the line parsers: RFC 3339 with any fraction (istiod,
//! Envoy inside istio-proxy, CRI and `kubectl logs --timestamps` prefixes,
//! JSON keys, access-log `START_TIME`), Envoy's bracket `%Y-%m-%d %T.%e`
//! (a space instead of `T`, no zone: read as UTC, which is what containers
//! run in), and klog's `MMDD hh:mm:ss.uuuuuu`, which has no year.
//!
//! klog year choice: [`klog_timestamp`] takes a reference instant (the
//! klog parser passes "now") and uses its year, stepping back one year when
//! that would put the line more than a day after the reference, so a
//! December line read in January lands in the right year. 1970 was rejected:
//! it would sort klog lines before everything else and break `--since`.
//!
//! The scanners work on bytes without allocating; the nom entry points
//! ([`timestamp`]) wrap them for use inside nom parsers.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use nom::IResult;

/// The nom result type of the line parsers: errors carry nothing, because a
/// failed parse only means "not this format" and the caller tries the next one.
pub type PResult<'a, T> = IResult<&'a str, T, ()>;

/// Reads `n` ASCII digits at `at` as a number.
#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Builds an instant from calendar parts, accepting a leap second `:60`.
fn instant(
    year: i32,
    month: u32,
    day: u32,
    (hour, min, sec): (u32, u32, u32),
    mut nanos: u32,
) -> Option<NaiveDateTime> {
    let mut sec = sec;
    if sec == 60 {
        sec = 59;
        nanos += 1_000_000_000;
    }
    NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, min, sec, nanos)
}

/// Reads `.fff…` (or `,fff…`) at `at`; returns nanoseconds and the end.
/// Digits past the ninth are read and dropped.
fn fraction(b: &[u8], at: usize) -> Option<(u32, usize)> {
    if !matches!(b.get(at), Some(b'.' | b',')) {
        return Some((0, at));
    }
    let start = at + 1;
    let mut i = start;
    let mut nanos = 0u32;
    while let Some(&c) = b.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        if i - start < 9 {
            nanos = nanos * 10 + u32::from(c - b'0');
        }
        i += 1;
    }
    let n = i - start;
    if n == 0 {
        return None;
    }
    if n < 9 {
        nanos *= 10u32.pow((9 - n) as u32);
    }
    Some((nanos, i))
}

/// Scans a timestamp at the start of `b`:
/// `YYYY-MM-DD(T|t| )hh:mm:ss[(.|,)f{1,}][Z|z|±hh:mm|±hhmm]`.
/// Returns the instant (a missing zone is read as UTC) and the bytes used.
pub fn scan_rfc3339(b: &[u8]) -> Option<(DateTime<Utc>, usize)> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(b, 0, 4)? as i32;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hms = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    let (nanos, mut i) = fraction(b, 19)?;
    let mut offset_secs = 0i64;
    match b.get(i) {
        Some(b'Z' | b'z') => i += 1,
        Some(&sign @ (b'+' | b'-')) => {
            // `±hh:mm` or `±hhmm`; anything else is not a zone and stays unread.
            if let Some(h) = digits(b, i + 1, 2) {
                let (m, end) = if b.get(i + 3) == Some(&b':') {
                    (digits(b, i + 4, 2), i + 6)
                } else {
                    (digits(b, i + 3, 2), i + 5)
                };
                if let Some(m) = m
                    && h < 24
                    && m < 60
                {
                    offset_secs = i64::from(h * 3600 + m * 60);
                    if sign == b'-' {
                        offset_secs = -offset_secs;
                    }
                    i = end;
                }
            }
        }
        _ => {}
    }
    let local = instant(year, month, day, hms, nanos)?;
    let utc = local.checked_sub_signed(Duration::seconds(offset_secs))?;
    Some((DateTime::from_naive_utc_and_offset(utc, Utc), i))
}

/// A whole string as a timestamp (see [`scan_rfc3339`]); trailing text fails.
pub fn rfc3339(s: &str) -> Option<DateTime<Utc>> {
    match scan_rfc3339(s.as_bytes()) {
        Some((ts, used)) if used == s.len() => Some(ts),
        _ => None,
    }
}

/// nom parser for a timestamp at the start of the input (see [`scan_rfc3339`]).
pub fn timestamp(input: &str) -> PResult<'_, DateTime<Utc>> {
    match scan_rfc3339(input.as_bytes()) {
        // The scanner reads ASCII only, so `used` is a char boundary.
        Some((ts, used)) => Ok((&input[used..], ts)),
        None => Err(nom::Err::Error(())),
    }
}

/// Seconds since the epoch (a JSON `time` written as a number).
pub fn epoch_seconds(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() {
        return None;
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9) as u32;
    DateTime::from_timestamp(whole as i64, nanos.min(999_999_999))
}

/// Scans klog's `MMDD hh:mm:ss[.uuuuuu]` at the start of `b` (the level
/// letter already consumed). The year comes from `reference` (see the module
/// doc). Returns the instant and the bytes used.
pub fn klog_timestamp(b: &[u8], reference: DateTime<Utc>) -> Option<(DateTime<Utc>, usize)> {
    if b.len() < 13 || b[4] != b' ' || b[7] != b':' || b[10] != b':' {
        return None;
    }
    let month = digits(b, 0, 2)?;
    let day = digits(b, 2, 2)?;
    let hms = (digits(b, 5, 2)?, digits(b, 8, 2)?, digits(b, 11, 2)?);
    let (nanos, used) = fraction(b, 13)?;
    let year = reference.year();
    let this_year = instant(year, month, day, hms, nanos);
    let naive = match this_year {
        Some(t) if t <= reference.naive_utc() + Duration::days(1) => t,
        // In the future (or Feb 29 of a non-leap year): last year's line.
        _ => instant(year - 1, month, day, hms, nanos).or(this_year)?,
    };
    Some((DateTime::from_naive_utc_and_offset(naive, Utc), used))
}

/// A UTC time for tests: date, time of day and nanoseconds.
#[cfg(test)]
pub(crate) fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap() + chrono::Duration::nanoseconds(nanos.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istiod_microseconds() {
        assert_eq!(
            rfc3339("2025-08-26T10:00:00.123456Z"),
            Some(utc(2025, 8, 26, 10, 0, 0, 123_456_000))
        );
    }

    #[test]
    fn cri_nanoseconds_and_offsets() {
        assert_eq!(
            rfc3339("2025-08-26T10:00:00.123456789Z"),
            Some(utc(2025, 8, 26, 10, 0, 0, 123_456_789))
        );
        assert_eq!(
            rfc3339("2025-08-26T12:00:00.5+02:00"),
            Some(utc(2025, 8, 26, 10, 0, 0, 500_000_000))
        );
        assert_eq!(
            rfc3339("2025-08-26T03:00:00-0700"),
            Some(utc(2025, 8, 26, 10, 0, 0, 0))
        );
        // More than nine fraction digits are dropped, not rejected.
        assert_eq!(
            rfc3339("2025-08-26T10:00:00.1234567891Z"),
            Some(utc(2025, 8, 26, 10, 0, 0, 123_456_789))
        );
    }

    #[test]
    fn envoy_bracket_time_has_no_zone() {
        let (ts, used) = scan_rfc3339(b"2025-08-26 10:00:00.000][15]").unwrap();
        assert_eq!(ts, utc(2025, 8, 26, 10, 0, 0, 0));
        assert_eq!(used, 23);
        assert_eq!(
            rfc3339("2021-09-10T02:31:12.093Z"),
            Some(utc(2021, 9, 10, 2, 31, 12, 93_000_000))
        );
    }

    #[test]
    fn nom_timestamp_leaves_the_rest() {
        let (rest, ts) = timestamp("2025-08-26T10:00:00.101234Z\tinfo").unwrap();
        assert_eq!(rest, "\tinfo");
        assert_eq!(ts, utc(2025, 8, 26, 10, 0, 0, 101_234_000));
        assert!(timestamp("2025-13-26T10:00:00Z").is_err());
        assert!(timestamp("not a time at all, really").is_err());
        assert!(timestamp("").is_err());
    }

    #[test]
    fn bad_timestamps_are_rejected() {
        assert_eq!(rfc3339("2025-02-30T10:00:00Z"), None);
        assert_eq!(rfc3339("2025-08-26T25:00:00Z"), None);
        assert_eq!(rfc3339("2025-08-26T10:00:00.Z"), None);
        assert_eq!(rfc3339("2025-08-26T10:00:00Z trailing"), None);
        assert_eq!(rfc3339("2025-08-26"), None);
        assert_eq!(rfc3339("２０２５-08-26T10:00:00Z"), None);
    }

    #[test]
    fn leap_second_is_accepted() {
        let ts = rfc3339("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(ts.timestamp(), utc(2016, 12, 31, 23, 59, 59, 0).timestamp());
    }

    #[test]
    fn klog_year_from_reference() {
        let reference = utc(2025, 8, 27, 0, 0, 0, 0);
        let (ts, used) = klog_timestamp(b"0826 10:00:00.000123 1 x.go:1]", reference).unwrap();
        assert_eq!(ts, utc(2025, 8, 26, 10, 0, 0, 123_000));
        assert_eq!(used, 20);
        // A December line read in January belongs to last year.
        let january = utc(2026, 1, 2, 0, 0, 0, 0);
        let (ts, _) = klog_timestamp(b"1231 23:59:59.000000", january).unwrap();
        assert_eq!(ts, utc(2025, 12, 31, 23, 59, 59, 0));
        // Feb 29 in a non-leap reference year: last year if that was a leap year.
        let (ts, _) = klog_timestamp(b"0229 01:00:00", utc(2025, 3, 1, 0, 0, 0, 0)).unwrap();
        assert_eq!(ts, utc(2024, 2, 29, 1, 0, 0, 0));
        assert!(klog_timestamp(b"0229 01:00:00", utc(2027, 3, 1, 0, 0, 0, 0)).is_none());
        assert!(klog_timestamp(b"1326 10:00:00.000000", reference).is_none());
        assert!(klog_timestamp(b"0826 10-00-00", reference).is_none());
    }

    #[test]
    fn epoch_seconds_as_json_numbers() {
        assert_eq!(
            epoch_seconds(1_756_202_400.5),
            Some(utc(2025, 8, 26, 10, 0, 0, 500_000_000))
        );
        assert_eq!(epoch_seconds(f64::NAN), None);
    }
}
