//! The prefixes a log line can carry before its own text: the CRI on-disk
//! prefix (`TS stdout|stderr P|F msg`, written by containerd under
//! `/var/log/pods`), the `kubectl logs --timestamps` prefix (`TS msg`) and
//! the syslog/journal prefix of `journalctl -u kubelet` output (AKS
//! Periscope's `systemlogs/kubelet`):
//!
//! - `Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]: msg`
//!   (`journalctl`'s default `short` form; also the `ident: ` form without a
//!   pid, a space-padded day `Aug  6` as rsyslog writes it, and the
//!   `short-precise` fraction `10:00:31.123456`);
//! - `2025-08-26T10:00:31+0000 host kubelet[1234]: msg` (`-o short-iso`, and
//!   `short-iso-precise` with a fraction; the zone may be `+00:00`).
//!
//! The hard part is telling a `--timestamps` prefix from an istiod or Envoy
//! line, which also starts with a timestamp: those follow it with a TAB, or,
//! when tabs were lost in a copy and paste, with spaces and a level word.
//! A journal prefix is told by its `host ident[pid]: ` tail, after a
//! capitalised month name and a space (the first bytes reject every other
//! line) or after an ISO timestamp with a numeric zone: `kubectl logs
//! --timestamps` writes `Z` on AKS nodes, which run in UTC, so its lines are
//! not even looked at for a host and ident.
//!
//! Journal time: the `short` form has no year and no zone. It is read as
//! UTC (AKS nodes run in UTC) and takes its year from the current time
//! exactly as klog's `MMDD` does (`time::klog_timestamp`: this year, or last
//! year when that would put the line more than a day in the future). A body
//! with its own time (klog) keeps that time, the prefix time only fills in
//! records that have none; and when the prefix is the `short-iso` form, which
//! has a year, a klog body takes its year from the prefix instead of from
//! the current time ([`klog_year_from`]).
//!
//! [`scan`] is the allocation-free structural test shared with
//! `line::always_parse`; [`split_prefix`] adds the timestamp itself.

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::parse::time;
use crate::record::Level;

/// What a line prefix said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix<'a> {
    /// The prefix timestamp.
    pub ts: Option<DateTime<Utc>>,
    /// CRI stream (`stdout`/`stderr`), `None` for a `--timestamps` or journal prefix.
    pub stream: Option<&'a str>,
    /// CRI `P`: this is a partial line continued by the next one of the same stream.
    pub partial: bool,
    /// Host and identifier of a syslog/journal prefix.
    pub journal: Option<Journal<'a>>,
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

/// The host and identifier of a syslog/journal prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Journal<'a> {
    /// The host name (`aks-nodepool1-12345678-vmss000000`).
    pub host: &'a str,
    /// The syslog identifier (`kubelet`, `containerd`, `systemd`): the
    /// program, not the unit (`journalctl -u kubelet` also shows `systemd[1]:`
    /// lines about `kubelet.service`).
    pub ident: &'a str,
    /// The pid in `ident[pid]:`, if written.
    pub pid: Option<&'a str>,
    /// `true` for the `short-iso` form, whose timestamp has a year and a zone.
    pub iso: bool,
}

/// The shape of a prefix found by [`scan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scan<'a> {
    /// Length of the timestamp text at the start of the line.
    pub ts_len: usize,
    /// CRI stream, `None` for a `--timestamps` or journal prefix.
    pub stream: Option<&'a str>,
    /// CRI partial tag `P`.
    pub partial: bool,
    /// Where the line's own text starts.
    pub body: usize,
    /// Host and identifier of a syslog/journal prefix.
    pub journal: Option<Journal<'a>>,
}

/// Finds a prefix by shape only (no date validation, no allocation).
///
/// A line starting with a digit may have a timestamp-like token
/// `YYYY-MM-DDThh:mm:ss…`, then either a CRI `stdout|stderr TAG `, or (when
/// the token ends with a numeric zone) a journal `host ident[pid]: `, or a
/// single space not followed by (spaces and) a level word and whitespace. A
/// timestamp followed by a TAB is never a prefix. A line starting with a
/// capitalised month name and a space may have a journal prefix
/// `Mon dd hh:mm:ss[.ffffff] host ident[pid]: `. Any other line is rejected
/// on its first bytes.
#[inline]
pub fn scan(line: &str) -> Option<Scan<'_>> {
    match line.as_bytes().first()? {
        b'0'..=b'9' => scan_iso(line),
        // Initials of month names; klog's `I`, `W` and `E` never get here,
        // and its `F` fails on the fourth byte.
        b'A' | b'D' | b'F' | b'J' | b'M' | b'N' | b'O' | b'S' => scan_syslog(line),
        _ => None,
    }
}

