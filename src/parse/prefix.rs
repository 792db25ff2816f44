//! The prefixes a log line can carry before its own text: the CRI on-disk
//! prefix (`TS stdout|stderr P|F msg`, written by containerd under
//! `/var/log/pods`) and the `kubectl logs --timestamps` prefix (`TS msg`).
//! The hard part is telling a `--timestamps` prefix from an istiod or Envoy
//! line, which also starts with a timestamp: those follow it with a TAB, or,
//! when tabs were lost in a copy and paste, with spaces and a level word.
//!
//! [`scan`] is the allocation-free structural test shared with
//! `line::always_parse`; [`split_prefix`] adds the timestamp itself.

use chrono::{DateTime, Utc};

use crate::parse::time;
use crate::record::Level;

/// What a line prefix said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix<'a> {
    /// The prefix timestamp.
    pub ts: Option<DateTime<Utc>>,
    /// CRI stream (`stdout`/`stderr`), `None` for a `--timestamps` prefix.
    pub stream: Option<&'a str>,
    /// CRI `P`: this is a partial line continued by the next one of the same stream.
    pub partial: bool,
}

/// The level words that, after a timestamp and spaces, mark an istiod or
/// Envoy line whose tabs were lost rather than a `--timestamps` prefix.
pub const LEVEL_WORDS: [&str; 8] = [
    "info", "warn", "warning", "error", "debug", "fatal", "critical", "trace",
];

/// The level of one of [`LEVEL_WORDS`], exactly as written (no allocation,
/// unlike [`Level::from_word`], which also reads other spellings).
#[inline]
pub fn level_of_word(word: &str) -> Option<Level> {
    Some(match word {
        "info" => Level::Info,
        "warn" | "warning" => Level::Warn,
        "error" => Level::Error,
        "debug" => Level::Debug,
        "fatal" | "critical" => Level::Critical,
        "trace" => Level::Trace,
        _ => return None,
    })
}

/// `true` when `word` is one of [`LEVEL_WORDS`].
#[inline]
pub fn is_level_word(word: &str) -> bool {
    level_of_word(word).is_some()
}

/// The shape of a prefix found by [`scan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scan<'a> {
    /// Length of the timestamp text at the start of the line.
    pub ts_len: usize,
    /// CRI stream, `None` for a `--timestamps` prefix.
    pub stream: Option<&'a str>,
    /// CRI partial tag `P`.
    pub partial: bool,
    /// Where the line's own text starts.
    pub body: usize,
}

/// Finds a prefix by shape only (no date validation, no allocation): a
/// timestamp-like token `YYYY-MM-DDThh:mm:ss…`, then either a CRI
/// `stdout|stderr TAG ` or a single space not followed by (spaces and) a level
/// word and whitespace. A timestamp followed by a TAB is never a prefix.
pub fn scan(line: &str) -> Option<Scan<'_>> {
    let b = line.as_bytes();
    if b.len() < 21
        || !b[0].is_ascii_digit()
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    // The timestamp ends at the first whitespace; fraction and zone are short.
    let limit = b.len().min(48);
    let ts_len = 19 + b[19..limit].iter().position(|&c| c == b' ' || c == b'\t')?;
    if b[ts_len] != b' ' {
        return None;
    }
    let rest = &line[ts_len + 1..];
    if let Some(cri) = cri_tail(rest, ts_len + 1) {
        return Some(cri);
    }
    // `TS<spaces>level<ws>` is an istiod/Envoy line whose tabs became spaces.
    let word_start = rest.trim_start_matches(' ');
    let word_len = word_start
        .bytes()
        .position(|c| c == b' ' || c == b'\t')
        .unwrap_or(word_start.len());
    if word_len < word_start.len() && is_level_word(&word_start[..word_len]) {
        return None;
    }
    Some(Scan {
        ts_len,
        stream: None,
        partial: false,
        body: ts_len + 1,
    })
}

/// Reads `stdout|stderr TAGS[ msg]` after a CRI timestamp; `at` is where `rest` starts.
fn cri_tail(rest: &str, at: usize) -> Option<Scan<'_>> {
    let stream = match rest.get(..7)? {
        "stdout " => "stdout",
        "stderr " => "stderr",
        _ => return None,
    };
    let after = &rest[7..];
    let tag_len = after.bytes().position(|c| c == b' ').unwrap_or(after.len());
    let tags = &after[..tag_len];
    // Tags are `:`-separated letters; today only `P` (partial) and `F` (full).
    if tags.is_empty() || !tags.bytes().all(|c| c.is_ascii_alphabetic() || c == b':') {
        return None;
    }
    let partial = tags.split(':').next() == Some("P");
    let body = (at + 7 + tag_len + 1).min(at + rest.len());
    Some(Scan {
        ts_len: at - 1,
        stream: Some(stream),
        partial,
        body,
    })
}

