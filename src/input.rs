//! Reading one input (a file or stdin) into classified records. The scanner
//! sniffs whether the input is a stream of lines or a YAML/JSON document,
//! reads lines straight out of a large buffer without copying them, and
//! copes with what real files contain: CRLF endings (read, noted once),
//! invalid UTF-8 (replaced, reported), NUL bytes (replaced, reported), lines longer than
//! [`MAX_LINE`] (cut, reported) and compressed archives given by mistake.
//! Every problem names its line; reading goes on after it.
//!
//! In [`Scope::Hits`] and [`Scope::Counts`] mode the scanner asks the [`Prefilter`] first and skips
//! lines that cannot produce a hit, which is how `classify --count` keeps up
//! with grep. [`Scope::All`] parses every line (for `--all`).

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};

use serde_json::Value;

use crate::classify::{Classifier, Hit};
use crate::parse::marker::{self, Marker};
use crate::parse::{self, InputKind, Problem, Reader, access_log};
use crate::prefilter::Prefilter;
use crate::record::{Field, Record, Source};
use crate::signature::SignatureSet;

/// Longest line read in full; the rest of a longer line is dropped with a problem.
pub const MAX_LINE: usize = 1 << 20;

/// Largest YAML/JSON document read whole.
pub const MAX_DOCUMENT: usize = 256 << 20;

/// How much of the input the caller needs to see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Which signature each hit is, without its captures: as [`Scope::Hits`],
    /// for counting.
    Counts,
    /// Only records that hit: lines that cannot hit may be skipped unparsed.
    Hits,
    /// Every record.
    All,
}

/// The signature set and its prefilter, built once per run.
pub struct Engine {
    /// The compiled signatures.
    pub set: SignatureSet,
    /// Whether secrets are redacted before anything goes on (`--no-redact`: false).
    pub redact: bool,
    prefilter: Prefilter,
}

impl Engine {
    /// An engine for a signature set.
    pub fn new(set: SignatureSet) -> Engine {
        let prefilter = Prefilter::new(&set);
        Engine {
            set,
            prefilter,
            redact: true,
        }
    }

    /// The redactor a run's records go through: the built-in kinds and the
    /// user's `[[redact]]` rules, or `None` with `--no-redact`.
    pub fn redactor(&self) -> Option<crate::redact::Redactor> {
        self.redact
            .then(|| crate::redact::Redactor::new(self.set.redactions()))
    }
}

/// What reading one input amounted to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Records produced (parsed lines, events, conditions).
    pub records: u64,
    /// Lines skipped by the prefilter without parsing.
    pub skipped: u64,
    /// Hits, unclassified included.
    pub hits: u64,
    /// Problems reported.
    pub problems: u64,
}

/// Receives what the scanner finds.
pub trait Sink {
    /// A record, with its hit if it has one.
    fn record(&mut self, record: &Record, hit: Option<&Hit>);
    /// A problem in the input.
    fn problem(&mut self, problem: &Problem);
    /// The input's own lines say which pod wrote it (pilot-agent's `Proxy role`).
    fn pod_identified(&mut self, _pod: &str, _namespace: &str) {}
    /// A bundle tool's marker says which container the next lines are from.
    fn section(&mut self, _marker: &Marker) {}
    /// A Kubernetes object of a JSON or YAML document, and the line it starts on.
    fn object(&mut self, _object: &Value, _line: u64) {}
    /// Whether [`Sink::peer`] wants the client of every access log line,
    /// those the prefilter skips included.
    fn counts_peers(&self) -> bool {
        false
    }
    /// The downstream remote address (`ip:port`) of an access log line.
    fn peer(&mut self, _address: &str) {}
}

