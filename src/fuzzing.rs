//! The bodies of the fuzz targets in `fuzz/fuzz_targets/` (one function per
//! target, each taking arbitrary bytes), kept in the library so that
//! `tests/fuzz_regressions.rs` replays the seeds and every crasher found
//! through the very same code. Each one must return on any input without a
//! panic, an overflow or unbounded work; the few assertions in here are
//! invariants the parsers promise (a record keeps the line it was read on,
//! the access-log shortcut renders what the parser would, the prefilter
//! drops no hit). Not a public API.

use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::bundle::{self, layout};
use crate::checks::{self, Facts};
use crate::classify::{Classifier, Hit};
use crate::group::{Grouper, Origin};
use crate::input::{Engine, LineScanner, Scope, Sink, scan};
use crate::parse::marker::{self, Marker};
use crate::parse::{
    self, InputKind, Problem, Reader, access_log, condition, envoy, event, istio, klog, line,
    prefix,
};
use crate::pipeline::{DEFAULT_COMMIT_INTERVAL, Pipeline};
use crate::record::Record;
use crate::redact::Redactor;
use crate::signature::{self, PatternFile, SignatureSet};

/// The built-in signatures, compiled once per process.
static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    Engine::new(crate::load_signatures(None).expect("the built-in signatures compile"))
});

/// A fixed "now", so that a run does not depend on the clock.
fn reference() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 8, 26, 12, 0, 0).unwrap()
}

/// Arbitrary bytes as text, the way the scanner decodes a line.
fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Target `line_parsers`: every line parser on each line of the input,
/// each record classified.
pub fn line_parsers(data: &[u8]) {
    let text = text_of(data);
    let mut classifier = Classifier::new(&ENGINE.set);
    let mut problems = Vec::new();
    let mut rendered = String::new();
    for (i, raw) in text.split('\n').enumerate() {
        let lineno = i as u64 + 1;
        let _ = prefix::split_prefix(raw);
        let (pre, body) = prefix::split_prefix_at(raw, reference());
        if pre.is_some() {
            // A prefix the full split accepts is one the cheap scan found.
            let scan = prefix::scan(raw).expect("split without a scan");
            assert_eq!(raw.get(scan.body..), Some(body));
        }
        let _ = marker::parse(raw);
        let _ = access_log::downstream_remote(body);
        let records = [
            Some(line::parse_line(body, lineno, &mut problems)),
            istio::parse(body, lineno),
            envoy::parse(body, lineno),
            envoy::parse_bracket(body, lineno),
            access_log::parse(body, lineno),
            access_log::parse_text(body, lineno),
            klog::parse(body, lineno),
            klog::parse_at(body, lineno, reference()),
        ];
        for record in records.iter().flatten() {
            assert_eq!(record.line, lineno, "{body:?}");
            let _ = record.object();
            let _ = classifier.classify(record);
        }
        if access_log::render_plain_flagless(body, &mut rendered) {
            // The shortcut the prefilter takes must say what the parser would.
            let record = access_log::parse(body, lineno)
                .unwrap_or_else(|| panic!("rendered but not parsed: {body:?}"));
            assert_eq!(record.message, rendered, "{body:?}");
        }
    }
    for problem in &problems {
        assert!(problem.line >= 1, "{problem:?}");
    }
}

/// Target `line_reader`: the stateful line reader (CRI partial lines,
/// `kubectl get events` tables, `kubectl describe` text, one-line JSON
/// objects) over the lines of the input, each record classified.
pub fn line_reader(data: &[u8]) {
    let text = text_of(data);
    let mut reader = Reader::new();
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut lines = 0u64;
    for (i, raw) in text.lines().enumerate() {
        lines = i as u64 + 1;
        let _ = reader.wants(raw);
        reader.push_line(raw, lines, &mut records, &mut problems);
    }
    reader.finish(&mut records, &mut problems);
    let _ = reader.is_idle();
    let mut classifier = Classifier::new(&ENGINE.set);
    for record in &records {
        assert!((1..=lines).contains(&record.line), "{:?}", record.line);
        let _ = record.object();
        let _ = classifier.classify(record);
    }
    for problem in &problems {
        assert!((1..=lines).contains(&problem.line), "{problem:?}");
    }
    let again = parse::parse_document(&text, InputKind::Lines, &mut Vec::new());
    assert_eq!(again.len(), records.len());
}

