//! The stages after classification, as one [`Sink`]: every record and hit
//! goes on to the printer, and every hit to the [`Grouper`]; incidents that
//! changed are upserted into the [`Store`] in batches, committed every
//! commit interval and when the run ends. The commit payload says how far
//! the input was read. A store that fails mid-run (a full disk) is reported
//! once and dropped; classifying goes on, and the run ends with an error.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::classify::Hit;
use crate::group::{Grouper, History, NoHistory, Origin};
use crate::input::Sink;
use crate::parse::Problem;
use crate::parse::marker::Marker;
use crate::record::Record;
use crate::redact::Redactor;
use crate::store::{Store, StoreError};

/// How often a writing command commits by default.
pub const DEFAULT_COMMIT_INTERVAL: Duration = Duration::from_secs(5);

/// Printer, grouper and store together.
pub struct Pipeline<'a, 's, P: Sink> {
    printer: &'a mut P,
    grouper: Grouper<'s>,
    store: Option<Store>,
    origin: Origin,
    commit_interval: Duration,
    last_commit: Instant,
    /// Print a line to stderr at each commit.
    progress: bool,
    /// Incident updates written to the store so far.
    pub written: u64,
    /// The store error that stopped feeding it, if any.
    pub error: Option<StoreError>,
    /// Incidents hits joined or opened since [`Pipeline::take_touched`],
    /// when the caller asked for them ([`Pipeline::tracking_touched`]).
    touched: Option<Vec<usize>>,
    /// Replaces secrets before records go on (`--no-redact`: `None`).
    redactor: Option<Redactor>,
}

impl<'a, 's, P: Sink> Pipeline<'a, 's, P> {
    /// A pipeline into `printer`, and into `store` when there is one.
    pub fn new(
        printer: &'a mut P,
        grouper: Grouper<'s>,
        store: Option<Store>,
        commit_interval: Duration,
        progress: bool,
    ) -> Pipeline<'a, 's, P> {
        Pipeline {
            printer,
            grouper,
            store,
            origin: Origin::default(),
            commit_interval,
            last_commit: Instant::now(),
            progress,
            written: 0,
            error: None,
            touched: None,
            redactor: Some(Redactor::default()),
        }
    }

    /// The redactor records go through (the built-in one by default);
    /// `None` passes them on as read, secrets included (`--no-redact`).
    pub fn redacting(mut self, redactor: Option<Redactor>) -> Self {
        self.redactor = redactor;
        self
    }

    /// What was redacted, as one line, if anything was.
    pub fn redaction_summary(&self) -> Option<String> {
        self.redactor.as_ref().and_then(Redactor::summary)
    }