/// Reads one input to the end, classifying every record.
pub fn scan(
    engine: &Engine,
    input: impl Read,
    scope: Scope,
    sink: &mut dyn Sink,
) -> io::Result<Stats> {
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let head = reader.fill_buf()?;
    if let Some(what) = archive_kind(head) {
        let mut stats = Stats::default();
        report(
            sink,
            &mut stats,
            Problem::new(
                1,
                format!(
                    "this is {what}, not text; extract it first (for example `zcat FILE | aks-gw-logs classify -`)"
                ),
            ),
        );
        return Ok(stats);
    }
    let kind = parse::sniff(&String::from_utf8_lossy(&head[..head.len().min(64 << 10)]));
    let mut scanner = Scanner::new(engine, scope, sink);
    match kind {
        InputKind::Lines => scanner.lines(&mut reader, sink)?,
        InputKind::Json | InputKind::Yaml => scanner.document(&mut reader, kind, sink)?,
    }
    Ok(scanner.stats)
}

fn report(sink: &mut dyn Sink, stats: &mut Stats, problem: Problem) {
    stats.problems += 1;
    sink.problem(&problem);
}

/// What a compressed or archive input starts with, if it is one.
fn archive_kind(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip-compressed data")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("a zip archive")
    } else if head.len() > 262 && &head[257..262] == b"ustar" {
        Some("a tar archive")
    } else if head.starts_with(b"\x28\xb5\x2f\xfd") {
        Some("zstd-compressed data")
    } else {
        None
    }
}

struct Scanner<'e> {
    classifier: Classifier<'e>,
    prefilter: &'e Prefilter,
    reader: Reader,
    scope: Scope,
    /// Whether the sink counts the clients of access log lines.
    peers: bool,
    stats: Stats,
    records: Vec<Record>,
    problems: Vec<Problem>,
    /// Prefilter marks for the lines of the current buffer.
    marks: Vec<usize>,
    /// Whether a CRLF line ending was reported already.
    seen_crlf: bool,
}

/// Classifies a stream of lines handed over one at a time (a followed
/// container log), keeping what multi-line formats need between them.
pub struct LineScanner<'e> {
    scanner: Scanner<'e>,
}

impl<'e> LineScanner<'e> {
    /// A scanner of lines, for records that hit (`Scope::Hits`) or all.
    pub fn new(engine: &'e Engine, scope: Scope, sink: &dyn Sink) -> LineScanner<'e> {
        LineScanner {
            scanner: Scanner::new(engine, scope, sink),
        }
    }

    /// One line, without its newline.
    pub fn push(&mut self, line: &[u8], sink: &mut dyn Sink) {
        let full = line.len();
        let line = &line[..full.min(MAX_LINE)];
        self.scanner.line(line, full, None, false, sink);
    }

    /// Hands over what the reader still holds (the input paused or ended).
    pub fn flush(&mut self, sink: &mut dyn Sink) {
        let s = &mut self.scanner;
        s.reader.finish(&mut s.records, &mut s.problems);
        s.flush(sink);
    }

    /// What was read so far.
    pub fn stats(&self) -> Stats {
        self.scanner.stats
    }
}

impl<'e> Scanner<'e> {
    fn new(engine: &'e Engine, scope: Scope, sink: &dyn Sink) -> Scanner<'e> {
        Scanner {
            classifier: match scope {
                Scope::Counts => Classifier::new(&engine.set).without_captures(),
                Scope::Hits | Scope::All => Classifier::new(&engine.set),
            },
            prefilter: &engine.prefilter,
            reader: Reader::new(),
            scope,
            peers: sink.counts_peers(),
            stats: Stats::default(),
            records: Vec::new(),
            problems: Vec::new(),
            marks: Vec::new(),
            seen_crlf: false,
        }
    }
}

impl Scanner<'_> {
    /// Reports a problem on a line of this input.
    fn report(&mut self, sink: &mut dyn Sink, line: u64, message: impl Into<String>) {
        report(sink, &mut self.stats, Problem::new(line, message));
    }