/// [`scan`] for a line starting with a digit.
fn scan_iso(line: &str) -> Option<Scan<'_>> {
    let b = line.as_bytes();
    if b.len() < 21
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
    if numeric_zone(&b[19..ts_len])
        && let Some((mut journal, body)) = journal_tail(line, ts_len + 1)
    {
        journal.iso = true;
        return Some(Scan {
            ts_len,
            stream: None,
            partial: false,
            body,
            journal: Some(journal),
        });
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
        journal: None,
    })
}

/// `true` when the end of a timestamp (after the seconds) is a numeric zone
/// `±hhmm` or `±hh:mm`, as `journalctl -o short-iso` writes it.
fn numeric_zone(tail: &[u8]) -> bool {
    let n = tail.len();
    let digit = |i: usize| tail[i].is_ascii_digit();
    let sign = |i: usize| matches!(tail[i], b'+' | b'-');
    (n >= 5 && sign(n - 5) && digit(n - 4) && digit(n - 3) && digit(n - 2) && digit(n - 1))
        || (n >= 6
            && sign(n - 6)
            && digit(n - 5)
            && digit(n - 4)
            && tail[n - 3] == b':'
            && digit(n - 2)
            && digit(n - 1))
}

/// The month number of a capitalised English month abbreviation.
fn month_number(name: &[u8]) -> Option<u32> {
    Some(match name {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

/// Most fraction digits read after the seconds of a syslog timestamp.
const MAX_FRACTION: usize = 9;

/// [`scan`] for a line starting with a month initial: the classic syslog
/// time `Mon dd hh:mm:ss[.f]` (day `dd`, ` d` or `d`), then [`journal_tail`].
fn scan_syslog(line: &str) -> Option<Scan<'_>> {
    let b = line.as_bytes();
    // `Aug 6 10:00:31 h i:` is the shortest: 19 bytes.
    if b.len() < 19 || b[3] != b' ' {
        return None;
    }
    month_number(&b[..3])?;
    let mut i = 4 + usize::from(b[4] == b' ');
    let day = i;
    while i < day + 2 && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == day || b[i] != b' ' {
        return None;
    }
    i += 1;
    let clock = b.get(i..i + 8)?;
    let d = |k: usize| clock[k].is_ascii_digit();
    if !(d(0) && d(1) && clock[2] == b':' && d(3) && d(4) && clock[5] == b':' && d(6) && d(7)) {
        return None;
    }
    i += 8;
    if b.get(i) == Some(&b'.') {
        let n = b[i + 1..]
            .iter()
            .take(MAX_FRACTION + 1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || n > MAX_FRACTION {
            return None;
        }
        i += 1 + n;
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let (journal, body) = journal_tail(line, i + 1)?;
    Some(Scan {
        ts_len: i,
        stream: None,
        partial: false,
        body,
        journal: Some(journal),
    })
}

/// Longest host name read (DNS allows 253).
const MAX_HOST: usize = 253;
/// Longest syslog identifier read (journald keeps any length; real ones are short).
const MAX_IDENT: usize = 64;
/// Most digits of a pid.
const MAX_PID: usize = 10;

/// Reads `host ident[pid]: ` or `host ident: ` at `at` (the end of line may
/// stand for the space after the colon); returns it and where the body starts.
/// The host is letters, digits, `-`, `.` and `_`; the identifier is printable
/// ASCII without `[` or `:` (`kubelet`, `systemd`, `(kubelet)`, `kube-proxy`).
fn journal_tail(line: &str, at: usize) -> Option<(Journal<'_>, usize)> {
    let b = line.as_bytes();
    let rest = b.get(at..)?;
    let host_len = rest
        .iter()
        .take(MAX_HOST + 1)
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')))?;
    if host_len == 0 || rest[host_len] != b' ' {
        return None;
    }
    let id_at = host_len + 1;
    let id = &rest[id_at..];
    let id_len = id
        .iter()
        .take(MAX_IDENT + 1)
        .position(|&c| !c.is_ascii_graphic() || c == b'[' || c == b':')?;
    if id_len == 0 {
        return None;
    }
    let mut j = id_len;
    let mut pid = None;
    if id[j] == b'[' {
        let n = id[j + 1..]
            .iter()
            .take(MAX_PID + 1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || n > MAX_PID || id.get(j + 1 + n) != Some(&b']') {
            return None;
        }
        pid = Some(&line[at + id_at + j + 1..at + id_at + j + 1 + n]);
        j += n + 2;
    }
    if id.get(j) != Some(&b':') {
        return None;
    }
    j += 1;
    match id.get(j) {
        None => {}
        Some(b' ') => j += 1,
        Some(_) => return None,
    }
    // Everything read is ASCII, so these are char boundaries.
    let journal = Journal {
        host: &line[at..at + host_len],
        ident: &line[at + id_at..at + id_at + id_len],
        pid,
        iso: false,
    };
    Some((journal, at + id_at + j))
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
        journal: None,
    })
}

/// Splits a CRI (`TS stdout F msg`), `kubectl logs --timestamps` (`TS msg`)
/// or syslog/journal (`Aug 26 10:00:31 host kubelet[1234]: msg`) prefix off
/// a line. A journal time without a year takes it from the current time
/// (see the module doc); [`split_prefix_at`] takes the reference instant.
pub fn split_prefix(line: &str) -> (Option<Prefix<'_>>, &str) {
    split_prefix_with(line, Utc::now)
}

/// [`split_prefix`] with the instant a yearless journal time is read near.
pub fn split_prefix_at(line: &str, reference: DateTime<Utc>) -> (Option<Prefix<'_>>, &str) {
    split_prefix_with(line, || reference)
}

fn split_prefix_with(
    line: &str,
    reference: impl FnOnce() -> DateTime<Utc>,
) -> (Option<Prefix<'_>>, &str) {
    let Some(found) = scan(line) else {
        return (None, line);
    };
    let text = &line[..found.ts_len];
    let ts = match found.journal {
        Some(j) if !j.iso => syslog_time(text, reference()),
        _ => time::rfc3339(text),
    };
    let Some(ts) = ts else {
        return (None, line);
    };
    (
        Some(Prefix {
            ts: Some(ts),
            stream: found.stream,
            partial: found.partial,
            journal: found.journal,
        }),
        &line[found.body..],
    )
}

/// Longest klog-style time text built here: `MMDD hh:mm:ss.` and nine digits.
const KLOG_TIME_MAX: usize = 14 + MAX_FRACTION;

/// Reads a syslog time `Mon dd hh:mm:ss[.f]` (as [`scan`] found it) with
/// klog's year rule, by handing `MMDD hh:mm:ss[.f]` to `time::klog_timestamp`.
fn syslog_time(text: &str, reference: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let month = month_number(b.get(..3)?)?;
    let rest = b.get(4..)?.trim_ascii_start();
    let gap = rest.iter().position(|&c| c == b' ')?;
    let (day, clock) = (&rest[..gap], &rest[gap + 1..]);
    let mut buf = [b'0'; KLOG_TIME_MAX];
    buf[0] = b'0' + (month / 10) as u8;
    buf[1] = b'0' + (month % 10) as u8;
    match day {
        [d] => buf[3] = *d,
        [d1, d2] => buf[2..4].copy_from_slice(&[*d1, *d2]),
        _ => return None,
    }
    buf[4] = b' ';
    let end = 5 + clock.len();
    buf.get_mut(5..end)?.copy_from_slice(clock);
    match time::klog_timestamp(&buf[..end], reference)? {
        (ts, used) if used == end => Some(ts),
        _ => None,
    }
}

/// A klog time whose year was guessed from the current time, moved to the
/// year klog's rule gives it near `reference` (a journal `short-iso` time of
/// the same line, which has a year). Month, day and time of day are kept.
pub fn klog_year_from(ts: DateTime<Utc>, reference: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = ts.nanosecond();
    if nanos >= 1_000_000_000 {
        return ts; // a leap second: keep it as read
    }
    let two = |v: u32| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
    let mut buf = [b'0'; KLOG_TIME_MAX];
    buf[..2].copy_from_slice(&two(ts.month()));
    buf[2..4].copy_from_slice(&two(ts.day()));
    buf[4] = b' ';
    buf[5..7].copy_from_slice(&two(ts.hour()));
    buf[7] = b':';
    buf[8..10].copy_from_slice(&two(ts.minute()));
    buf[10] = b':';
    buf[11..13].copy_from_slice(&two(ts.second()));
    buf[13] = b'.';
    let mut n = nanos;
    for k in (14..KLOG_TIME_MAX).rev() {
        buf[k] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    time::klog_timestamp(&buf, reference).map_or(ts, |(t, _)| t)
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

    fn reference() -> DateTime<Utc> {
        utc(2025, 9, 1, 0, 0, 0, 0)
    }

    fn journal(line: &str) -> (Prefix<'_>, &str) {
        match split_prefix_at(line, reference()) {
            (Some(p), rest) => (p, rest),
            (None, _) => panic!("no journal prefix in {line:?}"),
        }
    }

    const HOST: &str = "aks-nodepool1-12345678-vmss000000";

    #[test]
    fn journal_kubelet_klog_lines() {
        for (line, body) in [
            (
                r#"Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]: I0826 10:00:31.123456    1234 prober.go:107] "Probe failed" probeType="Readiness" pod="default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz" podUID="0d2a6b1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d" containerName="istio-proxy" probeResult="failure" output="HTTP probe failed with statuscode: 503""#,
                r#"I0826 10:00:31.123456    1234 prober.go:107] "Probe failed" probeType="Readiness" pod="default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz" podUID="0d2a6b1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d" containerName="istio-proxy" probeResult="failure" output="HTTP probe failed with statuscode: 503""#,
            ),
            (
                r#"Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]: E0826 10:00:31.123456    1234 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"istio-proxy\" with CrashLoopBackOff: \"back-off 5m0s restarting failed container=istio-proxy pod=httpbin-gateway-istio-6d9f7c8b5d-x2kqz_default(0d2a6b1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d)\"" pod="default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz" podUID="0d2a6b1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d""#,
                r#"E0826 10:00:31.123456    1234 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"istio-proxy\" with CrashLoopBackOff: \"back-off 5m0s restarting failed container=istio-proxy pod=httpbin-gateway-istio-6d9f7c8b5d-x2kqz_default(0d2a6b1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d)\"" pod="default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz" podUID="0d2a6b1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d""#,
            ),
            (
                r#"Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]: E0826 10:00:31.123456    1234 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"istio-proxy\" with ErrImagePull: \"rpc error: code = NotFound desc = failed to pull and unpack image \\\"mcr.microsoft.com/oss/istio/proxyv2:1.26.99-distroless\\\": not found\"" pod="apps/web-gw-istio-7c9d8b6f5-abcde""#,
                r#"E0826 10:00:31.123456    1234 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"istio-proxy\" with ErrImagePull: \"rpc error: code = NotFound desc = failed to pull and unpack image \\\"mcr.microsoft.com/oss/istio/proxyv2:1.26.99-distroless\\\": not found\"" pod="apps/web-gw-istio-7c9d8b6f5-abcde""#,
            ),
        ] {
            let (p, rest) = journal(line);
            assert_eq!(rest, body);
            assert_eq!(p.ts, Some(utc(2025, 8, 26, 10, 0, 31, 0)));
            assert_eq!(p.stream, None);
            assert!(!p.partial);
            assert_eq!(
                p.journal,
                Some(Journal {
                    host: HOST,
                    ident: "kubelet",
                    pid: Some("1234"),
                    iso: false,
                })
            );
        }
    }

    #[test]
    fn journal_without_pid_and_other_idents() {
        let (p, rest) = journal(
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet: Flag --pod-infra-container-image has been deprecated",
        );
        let j = p.journal.unwrap();
        assert_eq!((j.host, j.ident, j.pid), (HOST, "kubelet", None));
        assert_eq!(rest, "Flag --pod-infra-container-image has been deprecated");
        // systemd's own lines about the unit, and the pre-exec `(kubelet)` form.
        let (p, rest) = journal(
            "Aug 26 10:00:40 aks-nodepool1-12345678-vmss000000 systemd[1]: kubelet.service: Main process exited, code=exited, status=255/EXCEPTION",
        );
        assert_eq!(p.journal.unwrap().ident, "systemd");
        assert_eq!(p.journal.unwrap().pid, Some("1"));
        assert!(rest.starts_with("kubelet.service: Main process exited"));
        let (p, rest) = journal(
            "Aug 26 10:00:41 aks-nodepool1-12345678-vmss000000 (kubelet)[5678]: kubelet.service: Referenced but unset environment variable evaluates to an empty string: KUBELET_TLS_BOOTSTRAP_FLAGS",
        );
        assert_eq!(p.journal.unwrap().ident, "(kubelet)");
        assert!(rest.starts_with("kubelet.service: Referenced"));
        // An empty message, at the end of the line.
        let (p, rest) = journal("Aug 26 10:00:31 node-1 kubelet[1234]:");
        assert_eq!(p.journal.unwrap().host, "node-1");
        assert_eq!(rest, "");
    }

    #[test]
    fn journal_day_padding_and_fraction() {
        for (line, ts) in [
            (
                "Aug  6 10:00:31 host kubelet[1]: x",
                utc(2025, 8, 6, 10, 0, 31, 0),
            ),
            (
                "Aug 6 10:00:31 host kubelet[1]: x",
                utc(2025, 8, 6, 10, 0, 31, 0),
            ),
            (
                "Aug 06 10:00:31 host kubelet[1]: x",
                utc(2025, 8, 6, 10, 0, 31, 0),
            ),
            (
                "Aug 26 10:00:31.123456 host kubelet[1]: x",
                utc(2025, 8, 26, 10, 0, 31, 123_456_000),
            ),
            (
                "Jan 31 23:59:59 host kubelet[1]: x",
                utc(2025, 1, 31, 23, 59, 59, 0),
            ),
            (
                "May 5 00:00:00 host kubelet[1]: x",
                utc(2025, 5, 5, 0, 0, 0, 0),
            ),
        ] {
            let (p, rest) = journal(line);
            assert_eq!(p.ts, Some(ts), "{line}");
            assert_eq!(rest, "x", "{line}");
        }
    }

    #[test]
    fn journal_year_follows_the_klog_rule() {
        // A December line read in January belongs to last year.
        let january = utc(2026, 1, 2, 0, 0, 0, 0);
        let (p, _) = split_prefix_at("Dec 31 23:59:59 host kubelet[1]: x", january);
        assert_eq!(p.unwrap().ts, Some(utc(2025, 12, 31, 23, 59, 59, 0)));
        // Up to a day ahead of the reference stays in its year.
        let (p, _) = split_prefix_at("Jan  3 00:00:00 host kubelet[1]: x", january);
        assert_eq!(p.unwrap().ts, Some(utc(2026, 1, 3, 0, 0, 0, 0)));
        // Feb 29 of a non-leap year: the last leap year, if it was last year.
        let (p, _) = split_prefix_at(
            "Feb 29 01:00:00 host kubelet[1]: x",
            utc(2025, 3, 1, 0, 0, 0, 0),
        );
        assert_eq!(p.unwrap().ts, Some(utc(2024, 2, 29, 1, 0, 0, 0)));
        // `split_prefix` reads near the current time: the line still splits.
        let (p, rest) = split_prefix("Aug 26 10:00:31 host kubelet[1]: x");
        assert!(p.unwrap().ts.is_some());
        assert_eq!(rest, "x");
    }

    #[test]
    fn journal_short_iso() {
        let (p, rest) = journal(
            r#"2025-08-26T10:00:31+0000 aks-nodepool1-12345678-vmss000000 kubelet[1234]: E0826 10:00:31.123456    1234 kuberuntime_manager.go:1274] "Unhandled Error" err="container istio-proxy start failed in pod httpbin-gateway-istio-6d9f7c8b5d-x2kqz_default: ErrImagePull""#,
        );
        assert_eq!(p.ts, Some(utc(2025, 8, 26, 10, 0, 31, 0)));
        assert_eq!(
            p.journal,
            Some(Journal {
                host: HOST,
                ident: "kubelet",
                pid: Some("1234"),
                iso: true,
            })
        );
        assert!(rest.starts_with("E0826 10:00:31.123456    1234 kuberuntime_manager.go:1274]"));
        // `short-iso-precise`, a `+hh:mm` zone, a zone other than UTC, no pid.
        for (line, ts) in [
            (
                "2025-08-26T10:00:31.123456+0000 host kubelet[1]: x",
                utc(2025, 8, 26, 10, 0, 31, 123_456_000),
            ),
            (
                "2025-08-26T10:00:31+00:00 host kubelet[1]: x",
                utc(2025, 8, 26, 10, 0, 31, 0),
            ),
            (
                "2025-08-26T12:00:31+0200 host kubelet: x",
                utc(2025, 8, 26, 10, 0, 31, 0),
            ),
            (
                "2025-08-26T03:00:31.5-07:00 host kubelet[1]: x",
                utc(2025, 8, 26, 10, 0, 31, 500_000_000),
            ),
        ] {
            let (p, rest) = journal(line);
            assert_eq!(p.ts, Some(ts), "{line}");
            assert!(p.journal.unwrap().iso, "{line}");
            assert_eq!(rest, "x", "{line}");
        }
    }

    #[test]
    fn timestamps_prefix_in_utc_is_never_a_journal() {
        // `kubectl logs --timestamps` writes `Z`: `web server:` is the message.
        let (p, rest) =
            split_prefix("2025-08-26T10:00:00.123456789Z web server: listening on :8080");
        let p = p.unwrap();
        assert_eq!(p.journal, None);
        assert_eq!(rest, "web server: listening on :8080");
        // With a numeric zone but no `host ident:` shape it stays a `--timestamps` prefix.
        let (p, rest) = split_prefix("2025-08-26T10:00:00+0000 listening on :8080");
        assert_eq!(p.unwrap().journal, None);
        assert_eq!(rest, "listening on :8080");
        // A CRI prefix with a numeric zone is still CRI.
        let (p, rest) = split_prefix("2025-08-26T10:00:00.5+02:00 stdout F host kubelet[1]: x");
        assert_eq!(p.unwrap().stream, Some("stdout"));
        assert_eq!(rest, "host kubelet[1]: x");
    }

    #[test]
    fn journal_look_alikes_are_not_prefixes() {
        for line in [
            "[2025-08-26 10:00:00.000][15][warning][config] [source/common/config/grpc_stream.h:91] StreamAggregatedResources gRPC config stream closed: 14, no healthy upstream",
            "2025-08-26T10:00:00.101234Z\twarn\tgateway\tAug 26 10:00:31 host kubelet[1]: x",
            "2021-12-11T14:05:39.566883Z warning envoy config    gRPC config rejected: x",
            "May 5 is when the node pool was upgraded: nothing changed",
            "May 5 10:00 node: the clock has no seconds",
            "Aug 26 10:00:31",
            "Aug 26 10:00:31 ",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]:x",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[]: x",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[12a]: x",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000: x",
            "Aug 26 10:00:31 node kubelet [1]: x",
            "Aug 26 10:00:31  node kubelet[1]: x",
            "Aug 26 10:00:31.: node kubelet[1]: x",
            "Aug 26 10:00:31.1234567890 node kubelet[1]: x",
            "Aug 126 10:00:31 node kubelet[1]: x",
            "Aug 26 1:00:31 node kubelet[1]: x",
            "AUG 26 10:00:31 node kubelet[1]: x",
            "Augu 26 10:00:31 node kubelet[1]: x",
            "Mon 2025-08-26 10:00:31 UTC node kubelet[1]: x",
            "F0826 10:00:31.123456    1234 server.go:310] failed to run Kubelet: x",
            "Failed to pull image: x",
            // Valid shape, impossible date or time: not split (read as text).
            "Aug 32 10:00:31 node kubelet[1]: x",
            "Feb 30 10:00:31 node kubelet[1]: x",
            "Aug 26 24:00:31 node kubelet[1]: x",
        ] {
            assert_eq!(split_prefix_at(line, reference()), (None, line), "{line:?}");
        }
    }

    #[test]
    fn journal_scan_is_shape_only() {
        let line = "Aug  6 10:00:31.5 n k[7]: é";
        let s = scan(line).unwrap();
        assert_eq!(s.ts_len, 17);
        assert_eq!(&line[s.body..], "é");
        assert_eq!(
            s.journal,
            Some(Journal {
                host: "n",
                ident: "k",
                pid: Some("7"),
                iso: false,
            })
        );
        // An impossible date passes the shape test; split_prefix rejects it.
        assert!(scan("Aug 32 10:00:31 node kubelet[1]: x").is_some());
        // Non-ASCII where the host or identifier would be is not a prefix.
        assert_eq!(scan("Aug 26 10:00:31 nœud kubelet[1]: x"), None);
        assert_eq!(scan("Aug 26 10:00:31 node kübelet[1]: x"), None);
    }

    #[test]
    fn klog_year_from_a_dated_prefix() {
        let guessed = utc(2026, 12, 31, 23, 59, 59, 500_000_000);
        let journal = utc(2025, 1, 1, 0, 0, 0, 0);
        assert_eq!(
            klog_year_from(guessed, journal),
            utc(2024, 12, 31, 23, 59, 59, 500_000_000)
        );
        let guessed = utc(2026, 8, 26, 10, 0, 31, 123_456_789);
        assert_eq!(
            klog_year_from(guessed, utc(2025, 8, 26, 10, 0, 31, 0)),
            utc(2025, 8, 26, 10, 0, 31, 123_456_789)
        );
    }
}