/// Target `documents`: the input as a JSON and as a YAML document (Events,
/// Gateway and Route status, lists, watch output), and as one JSON value
/// through the Event and condition parsers; the records are classified and
/// the objects go through the resource checks as a bundle's would.
pub fn documents(data: &[u8]) {
    let text = text_of(data);
    let kind = parse::sniff(&text);
    let mut facts = Facts::default();
    let mut classifier = Classifier::new(&ENGINE.set);
    for kind in [kind, InputKind::Json, InputKind::Yaml] {
        let mut problems = Vec::new();
        let records = parse::parse_document_with(&text, kind, &mut problems, &mut |o, l| {
            facts.objects.add(o, "fuzz", l);
        });
        for record in &records {
            let _ = classifier.classify(record);
        }
    }
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        let _ = event::from_json(&value, 1);
        let mut out = Vec::new();
        condition::from_object(&value, 1, &mut out);
        parse::each_object(&value, 1, &[], &mut |object, line| {
            let _ = event::from_json(object, line);
            condition::from_object(object, line, &mut out);
        });
        for record in &out {
            let _ = classifier.classify(record);
        }
    }
    run_checks(&facts);
}

/// The resource checks on `facts`, each finding turned into its hit.
fn run_checks(facts: &Facts) {
    let set = &ENGINE.set;
    for finding in checks::run(facts, |id| set.get(id).is_some_and(|s| s.check)) {
        let _ = finding.hit_in(set, Some(reference()));
    }
}

/// Collects what the scanner hands on: hits, by line and signature.
#[derive(Default)]
struct Collect {
    hits: Vec<(u64, Option<usize>)>,
    problems: u64,
    objects: u64,
}

impl Sink for Collect {
    fn record(&mut self, record: &Record, hit: Option<&Hit>) {
        if let Some(hit) = hit {
            self.hits.push((record.line, hit.signature));
        }
    }

    fn problem(&mut self, _problem: &Problem) {
        self.problems += 1;
    }

    fn object(&mut self, _object: &Value, _line: u64) {
        self.objects += 1;
    }
}

/// Target `classify`: the input as `classify` reads a file (sniffed as
/// lines or a document), through the prefilter and without it, then line
/// by line as `follow` hands lines over, then through the whole pipeline
/// (redaction, grouping into incidents) with no store.
pub fn classify(data: &[u8]) {
    let engine = &*ENGINE;
    let mut skipping = Collect::default();
    let mut all = Collect::default();
    scan(engine, data, Scope::Hits, &mut skipping).expect("reading from memory");
    scan(engine, data, Scope::All, &mut all).expect("reading from memory");
    // Skipping the lines the prefilter rules out must lose no hit.
    assert_eq!(skipping.hits, all.hits);
    scan(engine, data, Scope::Counts, &mut Collect::default()).expect("reading from memory");

    let mut lines = Collect::default();
    let mut scanner = LineScanner::new(engine, Scope::Hits, &lines);
    for line in data.split(|&b| b == b'\n') {
        scanner.push(line, &mut lines);
    }
    scanner.flush(&mut lines);

    let mut printer = Collect::default();
    let grouper = Grouper::new(&engine.set, chrono::Duration::minutes(15), reference());
    let mut pipeline = Pipeline::new(&mut printer, grouper, None, DEFAULT_COMMIT_INTERVAL, false)
        .redacting(engine.redactor());
    pipeline.set_origin(Origin {
        cluster: "fuzz".into(),
        input: "fuzz.log".into(),
        ..Origin::default()
    });
    scan(engine, data, Scope::Hits, &mut pipeline).expect("reading from memory");
    let _ = pipeline.redaction_summary();
    pipeline.finish(reference());

    let mut redactor = Redactor::new(engine.set.redactions());
    let text = text_of(data);
    let _ = redactor.text(&text);
    for (i, line) in text.lines().enumerate() {
        let _ = redactor.line("fuzz", i as u64 + 1, line);
    }
}

/// Target `patterns`: the input as a user pattern file (`--patterns DIR`),
/// compiled alone, and when that passes, with the built-in library it may
/// override (the whole library takes a while: only for files worth it);
/// the diagnostics are rendered, and a set that compiles classifies the
/// file's inline examples.
pub fn patterns(data: &[u8]) {
    // A pattern file is read with `read_to_string`: only UTF-8 gets further.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let user = PatternFile {
        name: "fuzz/patterns.toml".into(),
        text: text.into(),
        user: true,
    };
    if compiles(std::slice::from_ref(&user)) {
        let mut files = signature::builtin_files();
        files.push(user);
        compiles(&files);
    }
}

/// Compiles `files`: a set that compiles runs its examples, errors are
/// rendered as `patterns lint` prints them. `true` when it compiled.
fn compiles(files: &[PatternFile]) -> bool {
    match SignatureSet::compile(files) {
        Ok(set) => {
            examples(&set);
            true
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                let _ = d.to_string();
            }
            false
        }
    }
}