    fn lines(&mut self, input: &mut impl BufRead, sink: &mut dyn Sink) -> io::Result<()> {
        // The part of a line that began in an earlier buffer, and its full length.
        let mut carry: Vec<u8> = Vec::new();
        let mut carry_len = 0usize;
        loop {
            let buf = match input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            let n = buf.len();
            self.stats.bytes += n as u64;
            let mut pos = 0;
            if carry_len > 0 {
                match memchr::memchr(b'\n', buf) {
                    Some(i) => {
                        append_capped(&mut carry, &buf[..i]);
                        carry_len += i;
                        let line = std::mem::take(&mut carry);
                        self.line(&line, carry_len, None, false, sink);
                        carry = line;
                        carry.clear();
                        carry_len = 0;
                        pos = i + 1;
                    }
                    None => {
                        append_capped(&mut carry, buf);
                        carry_len += n;
                        input.consume(n);
                        continue;
                    }
                }
            }
            // The complete lines of this buffer: one prefilter pass over all
            // of them, then each line knows whether a literal is in it.
            let end = memchr::memrchr(b'\n', &buf[pos..]).map_or(pos, |i| pos + i + 1);
            self.marks.clear();
            if self.scope != Scope::All {
                self.prefilter.mark_lines(&buf[pos..end], &mut self.marks);
            }
            // NUL bytes are rare: one search of the buffer spares one per line.
            let nul_free = memchr::memchr(0, &buf[pos..end]).is_none();
            let mut next_mark = 0;
            let base = pos;
            while let Some(i) = memchr::memchr(b'\n', &buf[pos..end]) {
                let line_end = pos + i;
                let marked = self
                    .marks
                    .get(next_mark)
                    .is_some_and(|&m| base + m < line_end + 1);
                if marked {
                    next_mark += 1;
                }
                self.line(&buf[pos..line_end], i, Some(marked), nul_free, sink);
                pos = line_end + 1;
            }
            if pos < n {
                append_capped(&mut carry, &buf[pos..]);
                carry_len = n - pos;
            }
            input.consume(n);
        }
        if carry_len > 0 {
            let line = std::mem::take(&mut carry);
            self.line(&line, carry_len, None, false, sink);
        }
        self.reader.finish(&mut self.records, &mut self.problems);
        self.flush(sink);
        Ok(())
    }

    /// One line (no newline); `full_len` is its length before any cut;
    /// `marked` is the prefilter's verdict when the caller already has it;
    /// `nul_free` when the caller knows the line has no NUL byte.
    fn line(
        &mut self,
        bytes: &[u8],
        full_len: usize,
        marked: Option<bool>,
        nul_free: bool,
        sink: &mut dyn Sink,
    ) {
        self.stats.lines += 1;
        let lineno = self.stats.lines;
        let bytes = match bytes.strip_suffix(b"\r") {
            Some(stripped) => {
                if !self.seen_crlf {
                    self.seen_crlf = true;
                    self.report(
                        sink,
                        lineno,
                        "CRLF (Windows) line endings from here on; read without the CR",
                    );
                }
                stripped
            }
            None => bytes,
        };
        if full_len > MAX_LINE {
            self.report(
                sink,
                lineno,
                format!(
                    "line is {full_len} bytes long; only the first {} MiB was read",
                    MAX_LINE >> 20
                ),
            );
        }
        if bytes.first() == Some(&b'=')
            && let Some(marker) = std::str::from_utf8(bytes).ok().and_then(marker::parse)
        {
            // What was read so far belongs to the section that ends here.
            self.reader.finish(&mut self.records, &mut self.problems);
            self.flush(sink);
            sink.section(&marker);
            return;
        }
        if self.scope != Scope::All
            && !marked.unwrap_or_else(|| self.prefilter.may_match(bytes))
            && (nul_free || memchr::memchr(0, bytes).is_none())
            && let Ok(text) = std::str::from_utf8(bytes)
            && !self.must_parse(text)
        {
            self.stats.skipped += 1;
            if self.peers {
                let body = parse::prefix::scan(text).map_or(text, |s| &text[s.body..]);
                if let Some(address) = access_log::downstream_remote(body) {
                    sink.peer(address);
                }
            }
            return;
        }
        let text = self.decode(bytes, lineno, sink);
        self.reader
            .push_line(&text, lineno, &mut self.records, &mut self.problems);
        self.flush(sink);
    }