    /// Line `line` of `stream` with its secrets replaced (for what is
    /// printed without becoming a record, such as `follow --tail` lines).
    pub fn redact_line<'t>(
        &mut self,
        stream: &str,
        line: u64,
        text: &'t str,
    ) -> std::borrow::Cow<'t, str> {
        match self
            .redactor
            .as_mut()
            .and_then(|r| r.line(stream, line, text))
        {
            Some(clean) => std::borrow::Cow::Owned(clean),
            None => std::borrow::Cow::Borrowed(text),
        }
    }

    /// Keeps the incidents hits touch, for [`Pipeline::take_touched`].
    pub fn tracking_touched(mut self) -> Self {
        self.touched = Some(Vec::new());
        self
    }

    /// The indexes (in the grouper) of the incidents that hits joined or
    /// opened since the last call, once each, in order.
    pub fn take_touched(&mut self) -> Vec<usize> {
        let mut touched = self
            .touched
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        touched.sort_unstable();
        touched.dedup();
        touched
    }

    /// For a long run: closes incidents quiet at `now` (their indexes are
    /// returned) and commits when the commit interval has passed.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<usize> {
        let closed = self.grouper.close_quiet(now);
        if self.store.is_some() && self.last_commit.elapsed() >= self.commit_interval {
            self.flush(None);
        }
        closed
    }

    /// The input the next records come from.
    pub fn set_origin(&mut self, origin: Origin) {
        self.origin = origin;
    }

    /// The printer behind it.
    pub fn printer_mut(&mut self) -> &mut P {
        self.printer
    }

    /// The grouper (for the incidents of this run).
    pub fn grouper(&self) -> &Grouper<'s> {
        &self.grouper
    }

    /// Whether a store is being fed.
    pub fn has_store(&self) -> bool {
        self.store.is_some()
    }

    /// Upserts what changed and commits, recording how far `origin` was
    /// read (`None`: to its end).
    fn flush(&mut self, line: Option<u64>) {
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let changed = self.grouper.take_changed();
        let count = changed.len() as u64;
        let payload = match line {
            Some(line) => json!({ "input": self.origin.input, "line": line }),
            None => json!({ "input": self.origin.input, "done": true }),
        }
        .to_string();
        let result = changed
            .into_iter()
            .try_for_each(|inc| store.upsert(inc))
            .and_then(|()| store.commit(&payload));
        self.last_commit = Instant::now();
        match result {
            Ok(()) => {
                self.written += count;
                if self.progress {
                    let at = line.map_or_else(|| "the end".to_string(), |l| format!("line {l}"));
                    eprintln!(
                        "aks-gw-logs: store: committed {} incident updates, {} read through {at}",
                        self.written,
                        crate::sanitize::for_terminal(&self.origin.input)
                    );
                }
            }
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, e: StoreError) {
        let kept = self.store.take().map_or(0, |s| s.len());
        eprintln!(
            "aks-gw-logs: {e}; incidents are no longer stored for this run (the store keeps the {kept} of its last commit)"
        );
        self.error = Some(e);
    }

    /// Ends the run: closes incidents quiet at `now`, writes and commits the
    /// rest, and releases the store.
    pub fn finish(mut self, now: DateTime<Utc>) -> (u64, Option<StoreError>) {
        self.grouper.close_quiet(now);
        self.flush(None);
        if let Some(store) = self.store.take() {
            let payload = json!({ "input": self.origin.input, "done": true }).to_string();
            if let Err(e) = store.close(&payload) {
                eprintln!("aks-gw-logs: {e}");
                self.error = Some(e);
            }
        }
        (self.written, self.error)
    }
}

impl<P: Sink> Sink for Pipeline<'_, '_, P> {
    fn record(&mut self, record: &Record, hit: Option<&Hit>) {
        let redacted = self
            .redactor
            .as_mut()
            .and_then(|r| r.record(&self.origin.input, record, hit));
        let (record, hit) = match &redacted {
            Some((record, hit)) => (record, hit.as_ref()),
            None => (record, hit),
        };
        self.printer.record(record, hit);
        let Some(hit) = hit else {
            return;
        };
        let history: &mut dyn History = match self.store.as_mut() {
            Some(store) => store,
            None => &mut NoHistory,
        };
        let index = self.grouper.push(&self.origin, record, hit, history);
        if let Some(touched) = &mut self.touched {
            touched.push(index);
        }
        if self.store.is_some() && self.last_commit.elapsed() >= self.commit_interval {
            self.flush(Some(record.line));
        }
    }

    fn problem(&mut self, problem: &Problem) {
        match self
            .redactor
            .as_mut()
            .and_then(|r| r.text(&problem.message))
        {
            Some(message) => self.printer.problem(&Problem::new(problem.line, message)),
            None => self.printer.problem(problem),
        }
    }

    /// A pod named by the input itself fills in what the source did not say
    /// (unless the source named another pod).
    fn pod_identified(&mut self, pod: &str, namespace: &str) {
        if self.origin.pod.as_deref().is_none_or(|p| p == pod) {
            self.origin.pod = Some(pod.to_string());
            self.origin
                .namespace
                .get_or_insert_with(|| namespace.to_string());
        }
    }

    /// A section marker sets the container (and pod) of the lines after it.
    fn section(&mut self, marker: &Marker) {
        match marker {
            Marker::Start {
                container,
                namespace,
                pod,
            } => {
                self.origin.container = Some(container.clone());
                self.origin.pod = Some(pod.clone());
                self.origin.namespace = Some(namespace.clone());
                self.origin.previous = false;
            }
            Marker::End => {
                self.origin.container = None;
                self.origin.previous = false;
            }
            Marker::Previous => self.origin.previous = true,
        }
        self.printer.section(marker);
    }

    fn object(&mut self, object: &Value, line: u64) {
        match self.redactor.as_mut().and_then(|r| r.object(object)) {
            Some(clean) => self.printer.object(&clean, line),
            None => self.printer.object(object, line),
        }
    }

    fn counts_peers(&self) -> bool {
        self.printer.counts_peers()
    }

    fn peer(&mut self, address: &str) {
        self.printer.peer(address);
    }
}
