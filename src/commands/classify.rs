//! `aks-gw-logs classify [FILE|-]...`: reads each input in turn through the
//! scanner and prints hits as they are found. An input that cannot be opened
//! is reported and skipped; the others are still classified, and the run
//! exits 2 at the end.

use std::fs::File;
use std::io::{self, Write};

use chrono::Utc;

use crate::ExitStatus;
use crate::cli::ClassifyArgs;
use crate::group::{Grouper, Origin};
use crate::input::{Engine, Scope, Stats, scan};
use crate::output::{Mode, Printer, Style};
use crate::pipeline::{DEFAULT_COMMIT_INTERVAL, Pipeline};
use crate::sanitize::for_terminal;
use crate::store::Store;
use crate::template::pod_stem;

/// Runs `classify`; hits are grouped into incidents and, with a store,
/// recorded there.
pub fn run(args: &ClassifyArgs, engine: &Engine, store: Option<Store>, style: Style) -> ExitStatus {
    let mode = match (args.count, args.all, args.json) {
        (true, _, json) => Mode::Count { json },
        (false, true, true) => Mode::JsonAll,
        (false, true, false) => Mode::HumanAll,
        (false, false, true) => Mode::Json,
        (false, false, false) => Mode::Human,
    };
    // Counting alone needs no captures; incidents do (they name objects).
    let scope = if args.all {
        Scope::All
    } else if args.count && store.is_none() {
        Scope::Counts
    } else {
        Scope::Hits
    };
    let stdout = io::stdout().lock();
    let mut printer = Printer::new(
        io::BufWriter::with_capacity(1 << 16, stdout),
        &engine.set,
        mode,
        style,
    );
    let read_at = Utc::now();
    let grouper = Grouper::new(&engine.set, args.quiet_window, read_at);
    let interval = args
        .commit_interval
        .to_std()
        .unwrap_or(DEFAULT_COMMIT_INTERVAL);
    let mut pipeline = Pipeline::new(&mut printer, grouper, store, interval, args.stats)
        .redacting(engine.redactor());
    let started = std::time::Instant::now();
    let mut total = Stats::default();
    let mut failed = false;
    let inputs: Vec<String> = if args.inputs.is_empty() {
        vec!["-".to_string()]
    } else {
        args.inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect()
    };
    for name in &inputs {
        let label = if name == "-" { "<stdin>" } else { name };
        pipeline.printer_mut().begin_input(label);
        pipeline.set_origin(origin_of(args, label));
        let result = if name == "-" {
            scan(engine, io::stdin().lock(), scope, &mut pipeline)
        } else {
            match File::open(name) {
                Ok(file) => scan(engine, file, scope, &mut pipeline),
                Err(e) => Err(e),
            }
        };
        pipeline.printer_mut().end_input();
        match result {
            Ok(stats) => add(&mut total, &stats),
            Err(e) => {
                failed = true;
                eprintln!(
                    "aks-gw-logs: {}: {}",
                    for_terminal(name),
                    describe_io_error(&e)
                );
            }
        }
        if pipeline.printer_mut().error.is_some() {
            break;
        }
    }
    let incidents = pipeline.grouper().incidents().count();
    let stored = pipeline.has_store();
    let redacted = pipeline.redaction_summary();
    let (written, store_error) = pipeline.finish(Utc::now());
    failed |= store_error.is_some();
    printer.finish(&total);
    if args.stats {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "aks-gw-logs: {} inputs, {} bytes, {} lines ({} skipped unparsed by the prefilter), {} records, {} hits, {} problems in {:.3} s ({:.0} lines/s, {:.1} MB/s)",
            inputs.len(),
            total.bytes,
            total.lines,
            total.skipped,
            total.records,
            total.hits,
            total.problems,
            secs,
            total.lines as f64 / secs,
            total.bytes as f64 / secs / (1 << 20) as f64
        );
        if stored {
            eprintln!("aks-gw-logs: {incidents} incidents, {written} incident updates stored");
        } else {
            eprintln!("aks-gw-logs: {incidents} incidents (not stored: --no-store)");
        }
    }
    if let Some(r) = redacted {
        eprintln!("aks-gw-logs: {r}; --no-redact keeps them");
    }
    if let Some(e) = printer.error.take() {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return ExitStatus::Ok;
        }
        eprintln!("aks-gw-logs: failed to write output: {e}");
        return ExitStatus::Error;
    }
    let _ = io::stderr().flush();
    if failed {
        ExitStatus::Error
    } else if args
        .fail_on
        .threshold()
        .is_some_and(|t| printer.worst.is_some_and(|w| w >= t))
    {
        ExitStatus::Found
    } else {
        ExitStatus::Ok
    }
}

/// Where an input's records come from: `--cluster`, `--pod`/`--namespace`,
/// or a pod name in the file name.
fn origin_of(args: &ClassifyArgs, input: &str) -> Origin {
    let stem = std::path::Path::new(input)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    let pod = args
        .pod
        .clone()
        .or_else(|| pod_stem(stem).map(|_| stem.to_string()));
    Origin {
        cluster: args.cluster.clone(),
        input: input.to_string(),
        pod,
        namespace: args.namespace.clone(),
        ..Origin::default()
    }
}

fn add(total: &mut Stats, s: &Stats) {
    total.bytes += s.bytes;
    total.lines += s.lines;
    total.records += s.records;
    total.skipped += s.skipped;
    total.hits += s.hits;
    total.problems += s.problems;
}

/// An I/O error in plain words.
pub fn describe_io_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => {
            "no such file; expected a readable log file or `-` for stdin".into()
        }
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => {
            "is a directory; expected a file (support bundles come with `bundle analyze`)".into()
        }
        _ => format!("cannot read: {e}"),
    }
}
