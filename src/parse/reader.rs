//! The two ways text enters the parsers. [`sniff`] judges from an input's
//! first bytes whether it is a stream of lines or a structured document.
//! [`parse_document`] reads JSON (one or more values: an Event, a Gateway, a
//! `List`, watch output) or YAML (documents split at `---`), each document on
//! its own so a broken one is reported as a [`Problem`] and the rest is read.
//! [`Reader`] reads lines: it removes CRI, `--timestamps` and syslog/journal
//! (`journalctl -u kubelet`) prefixes, joins CRI partial (`P`) lines, follows
//! `kubectl get events` tables and `kubectl describe` text across lines,
//! turns single-line Kubernetes JSON objects into Event and Condition
//! records, and hands every other line to `line::parse_line`.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::parse::describe::{Describe, Step};
use crate::parse::event_table::{EventTable, Row};
use crate::parse::{Problem, condition, event, line, prefix};
use crate::record::{Field, Format, Record};

/// What an input is, judged from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A stream of lines.
    Lines,
    /// One or more multi-line JSON documents.
    Json,
    /// One or more YAML documents.
    Yaml,
}

/// Top-level keys that open a Kubernetes YAML document.
const YAML_OPENERS: [&str; 5] = ["apiVersion:", "kind:", "items:", "metadata:", "status:"];

/// Judges the kind of an input from its first bytes (`head`, a few KB).
///
/// JSON when the first non-blank character opens an object or array and the
/// first line alone is an incomplete JSON value (so JSON-lines logs, and
/// Envoy's `[2025-...]` lines, stay lines); YAML when the first line that is
/// neither blank nor a comment is `---` or starts with a Kubernetes top-level
/// key; lines otherwise.
pub fn sniff(head: &str) -> InputKind {
    let head = head.strip_prefix('\u{feff}').unwrap_or(head);
    let body = head.trim_start();
    if body.starts_with(['{', '[']) {
        let Some(end) = body.find('\n') else {
            return InputKind::Lines;
        };
        let first = body[..end].trim_end_matches('\r');
        return match serde_json::from_str::<IgnoredAny>(first) {
            Err(e) if e.is_eof() => InputKind::Json,
            _ => InputKind::Lines,
        };
    }
    for l in head.lines() {
        let t = l.trim_end();
        if t.trim_start().is_empty() || t.trim_start().starts_with('#') {
            continue;
        }
        let yaml =
            t == "---" || t.starts_with("--- ") || YAML_OPENERS.iter().any(|p| t.starts_with(p));
        return if yaml {
            InputKind::Yaml
        } else {
            InputKind::Lines
        };
    }
    InputKind::Lines
}

/// Parses a whole input of the given kind into records. Events and Gateway
/// API conditions are read from JSON and YAML; a `List` (or `EventList`, or
/// a `--watch -o json` event wrapper) is opened and each item gets the line
/// it starts on. Other objects give no records.
pub fn parse_document(text: &str, kind: InputKind, problems: &mut Vec<Problem>) -> Vec<Record> {
    parse_document_with(text, kind, problems, &mut |_, _| {})
}

/// [`parse_document`], also calling `on_object` with every object of a JSON
/// or YAML document (see [`each_object`]) and the line it starts on.
pub fn parse_document_with(
    text: &str,
    kind: InputKind,
    problems: &mut Vec<Problem>,
    on_object: &mut dyn FnMut(&Value, u64),
) -> Vec<Record> {
    let mut out = Vec::new();
    let mut visit = |object: &Value, line: u64| {
        records_of_object(object, line, &mut out);
        on_object(object, line);
    };
    match kind {
        InputKind::Lines => {
            let mut reader = Reader::new();
            let mut out = Vec::new();
            for (i, l) in text.lines().enumerate() {
                reader.push_line(l, i as u64 + 1, &mut out, problems);
            }
            reader.finish(&mut out, problems);
            return out;
        }
        InputKind::Json => json_documents(text, problems, &mut visit),
        InputKind::Yaml => yaml_documents(text, problems, &mut visit),
    }
    out
}

/// Byte offsets where each line starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The 1-based line holding byte `pos`.
fn line_of(starts: &[usize], pos: usize) -> u64 {
    starts.partition_point(|&s| s <= pos) as u64
}

/// Emits the records a JSON or YAML value holds.
fn records_from_value(value: &Value, line: u64, item_lines: &[u64], out: &mut Vec<Record>) {
    each_object(value, line, item_lines, &mut |object, at| {
        records_of_object(object, at, out);
    });
}

