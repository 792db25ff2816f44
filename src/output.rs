//! How `classify` shows what it found: a human listing (colour only when
//! asked for, untrusted text sanitised) followed by what to do about each
//! signature, JSON lines (one object per hit, or per record with `--all`),
//! or counts per signature. Problems in the inputs go to stderr as
//! `aks-gw-logs: FILE:LINE: what`, at most [`MAX_PROBLEMS_PER_INPUT`] per
//! input so a binary file cannot flood the terminal.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Map, Value, json};

use crate::classify::Hit;
use crate::input::Sink;
use crate::parse::Problem;
use crate::record::{FieldsJson, Record};
use crate::sanitize::for_terminal;
use crate::signature::{Severity, SignatureSet, UNCLASSIFIED};

/// Problems printed per input before the rest are only counted.
pub const MAX_PROBLEMS_PER_INPUT: u64 = 20;

/// What `classify` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One line per hit, then remediation per signature.
    Human,
    /// One JSON object per hit.
    Json,
    /// One JSON object per record.
    JsonAll,
    /// One human line per record.
    HumanAll,
    /// Counts per signature.
    Count { json: bool },
}

/// ANSI styling, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Whether to emit colour.
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }

    /// A severity name in its colour.
    pub fn severity(self, sev: Severity) -> String {
        let code = match sev {
            Severity::Critical => "1;31",
            Severity::Error => "31",
            Severity::Warning => "33",
            Severity::Info => "36",
        };
        self.paint(code, &format!("{:<8}", sev.as_str()))
    }

    /// Bold text.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Dim text.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Per-signature tallies kept while printing.
#[derive(Default)]
struct Tally {
    count: u64,
    first: Option<(String, u64)>,
}

/// Prints `classify` results to a writer as they arrive.
pub struct Printer<'a, W: Write> {
    out: W,
    set: &'a SignatureSet,
    mode: Mode,
    style: Style,
    input: String,
    problems_here: u64,
    tallies: BTreeMap<String, Tally>,
    /// The highest severity seen in any hit.
    pub worst: Option<Severity>,
    /// Hits seen.
    pub hits: u64,
    /// The first write error (a closed pipe ends the run quietly).
    pub error: Option<io::Error>,
}

