//! Hits to [`Incident`]s. An incident is keyed by signature + cluster + the
//! object the hit concerns:
//!
//! - the object an Event or status condition is about;
//! - else the object a signature's captures name (`object` with the
//!   signature's `object_kind`, `service`, `configmap`);
//! - else the Gateway an istiod `gateway=ns/name` label names;
//! - else, for a gateway pod's own lines, the Gateway the pod belongs to
//!   (its `gateway.networking.k8s.io/gateway-name` label when the source
//!   knows it, else the `<gateway>-istio-<hash>-<suffix>` name istio gives
//!   the pods of a Gateway's Deployment); for istiod and other pods, the pod.
//!
//! A gateway pod named in an Event is mapped to its Gateway the same way.
//! Unclassified warn/error lines are grouped by [`TemplateMiner`] template.
//! An incident closes once no hit has come for the quiet window; the next
//! hit opens a new incident that links to it (`previous`); a resource check's
//! finding, which states how things were at collection, joins the open
//! incident of its key however long it was quiet. The first hit
//! fixes the id, so reading the same input twice gives the same incidents.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::classify::Hit;
use crate::incident::{Incident, MAX_PODS, MAX_SAMPLES, ObjectRef, Sample, State, stable_id};
use crate::record::{Field, Level, Record, Source};
use crate::signature::{Severity, SignatureSet, UNCLASSIFIED};
use crate::template::{TemplateMiner, pod_stem};

/// Where the records of one input come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The cluster (a kube context, a bundle's cluster, `--cluster`).
    pub cluster: String,
    /// The input's name: a path, `<stdin>`, `namespace/pod/container`.
    pub input: String,
    /// The pod that wrote it, when known.
    pub pod: Option<String>,
    /// That pod's namespace.
    pub namespace: Option<String>,
    /// That pod's `gateway.networking.k8s.io/gateway-name` label.
    pub gateway: Option<String>,
    /// The container, when known.
    pub container: Option<String>,
    /// Whether the lines are the previous container instance's log.
    pub previous: bool,
}

/// How long an incident may be quiet before a new hit opens a new one.
pub const DEFAULT_QUIET: Duration = Duration::minutes(15);

/// Earlier incidents of a key, for linking a recurrence (the store's, say).
pub trait History {
    /// The id and last hit of the newest incident with this key.
    fn latest(&mut self, key: &str) -> Option<(String, DateTime<Utc>)>;
}

/// No history: a first run.
pub struct NoHistory;

impl History for NoHistory {
    fn latest(&mut self, _key: &str) -> Option<(String, DateTime<Utc>)> {
        None
    }
}

/// One incident being built, with what choosing samples needs.
struct Entry {
    incident: Incident,
    /// The word sets of `incident.samples`, index for index.
    words: Vec<Words>,
    dirty: bool,
}

/// Groups hits into incidents.
pub struct Grouper<'s> {
    set: &'s SignatureSet,
    quiet: Duration,
    /// When this run read its input: the time of lines without a timestamp.
    read_at: DateTime<Utc>,
    entries: Vec<Entry>,
    /// Run key (the key, plus the template for unclassified) → open entry.
    open: HashMap<String, usize>,
    miner: TemplateMiner,
}