/// The records of one object: an Event, or the conditions of a Gateway
/// API object.
fn records_of_object(object: &Value, line: u64, out: &mut Vec<Record>) {
    if let Some(record) = event::from_json(object, line) {
        out.push(record);
    } else {
        condition::from_object(object, line, out);
    }
}

/// Calls `visit` with every object a JSON or YAML value holds, and the line
/// it starts on: `List` items (given the `kind` and `apiVersion` of a typed
/// list such as `GatewayList` when they lack their own, as the API server
/// returns them), the object of a watch event, or the value itself.
pub fn each_object(
    value: &Value,
    line: u64,
    item_lines: &[u64],
    visit: &mut dyn FnMut(&Value, u64),
) {
    objects_at_depth(value, line, item_lines, visit, 0);
}

fn objects_at_depth(
    value: &Value,
    line: u64,
    item_lines: &[u64],
    visit: &mut dyn FnMut(&Value, u64),
    depth: u32,
) {
    if depth > 8 {
        return;
    }
    let mut items = |list: &Vec<Value>, typed: Option<(&str, Option<&Value>)>| {
        for (i, item) in list.iter().enumerate() {
            let at = if item_lines.len() == list.len() {
                item_lines[i]
            } else {
                line
            };
            match (typed, item.as_object()) {
                (Some((kind, api_version)), Some(obj)) if !obj.contains_key("kind") => {
                    let mut obj = obj.clone();
                    obj.insert("kind".to_string(), Value::String(kind.to_string()));
                    if let Some(av) = api_version
                        && !obj.contains_key("apiVersion")
                    {
                        obj.insert("apiVersion".to_string(), av.clone());
                    }
                    objects_at_depth(&Value::Object(obj), at, &[], visit, depth + 1);
                }
                _ => objects_at_depth(item, at, &[], visit, depth + 1),
            }
        }
    };
    match value {
        Value::Array(list) => items(list, None),
        Value::Object(map) => {
            let kind = map.get("kind").and_then(Value::as_str);
            if let (Some(Value::String(_)), Some(object @ Value::Object(_)), None) =
                (map.get("type"), map.get("object"), kind)
            {
                // A watch event: {"type": "ADDED", "object": {...}}.
                objects_at_depth(object, line, &[], visit, depth + 1);
            } else if let Some(Value::Array(list)) = map.get("items")
                && kind.is_none_or(|k| k.ends_with("List"))
            {
                let typed = kind
                    .and_then(|k| k.strip_suffix("List"))
                    .filter(|k| !k.is_empty())
                    .map(|k| (k, map.get("apiVersion")));
                items(list, typed);
            } else {
                visit(value, line);
            }
        }
        _ => {}
    }
}

