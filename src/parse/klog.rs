//! klog lines (kubelet, cloud-provider, client-go outside istio):
//! `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, where `L` is `I`, `W`,
//! `E` or `F`. The year is not in the line: [`parse`] takes it from the
//! current time as described in `time`'s module doc; [`parse_at`] takes an
//! explicit reference instant for reproducible results.
//!
//! Record: level from the letter (`F` is critical), scope the file name,
//! `Caller` the `file:line`, `Thread` the thread id (klog prints the pid).

use chrono::{DateTime, Utc};
use nom::Parser;
use nom::bytes::complete::take_till1;
use nom::character::complete::{char, digit1, one_of, space0};
use nom::combinator::opt;
use nom::sequence::terminated;

use crate::parse::time::{self, PResult};
use crate::record::{Field, Format, Level, Record, Source};

/// Parses one klog line (prefix already removed), or `None`.
pub fn parse(text: &str, line: u64) -> Option<Record> {
    parse_at(text, line, Utc::now())
}

/// `true` when `b` starts like a klog line at level `W`, `E` or `F`
/// (`W0826 10:`); cheap, for `line::always_parse`. Every `W`/`E`/`F` line
/// [`parse`] accepts passes this test.
pub fn looks_like(b: &[u8]) -> bool {
    b.len() >= 9
        && matches!(b[0], b'W' | b'E' | b'F')
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[5] == b' '
        && b[6..8].iter().all(u8::is_ascii_digit)
        && b[8] == b':'
}

/// The header after the level letter and time: `  threadid file:line] `.
fn header(i: &str) -> PResult<'_, (Option<&str>, &str)> {
    let (i, _) = space0(i)?;
    let (i, thread) = opt(terminated(digit1, char(' '))).parse(i)?;
    let (i, caller) = take_till1(|c| c == ']' || c == ' ').parse(i)?;
    let (i, _) = char(']').parse(i)?;
    let (i, _) = opt(char(' ')).parse(i)?;
    Ok((i, (thread, caller)))
}

/// Parses one klog line, taking the year from `reference`.
pub fn parse_at(text: &str, line: u64, reference: DateTime<Utc>) -> Option<Record> {
    let (after_letter, letter) = one_of::<_, _, ()>("IWEF").parse(text).ok()?;
    let level = match letter {
        'I' => Level::Info,
        'W' => Level::Warn,
        'E' => Level::Error,
        _ => Level::Critical,
    };
    let (ts, used) = time::klog_timestamp(after_letter.as_bytes(), reference)?;
    let after_time = &after_letter[used..];
    if !after_time.starts_with(' ') {
        return None;
    }
    let (message, (thread, caller)) = header(after_time).ok()?;
    if !caller.contains(':') {
        return None;
    }
    let file = caller.rsplit_once(':').map_or(caller, |(f, _)| f);
    let mut fields = Vec::with_capacity(2);
    fields.push((Field::Caller, caller.to_string()));
    if let Some(t) = thread {
        fields.push((Field::Thread, t.to_string()));
    }
    Some(Record {
        line,
        ts: Some(ts),
        source: Source::Klog,
        format: Format::Klog,
        level: Some(level),
        scope: Some(file.to_string()),
        message: message.to_string(),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::utc;

    fn reference() -> DateTime<Utc> {
        utc(2025, 9, 1, 0, 0, 0, 0)
    }

    #[test]
    fn every_level_letter() {
        for (text, level) in [
            (
                "I0826 10:00:00.000000       1 event.go:389] Event occurred",
                Level::Info,
            ),
            (
                "W0826 10:00:00.000000       1 reflector.go:561] failed to list *v1.Gateway: the server could not find the requested resource",
                Level::Warn,
            ),
            (
                "E0826 10:00:00.000000       1 reflector.go:158] Unhandled Error",
                Level::Error,
            ),
            (
                "F0826 10:00:00.000000       1 main.go:40] failed to start",
                Level::Critical,
            ),
        ] {
            let r = parse_at(text, 2, reference()).unwrap();
            assert_eq!(r.level, Some(level), "{text}");
            assert_eq!(r.source, Source::Klog);
            assert_eq!(r.format, Format::Klog);
            assert_eq!(r.line, 2);
            assert_eq!(r.get(&Field::Thread), Some("1"));
        }
    }

    #[test]
    fn fields_and_time() {
        let r = parse_at(
            "E0826 10:00:00.123456   12345 service_controller.go:322] error processing service default/httpbin-gateway-istio (retrying with exponential backoff): failed to ensure load balancer: quota exceeded",
            1,
            reference(),
        )
        .unwrap();
        assert_eq!(r.scope.as_deref(), Some("service_controller.go"));
        assert_eq!(r.get(&Field::Caller), Some("service_controller.go:322"));
        assert_eq!(r.get(&Field::Thread), Some("12345"));
        assert!(
            r.message
                .starts_with("error processing service default/httpbin-gateway-istio")
        );
        assert_eq!(r.ts, Some(utc(2025, 8, 26, 10, 0, 0, 123_456_000)));
    }

    #[test]
    fn path_callers_and_empty_message() {
        let r = parse_at(
            "W0826 10:00:00.000000 7 k8s.io/client-go@v0.28.1/tools/cache/reflector.go:229]",
            1,
            reference(),
        )
        .unwrap();
        assert_eq!(
            r.scope.as_deref(),
            Some("k8s.io/client-go@v0.28.1/tools/cache/reflector.go")
        );
        assert_eq!(r.message, "");
    }

    #[test]
    fn not_klog() {
        for text in [
            "Info: nothing",
            "W0826",
            "W0826 10:00:00.000000",
            "W0826 10:00:00.000000 1 nocolon] x",
            "W1326 10:00:00.000000 1 x.go:1] x",
            "X0826 10:00:00.000000 1 x.go:1] x",
            "W0826 10:00:00.000000x 1 x.go:1] x",
        ] {
            assert_eq!(parse_at(text, 1, reference()), None, "{text}");
        }
    }

    #[test]
    fn looks_like_covers_the_parser() {
        assert!(looks_like(b"W0826 10:00:00.000000 1 x.go:1] x"));
        assert!(looks_like(b"E0826 10:"));
        assert!(!looks_like(b"I0826 10:00:00.000000 1 x.go:1] x"));
        assert!(!looks_like(b"Warning: x"));
        assert!(!looks_like(b"W0826"));
        // `parse` uses the current year: the line still parses.
        assert!(parse("W0826 10:00:00.000000 1 x.go:1] x", 1).is_some());
    }
}
