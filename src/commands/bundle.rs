//! `aks-gw-logs bundle analyze PATH`: every entry of a support bundle
//! (directory, `.tar`, `.tar.gz`, `.zip` or one file) is classified with the
//! namespace, pod and container its path names, and its Kubernetes objects
//! are kept for the resource checks (`src/checks/`), whose findings join the
//! hits; hits become incidents (and go to the store); the report ranks them
//! by Gateway and severity, with the evidence (entry and line) and what to do.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::ExitStatus;
use crate::bundle::{self, BundleProblem, layout};
use crate::checks::{self, Facts};
use crate::classify::Hit;
use crate::cli::{BundleArgs, BundleFormat};
use crate::group::{Grouper, Origin, gateway_of_pod};
use crate::incident::{Incident, ObjectRef};
use crate::input::{Engine, Scope, Sink, scan};
use crate::output::{MAX_PROBLEMS_PER_INPUT, Style};
use crate::parse::Problem;
use crate::parse::marker::Marker;
use crate::pipeline::{DEFAULT_COMMIT_INTERVAL, Pipeline};
use crate::record::{Field, Record};
use crate::sanitize::for_terminal;
use crate::store::Store;

/// What the report and the resource checks need beside incidents:
/// problems (printed as they come, at most so many per entry), every
/// Gateway the bundle names, its objects, the clients of each gateway's
/// access logs, the pods whose logs it holds, and its newest timestamp.
#[derive(Default)]
struct Seen {
    entry: String,
    in_entry: u64,
    total: u64,
    gateways: BTreeSet<String>,
    facts: Facts,
    /// The Gateway whose pod wrote the log being read.
    log_gateway: Option<String>,
    /// The newest timestamp of the evidence read (hits, Events,
    /// conditions): about when the bundle was collected.
    latest: Option<DateTime<Utc>>,
}

impl Seen {
    /// A new entry starts; `pod` is the pod whose log it is, if any.
    fn begin(&mut self, entry: &str, namespace: Option<&str>, pod: Option<&str>) {
        self.entry = entry.to_string();
        self.in_entry = 0;
        self.log_gateway = None;
        if let Some(pod) = pod {
            self.log_pod(namespace, pod);
        }
    }

    fn log_pod(&mut self, namespace: Option<&str>, pod: &str) {
        self.facts
            .log_pods
            .insert((namespace.map(str::to_string), pod.to_string()));
        let object = ObjectRef::new("Pod", namespace, pod);
        self.log_gateway = gateway_of_pod(&object).map(|g| g.qualified_name());
    }
}

impl Sink for Seen {
    fn record(&mut self, record: &Record, _hit: Option<&Hit>) {
        if let Some(ts) = record.ts {
            self.latest = self.latest.max(Some(ts));
        }
        if record.get(&Field::ObjectKind) == Some("Gateway")
            && let Some(name) = record.get(&Field::ObjectName)
        {
            let gateway = ObjectRef::new("Gateway", record.get(&Field::Namespace), name);
            self.gateways.insert(gateway.qualified_name());
        }
    }

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

    fn section(&mut self, marker: &Marker) {
        if let Marker::Start { namespace, pod, .. } = marker {
            self.log_pod(Some(namespace), pod);
        }
    }

    fn object(&mut self, object: &Value, line: u64) {
        self.facts.objects.add(object, &self.entry, line);
    }

    fn counts_peers(&self) -> bool {
        self.log_gateway.is_some()
    }