/// Index just past the JSON string whose opening quote is at `i`.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Offsets of the elements of the JSON array opening at `open`.
fn array_elements(b: &[u8], open: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut expect = true;
    let mut i = open + 1;
    while i < b.len() {
        let c = b[i];
        if depth == 0 && expect && !c.is_ascii_whitespace() && c != b']' {
            out.push(i);
            expect = false;
        }
        match c {
            b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b',' if depth == 0 => expect = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Offset of the `[` that opens the value of `key` in the JSON object opening at `open`.
fn key_array(b: &[u8], open: usize, key: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut expect_key = true;
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = skip_string(b, i);
                if depth == 0 && expect_key {
                    let j = skip_ws(b, end);
                    if b.get(j) == Some(&b':') {
                        let v = skip_ws(b, j + 1);
                        if b.get(i + 1..end - 1) == Some(key) && b.get(v) == Some(&b'[') {
                            return Some(v);
                        }
                        expect_key = false;
                        i = v;
                        continue;
                    }
                }
                i = end;
                continue;
            }
            b',' if depth == 0 => expect_key = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    return None;
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Offsets (within `doc`) of the items of a top-level JSON array, or of the
/// `items` array of a top-level object: where each List item starts.
fn json_item_offsets(doc: &str) -> Vec<usize> {
    let b = doc.as_bytes();
    let i = skip_ws(b, 0);
    match b.get(i) {
        Some(b'[') => array_elements(b, i),
        Some(b'{') => key_array(b, i, b"items")
            .map(|open| array_elements(b, open))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A serde_json message without its ` at line L column C` suffix.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Reads a stream of JSON values; a value that fails to parse is reported
/// and reading resumes at the next line that opens a value at column 0.
fn json_documents(text: &str, problems: &mut Vec<Problem>, visit: &mut dyn FnMut(&Value, u64)) {
    let starts = line_starts(text);
    let mut pos = 0usize;
    while pos < text.len() {
        let rest = &text[pos..];
        pos += rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                .len();
        if pos >= text.len() {
            break;
        }
        let doc_line = line_of(&starts, pos);
        let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                let end = pos + stream.byte_offset();
                let item_lines: Vec<u64> = json_item_offsets(&text[pos..end])
                    .into_iter()
                    .map(|o| line_of(&starts, pos + o))
                    .collect();
                each_object(&value, doc_line, &item_lines, visit);
                pos = end.max(pos + 1);
            }
            Some(Err(e)) => {
                let err_line = doc_line + (e.line() as u64).saturating_sub(1);
                let column = if e.line() <= 1 {
                    e.column() + text[starts[doc_line as usize - 1]..pos].chars().count()
                } else {
                    e.column()
                };
                let column = column.max(1);
                let what = json_message(&e);
                let new_document = column == 1
                    && err_line > doc_line
                    && starts
                        .get(err_line as usize - 1)
                        .is_some_and(|&s| text[s..].starts_with(['{', '[']));
                let message = if new_document {
                    format!(
                        "truncated JSON at line {err_line}, column {column}: the document that starts at line {doc_line} is not closed before a new one begins ({what}); expected `}}` or `]` to close it"
                    )
                } else if e.is_eof() {
                    format!(
                        "truncated JSON at line {err_line}, column {column}: {what}; expected the rest of the document that starts at line {doc_line}"
                    )
                } else {
                    format!(
                        "invalid JSON at line {err_line}, column {column}: {what}; skipped the document that starts at line {doc_line}"
                    )
                };
                problems.push(Problem::new(err_line, message));
                // Resume at the next value that opens at column 0.
                let next = starts[doc_line as usize..]
                    .iter()
                    .find(|&&s| text[s..].starts_with(['{', '[']));
                match next {
                    Some(&s) => pos = s,
                    None => break,
                }
            }
            None => break,
        }
    }
}

/// Where the items of a YAML List (or a top-level sequence) start.
#[derive(Deserialize)]
struct ItemSpans {
    items: Vec<serde_saphyr::Spanned<IgnoredAny>>,
}

/// 1-based lines (within `doc`) where the list items of a YAML document start.
fn yaml_item_lines(doc: &str, value: &Value) -> Vec<u64> {
    let spans: Vec<serde_saphyr::Spanned<IgnoredAny>> = match value {
        Value::Array(_) => serde_saphyr::from_str(doc).unwrap_or_default(),
        Value::Object(map) if map.get("items").is_some_and(Value::is_array) => {
            serde_saphyr::from_str::<ItemSpans>(doc)
                .map(|s| s.items)
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    spans.iter().map(|s| s.referenced.line()).collect()
}

/// Reads a line as a YAML document marker (`---`, `...`): `None` when it is
/// not one, `Some(true)` when the marker line also holds content (`--- {…}`),
/// which then belongs to the next document.
fn yaml_marker(line: &str) -> Option<bool> {
    let t = line.trim_end();
    if t == "---" || t == "..." {
        return Some(false);
    }
    let rest = t.strip_prefix("---")?;
    rest.starts_with([' ', '\t'])
        .then(|| !rest.trim().is_empty() && !rest.trim().starts_with('#'))
}

/// Reads YAML documents separated by `---`, each on its own.
fn yaml_documents(text: &str, problems: &mut Vec<Problem>, visit: &mut dyn FnMut(&Value, u64)) {
    let starts = line_starts(text);
    let mut docs: Vec<(u64, &str)> = Vec::new();
    let mut doc_start = 0usize;
    let mut doc_line = 1u64;
    for (i, &s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        if s >= text.len() {
            break;
        }
        let Some(content) = yaml_marker(&text[s..end]) else {
            continue;
        };
        docs.push((doc_line, &text[doc_start..s]));
        if content {
            doc_start = s;
            doc_line = i as u64 + 1;
        } else {
            doc_start = end;
            doc_line = i as u64 + 2;
        }
    }
    docs.push((doc_line, &text[doc_start.min(text.len())..]));

    for (first_line, doc) in docs {
        let Some(offset) = doc.lines().position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
        }) else {
            continue;
        };
        let object_line = first_line + offset as u64;
        match serde_saphyr::from_str::<Value>(doc) {
            Ok(value) => {
                let item_lines: Vec<u64> = yaml_item_lines(doc, &value)
                    .into_iter()
                    .map(|l| first_line + l.saturating_sub(1))
                    .collect();
                each_object(&value, object_line, &item_lines, visit);
            }
            Err(e) => {
                let line = e
                    .location()
                    .map(|l| first_line + l.line().saturating_sub(1))
                    .filter(|&l| l >= first_line)
                    .unwrap_or(object_line);
                let what = e.render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                    line_offset: first_line - 1,
                });
                let what = what.lines().next().unwrap_or("").to_string();
                problems.push(Problem::new(
                    line,
                    format!(
                        "invalid YAML in the document that starts at line {object_line}: {what}; the document was skipped"
                    ),
                ));
            }
        }
    }
}

/// A CRI partial line waiting for its final (`F`) part.
#[derive(Debug)]
struct Partial {
    stream: String,
    line: u64,
    ts: Option<chrono::DateTime<chrono::Utc>>,
    text: String,
    /// Set once the text hit [`MAX_PARTIAL`] and was cut (reported once).
    cut: bool,
}

impl Partial {
    /// What the joined line's records are stamped with.
    fn stamp(&self) -> Stamp<'_> {
        Stamp {
            ts: self.ts,
            stream: (!self.stream.is_empty()).then_some(self.stream.as_str()),
            journal: None,
        }
    }
}