impl<'a, W: Write> Printer<'a, W> {
    /// A printer writing to `out`.
    pub fn new(out: W, set: &'a SignatureSet, mode: Mode, style: Style) -> Printer<'a, W> {
        Printer {
            out,
            set,
            mode,
            style,
            input: String::new(),
            problems_here: 0,
            tallies: BTreeMap::new(),
            worst: None,
            hits: 0,
            error: None,
        }
    }

    /// Starts a new input, named as the user gave it.
    pub fn begin_input(&mut self, name: &str) {
        self.input = name.to_string();
        self.problems_here = 0;
    }

    /// Ends an input, reporting how many problems were not shown.
    pub fn end_input(&mut self) {
        if self.problems_here > MAX_PROBLEMS_PER_INPUT {
            eprintln!(
                "aks-gw-logs: {}: {} more problems not shown",
                for_terminal(&self.input),
                self.problems_here - MAX_PROBLEMS_PER_INPUT
            );
        }
    }

    fn write(&mut self, text: std::fmt::Arguments<'_>) {
        if self.error.is_none()
            && let Err(e) = self.out.write_fmt(text)
        {
            self.error = Some(e);
        }
    }

    fn hit_json(&self, record: &Record, hit: Option<&Hit>) -> Value {
        let sig = hit.and_then(|h| h.signature_in(self.set));
        let mut obj = Map::new();
        obj.insert("input".into(), json!(self.input));
        obj.insert("line".into(), json!(record.line));
        obj.insert(
            "ts".into(),
            json!(
                record
                    .ts
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            ),
        );
        obj.insert("signature".into(), json!(hit.map(|h| h.id(self.set))));
        obj.insert(
            "severity".into(),
            json!(hit.map(|h| h.severity(self.set).as_str())),
        );
        obj.insert("title".into(), json!(sig.map(|s| s.title.as_str())));
        obj.insert("object".into(), json!(hit.and_then(|h| h.object(record))));
        obj.insert("reason".into(), json!(hit.and_then(|h| h.reason(record))));
        obj.insert("source".into(), json!(record.source));
        obj.insert("format".into(), json!(record.format));
        obj.insert("level".into(), json!(record.level));
        obj.insert("scope".into(), json!(record.scope));
        obj.insert("message".into(), json!(record.message));
        let captures: Map<String, Value> = hit
            .map(|h| {
                h.captures
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect()
            })
            .unwrap_or_default();
        obj.insert("captures".into(), Value::Object(captures));
        obj.insert(
            "fields".into(),
            serde_json::to_value(FieldsJson(&record.fields)).unwrap_or(Value::Null),
        );
        Value::Object(obj)
    }

    /// Prints the closing part: remediation per signature, or the counts.
    pub fn finish(&mut self, stats: &crate::input::Stats) {
        match self.mode {
            Mode::Count { json } => self.print_counts(json),
            Mode::Human | Mode::HumanAll => self.print_remedies(stats),
            Mode::Json | Mode::JsonAll => {}
        }
        if let Err(e) = self.out.flush()
            && self.error.is_none()
        {
            self.error = Some(e);
        }
    }

    fn sorted_tallies(&self) -> Vec<(String, u64)> {
        let mut rows: Vec<(String, u64)> = self
            .tallies
            .iter()
            .map(|(id, t)| (id.clone(), t.count))
            .collect();
        rows.sort_by(|a, b| {
            let sev = |id: &str| self.set.get(id).map_or(Severity::Warning, |s| s.severity);
            sev(&b.0)
                .cmp(&sev(&a.0))
                .then(b.1.cmp(&a.1))
                .then(a.0.cmp(&b.0))
        });
        rows
    }

    fn severity_of(&self, id: &str) -> Severity {
        self.set.get(id).map_or(Severity::Warning, |s| s.severity)
    }

    fn print_counts(&mut self, json: bool) {
        let rows = self.sorted_tallies();
        if json {
            for (id, count) in rows {
                let line = json!({"signature": id, "severity": self.severity_of(&id).as_str(), "count": count});
                self.write(format_args!("{line}\n"));
            }
            return;
        }
        let style = self.style;
        self.write(format_args!(
            "{:>8}  {:<8}  {}\n",
            "COUNT", "SEVERITY", "SIGNATURE"
        ));
        for (id, count) in &rows {
            let sev = style.severity(self.severity_of(id));
            self.write(format_args!("{count:>8}  {sev}  {id}\n"));
        }
        let total: u64 = rows.iter().map(|r| r.1).sum();
        self.write(format_args!("{total:>8}  {:<8}  total\n", ""));
    }

    fn print_remedies(&mut self, stats: &crate::input::Stats) {
        let rows = self.sorted_tallies();
        let style = self.style;
        if rows.is_empty() {
            self.write(format_args!("no failures found in {} lines\n", stats.lines));
            return;
        }
        self.write(format_args!("\n{}\n", style.bold("What to do")));
        for (id, count) in rows {
            let sev = self.severity_of(&id);
            let first = self.tallies[&id].first.clone();
            let at = first
                .map(|(f, l)| format!("{}:{l}", for_terminal(&f)))
                .unwrap_or_default();
            match self.set.get(&id) {
                Some(sig) => {
                    let (title, step, fix) = (sig.title.clone(), sig.guide_step.clone(), sig.remediation.clone());
                    self.write(format_args!(
                        "\n{} {}  {}  ({count} hit{}, first at {at})\n  guide: {}\n",
                        style.severity(sev),
                        style.bold(&id),
                        title,
                        if count == 1 { "" } else { "s" },
                        step
                    ));
                    for line in fix.lines() {
                        self.write(format_args!("  {line}\n"));
                    }
                }
                None => self.write(format_args!(
                    "\n{} {}  warn/error lines no signature knows  ({count} hit{}, first at {at})\n  \
                     Read them: they may be a new failure mode, or noise to add as a hard negative.\n",
                    style.severity(sev),
                    style.bold(UNCLASSIFIED),
                    if count == 1 { "" } else { "s" },
                )),
            }
        }
        let hits = self.hits;
        self.write(format_args!("\n{hits} hit(s) in {} lines\n", stats.lines));
    }
}

impl<W: Write> Sink for Printer<'_, W> {
    fn record(&mut self, record: &Record, hit: Option<&Hit>) {
        if let Some(hit) = hit {
            self.hits += 1;
            let sev = hit.severity(self.set);
            self.worst = self.worst.max(Some(sev));
            let tally = self
                .tallies
                .entry(hit.id(self.set).to_string())
                .or_default();
            tally.count += 1;
            if tally.first.is_none() {
                tally.first = Some((self.input.clone(), record.line));
            }
        }
        match self.mode {
            Mode::Count { .. } => {}
            Mode::Json | Mode::JsonAll => {
                let value = self.hit_json(record, hit);
                self.write(format_args!("{value}\n"));
            }
            Mode::Human | Mode::HumanAll => {
                let style = self.style;
                let location = style.dim(&format!("{}:{}", for_terminal(&self.input), record.line));
                let message = for_terminal(&record.message).into_owned();
                match hit {
                    Some(hit) => {
                        let sev = style.severity(hit.severity(self.set));
                        let id = style.bold(hit.id(self.set));
                        let object = hit
                            .object(record)
                            .map(|o| format!(" [{}]", for_terminal(&o)))
                            .unwrap_or_default();
                        self.write(format_args!("{location}  {sev} {id}{object}  {message}\n"));
                    }
                    None => {
                        let dash = style.dim(&format!("{:<8} -", "-"));
                        self.write(format_args!("{location}  {dash}  {message}\n"));
                    }
                }
            }
        }
    }

    fn problem(&mut self, problem: &Problem) {
        self.problems_here += 1;
        if self.problems_here <= MAX_PROBLEMS_PER_INPUT {
            eprintln!(
                "aks-gw-logs: {}:{}: {}",
                for_terminal(&self.input),
                problem.line,
                for_terminal(&problem.message)
            );
        }
    }
}
