//! The consumer of `follow`: one thread that owns the classifier, the
//! grouper and the store, and turns [`Message`]s into incidents. Each log
//! stream has its own [`LineScanner`]; lines are classified as they come
//! and the scanners are flushed after every batch, so nothing waits for the
//! next line. Objects are kept by kind, namespace and name: an Event enters
//! the pipeline when it is new or its count moved; a status condition when
//! it changes (a transition, not every resync); and every few seconds the
//! resource checks run on the objects and on the clients the gateway
//! access logs showed, a finding entering once (and again every few minutes
//! while it lasts, so its incident stays open). Incidents are printed as
//! they open, grow (at most once per `update_interval` each) and close.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use super::{Message, Shared, Stream};
use crate::checks::{self, Facts, Traffic};
use crate::classify::{Classifier, Hit};
use crate::group::Origin;
use crate::incident::{Incident, ObjectRef};
use crate::input::{Engine, LineScanner, Scope, Sink};
use crate::inventory::Inventory;
use crate::output::Style;
use crate::parse::{Problem, condition, event};
use crate::pipeline::Pipeline;
use crate::record::{Field, Record};
use crate::sanitize::for_terminal;

/// How often the checks run (when something changed).
const CHECK_EVERY: Duration = Duration::from_secs(5);
/// A lasting finding enters again this often, keeping its incident open.
const FINDING_AGAIN: Duration = Duration::from_secs(300);

/// The sink behind the pipeline: problems of the stream being read, and
/// the clients of gateway access logs.
#[derive(Default)]
pub struct Printer {
    input: String,
    traffic: Traffic,
    log_gateway: Option<String>,
    problems: HashMap<String, u64>,
}

impl Sink for Printer {
    fn record(&mut self, _record: &Record, _hit: Option<&Hit>) {}

    fn problem(&mut self, problem: &Problem) {
        let n = self.problems.entry(self.input.clone()).or_default();
        *n += 1;
        if *n <= crate::output::MAX_PROBLEMS_PER_INPUT {
            eprintln!(
                "aks-gw-logs: {}:{}: {}",
                for_terminal(&self.input),
                problem.line,
                for_terminal(&problem.message)
            );
        }
    }

    fn counts_peers(&self) -> bool {
        true
    }

    fn peer(&mut self, address: &str) {
        if let Some(gateway) = &self.log_gateway {
            self.traffic.add(gateway, address);
        }
    }
}

/// How `follow` prints and for how long it runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub cluster: String,
    pub json: bool,
    /// Print every log line too.
    pub tail: bool,
    pub style: Style,
    /// The least time between two prints of one incident's growth.
    pub update_interval: Duration,
    /// Events older than this are the backlog's, not news.
    pub since: Option<DateTime<Utc>>,
    /// Stop after this long (`--duration`).
    pub duration: Option<Duration>,
}

/// Why the run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `--duration` passed.
    Elapsed,
    /// Ctrl-C.
    Interrupted,
    /// Nothing can be read.
    Fatal(String),
}

/// The consumer.
pub struct Live<'a, 'e> {
    engine: &'e Engine,
    pipeline: Pipeline<'a, 'e, Printer>,
    settings: Settings,
    classifier: Classifier<'e>,
    scanners: HashMap<Arc<Stream>, LineScanner<'e>>,
    /// Streams with lines since the last flush.
    pending: HashSet<Arc<Stream>>,
    /// The stream the pipeline's origin is set for.
    current: Option<Arc<Stream>>,
    open_streams: HashSet<Arc<Stream>>,
    objects: BTreeMap<(String, Option<String>, String), Value>,
    objects_changed: bool,
    conditions: HashMap<String, String>,
    events: HashMap<String, String>,
    findings: HashMap<String, Instant>,
    last_checks: Instant,
    notices: HashSet<String>,
    /// Incident index → (count printed, when).
    printed: HashMap<usize, (u64, Instant)>,
    status: Status,
    /// The worst severity of the incidents seen.
    pub worst: Option<crate::signature::Severity>,
}

/// The status line on a terminal's stderr.
struct Status {
    on: bool,
    drawn: Instant,
    lines_then: u64,
}