/// What a line prefix adds to the records of its line.
#[derive(Debug, Default)]
struct Stamp<'a> {
    ts: Option<chrono::DateTime<chrono::Utc>>,
    stream: Option<&'a str>,
    journal: Option<prefix::Journal<'a>>,
}

/// Joined partial lines are cut off past this size, to bound memory.
const MAX_PARTIAL: usize = 16 * 1024 * 1024;

/// Reads lines one at a time, keeping the state multi-line formats need.
#[derive(Debug, Default)]
pub struct Reader {
    partials: Vec<Partial>,
    table: Option<EventTable>,
    describe: Describe,
}

/// A line that may be a whole Kubernetes object in JSON (`kubectl get
/// events -o json | jq -c`, API watch output): cheap checks first.
fn k8s_json_line(text: &str) -> Option<Value> {
    let t = text.trim();
    if !(t.starts_with('{') && t.ends_with('}')) {
        return None;
    }
    if ![
        "\"involvedObject\"",
        "\"regarding\"",
        "\"apiVersion\"",
        "\"conditions\"",
    ]
    .iter()
    .any(|k| t.contains(k))
    {
        return None;
    }
    let value: Value = serde_json::from_str(t).ok()?;
    let obj = value.as_object()?;
    let inner = match (obj.get("type"), obj.get("object")) {
        (Some(Value::String(_)), Some(o @ Value::Object(_))) => o,
        _ => &value,
    };
    let k8s = inner.get("apiVersion").is_some_and(Value::is_string)
        || event::is_event(inner)
        || inner
            .get("status")
            .and_then(|s| s.get("conditions"))
            .is_some_and(Value::is_array);
    k8s.then_some(value)
}

impl Reader {
    /// A reader at the start of an input.
    pub fn new() -> Reader {
        Reader::default()
    }

    /// Feeds one line (no newline), emitting the records it completes.
    pub fn push_line(
        &mut self,
        text: &str,
        lineno: u64,
        out: &mut Vec<Record>,
        problems: &mut Vec<Problem>,
    ) {
        let text = text.strip_suffix('\r').unwrap_or(text);
        let (pre, body) = prefix::split_prefix(text);
        let Some(pre) = pre else {
            self.process(body, lineno, Stamp::default(), out, problems);
            return;
        };
        let stream = pre.stream.unwrap_or("");
        let pending = self.partials.iter().position(|p| p.stream == stream);
        if pre.partial {
            match pending {
                Some(i) => {
                    let p = &mut self.partials[i];
                    if p.text.len() + body.len() <= MAX_PARTIAL {
                        p.text.push_str(body);
                    } else if !p.cut {
                        p.cut = true;
                        problems.push(Problem::new(
                            lineno,
                            format!(
                                "CRI partial line started at line {} is longer than {} MiB; the rest of it was cut",
                                p.line,
                                MAX_PARTIAL >> 20
                            ),
                        ));
                    }
                }
                None => self.partials.push(Partial {
                    stream: stream.to_string(),
                    line: lineno,
                    ts: pre.ts,
                    text: body.to_string(),
                    cut: false,
                }),
            }
            return;
        }
        match pending {
            Some(i) => {
                let mut p = self.partials.remove(i);
                if p.text.len() + body.len() <= MAX_PARTIAL {
                    p.text.push_str(body);
                }
                self.process(&p.text, p.line, p.stamp(), out, problems);
            }
            None => {
                let stamp = Stamp {
                    ts: pre.ts,
                    stream: pre.stream,
                    journal: pre.journal,
                };
                self.process(body, lineno, stamp, out, problems);
            }
        }
    }