    /// `true` when a line without a prefilter literal must still be parsed:
    /// it is structurally special, or the reader wants it.
    fn must_parse(&self, text: &str) -> bool {
        let body = match parse::prefix::scan(text) {
            Some(s) if s.partial => return true,
            Some(s) => &text[s.body..],
            None => text,
        };
        self.prefilter.body_needs_parse(body) || self.reader.wants_body(body)
    }

    /// The line as text: NUL bytes and invalid UTF-8 replaced, with a problem.
    fn decode<'b>(&mut self, bytes: &'b [u8], lineno: u64, sink: &mut dyn Sink) -> Cow<'b, str> {
        let mut text = match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(err) => {
                self.report(sink, lineno, format!(
                            "invalid UTF-8 at byte {}; expected UTF-8 text, read with U+FFFD in place of the bad bytes",
                            err.valid_up_to() + 1
                        ));
                String::from_utf8_lossy(bytes)
            }
        };
        if text.contains('\0') {
            let count = text.bytes().filter(|&b| b == 0).count();
            self.report(sink, lineno, format!(
                        "{count} NUL byte(s) in the line (binary data?); read with U+FFFD in their place"
                    ));
            text = Cow::Owned(text.replace('\0', "\u{FFFD}"));
        }
        text
    }

    fn document(
        &mut self,
        input: &mut impl BufRead,
        kind: InputKind,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let mut bytes = Vec::new();
        input
            .take(MAX_DOCUMENT as u64 + 1)
            .read_to_end(&mut bytes)?;
        self.stats.bytes = bytes.len() as u64;
        if bytes.len() > MAX_DOCUMENT {
            bytes.truncate(MAX_DOCUMENT);
            self.report(
                sink,
                1,
                format!(
                    "document is larger than {} MiB; only that much was read",
                    MAX_DOCUMENT >> 20
                ),
            );
        }
        self.stats.lines = bytecount_lines(&bytes);
        let text = self.decode(&bytes, 1, sink).into_owned();
        self.records = parse::parse_document_with(&text, kind, &mut self.problems, &mut |o, l| {
            sink.object(o, l);
        });
        self.flush(sink);
        Ok(())
    }

    /// Classifies and hands over the records and problems gathered so far.
    fn flush(&mut self, sink: &mut dyn Sink) {
        for problem in self.problems.drain(..) {
            self.stats.problems += 1;
            sink.problem(&problem);
        }
        for record in self.records.drain(..) {
            self.stats.records += 1;
            if let Some((pod, namespace)) = crate::classify::proxy_identity(&record) {
                sink.pod_identified(pod, namespace);
            }
            if self.peers
                && record.source == Source::AccessLog
                && let Some(address) = record.get(&Field::RemoteAddress)
            {
                sink.peer(address);
            }
            let hit = self.classifier.classify(&record);
            if hit.is_some() {
                self.stats.hits += 1;
            }
            if hit.is_some() || self.scope == Scope::All {
                sink.record(&record, hit.as_ref());
            }
        }
    }
}

fn append_capped(carry: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_LINE.saturating_sub(carry.len());
    carry.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

fn bytecount_lines(bytes: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', bytes).count() as u64;
    newlines + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_are_recognised_by_their_magic() {
        assert_eq!(
            archive_kind(&[0x1f, 0x8b, 8, 0]),
            Some("gzip-compressed data")
        );
        assert_eq!(archive_kind(b"PK\x03\x04rest"), Some("a zip archive"));
        assert_eq!(archive_kind(b"2025-08-26T10:00:00Z info x"), None);
    }

    #[test]
    fn line_counts_include_an_unterminated_last_line() {
        assert_eq!(bytecount_lines(b"a\nb\n"), 2);
        assert_eq!(bytecount_lines(b"a\nb"), 2);
        assert_eq!(bytecount_lines(b""), 0);
    }
}