/// Splits a CRI (`TS stdout F msg`) or `kubectl logs --timestamps` (`TS msg`) prefix off a line.
pub fn split_prefix(line: &str) -> (Option<Prefix<'_>>, &str) {
    let Some(found) = scan(line) else {
        return (None, line);
    };
    let Some(ts) = time::rfc3339(&line[..found.ts_len]) else {
        return (None, line);
    };
    (
        Some(Prefix {
            ts: Some(ts),
            stream: found.stream,
            partial: found.partial,
        }),
        &line[found.body..],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::utc;

    fn ts(nanos: u32) -> DateTime<Utc> {
        utc(2025, 8, 26, 10, 0, 0, 0) + chrono::Duration::nanoseconds(nanos.into())
    }

    #[test]
    fn cri_full_line() {
        let (p, rest) = split_prefix(
            "2025-08-26T10:00:00.123456789Z stdout F 2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling",
        );
        let p = p.unwrap();
        assert_eq!(p.ts, Some(ts(123_456_789)));
        assert_eq!(p.stream, Some("stdout"));
        assert!(!p.partial);
        assert_eq!(
            rest,
            "2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling"
        );
    }

    #[test]
    fn cri_partial_stderr() {
        let (p, rest) = split_prefix("2025-08-26T10:00:00.5Z stderr P first half of a long");
        let p = p.unwrap();
        assert_eq!(p.stream, Some("stderr"));
        assert!(p.partial);
        assert_eq!(p.ts, Some(ts(500_000_000)));
        assert_eq!(rest, "first half of a long");
    }

    #[test]
    fn cri_empty_message_and_multi_tags() {
        let (p, rest) = split_prefix("2025-08-26T10:00:00Z stdout F");
        assert_eq!(p.unwrap().stream, Some("stdout"));
        assert_eq!(rest, "");
        let (p, rest) = split_prefix("2025-08-26T10:00:00Z stdout P:x msg");
        assert!(p.unwrap().partial);
        assert_eq!(rest, "msg");
    }

    #[test]
    fn kubectl_timestamps_prefix() {
        let line = "2025-08-26T10:00:00.123456789Z [2025-08-26T10:01:02.411Z] \"GET / HTTP/1.1\" 404 NR route_not_found";
        let (p, rest) = split_prefix(line);
        let p = p.unwrap();
        assert_eq!(p.stream, None);
        assert!(!p.partial);
        assert_eq!(p.ts, Some(ts(123_456_789)));
        assert!(rest.starts_with("[2025-08-26T10:01:02.411Z] \"GET"));
        // Over an istiod line, whose own timestamp follows.
        let (p, rest) = split_prefix(
            "2025-08-26T10:00:00.000000001Z 2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling",
        );
        assert_eq!(p.unwrap().ts, Some(ts(1)));
        assert_eq!(
            rest,
            "2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling"
        );
    }

    #[test]
    fn timestamps_prefix_keeps_leading_spaces_and_level_like_words() {
        let (p, rest) = split_prefix("2025-08-26T10:00:00Z   at main.go:12");
        assert!(p.is_some());
        assert_eq!(rest, "  at main.go:12");
        let (p, rest) = split_prefix("2025-08-26T10:00:00Z info: starting");
        assert!(p.is_some());
        assert_eq!(rest, "info: starting");
        let (p, rest) = split_prefix("2025-08-26T10:00:00Z error");
        assert!(p.is_some());
        assert_eq!(rest, "error");
    }

    #[test]
    fn istiod_lines_are_not_prefixes() {
        for line in [
            "2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling\tgateway=default/httpbin-gateway",
            "2024-09-25T15:15:23.016108Z     error   controllers     error handling x, retrying",
            "2021-12-11T14:05:39.566883Z warning envoy config    gRPC config rejected",
            "2025-08-26T10:00:02.113450Z  warn  Envoy proxy is NOT ready",
        ] {
            assert_eq!(split_prefix(line), (None, line), "{line}");
        }
    }

    #[test]
    fn not_a_timestamp() {
        for line in [
            "",
            "hello",
            "2025-08-26 10:00:00.000 something",
            "2025-13-26T10:00:00.000Z msg",
            "2025-08-26T10:00:00.000000000000000000000000000000000000000000Z msg",
            "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t",
            "2025-08-26T10:00:00Z",
        ] {
            assert_eq!(split_prefix(line), (None, line), "{line:?}");
        }
    }

    #[test]
    fn level_words_agree_with_the_record_type() {
        for w in LEVEL_WORDS {
            assert_eq!(level_of_word(w), Level::from_word(w), "{w}");
        }
        assert_eq!(level_of_word("fatal"), Some(Level::Critical));
        assert_eq!(level_of_word("Warning"), None);
        assert!(!is_level_word("panic"));
    }

    #[test]
    fn scan_is_shape_only() {
        let s = scan("2025-08-26T10:00:00.1Z stdout P x").unwrap();
        assert_eq!(s.ts_len, 22);
        assert_eq!(s.body, 32);
        assert!(s.partial);
        // Month 13 passes the shape test; split_prefix rejects it.
        assert!(scan("2025-13-26T10:00:00.1Z msg").is_some());
        // Non-ASCII after the timestamp never splits a char.
        let (p, rest) = split_prefix("2025-08-26T10:00:00Z é");
        assert!(p.is_some());
        assert_eq!(rest, "é");
    }
}
