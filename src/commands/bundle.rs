//! `aks-gw-logs bundle analyze PATH`: every entry of a support bundle
//! (directory, `.tar`, `.tar.gz`, `.zip` or one file) is classified with the
//! namespace, pod and container its path names; hits become incidents (and
//! go to the store); the report ranks them by Gateway and severity, with
//! the evidence (entry and line) and what to do.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use chrono::Utc;

use crate::ExitStatus;
use crate::bundle::{self, BundleProblem, layout};
use crate::classify::Hit;
use crate::cli::{BundleArgs, BundleFormat};
use crate::group::{Grouper, Origin};
use crate::incident::Incident;
use crate::input::{Engine, Scope, Sink, scan};
use crate::output::{MAX_PROBLEMS_PER_INPUT, Style};
use crate::parse::Problem;
use crate::pipeline::{DEFAULT_COMMIT_INTERVAL, Pipeline};
use crate::record::Record;
use crate::sanitize::for_terminal;
use crate::store::Store;

/// Prints problems of the entry being read, at most so many per entry.
struct Problems {
    entry: String,
    in_entry: u64,
    total: u64,
}

impl Sink for Problems {
    fn record(&mut self, _record: &Record, _hit: Option<&Hit>) {}

    fn problem(&mut self, problem: &Problem) {
        self.total += 1;
        self.in_entry += 1;
        if self.in_entry <= MAX_PROBLEMS_PER_INPUT {
            eprintln!(
                "aks-gw-logs: {}:{}: {}",
                for_terminal(&self.entry),
                problem.line,
                for_terminal(&problem.message)
            );
        }
    }
}

/// Runs `bundle analyze`.
pub fn analyze(
    args: &BundleArgs,
    engine: &Engine,
    store: Option<Store>,
    style: Style,
) -> anyhow::Result<ExitStatus> {
    let path = &args.path;
    let cluster = args.cluster.clone().unwrap_or_else(|| bundle_name(path));
    let mut problems = Problems {
        entry: String::new(),
        in_entry: 0,
        total: 0,
    };
    let grouper = Grouper::new(&engine.set, args.quiet_window, Utc::now());
    let mut pipeline = Pipeline::new(
        &mut problems,
        grouper,
        store,
        DEFAULT_COMMIT_INTERVAL,
        false,
    );
    let mut layouts = BTreeSet::new();
    let (mut read, mut skipped) = (0u64, 0u64);
    let mut bundle_problems: Vec<BundleProblem> = Vec::new();
    let mut unreadable: Vec<BundleProblem> = Vec::new();
    let container = bundle::read(
        path,
        &mut |entry, reader| {
            let (layout, content) = layout::entry(&entry.path);
            let (namespace, pod) = match content {
                layout::Content::Skip(_) => {
                    skipped += 1;
                    return;
                }
                layout::Content::Log { namespace, pod, .. } => (namespace, pod),
                layout::Content::Objects => (None, None),
            };
            read += 1;
            layouts.insert(layout);
            pipeline.printer_mut().entry.clone_from(&entry.path);
            pipeline.printer_mut().in_entry = 0;
            pipeline.set_origin(Origin {
                cluster: cluster.clone(),
                input: entry.path.clone(),
                pod,
                namespace,
                gateway: None,
            });
            if let Err(e) = scan(engine, reader, Scope::Hits, &mut pipeline) {
                unreadable.push(BundleProblem {
                    entry: entry.path.clone(),
                    message: format!("cannot be read: {e}"),
                });
            }
        },
        &mut |p| bundle_problems.push(p),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "{}: {}",
            path.display(),
            super::classify::describe_io_error(&e)
        )
    })?;
    bundle_problems.append(&mut unreadable);
    let incidents: Vec<Incident> = pipeline.grouper().incidents().cloned().collect();
    let (_, store_error) = pipeline.finish(Utc::now());
    for p in &bundle_problems {
        eprintln!(
            "aks-gw-logs: {}: {}: {}",
            for_terminal(&path.display().to_string()),
            for_terminal(&p.entry),
            p.message
        );
    }
    let layouts: Vec<&str> = layouts.iter().map(|l| l.name()).collect();
    let summary = format!(
        "{} ({:?}, {}): {read} entries read, {skipped} skipped, {} problems, {} incidents",
        path.display(),
        container,
        if layouts.is_empty() {
            "no known layout".to_string()
        } else {
            layouts.join(" + ")
        },
        problems.total + bundle_problems.len() as u64,
        incidents.len()
    );
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        BundleFormat::Json => {
            for inc in &incidents {
                writeln!(out, "{}", serde_json::to_string(inc)?)?;
            }
        }
        BundleFormat::Terminal => report(&mut out, &summary, &incidents, style)?,
    }
    out.flush()?;
    if store_error.is_some() {
        return Ok(ExitStatus::Error);
    }
    let worst = incidents.iter().map(|i| i.severity).max();
    Ok(match args.fail_on.threshold() {
        Some(t) if worst.is_some_and(|w| w >= t) => ExitStatus::Found,
        _ => ExitStatus::Ok,
    })
}