impl<'a, 'e> Live<'a, 'e> {
    pub fn new(
        engine: &'e Engine,
        pipeline: Pipeline<'a, 'e, Printer>,
        settings: Settings,
    ) -> Self {
        Live {
            engine,
            pipeline,
            settings,
            classifier: Classifier::new(&engine.set),
            scanners: HashMap::new(),
            pending: HashSet::new(),
            current: None,
            open_streams: HashSet::new(),
            objects: BTreeMap::new(),
            objects_changed: false,
            conditions: HashMap::new(),
            events: HashMap::new(),
            findings: HashMap::new(),
            last_checks: Instant::now(),
            notices: HashSet::new(),
            printed: HashMap::new(),
            status: Status {
                on: std::io::stderr().is_terminal(),
                drawn: Instant::now(),
                lines_then: 0,
            },
            worst: None,
        }
    }

    /// Reads messages until Ctrl-C, `--duration` or a fatal problem, then
    /// commits the store.
    pub fn run(
        mut self,
        runtime: &Runtime,
        rx: &mut mpsc::Receiver<Message>,
        shared: &Shared,
    ) -> (Ending, Option<crate::signature::Severity>, bool) {
        let started = Instant::now();
        let mut last_tick = Instant::now();
        let ending = 'run: loop {
            let mut handled = 0;
            while handled < 4096 {
                match rx.try_recv() {
                    Ok(message) => {
                        handled += 1;
                        if let Some(end) = self.handle(message) {
                            break 'run end;
                        }
                    }
                    Err(_) => break,
                }
            }
            self.after_batch();
            if handled == 0 {
                let wait =
                    runtime.block_on(tokio::time::timeout(Duration::from_millis(50), rx.recv()));
                if let Ok(Some(message)) = wait
                    && let Some(end) = self.handle(message)
                {
                    break 'run end;
                }
            }
            if last_tick.elapsed() >= Duration::from_secs(1) {
                last_tick = Instant::now();
                self.tick(shared);
            }
            if self
                .settings
                .duration
                .is_some_and(|d| started.elapsed() >= d)
            {
                break Ending::Elapsed;
            }
        };
        self.clear_status();
        for (stream, scanner) in &mut self.scanners {
            self.pipeline
                .set_origin(origin(&self.settings.cluster, stream));
            scanner.flush(&mut self.pipeline);
        }
        self.print_touched();
        let worst = self.worst;
        let incidents = self.pipeline.grouper().incidents().count();
        let redacted = self
            .pipeline
            .redaction_summary()
            .map(|r| format!("; {r}"))
            .unwrap_or_default();
        let streams = self.scanners.len();
        let (_, error) = self.pipeline.finish(Utc::now());
        eprintln!(
            "aks-gw-logs: followed {streams} log streams, {} lines, {} objects; {incidents} incidents{redacted}",
            shared.lines.load(Ordering::Relaxed),
            self.objects.len()
        );
        (ending, worst, error.is_some())
    }

    /// One message; `Some` when the run ends.
    fn handle(&mut self, message: Message) -> Option<Ending> {
        match message {
            Message::Line { stream, line, .. } => self.line(stream, &line),
            Message::Opened(stream) => {
                self.open_streams.insert(stream);
            }
            Message::Closed(stream) => {
                self.open_streams.remove(&stream);
            }
            Message::Object { value, deleted } => self.object(value, deleted),
            Message::Notice(text) => {
                if self.notices.insert(text.clone()) {
                    self.clear_status();
                    eprintln!("aks-gw-logs: {}", for_terminal(&text));
                }
            }
            Message::Fatal(text) => return Some(Ending::Fatal(text)),
            Message::Stop => return Some(Ending::Interrupted),
        }
        None
    }

    fn line(&mut self, stream: Arc<Stream>, line: &str) {
        if self.settings.tail {
            self.print_line(&stream, line);
        }
        if self.current.as_ref() != Some(&stream) {
            self.pipeline
                .set_origin(origin(&self.settings.cluster, &stream));
            let printer = self.pipeline.printer_mut();
            printer.input = stream.input();
            printer.log_gateway = stream.gateway.clone();
            self.current = Some(stream.clone());
        }
        let engine = self.engine;
        let scanner = self
            .scanners
            .entry(stream.clone())
            .or_insert_with(|| LineScanner::new(engine, Scope::Hits, &Printer::default()));
        scanner.push(line.as_bytes(), &mut self.pipeline);
        self.pending.insert(stream);
    }

    /// After a batch: what the scanners hold is classified, and the
    /// incidents hits touched are printed.
    fn after_batch(&mut self) {
        for stream in std::mem::take(&mut self.pending) {
            if let Some(scanner) = self.scanners.get_mut(&stream) {
                if self.current.as_ref() != Some(&stream) {
                    self.pipeline
                        .set_origin(origin(&self.settings.cluster, &stream));
                    self.current = Some(stream.clone());
                }
                scanner.flush(&mut self.pipeline);
            }
        }
        self.print_touched();
    }

    fn object(&mut self, value: Value, deleted: bool) {
        let kind = str_at(&value, &["kind"]).unwrap_or("").to_string();
        let name = str_at(&value, &["metadata", "name"])
            .unwrap_or("")
            .to_string();
        let ns = str_at(&value, &["metadata", "namespace"]).map(str::to_string);
        let key = (kind.clone(), ns, name);
        self.objects_changed = true;
        if deleted {
            self.objects.remove(&key);
            return;
        }
        let input = format!("watch:{}", kind.to_ascii_lowercase());
        if kind == "Event" {
            self.event(&value, &input);
        } else {
            let mut records = Vec::new();
            condition::from_object(&value, 0, &mut records);
            for record in records {
                let (key, state) = condition_key(&record);
                if self.conditions.get(&key) != Some(&state) {
                    self.conditions.insert(key, state);
                    self.enter(&input, &record);
                }
            }
        }
        if kind != "Event" {
            self.objects.insert(key, value);
        }
    }

    /// An Event enters when it is new or has moved (count, last time).
    fn event(&mut self, value: &Value, input: &str) {
        let Some(record) = event::from_json(value, 0) else {
            return;
        };
        let uid = str_at(value, &["metadata", "uid"])
            .map(str::to_string)
            .unwrap_or_else(|| record.message.clone());
        let state = format!(
            "{}|{}|{}",
            record.get(&Field::Count).unwrap_or(""),
            record.ts.map(|t| t.to_rfc3339()).unwrap_or_default(),
            record.message
        );
        if self.events.get(&uid) == Some(&state) {
            return;
        }
        self.events.insert(uid, state);
        if let (Some(since), Some(ts)) = (self.settings.since, record.ts)
            && ts < since
        {
            return;
        }
        self.enter(input, &record);
    }

    /// Classifies a record from a watch and hands it to the pipeline.
    fn enter(&mut self, input: &str, record: &Record) {
        let Some(hit) = self.classifier.classify(record) else {
            return;
        };
        self.pipeline.set_origin(Origin {
            cluster: self.settings.cluster.clone(),
            input: input.to_string(),
            ..Origin::default()
        });
        self.current = None;
        self.pipeline.record(record, Some(&hit));
    }

    /// Once a second: checks when due, quiet incidents closed, the status line.
    fn tick(&mut self, shared: &Shared) {
        let now = Utc::now();
        if self.last_checks.elapsed() >= CHECK_EVERY {
            self.last_checks = Instant::now();
            self.run_checks(now);
        }
        self.print_touched();
        for index in self.pipeline.tick(now) {
            let incident = self.pipeline.grouper().incident(index).clone();
            self.print("closed", &incident);
        }
        self.draw_status(shared);
    }

    fn run_checks(&mut self, now: DateTime<Utc>) {
        let mut facts = Facts {
            objects: Inventory::default(),
            traffic: self.pipeline.printer_mut().traffic.clone(),
            log_pods: self
                .open_streams
                .iter()
                .map(|s| (Some(s.namespace.clone()), s.pod.clone()))
                .collect(),
        };
        for ((kind, _, _), value) in &self.objects {
            facts
                .objects
                .add(value, &format!("watch:{}", kind.to_ascii_lowercase()), 0);
        }
        self.objects_changed = false;
        let set = &self.engine.set;
        let findings = checks::run(&facts, |id| set.get(id).is_some_and(|s| s.check));
        let mut entered = Vec::new();
        for finding in &findings {
            let about = finding
                .concerns
                .clone()
                .unwrap_or_else(|| finding.object.object_ref());
            let key = format!("{}\u{0}{about}\u{0}{}", finding.signature, finding.message);
            let due = self
                .findings
                .get(&key)
                .is_none_or(|at| at.elapsed() >= FINDING_AGAIN);
            if due && let Some((record, hit)) = finding.hit_in(set, Some(now)) {
                entered.push((key, finding.object.entry.clone(), record, hit));
            }
        }
        for (key, entry, record, hit) in entered {
            self.findings.insert(key, Instant::now());
            self.pipeline.set_origin(Origin {
                cluster: self.settings.cluster.clone(),
                input: entry,
                ..Origin::default()
            });
            self.current = None;
            self.pipeline.record(&record, Some(&hit));
        }
    }

    /// Prints the incidents hits opened, and the growth of others at most
    /// once per update interval.
    fn print_touched(&mut self) {
        for index in self.pipeline.take_touched() {
            let incident = self.pipeline.grouper().incident(index).clone();
            self.worst = self.worst.max(Some(incident.severity));
            let event = match self.printed.get(&index) {
                None => "open",
                Some((count, at))
                    if *count != incident.count
                        && at.elapsed() >= self.settings.update_interval =>
                {
                    "update"
                }
                Some(_) => continue,
            };
            self.printed.insert(index, (incident.count, Instant::now()));
            self.print(event, &incident);
        }
    }

    fn print(&mut self, event: &str, incident: &Incident) {
        self.clear_status();
        let mut out = std::io::stdout().lock();
        let _ = if self.settings.json {
            writeln!(out, "{}", json!({ "event": event, "incident": incident }))
        } else {
            let style = self.settings.style;
            let sample = incident
                .samples
                .last()
                .map(|s| s.text.chars().take(160).collect::<String>())
                .unwrap_or_default();
            writeln!(
                out,
                "{} {:<6} {} {}  {}  x{}  {}",
                incident.last_seen.format("%H:%M:%S"),
                event,
                style.severity(incident.severity),
                style.bold(&incident.signature),
                for_terminal(&incident.object.to_string()),
                incident.count,
                style.dim(&for_terminal(&sample))
            )
        };
        let _ = out.flush();
    }

    fn print_line(&mut self, stream: &Stream, line: &str) {
        // The line's number in its stream: the scanner reads it next.
        let number = self.scanners.get(stream).map_or(0, |s| s.stats().lines) + 1;
        let line = self
            .pipeline
            .redact_line(&format!("{} (tail)", stream.input()), number, line)
            .into_owned();
        let line = line.as_str();
        self.clear_status();
        let mut out = std::io::stdout().lock();
        let input = stream.input();
        let _ = if self.settings.json {
            writeln!(
                out,
                "{}",
                json!({ "event": "line", "input": input, "line": line })
            )
        } else {
            writeln!(
                out,
                "{} {}",
                self.settings.style.dim(&input),
                for_terminal(line)
            )
        };
    }

    fn draw_status(&mut self, shared: &Shared) {
        if !self.status.on {
            return;
        }
        let lines = shared.lines.load(Ordering::Relaxed);
        let secs = self.status.drawn.elapsed().as_secs_f64().max(0.001);
        let rate = (lines - self.status.lines_then) as f64 / secs;
        self.status.drawn = Instant::now();
        self.status.lines_then = lines;
        let open = self
            .pipeline
            .grouper()
            .incidents()
            .filter(|i| i.state == crate::incident::State::Open)
            .count();
        eprint!(
            "\r\x1b[Kaks-gw-logs: {} streams, {:.0} lines/s, {} open incidents",
            self.open_streams.len(),
            rate,
            open
        );
    }

    fn clear_status(&self) {
        if self.status.on {
            eprint!("\r\x1b[K");
        }
    }
}

