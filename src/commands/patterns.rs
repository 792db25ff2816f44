//! `aks-gw-logs patterns list|test|lint`: the signature library as a user
//! sees it. `list` prints the catalogue (or every regex, for `rg -f`),
//! `test` runs each signature's inline examples through the same scanner
//! and classifier as `classify` (a benign rule's `match` examples must
//! produce no hit at all, its `no_match` examples some hit), and `lint` checks pattern files and prints
//! every problem as `file:line:col` with a caret.

use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::json;

use crate::ExitStatus;
use crate::classify::Hit;
use crate::input::{Engine, Scope, Sink, Stats, scan};
use crate::output::Style;
use crate::parse::Problem;
use crate::record::Record;
use crate::sanitize::for_terminal;
use crate::signature::{self, PatternFile, SignatureSet};

/// `patterns list`.
pub fn list(set: &SignatureSet, json: bool, regexes: bool, style: Style) -> io::Result<ExitStatus> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for sig in set.signatures() {
        if regexes {
            for re in &sig.regexes {
                writeln!(out, "{}", re.as_str())?;
            }
        } else if json {
            let value = json!({
                "id": sig.id,
                "title": sig.title,
                "severity": sig.severity,
                "benign": sig.benign,
                "check": sig.check,
                "section": sig.section,
                "guide_step": sig.guide_step,
                "remediation": sig.remediation,
                "sources": sig.sources,
                "field": sig.field,
                "regexes": sig.regexes.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "supersedes": sig.supersedes.iter().map(|&i| set.signatures()[i].id.as_str()).collect::<Vec<_>>(),
                "file": sig.file,
            });
            writeln!(out, "{value}")?;
        } else {
            let mut sources = if sig.regexes.is_empty() {
                Vec::new()
            } else if sig.sources.is_empty() {
                vec!["any"]
            } else {
                sig.sources.iter().map(|s| s.as_str()).collect()
            };
            if sig.check {
                sources.push("check");
            }
            let sources = sources.join(",");
            let severity = if sig.benign {
                format!("{:<8}", "benign")
            } else {
                style.severity(sig.severity)
            };
            writeln!(
                out,
                "{} {:<36} {:<28} {}",
                severity,
                style.bold(&sig.id),
                sources,
                sig.title
            )?;
        }
    }
    if !regexes && !json {
        writeln!(out, "{} signatures", set.signatures().len())?;
    }
    out.flush()?;
    Ok(ExitStatus::Ok)
}

/// Collects hit ids and problems of one example.
#[derive(Default)]
struct Collect {
    problems: Vec<Problem>,
    set_ids: Vec<Option<usize>>,
}

impl Sink for Collect {
    fn record(&mut self, _record: &Record, hit: Option<&Hit>) {
        if let Some(hit) = hit {
            self.set_ids.push(hit.signature);
        }
    }
    fn problem(&mut self, problem: &Problem) {
        self.problems.push(problem.clone());
    }
}

/// What classifying one in-memory input produced.
#[derive(Debug)]
pub struct Outcome {
    /// The ids of the hits, in input order.
    pub ids: Vec<String>,
    /// Problems found in the input.
    pub problems: Vec<Problem>,
    /// Counts.
    pub stats: Stats,
}

/// Classifies an in-memory input as `classify` would.
pub fn hits_of(engine: &Engine, input: &str, scope: Scope) -> Outcome {
    let mut sink = Collect::default();
    let stats =
        scan(engine, input.as_bytes(), scope, &mut sink).expect("reading memory cannot fail");
    let ids = sink
        .set_ids
        .iter()
        .map(|s| {
            s.map_or(signature::UNCLASSIFIED, |i| {
                engine.set.signatures()[i].id.as_str()
            })
            .to_string()
        })
        .collect();
    Outcome {
        ids,
        problems: sink.problems,
        stats,
    }
}

/// `patterns test`.
pub fn test(engine: &Engine, ids: &[String], style: Style) -> io::Result<ExitStatus> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for id in ids {
        if engine.set.get(id).is_none() {
            eprintln!(
                "aks-gw-logs: unknown signature id {:?}; see `aks-gw-logs patterns list`",
                for_terminal(id)
            );
            return Ok(ExitStatus::Error);
        }
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for sig in engine.set.signatures() {
        if !ids.is_empty() && !ids.contains(&sig.id) {
            continue;
        }
        let cases = sig
            .examples_match
            .iter()
            .map(|e| (e, true))
            .chain(sig.examples_no_match.iter().map(|e| (e, false)));
        for (n, (example, should)) in cases.enumerate() {
            let hits = hits_of(engine, example, Scope::Hits).ids;
            // A benign rule "matches" when its example produces no hit at all.
            let matched = if sig.benign {
                hits.is_empty()
            } else {
                hits.contains(&sig.id)
            };
            if matched == should {
                passed += 1;
                continue;
            }
            failed += 1;
            let what = if should { "match" } else { "no_match" };
            let got = if hits.is_empty() {
                "no hit".to_string()
            } else {
                hits.join(", ")
            };
            writeln!(
                out,
                "{} {} example {} ({what}): got {got}\n    {}",
                style.severity(crate::signature::Severity::Error).trim_end(),
                style.bold(&sig.id),
                n + 1,
                for_terminal(example.trim_end()).replace('\n', "\n    ")
            )?;
        }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    out.flush()?;
    Ok(if failed == 0 {
        ExitStatus::Ok
    } else {
        ExitStatus::Found
    })
}

/// `patterns lint`: built-in files plus `--patterns DIR` plus the given paths.
pub fn lint(user_dir: Option<&PathBuf>, paths: &[PathBuf]) -> anyhow::Result<ExitStatus> {
    let mut files = signature::builtin_files();
    if let Some(dir) = user_dir {
        files.extend(signature::user_files(dir)?);
    }
    for path in paths {
        if path.is_dir() {
            files.extend(signature::user_files(path)?);
        } else {
            files.push(signature::read_file(path, true)?);
        }
    }
    Ok(report_lint(&files))
}

fn report_lint(files: &[PatternFile]) -> ExitStatus {
    match SignatureSet::compile(files) {
        Ok(set) => {
            // The classifier compiles capture regexes on first use; lint
            // compiles them all now so none can fail later.
            let mut failed = 0;
            for sig in set.signatures() {
                for re in &sig.regexes {
                    if let Err(e) = regex::Regex::new(re.as_str()) {
                        failed += 1;
                        eprintln!(
                            "{}: error: a regex of {} does not compile: {e}",
                            sig.file, sig.id
                        );
                    }
                }
            }
            if failed > 0 {
                return ExitStatus::Found;
            }
            let rules = match set.redactions().len() {
                0 => String::new(),
                1 => ", 1 redaction rule".to_string(),
                n => format!(", {n} redaction rules"),
            };
            println!(
                "{} files, {} signatures{rules}: no problems",
                files.len(),
                set.signatures().len()
            );
            ExitStatus::Ok
        }
        Err(diags) => {
            for d in &diags {
                eprintln!("{d}\n");
            }
            eprintln!("{} problem(s) in pattern files", diags.len());
            ExitStatus::Found
        }
    }
}