    fn peer(&mut self, address: &str) {
        if let Some(gateway) = &self.log_gateway {
            self.facts.traffic.add(gateway, address);
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
    let mut problems = Seen::default();
    let grouper = Grouper::new(&engine.set, args.quiet_window, Utc::now());
    let mut pipeline = Pipeline::new(
        &mut problems,
        grouper,
        store,
        DEFAULT_COMMIT_INTERVAL,
        false,
    )
    .redacting(engine.redactor());
    let mut layouts = BTreeSet::new();
    let (mut read, mut skipped) = (0u64, 0u64);
    let mut progress = Progress::new();
    let mut bundle_problems: Vec<BundleProblem> = Vec::new();
    let mut unreadable: Vec<BundleProblem> = Vec::new();
    let container = bundle::read(
        path,
        &mut |entry, reader| {
            let (layout, content) = layout::entry(&entry.path);
            if let layout::Content::Skip(_) = content {
                skipped += 1;
                return;
            }
            read += 1;
            layouts.insert(layout);
            progress.show(read, entry);
            let origin = |namespace: Option<String>, pod, container| Origin {
                cluster: cluster.clone(),
                input: entry.path.clone(),
                namespace,
                pod,
                container,
                ..Origin::default()
            };
            let scanned = match content {
                layout::Content::Skip(_) => Ok(()),
                layout::Content::Log {
                    namespace,
                    pod,
                    container,
                    previous,
                } => {
                    let seen = pipeline.printer_mut();
                    seen.begin(&entry.path, namespace.as_deref(), pod.as_deref());
                    pipeline.set_origin(Origin {
                        previous,
                        ..origin(namespace, pod, container)
                    });
                    scan(engine, reader, Scope::Hits, &mut pipeline)
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
                // AKS Periscope wraps a container's log in a JSON object that
                // names its pod and container: unwrapped, read like the others.
                layout::Content::JsonContainerLog => bundle::periscope::container_log(reader)
                    .and_then(|log| {
                        let seen = pipeline.printer_mut();
                        seen.begin(&entry.path, None, Some(&log.pod));
                        pipeline.set_origin(origin(None, Some(log.pod), Some(log.container)));
                        scan(engine, log.log.as_bytes(), Scope::Hits, &mut pipeline)
                            .map(drop)
                            .map_err(|e| e.to_string())
                    }),
                // Objects are read whole (Scope::All) to learn every Gateway,
                // healthy ones included, and to keep them for the checks.
                layout::Content::Objects => {
                    pipeline.printer_mut().begin(&entry.path, None, None);
                    pipeline.set_origin(origin(None, None, None));
                    scan(engine, reader, Scope::All, &mut pipeline)
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
            };
            if let Err(e) = scanned {
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
    progress.clear();
    bundle_problems.append(&mut unreadable);
    if read == 0 {
        bundle_problems.push(BundleProblem {
            entry: "-".into(),
            message: format!(
                "no entry of a known layout among {skipped} entries; expected an istioctl bug-report, a kubectl cluster-info dump, a troubleshoot.sh bundle, an AKS Periscope zip, or .log/.txt/.json/.yaml files"
            ),
        });
    }
    run_checks(&mut pipeline, engine, &cluster);
    let incidents: Vec<Incident> = pipeline.grouper().incidents().cloned().collect();
    let redacted = pipeline.redaction_summary();
    let (_, store_error) = pipeline.finish(Utc::now());
    for p in &bundle_problems {
        eprintln!(
            "aks-gw-logs: {}: {}: {}",
            for_terminal(&path.display().to_string()),
            for_terminal(&p.entry),
            p.message
        );
    }
    // Stray files beside a known layout (a version.yaml) do not make it "plain".
    if layouts.len() > 1 {
        layouts.remove(&layout::Layout::Plain);
    }
    let layouts: Vec<&str> = layouts.iter().map(|l| l.name()).collect();
    // Gateways the bundle's objects name and no incident concerns.
    let hit: BTreeSet<&str> = incidents
        .iter()
        .filter_map(|i| i.gateway.as_deref())
        .collect();
    let healthy: Vec<String> = problems
        .gateways
        .iter()
        .filter(|g| !hit.contains(g.as_str()))
        .cloned()
        .collect();
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
    let summary = match redacted {
        Some(r) => format!("{summary}; {r}"),
        None => summary,
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        BundleFormat::Json => {
            // The summary (and its redaction counts) goes beside the
            // incidents, which stay one JSON object a line.
            eprintln!("aks-gw-logs: {}", for_terminal(&summary));
            for inc in &incidents {
                writeln!(out, "{}", serde_json::to_string(inc)?)?;
            }
        }
        BundleFormat::Terminal => report(&mut out, &summary, &incidents, &healthy, style)?,
        BundleFormat::Markdown => markdown(&mut out, &summary, &incidents, &healthy)?,
        BundleFormat::Html => super::bundle_html::html(&mut out, &summary, &incidents, &healthy)?,
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

/// Runs the resource checks on what the bundle held, and hands each
/// finding to the pipeline as a hit of its signature, dated by the newest
/// evidence the bundle holds (the clock only when it holds none).
fn run_checks(pipeline: &mut Pipeline<'_, '_, Seen>, engine: &Engine, cluster: &str) {
    let seen = pipeline.printer_mut();
    let facts = std::mem::take(&mut seen.facts);
    let collected = seen.latest;
    let findings = checks::run(&facts, |id| engine.set.get(id).is_some_and(|s| s.check));
    for finding in &findings {
        let Some((record, hit)) = finding.hit_in(&engine.set, collected) else {
            continue;
        };
        pipeline.set_origin(Origin {
            cluster: cluster.to_string(),
            input: finding.object.entry.clone(),
            namespace: finding.object.namespace.clone(),
            ..Origin::default()
        });
        pipeline.record(&record, Some(&hit));
    }
}

/// A one-line progress display on stderr: only on a terminal, and only
/// once the work has taken more than a second.
struct Progress {
    started: std::time::Instant,
    drawn: Option<std::time::Instant>,
    bytes: u64,
    on: bool,
}

impl Progress {
    fn new() -> Progress {
        use std::io::IsTerminal;
        Progress {
            started: std::time::Instant::now(),
            drawn: None,
            bytes: 0,
            on: io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, entries: u64, entry: &bundle::Entry) {
        self.bytes += entry.size.unwrap_or(0);
        let due = self.drawn.is_none_or(|t| t.elapsed().as_millis() >= 100);
        if !self.on || self.started.elapsed().as_secs() < 1 || !due {
            return;
        }
        self.drawn = Some(std::time::Instant::now());
        let name: String = for_terminal(&entry.path)
            .chars()
            .rev()
            .take(60)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        eprint!(
            "\r\x1b[Kaks-gw-logs: {entries} entries, {} MB: {name}",
            self.bytes >> 20
        );
    }

    fn clear(&self) {
        if self.drawn.is_some() {
            eprint!("\r\x1b[K");
        }
    }
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

/// Incidents by Gateway (`(no Gateway)` for the rest), each list worst
/// first, the Gateways with the worst incident first.
pub(super) fn by_gateway(incidents: &[Incident]) -> Vec<(String, Vec<&Incident>)> {
    let mut groups: BTreeMap<String, Vec<&Incident>> = BTreeMap::new();
    for inc in incidents {
        let gateway = inc.gateway.clone().unwrap_or_else(|| "(no Gateway)".into());
        groups.entry(gateway).or_default().push(inc);
    }
    for list in groups.values_mut() {
        list.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.count.cmp(&a.count)));
    }
    let mut order: Vec<(String, Vec<&Incident>)> = groups.into_iter().collect();
    order.sort_by(|a, b| b.1[0].severity.cmp(&a.1[0].severity).then(a.0.cmp(&b.0)));
    order
}

/// The signatures of a Gateway's incidents, once each, sorted.
pub(super) fn signatures_of(list: &[&Incident]) -> String {
    let sigs: BTreeSet<&str> = list.iter().map(|i| i.signature.as_str()).collect();
    sigs.into_iter().collect::<Vec<_>>().join(", ")
}

/// Each signature's first incident, in report order (for "what to do").
pub(super) fn remediations<'i>(order: &[(String, Vec<&'i Incident>)]) -> Vec<&'i Incident> {
    let mut done = BTreeSet::new();
    order
        .iter()
        .flat_map(|(_, list)| list.iter().copied())
        .filter(|inc| done.insert(inc.signature.as_str()))
        .collect()
}

/// The terminal report: which Gateways are hit and how badly, then each
/// Gateway's incidents, worst first, with evidence, then what to do.
fn report(
    out: &mut impl Write,
    summary: &str,
    incidents: &[Incident],
    healthy: &[String],
    style: Style,
) -> io::Result<()> {
    writeln!(out, "{}", style.bold(&for_terminal(summary)))?;
    let order = by_gateway(incidents);
    writeln!(out, "\n{}", style.bold("Gateways"))?;
    // Broken Gateways first, worst first; then the healthy ones.
    for (gw, list) in &order {
        let plural = if list.len() == 1 { "" } else { "s" };
        let (worst, n, sigs) = (
            style.severity(list[0].severity),
            list.len(),
            signatures_of(list),
        );
        writeln!(
            out,
            "  {:<40} {worst} {n} incident{plural}: {sigs}",
            for_terminal(gw)
        )?;
    }
    for gw in healthy {
        writeln!(
            out,
            "  {:<40} {:<8} no incident found",
            for_terminal(gw),
            "ok"
        )?;
    }
    if incidents.is_empty() {
        return writeln!(out, "\nNo failure signature found in the bundle.");
    }
    for (gw, list) in &order {
        writeln!(out, "\n{}", style.bold(&for_terminal(gw)))?;
        for inc in list {
            let object = inc.object.to_string();
            let object = for_terminal(&object);
            let title = style.dim(&for_terminal(&inc.title));
            let sev = style.severity(inc.severity);
            writeln!(
                out,
                "  {sev} {}  x{}  {object}  {title}",
                inc.signature, inc.count
            )?;
            if let Some(s) = inc.samples.first() {
                let text: String = s.text.chars().take(160).collect();
                writeln!(
                    out,
                    "      {}  {}",
                    for_terminal(&s.place()),
                    for_terminal(&text)
                )?;
            }
        }
    }
    writeln!(out, "\n{}", style.bold("What to do"))?;
    for inc in remediations(&order) {
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
    Ok(())
}

/// The Markdown report, for a support ticket. Log text goes in code spans
/// and blocks, with backticks, pipes and control characters neutralised.
fn markdown(
    out: &mut impl Write,
    summary: &str,
    incidents: &[Incident],
    healthy: &[String],
) -> io::Result<()> {
    let code = |t: &str| for_terminal(t).replace('`', "'").replace('|', "\\|");
    let healthy_rows: String = healthy
        .iter()
        .map(|gw| format!("| `{}` | ok | 0 | no incident found |\n", code(gw)))
        .collect();
    writeln!(out, "# Bundle analysis\n\n{}\n", code(summary))?;
    // Broken Gateways first, worst first; then the healthy ones.
    writeln!(
        out,
        "| Gateway | Worst | Incidents | Signatures |\n|---|---|---|---|"
    )?;
    let order = by_gateway(incidents);
    for (gw, list) in &order {
        let worst = list[0].severity.as_str();
        writeln!(
            out,
            "| `{}` | {worst} | {} | {} |",
            code(gw),
            list.len(),
            signatures_of(list)
        )?;
    }
    write!(out, "{healthy_rows}")?;
    if incidents.is_empty() {
        return writeln!(out, "\nNo failure signature found in the bundle.");
    }
    for (gw, list) in &order {
        writeln!(out, "\n## `{}`\n", code(gw))?;
        for inc in list {
            let (sev, object, title) = (
                inc.severity.as_str(),
                code(&inc.object.to_string()),
                code(&inc.title),
            );
            writeln!(
                out,
                "- **{sev}** `{}` x{} on `{object}`: {title}",
                inc.signature, inc.count
            )?;
            if let Some(s) = inc.samples.first() {
                writeln!(
                    out,
                    "  - evidence `{}`\n\n    ```text\n    {}\n    ```",
                    code(&s.place()),
                    code(&s.text)
                )?;
            }
        }
    }
    writeln!(out, "\n## What to do")?;
    for inc in remediations(&order) {
        let (guide, remedy) = (code(&inc.guide_step), for_terminal(&inc.remediation));
        writeln!(out, "\n### `{}`\n\n{guide}\n\n{remedy}", inc.signature)?;
    }
    Ok(())
}