/// Classifies the inline examples of the user's signatures in `set`, as
/// `patterns test` does, and builds the redactor of its `[[redact]]` rules.
fn examples(set: &SignatureSet) {
    let _ = Redactor::new(set.redactions());
    let mut classifier = Classifier::new(set);
    let mut problems = Vec::new();
    for sig in set
        .signatures()
        .iter()
        .filter(|s| s.file.starts_with("fuzz/"))
    {
        for regex in &sig.regexes {
            let _ = regex.get();
        }
        for example in sig.examples_match.iter().chain(&sig.examples_no_match) {
            let record = line::parse_line(example, 1, &mut problems);
            let _ = classifier.classify(&record);
        }
    }
}

/// Target `bundle`: the input as a support bundle file (tar, tar.gz, zip
/// or a single log, told by its magic bytes; a tar or anything without
/// magic is also tried gzip-compressed), each entry read as `bundle
/// analyze` reads it, and the bundle's objects through the checks.
pub fn bundle(data: &[u8]) {
    read_bundle(data);
    let is_tar = data.len() > 262 && &data[257..262] == b"ustar";
    let magic = data.starts_with(&[0x1f, 0x8b]) || data.starts_with(b"PK");
    if is_tar || !magic {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).expect("compressing into memory");
        read_bundle(&gz.finish().expect("compressing into memory"));
    }
}

/// Writes `data` to this process's scratch file and reads it as a bundle.
fn read_bundle(data: &[u8]) {
    static PATH: LazyLock<std::path::PathBuf> = LazyLock::new(|| {
        std::env::temp_dir().join(format!("aks-gw-logs-fuzz-{}.bundle", std::process::id()))
    });
    std::fs::write(&*PATH, data).expect("writing the scratch bundle");
    let engine = &*ENGINE;
    let mut facts = Facts::default();
    let mut problems = Vec::new();
    let result = bundle::read(
        &PATH,
        &mut |entry, reader| {
            assert!(bundle::safe_path(std::path::Path::new(&entry.path)).is_ok());
            let mut sink = BundleSink {
                entry: &entry.path,
                facts: &mut facts,
                hits: 0,
            };
            let _ = match layout::entry(&entry.path).1 {
                layout::Content::Skip(_) => Ok(()),
                layout::Content::Log { .. } => scan(engine, &mut *reader, Scope::Hits, &mut sink)
                    .map(drop)
                    .map_err(|e| e.to_string()),
                layout::Content::JsonContainerLog => bundle::periscope::container_log(&mut *reader)
                    .and_then(|log| {
                        scan(engine, log.log.as_bytes(), Scope::Hits, &mut sink)
                            .map(drop)
                            .map_err(|e| e.to_string())
                    }),
                layout::Content::Objects => scan(engine, &mut *reader, Scope::All, &mut sink)
                    .map(drop)
                    .map_err(|e| e.to_string()),
            };
            // What the visit left unread is drained, as the reader must cope.
            let _ = std::io::copy(reader, &mut std::io::sink());
        },
        &mut |p| problems.push(p),
    );
    let _ = std::fs::remove_file(&*PATH);
    if result.is_ok() {
        run_checks(&facts);
    }
}

/// What a bundle entry hands on: its objects for the checks, and the
/// clients of its access log lines.
struct BundleSink<'a> {
    entry: &'a str,
    facts: &'a mut Facts,
    hits: u64,
}

impl Sink for BundleSink<'_> {
    fn record(&mut self, _record: &Record, hit: Option<&Hit>) {
        self.hits += u64::from(hit.is_some());
    }

    fn problem(&mut self, _problem: &Problem) {}

    fn section(&mut self, marker: &Marker) {
        if let Marker::Start { namespace, pod, .. } = marker {
            self.facts
                .log_pods
                .insert((Some(namespace.clone()), pod.clone()));
        }
    }

    fn object(&mut self, object: &Value, line: u64) {
        self.facts.objects.add(object, self.entry, line);
    }

    fn counts_peers(&self) -> bool {
        true
    }

    fn peer(&mut self, address: &str) {
        self.facts.traffic.add("default/fuzz", address);
    }
}

/// The body of a fuzz target.
pub type Target = fn(&[u8]);

/// The targets by name, for the regression test and for tools.
pub const TARGETS: [(&str, Target); 6] = [
    ("line_parsers", line_parsers),
    ("line_reader", line_reader),
    ("documents", documents),
    ("classify", classify),
    ("patterns", patterns),
    ("bundle", bundle),
];