impl<'s> Grouper<'s> {
    /// A grouper; `read_at` stands in for the time of lines that have none.
    pub fn new(set: &'s SignatureSet, quiet: Duration, read_at: DateTime<Utc>) -> Grouper<'s> {
        Grouper {
            set,
            quiet,
            read_at,
            entries: Vec::new(),
            open: HashMap::new(),
            miner: TemplateMiner::new(),
        }
    }

    /// Adds one hit of a record from `origin`; returns the index of the
    /// incident it joined or opened (see [`Grouper::incident`]).
    pub fn push(
        &mut self,
        origin: &Origin,
        record: &Record,
        hit: &Hit,
        history: &mut dyn History,
    ) -> usize {
        let ts = record.ts.unwrap_or(self.read_at);
        let sig = hit.signature_in(self.set);
        let object = object_of(
            origin,
            record,
            hit,
            sig.and_then(|s| s.object_kind.as_deref()),
        );
        let gateway = gateway_of(origin, record, &object);
        let (signature, title, severity, template) = match sig {
            Some(sig) => (sig.id.as_str(), sig.title.clone(), sig.severity, None),
            None => {
                let template = self.miner.add(&record.message);
                let severity = match record.level {
                    Some(Level::Critical) => Severity::Critical,
                    Some(Level::Error) => Severity::Error,
                    _ => Severity::Warning,
                };
                (
                    UNCLASSIFIED,
                    template.text.clone(),
                    severity,
                    Some(template),
                )
            }
        };
        let ns = object.namespace.as_deref().unwrap_or("");
        let key_parts = [
            origin.cluster.as_str(),
            signature,
            &object.kind,
            ns,
            &object.name,
        ];
        let base = stable_id(&key_parts);
        // Unclassified: across runs the key is the first line's shape; in
        // this run, the template it joined.
        let (key, run_key) = match &template {
            None => (base.clone(), base),
            Some(t) => (
                stable_id(&[&key_parts[..], &[t.shape.as_str()]].concat()),
                format!("{base}\u{0}{}", t.id),
            ),
        };
        let sample = Sample {
            input: origin.input.clone(),
            line: record.line,
            ts: record.ts,
            text: record.message.clone(),
            container: origin.container.clone(),
            previous: origin.previous,
        };
        let pod = origin.pod.clone().or_else(|| {
            (record.get(&Field::ObjectKind) == Some("Pod"))
                .then(|| record.get(&Field::ObjectName).map(str::to_string))
                .flatten()
        });

        let mut previous = None;
        if let Some(&i) = self.open.get(&run_key) {
            let entry = &mut self.entries[i];
            // A check finding is the state when the objects were collected:
            // it joins the run's incident of its key however long ago that
            // incident's last log line was.
            let joins = record.source == Source::Check
                || ts.signed_duration_since(entry.incident.last_seen) <= self.quiet;
            if joins {
                entry.add(ts, sample, pod, sig.and_then(|s| s.escalate));
                if sig.is_none() {
                    entry.incident.title = title;
                }
                return i;
            }
            entry.incident.state = State::Closed;
            entry.dirty = true;
            previous = Some(entry.incident.id.clone());
        }
        let id = stable_id(&[
            &key,
            &ts.to_rfc3339(),
            &sample.input,
            &sample.line.to_string(),
        ]);
        if previous.is_none() {
            previous = history
                .latest(&key)
                .filter(|(earlier, last)| *earlier != id && *last <= ts)
                .map(|(earlier, _)| earlier);
        }
        let (guide_step, remediation) = sig.map_or_else(
            || (String::new(), unclassified_remediation()),
            |s| (s.guide_step.clone(), s.remediation.clone()),
        );
        let incident = Incident {
            id,
            key,
            signature: signature.to_string(),
            title,
            severity,
            cluster: origin.cluster.clone(),
            object,
            gateway,
            first_seen: ts,
            last_seen: ts,
            count: 1,
            pods: pod.into_iter().collect(),
            samples: vec![sample.clone()],
            details: hit.captures.clone(),
            guide_step,
            remediation,
            previous,
            state: State::Open,
        };
        let index = self.entries.len();
        self.open.insert(run_key, index);
        self.entries.push(Entry {
            words: vec![words(&sample.text)],
            incident,
            dirty: true,
        });
        index
    }

    /// The incident at an index [`Grouper::push`] returned.
    pub fn incident(&self, index: usize) -> &Incident {
        &self.entries[index].incident
    }

    /// Closes every open incident quiet for longer than the window at
    /// `now`; returns the indexes of those it closed.
    pub fn close_quiet(&mut self, now: DateTime<Utc>) -> Vec<usize> {
        let mut closed = Vec::new();
        for (i, entry) in self.entries.iter_mut().enumerate() {
            if entry.incident.state == State::Open
                && now.signed_duration_since(entry.incident.last_seen) > self.quiet
            {
                entry.incident.state = State::Closed;
                entry.dirty = true;
                closed.push(i);
            }
        }
        closed
    }

    /// The incidents changed since the last call, in the order they opened.
    pub fn take_changed(&mut self) -> Vec<Incident> {
        self.entries
            .iter_mut()
            .filter_map(|e| std::mem::take(&mut e.dirty).then(|| e.incident.clone()))
            .collect()
    }

    /// Every incident of this run, in the order they opened.
    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.entries.iter().map(|e| &e.incident)
    }
}

impl Entry {
    fn add(
        &mut self,
        ts: DateTime<Utc>,
        sample: Sample,
        pod: Option<String>,
        escalate: Option<(u64, Severity)>,
    ) {
        let inc = &mut self.incident;
        inc.count += 1;
        self.dirty = true;
        if ts < inc.first_seen {
            inc.first_seen = ts;
        }
        if ts >= inc.last_seen {
            inc.last_seen = ts;
        }
        if let Some(pod) = pod
            && inc.pods.len() < MAX_PODS
            && !inc.pods.contains(&pod)
        {
            inc.pods.push(pod);
            inc.pods.sort();
        }
        if let Some((after, to)) = escalate
            && inc.duration() >= Duration::seconds(after as i64)
            && to > inc.severity
        {
            inc.severity = to;
        }
        self.keep_sample(sample);
    }

    /// Keeps the first sample, the newest as the last, and in between the
    /// ones whose words differ most from every other kept sample.
    fn keep_sample(&mut self, sample: Sample) {
        let new_words = words(&sample.text);
        let samples = &mut self.incident.samples;
        if samples.len() < 2 {
            samples.push(sample);
            self.words.push(new_words);
            return;
        }
        // The old last sample leaves the last place; it stays if it is
        // among the most different.
        let last = samples.pop().expect("two samples");
        let last_words = self.words.pop().expect("two word sets");
        self.consider(last, last_words);
        self.incident.samples.push(sample);
        self.words.push(new_words);
    }