/// The bundle's name without archive extensions: the default cluster name.
fn bundle_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(|| "bundle".into(), |n| n.to_string_lossy().into_owned());
    [".tar.gz", ".tgz", ".tar", ".zip"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(&name)
        .to_string()
}

/// The terminal report: which Gateways are hit and how badly, then each
/// Gateway's incidents, worst first, with evidence, then what to do.
fn report(
    out: &mut impl Write,
    summary: &str,
    incidents: &[Incident],
    style: Style,
) -> io::Result<()> {
    writeln!(out, "{}", style.bold(&for_terminal(summary)))?;
    if incidents.is_empty() {
        writeln!(out, "\nNo failure signature found in the bundle.")?;
        return Ok(());
    }
    let mut by_gateway: BTreeMap<String, Vec<&Incident>> = BTreeMap::new();
    for inc in incidents {
        by_gateway
            .entry(inc.gateway.clone().unwrap_or_else(|| "(no Gateway)".into()))
            .or_default()
            .push(inc);
    }
    for list in by_gateway.values_mut() {
        list.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.count.cmp(&a.count)));
    }
    let mut order: Vec<(&String, &Vec<&Incident>)> = by_gateway.iter().collect();
    order.sort_by(|a, b| b.1[0].severity.cmp(&a.1[0].severity).then(a.0.cmp(b.0)));

    writeln!(out, "\n{}", style.bold("Gateways"))?;
    for (gw, list) in &order {
        let sigs: BTreeSet<&str> = list.iter().map(|i| i.signature.as_str()).collect();
        writeln!(
            out,
            "  {:<40} {} {} incident{}: {}",
            for_terminal(gw),
            style.severity(list[0].severity),
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            sigs.into_iter().collect::<Vec<_>>().join(", ")
        )?;
    }
    for (gw, list) in &order {
        writeln!(out, "\n{}", style.bold(&for_terminal(gw)))?;
        for inc in list.iter() {
            writeln!(
                out,
                "  {} {}  x{}  {}  {}",
                style.severity(inc.severity),
                inc.signature,
                inc.count,
                for_terminal(&inc.object.to_string()),
                style.dim(&for_terminal(&inc.title))
            )?;
            if let Some(s) = inc.samples.first() {
                writeln!(
                    out,
                    "      {}:{}  {}",
                    for_terminal(&s.input),
                    s.line,
                    for_terminal(&s.text.chars().take(160).collect::<String>())
                )?;
            }
        }
    }
    writeln!(out, "\n{}", style.bold("What to do"))?;
    let mut done = BTreeSet::new();
    for (_, list) in &order {
        for inc in list.iter() {
            if !done.insert(inc.signature.as_str()) {
                continue;
            }
            writeln!(
                out,
                "\n  {} {}",
                style.bold(&inc.signature),
                for_terminal(&inc.guide_step)
            )?;
            for line in inc.remediation.lines() {
                writeln!(out, "    {}", for_terminal(line))?;
            }
        }
    }
    Ok(())
}