/// The origin of a stream's lines.
fn origin(cluster: &str, stream: &Stream) -> Origin {
    Origin {
        cluster: cluster.to_string(),
        input: stream.input(),
        pod: Some(stream.pod.clone()),
        namespace: Some(stream.namespace.clone()),
        gateway: stream
            .gateway
            .as_deref()
            .and_then(|g| g.split_once('/'))
            .map(|(_, name)| name.to_string()),
        container: Some(stream.container.clone()),
        previous: false,
    }
}

/// A condition's identity (object, holder, type) and state (status,
/// reason, message).
fn condition_key(record: &Record) -> (String, String) {
    let get = |f: Field| record.get(&f).unwrap_or("");
    let object = ObjectRef::new(
        get(Field::ObjectKind),
        Some(get(Field::Namespace)),
        get(Field::ObjectName),
    );
    let key = format!(
        "{object}\u{0}{}\u{0}{}\u{0}{}",
        get(Field::Listener),
        get(Field::Parent),
        get(Field::ConditionType)
    );
    let state = format!(
        "{}\u{0}{}\u{0}{}",
        get(Field::ConditionStatus),
        get(Field::Reason),
        record.message
    );
    (key, state)
}

fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(value, |v, k| v.get(k))
        .and_then(Value::as_str)
}