    /// Adds a middle sample, or replaces the most alike middle one with it
    /// when it is more different than that one.
    fn consider(&mut self, sample: Sample, sample_words: Words) {
        let samples = &mut self.incident.samples;
        if samples.len() < MAX_SAMPLES - 1 {
            samples.push(sample);
            self.words.push(sample_words);
            return;
        }
        let spread = |w: &Words, others: &[Words]| {
            others
                .iter()
                .filter(|o| !std::ptr::eq(*o, w))
                .map(|o| distance(w, o))
                .fold(1.0_f64, f64::min)
        };
        let new_spread = spread(&sample_words, &self.words);
        let (weakest, weakest_spread) = (1..self.words.len())
            .map(|i| (i, spread(&self.words[i], &self.words)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("middle samples");
        if new_spread > weakest_spread {
            samples[weakest] = sample;
            self.words[weakest] = sample_words;
        }
    }
}

/// The distinct words of a sample, as sorted hashes (a hit's sample is
/// compared with every kept one, so this must be cheap).
type Words = Vec<u64>;

/// The words of a sample, for telling samples apart.
fn words(text: &str) -> Words {
    let mut hashes: Words = text
        .split_whitespace()
        .map(|w| {
            w.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// 1 − Jaccard similarity of two word sets.
fn distance(a: &Words, b: &Words) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        return 0.0;
    }
    1.0 - common as f64 / union as f64
}

fn unclassified_remediation() -> String {
    "No signature names this failure yet. Read the samples; if it matters, add a signature \
     (see patterns/README.md) with `--patterns DIR` and check it with `aks-gw-logs patterns test`."
        .to_string()
}

/// The object a hit concerns (see the module docs for the order).
fn object_of(origin: &Origin, record: &Record, hit: &Hit, object_kind: Option<&str>) -> ObjectRef {
    let record_ns = record.get(&Field::Namespace);
    if let Some(name) = record.get(&Field::ObjectName) {
        let kind = record.get(&Field::ObjectKind).unwrap_or("Object");
        let object = ObjectRef::new(kind, record_ns, name);
        return gateway_of_pod(&object).unwrap_or(object);
    }
    let captured_ns = hit.capture("namespace");
    let named = [
        ("object", object_kind.unwrap_or("Object")),
        ("service", "Service"),
        ("configmap", "ConfigMap"),
        ("pod", "Pod"),
    ];
    for (capture, kind) in named {
        let Some(value) = hit.capture(capture) else {
            continue;
        };
        let (ns, name) = match value.split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (captured_ns.or(record_ns), value),
        };
        let object = ObjectRef::new(kind, ns, name);
        return gateway_of_pod(&object).unwrap_or(object);
    }
    if let Some(gateway) = record.get(&Field::Label("gateway".into())) {
        let (ns, name) = gateway
            .split_once('/')
            .map_or((None, gateway), |(n, g)| (Some(n), g));
        return ObjectRef::new("Gateway", ns, name);
    }
    if let Some(gateway) = &origin.gateway {
        return ObjectRef::new("Gateway", origin.namespace.as_deref(), gateway);
    }
    if let Some(pod) = &origin.pod {
        let object = ObjectRef::new("Pod", origin.namespace.as_deref(), pod);
        return gateway_of_pod(&object).unwrap_or(object);
    }
    ObjectRef::unknown()
}

/// The Gateway a gateway pod belongs to: istio names the Deployment of a
/// Gateway `<gateway>-istio` (`<gateway>-<gatewayClassName>`).
pub fn gateway_of_pod(object: &ObjectRef) -> Option<ObjectRef> {
    if object.kind != "Pod" {
        return None;
    }
    let deployment = pod_stem(&object.name)?;
    let gateway = deployment
        .strip_suffix("-istio")
        .filter(|g| !g.is_empty())?;
    Some(ObjectRef::new(
        "Gateway",
        object.namespace.as_deref(),
        gateway,
    ))
}

/// The Gateway involved, as `namespace/name`.
fn gateway_of(origin: &Origin, record: &Record, object: &ObjectRef) -> Option<String> {
    if object.kind == "Gateway" {
        return Some(object.qualified_name());
    }
    // istio names a Gateway's Service like its Deployment: `<gateway>-istio`.
    if object.kind == "Service"
        && let Some(gateway) = object.name.strip_suffix("-istio").filter(|g| !g.is_empty())
    {
        return Some(
            ObjectRef::new("Gateway", object.namespace.as_deref(), gateway).qualified_name(),
        );
    }
    if let Some(parent) = record.get(&Field::Parent) {
        return Some(parent.to_string());
    }
    if let Some(gateway) = record.get(&Field::Label("gateway".into())) {
        return Some(gateway.to_string());
    }
    let from_pod = || {
        let pod = ObjectRef::new("Pod", origin.namespace.as_deref(), origin.pod.as_deref()?);
        gateway_of_pod(&pod).map(|g| g.qualified_name())
    };
    origin
        .gateway
        .as_ref()
        .map(|g| ObjectRef::new("Gateway", origin.namespace.as_deref(), g).qualified_name())
        .or_else(from_pod)
}

#[cfg(test)]
mod tests;
