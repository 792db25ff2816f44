//! The labelled corpus, run whole: every case in `corpus/**/*.toml` goes
//! through the same scanner and classifier as `aks-gw-logs classify`, twice
//! (with the prefilter skipping lines, and parsing every line) so the
//! prefilter is proven sound on every case. The test fails on any missed
//! positive, any false hit, any difference between the two passes, any
//! signature with fewer than 5 positives, or fewer than 300 hard-negative
//! records; it prints a per-signature precision/recall table either way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aks_gw_logs::commands::patterns::hits_of;
use aks_gw_logs::input::{Engine, Scope};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusFile {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    expect: Vec<String>,
    input: String,
}

#[derive(Default)]
struct Score {
    expected: u64,
    found: u64,
    false_hits: u64,
}

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            corpus_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

fn counts(ids: &[String]) -> BTreeMap<&str, u64> {
    let mut m = BTreeMap::new();
    for id in ids {
        *m.entry(id.as_str()).or_insert(0) += 1;
    }
    m
}

#[test]
fn corpus_every_positive_found_and_no_false_hit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let engine = Engine::new(aks_gw_logs::load_signatures(None).expect("built-in signatures load"));
    // The labelled cases; other folders of corpus/ hold bundles, samples
    // and the secret corpus (whose patterns folder is a user's).
    let mut files = Vec::new();
    for labelled in ["positives", "negatives"] {
        corpus_files(&root.join(labelled), &mut files);
    }
    assert!(
        !files.is_empty(),
        "no corpus files under {}",
        root.display()
    );

    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut negative_records = 0u64;
    let mut cases = 0u64;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let file: CorpusFile =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        for case in file.case {
            cases += 1;
            for id in &case.expect {
                let known = id == "unclassified" || engine.set.get(id).is_some();
                if !known {
                    failures.push(format!("{rel}: {}: expects unknown id {id}", case.name));
                }
            }
            let fast = hits_of(&engine, &case.input, Scope::Hits);
            let full = hits_of(&engine, &case.input, Scope::All);
            let counted = hits_of(&engine, &case.input, Scope::Counts);
            if fast.ids != full.ids {
                failures.push(format!(
                    "{rel}: {}: prefilter changed the result: {:?} with skipping, {:?} without",
                    case.name, fast.ids, full.ids
                ));
            }
            if counted.ids != full.ids {
                failures.push(format!(
                    "{rel}: {}: counting changed the result: {:?} counted, {:?} classified",
                    case.name, counted.ids, full.ids
                ));
            }
            if case.expect.is_empty() {
                negative_records += full.stats.records;
            }
            let (want, got) = (counts(&case.expect), counts(&full.ids));
            for (id, &n) in &want {
                let s = scores.entry(id.to_string()).or_default();
                s.expected += n;
                s.found += n.min(got.get(id).copied().unwrap_or(0));
            }
            for (id, &n) in &got {
                let extra = n.saturating_sub(want.get(id).copied().unwrap_or(0));
                scores.entry(id.to_string()).or_default().false_hits += extra;
            }
            if full.ids != case.expect {
                failures.push(format!(
                    "{rel}: {}: expected {:?}, got {:?}",
                    case.name, case.expect, full.ids
                ));
            }
        }
    }

    println!(
        "\n{:<40} {:>6} {:>6} {:>6} {:>9} {:>7}",
        "signature", "pos", "found", "false", "precision", "recall"
    );
    for (id, s) in &scores {
        let precision = if s.found + s.false_hits == 0 {
            1.0
        } else {
            s.found as f64 / (s.found + s.false_hits) as f64
        };
        let recall = if s.expected == 0 {
            1.0
        } else {
            s.found as f64 / s.expected as f64
        };
        println!(
            "{id:<40} {:>6} {:>6} {:>6} {precision:>9.3} {recall:>7.3}",
            s.expected, s.found, s.false_hits
        );
    }
    println!("{cases} cases, {negative_records} hard-negative records");

    // Check-only signatures match no log line: their cases are the checks'
    // tests (src/checks/tests.rs) and the sample bundles.
    for sig in engine
        .set
        .signatures()
        .iter()
        .filter(|s| !s.benign && !s.regexes.is_empty())
    {
        let n = scores.get(&sig.id).map_or(0, |s| s.expected);
        if n < 5 {
            failures.push(format!(
                "{}: only {n} labelled positives in the corpus; expected at least 5",
                sig.id
            ));
        }
    }
    if negative_records < 300 {
        failures.push(format!(
            "only {negative_records} hard-negative records; expected at least 300"
        ));
    }
    assert!(
        failures.is_empty(),
        "{} corpus failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