    /// `true` when skipping the next line cannot change what later lines
    /// mean: no CRI partial line pending, no table or describe text open.
    pub fn is_idle(&self) -> bool {
        self.partials.is_empty() && self.table.is_none() && !self.describe.is_active()
    }

    /// `true` when the raw line must be fed even by a caller that skips
    /// lines without a prefilter hit: the reader is not idle, or the line
    /// opens a `kubectl get events` table or `kubectl describe` text, or is
    /// a single-line Kubernetes Event or status object. Cheap: no parsing.
    pub fn wants(&self, raw: &str) -> bool {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match prefix::scan(raw) {
            Some(s) => self.wants_body(raw.get(s.body..).unwrap_or("")),
            None => self.wants_body(raw),
        }
    }

    /// [`Reader::wants`] for a line whose CRI, `--timestamps` or journal
    /// prefix is already removed.
    pub fn wants_body(&self, body: &str) -> bool {
        if !self.is_idle() {
            return true;
        }
        if body.starts_with("LAST SEEN") || body.starts_with("NAMESPACE ") {
            return true;
        }
        if body.starts_with('{') {
            static KEYS: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
                ["\"involvedObject\"", "\"regarding\"", "\"conditions\""].map(Finder::new)
            });
            return KEYS.iter().any(|k| k.find(body.as_bytes()).is_some());
        }
        Describe::starts(body)
    }

    /// Ends the input, emitting anything still pending.
    pub fn finish(&mut self, out: &mut Vec<Record>, problems: &mut Vec<Problem>) {
        let mut partials = std::mem::take(&mut self.partials);
        partials.sort_by_key(|p| p.line);
        for p in partials {
            self.process(&p.text, p.line, p.stamp(), out, problems);
        }
        self.table = None;
        self.describe.finish(out);
    }

    /// Reads one complete logical line, then stamps the records it made
    /// with the prefix time (when they carry none), stream, and a journal
    /// prefix's `host` and `ident` labels. A klog record under a journal
    /// `short-iso` prefix takes its year from the prefix (see `prefix`).
    fn process(
        &mut self,
        text: &str,
        lineno: u64,
        stamp: Stamp<'_>,
        out: &mut Vec<Record>,
        problems: &mut Vec<Problem>,
    ) {
        let Stamp {
            ts,
            stream,
            journal,
        } = stamp;
        let before = out.len();
        self.dispatch(text, lineno, out, problems);
        if ts.is_none() && stream.is_none() && journal.is_none() {
            return;
        }
        for record in out[before..].iter_mut().filter(|r| r.line == lineno) {
            match (record.ts, ts) {
                (None, _) => record.ts = ts,
                (Some(own), Some(dated))
                    if journal.is_some_and(|j| j.iso) && record.format == Format::Klog =>
                {
                    record.ts = Some(prefix::klog_year_from(own, dated));
                }
                _ => {}
            }
            if let Some(s) = stream
                && record.get(&Field::Stream).is_none()
            {
                record.set(Field::Stream, s);
            }
            if let Some(j) = journal {
                for (name, value) in [("host", j.host), ("ident", j.ident)] {
                    if record.get_named(name).is_none() {
                        record
                            .fields
                            .push((Field::Label(name.to_string()), value.to_string()));
                    }
                }
            }
        }
    }

    fn dispatch(
        &mut self,
        text: &str,
        lineno: u64,
        out: &mut Vec<Record>,
        problems: &mut Vec<Problem>,
    ) {
        if let Some(table) = &self.table {
            match table.row(text, lineno) {
                Row::Event(record) => {
                    out.push(*record);
                    return;
                }
                Row::Malformed(problem) => {
                    problems.push(Problem::new(lineno, problem));
                    out.push(Record::text(lineno, text));
                    return;
                }
                Row::NotARow => self.table = None,
            }
        }
        if (self.describe.is_active() || Describe::starts(text))
            && self.describe.push(text, lineno, out, problems) == Step::Consumed
        {
            return;
        }
        if let Some(table) = EventTable::header(text) {
            self.table = Some(table);
            return;
        }
        if Describe::starts(text) {
            // The describe text that just ended gave way to a new one.
            if self.describe.push(text, lineno, out, problems) == Step::Consumed {
                return;
            }
        }
        if let Some(value) = k8s_json_line(text) {
            let before = out.len();
            records_from_value(&value, lineno, &[], out);
            if out.len() == before {
                out.push(Record::text(lineno, text));
            }
            return;
        }
        out.push(line::parse_line(text, lineno, problems));
    }
}

#[cfg(test)]
mod tests;
