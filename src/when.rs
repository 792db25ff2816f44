//! Times and durations as users type them: `2h`, `90m`, `1h30m`, `7d`,
//! `500ms` for durations, and for points in time either a duration (that
//! long ago) or an RFC 3339 time (`2025-08-26T10:00:00Z`) or a date
//! (`2025-08-26`, midnight UTC). Errors say what was expected.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Parses a duration: numbers with units `ms`, `s`, `m`, `h`, `d`, `w`, one
/// after another (`1h30m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let expected = || {
        format!(
            "{text:?} is not a duration; expected a number and a unit such as 30s, 15m, 2h, 7d or 1h30m"
        )
    };
    if t.is_empty() {
        return Err(expected());
    }
    let mut total = Duration::zero();
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(expected());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| expected())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let part = match &rest[..unit_len] {
            "ms" => Duration::milliseconds(n),
            "s" => Duration::seconds(n),
            "m" => Duration::minutes(n),
            "h" => Duration::hours(n),
            "d" => Duration::days(n),
            "w" => Duration::weeks(n),
            _ => return Err(expected()),
        };
        total += part;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// Parses a point in time; a duration means that long before `now`.
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(ts) = DateTime::parse_from_rfc3339(t) {
        return Ok(ts.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    parse_duration(t).map(|d| now - d).map_err(|_| {
        format!(
            "{text:?} is not a time; expected a duration ago (2h, 30m, 7d) or an RFC 3339 time (2025-08-26T10:00:00Z) or a date (2025-08-26)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_users_write_them() {
        assert_eq!(parse_duration("2h"), Ok(Duration::hours(2)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::milliseconds(500)));
        assert_eq!(parse_duration(" 7d "), Ok(Duration::days(7)));
        for bad in ["", "2", "h", "2x", "1.5h", "-2h"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("expected a number and a unit"), "{bad}: {err}");
        }
    }

    #[test]
    fn times_are_durations_ago_rfc3339_or_dates() {
        let now = DateTime::parse_from_rfc3339("2025-08-26T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_time("2h", now).unwrap().to_rfc3339(),
            "2025-08-26T10:00:00+00:00"
        );
        assert_eq!(
            parse_time("2025-08-26T11:00:00+02:00", now)
                .unwrap()
                .to_rfc3339(),
            "2025-08-26T09:00:00+00:00"
        );
        assert_eq!(
            parse_time("2025-08-25", now).unwrap().to_rfc3339(),
            "2025-08-25T00:00:00+00:00"
        );
        let err = parse_time("yesterday", now).unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }
}
