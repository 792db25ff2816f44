//! Records to named failures. [`Classifier::classify`] runs every signature
//! regex over a record in one multi-pattern pass per field, keeps the
//! signatures whose source, level and `where` conditions hold, lets a more
//! specific signature win over those it `supersedes`, and extracts captures
//! for the winner only. A warn/error record that nothing matches is an
//! `unclassified` hit, so a new failure mode is never silent.
//!
//! `[[benign]]` rules name routine warn/error lines (an xDS stream closed
//! with code 0, istiod recycling a connection every 30 minutes): what they
//! match is neither a hit nor unclassified, until it repeats more often than
//! the rule's `repeat` allows.
//!
//! The classifier keeps some per-input state: when the process last started
//! (pilot-agent `Version ...`, `Envoy command: ...`), so that signatures with
//! a `startup_grace` (a NOT ready during the first seconds of startup) are
//! not reported; recent matches of each benign rule; and the proxy's own
//! version, so that a pilot-agent connecting to an istiod of another AKS
//! revision (`istiod-asm-1-25` from a 1.26 proxy) is `revision.stale_proxy`.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::record::{Field, Record, Source};
use crate::signature::{Severity, Signature, SignatureSet, UNCLASSIFIED};

/// Literals of the info lines the classifier keeps state from (process
/// starts, the proxy's version and upstream): the prefilter keeps them.
pub const CONTEXT_LITERALS: [&str; 6] = [
    "Version ",
    "Envoy command: ",
    "Opening status port ",
    "Proxy role",
    "initializing epoch ",
    "Initializing with upstream address",
];

/// The signature a proxy talking to another revision's istiod is named after.
const STALE_PROXY: &str = "revision.stale_proxy";

/// pilot-agent's xdsproxy line naming the istiod it connects to.
const UPSTREAM_PREFIX: &str = "Initializing with upstream address \"";

/// `major.minor` of a version like `1.26.3-abc-Clean`.
fn minor_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The AKS revision (`asm-1-25` → (1, 25)) named by an xdsproxy upstream line.
fn upstream_revision(message: &str) -> Option<(String, (u32, u32))> {
    let rest = message.strip_prefix(UPSTREAM_PREFIX)?;
    let host = rest.split(['"', '.', ':']).next()?;
    let revision = host.strip_prefix("istiod-")?;
    let digits = revision.strip_prefix("asm-").unwrap_or(revision);
    let mut parts = digits.split('-');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((revision.to_string(), (major, minor)))
}

fn is_startup(record: &Record) -> bool {
    if !matches!(record.source, Source::Istio | Source::Envoy) {
        return false;
    }
    let m = record.message.as_str();
    m.strip_prefix("Version ")
        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        || m.starts_with("Envoy command: ")
        || m.starts_with("Opening status port ")
        || m == "Proxy role"
        || m.starts_with("Proxy role ")
        || m.starts_with("initializing epoch ")
}

/// The pod and namespace a pilot-agent names itself in its `Proxy role`
/// line (`id=httpbin-gateway-istio-6d9f7c8b5d-x2kqz.default`).
pub fn proxy_identity(record: &Record) -> Option<(&str, &str)> {
    if record.source != Source::Istio || !record.message.starts_with("Proxy role") {
        return None;
    }
    let id = record.get(&Field::Label("id".into()))?;
    id.split_once('.')
        .filter(|(pod, ns)| !pod.is_empty() && !ns.is_empty())
}

/// A record that matched a signature, or an unclassified warn/error record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// Index of the signature in the set; `None` for `unclassified`.
    #[serde(skip)]
    pub signature: Option<usize>,
    /// Named captures of the winning regex, in pattern order.
    pub captures: Vec<(String, String)>,
}

impl Hit {
    /// The public id of what was hit.
    pub fn id<'s>(&self, set: &'s SignatureSet) -> &'s str {
        self.signature_in(set)
            .map_or(UNCLASSIFIED, |s| s.id.as_str())
    }

    /// The signature hit, if any.
    pub fn signature_in<'s>(&self, set: &'s SignatureSet) -> Option<&'s Signature> {
        self.signature.map(|i| &set.signatures()[i])
    }

    /// Severity: the signature's, or `warning` for unclassified.
    pub fn severity(&self, set: &SignatureSet) -> Severity {
        self.signature_in(set)
            .map_or(Severity::Warning, |s| s.severity)
    }

    /// A capture by name.
    pub fn capture(&self, name: &str) -> Option<&str> {
        self.captures
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The object the failure concerns: a captured `object` or `name`, the
    /// record's involved object, or an istiod `gateway=ns/name` label.
    pub fn object(&self, record: &Record) -> Option<String> {
        let ns = self
            .capture("namespace")
            .or_else(|| record.get(&Field::Namespace));
        if let Some(name) = self.capture("object").or_else(|| self.capture("name")) {
            return Some(match ns {
                Some(ns) if !name.contains('/') => format!("{ns}/{name}"),
                _ => name.to_string(),
            });
        }
        record.object().or_else(|| {
            record
                .get(&Field::Label("gateway".into()))
                .map(|g| format!("Gateway/{g}"))
        })
    }

    /// The failure's reason: a captured `reason`, else the record's reason.
    pub fn reason<'r>(&'r self, record: &'r Record) -> Option<&'r str> {
        self.capture("reason")
            .or_else(|| record.get(&Field::Reason))
    }
}

/// Classifies the records of one input, in order.
pub struct Classifier<'s> {
    set: &'s SignatureSet,
    started: Option<DateTime<Utc>>,
    /// Matching signatures that apply, with the index of their first matching regex.
    candidates: Vec<(usize, usize)>,
    /// Per benign rule with a repeat limit: times of its recent matches.
    benign_seen: HashMap<usize, VecDeque<Option<DateTime<Utc>>>>,
    /// The proxy's own `major.minor`, from pilot-agent's `Version` line.
    proxy_version: Option<(u32, u32)>,
    /// Whether hits carry their regex captures (a count needs only the id).
    captures: bool,
}

impl<'s> Classifier<'s> {
    /// A classifier at the start of an input.
    pub fn new(set: &'s SignatureSet) -> Classifier<'s> {
        Classifier {
            set,
            started: None,
            candidates: Vec::new(),
            benign_seen: HashMap::new(),
            proxy_version: None,
            captures: true,
        }
    }

    /// The same classifier, with hits that name the signature only: no
    /// regex captures (what `--count` needs; the extraction is a third of
    /// the cost of a hit).
    pub fn without_captures(self) -> Classifier<'s> {
        Classifier {
            captures: false,
            ..self
        }
    }

    /// The signature set in use.
    pub fn set(&self) -> &'s SignatureSet {
        self.set
    }

    /// Names the failure a record shows, if any.
    pub fn classify(&mut self, record: &Record) -> Option<Hit> {
        if is_startup(record) {
            self.started = record.ts;
            if let Some(v) = record.message.strip_prefix("Version ") {
                self.proxy_version = minor_version(v);
            }
        }
        if let Some(hit) = self.stale_proxy(record) {
            return Some(hit);
        }
        let sigs = self.set.signatures();
        self.candidates.clear();
        let candidates = &mut self.candidates;
        self.set.candidates(record, |i, regex| {
            if applies(&sigs[i], record) {
                candidates.push((i, regex));
            }
        });
        if self.is_benign(record) {
            return None;
        }
        self.candidates.retain(|&(i, _)| !sigs[i].benign);
        let winner = self
            .candidates
            .iter()
            .copied()
            .filter(|&(i, _)| {
                !self
                    .candidates
                    .iter()
                    .any(|&(j, _)| j != i && sigs[j].supersedes.contains(&i))
            })
            .max_by(|&(a, _), &(b, _)| sigs[a].severity.cmp(&sigs[b].severity).then(b.cmp(&a)));
        match winner {
            Some((i, regex)) => {
                if self.in_startup_grace(&sigs[i], record) {
                    return None;
                }
                Some(Hit {
                    signature: Some(i),
                    captures: if self.captures {
                        captures(&sigs[i], regex, record)
                    } else {
                        Vec::new()
                    },
                })
            }
            None if record.level.is_some_and(|l| l.is_problem()) => Some(Hit {
                signature: None,
                captures: Vec::new(),
            }),
            None => None,
        }
    }

    /// Whether a matching benign rule is still within its repeat limit.
    /// Every matching rule records the occurrence.
    fn is_benign(&mut self, record: &Record) -> bool {
        let sigs = self.set.signatures();
        let mut benign = false;
        for &(i, _) in &self.candidates {
            let sig = &sigs[i];
            if !sig.benign {
                continue;
            }
            let Some((count, within)) = sig.repeat else {
                benign = true;
                continue;
            };
            let seen = self.benign_seen.entry(i).or_default();
            seen.push_back(record.ts);
            if let Some(now) = record.ts {
                while seen.front().is_some_and(|t| {
                    t.is_none_or(|t| now.signed_duration_since(t).num_seconds() > within as i64)
                }) {
                    seen.pop_front();
                }
            }
            if seen.len() < count as usize {
                benign = true;
            }
        }
        benign
    }

    /// A pilot-agent connecting to the istiod of a revision other than its own version.
    fn stale_proxy(&self, record: &Record) -> Option<Hit> {
        if record.source != Source::Istio {
            return None;
        }
        let (revision, upstream) = upstream_revision(&record.message)?;
        let own = self.proxy_version?;
        if own == upstream {
            return None;
        }
        Some(Hit {
            signature: Some(self.set.index_of(STALE_PROXY)?),
            captures: vec![
                ("revision".into(), revision),
                ("proxy_version".into(), format!("{}.{}", own.0, own.1)),
            ],
        })
    }

    fn in_startup_grace(&self, sig: &Signature, record: &Record) -> bool {
        let (Some(grace), Some(started), Some(ts)) = (sig.startup_grace, self.started, record.ts)
        else {
            return false;
        };
        let since = ts.signed_duration_since(started).num_milliseconds();
        (0..=grace as i64 * 1000).contains(&since)
    }
}

/// Whether a signature's source, level, `where` and `unless` rules hold.
fn applies(sig: &Signature, record: &Record) -> bool {
    if !sig.sources.is_empty() && !sig.sources.contains(&record.source) {
        return false;
    }
    if !sig.levels.is_empty() && !record.level.is_some_and(|l| sig.levels.contains(&l)) {
        return false;
    }
    let conditions_hold = sig.conditions.iter().all(|(key, values)| {
        record
            .get_named(key)
            .is_some_and(|v| values.iter().any(|x| x == v))
    });
    if !conditions_hold {
        return false;
    }
    if !sig.unless.is_empty() {
        let value = record.get_named(&sig.field).unwrap_or("");
        if sig.unless.iter().any(|re| re.is_match(value)) {
            return false;
        }
    }
    true
}

/// Named captures of the signature's regex number `regex`, the first of
/// its regexes that matched.
fn captures(sig: &Signature, regex: usize, record: &Record) -> Vec<(String, String)> {
    let value = record.get_named(&sig.field).unwrap_or("");
    let re = sig.regexes[regex].get();
    let Some(caps) = re.captures(value) else {
        return Vec::new();
    };
    re.capture_names()
        .flatten()
        .filter_map(|name| {
            caps.name(name)
                .map(|m| (name.to_string(), m.as_str().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::record::{Format, Level};
    use crate::signature::{PatternFile, fixture};

    fn patterns() -> String {
        [
            fixture(
                "proxy.listener_bind_failed",
                Some("critical"),
                "sources = [\"envoy\"]\nsupersedes = [\"proxy.config_rejected\"]\n",
                r"listener '(?P<listener>[^']+)' failed to bind|cannot bind '[^']+': (?P<reason>Permission denied|Address already in use)",
            ),
            fixture("proxy.config_rejected", Some("error"), "", r"config for (?P<type>\S+) rejected: "),
            fixture("proxy.not_ready", Some("error"), "startup_grace = 30\n", r"Envoy proxy is NOT ready: (?P<reason>.+)"),
            fixture(
                "benign.xds_recycled",
                None,
                "repeat = { count = 3, within = 600 }\n",
                r"gRPC config stream to xds-grpc closed: 1[34], ",
            ),
            fixture("proxy.xds_unreachable", Some("error"), "", r"gRPC config stream to xds-grpc closed: [1-9][0-9]*, "),
            fixture("revision.stale_proxy", Some("warning"), "", "IST0158"),
            fixture(
                "pod.probe_failed",
                Some("error"),
                "sources = [\"event\"]\nwhere = { event_type = \"Warning\", reason = \"Unhealthy\" }\n",
                r"(?:Readiness|Liveness|Startup) probe failed: ",
            ),
        ]
        .concat()
    }

    fn set() -> SignatureSet {
        SignatureSet::compile(&[PatternFile {
            name: "t.toml".into(),
            text: Arc::from(patterns()),
            user: false,
        }])
        .unwrap()
    }

    fn rec(source: Source, level: Level, msg: &str, secs: i64) -> Record {
        Record {
            line: 1,
            ts: DateTime::from_timestamp(1_756_202_400 + secs, 0),
            source,
            format: Format::Text,
            level: Some(level),
            scope: None,
            message: msg.into(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn the_more_specific_signature_wins() {
        let set = set();
        let mut c = Classifier::new(&set);
        let r = rec(
            Source::Envoy,
            Level::Warn,
            "gRPC config for type.googleapis.com/envoy.config.listener.v3.Listener rejected: \
             Error adding/updating listener(s) 0.0.0.0_80: cannot bind '0.0.0.0:80': Permission denied",
            0,
        );
        let hit = c.classify(&r).unwrap();
        assert_eq!(hit.id(&set), "proxy.listener_bind_failed");
        assert_eq!(hit.capture("reason"), Some("Permission denied"));
        // The same rejection without a bind failure is config_rejected.
        let r = rec(
            Source::Envoy,
            Level::Warn,
            "delta config for type.googleapis.com/envoy.config.cluster.v3.Cluster rejected: bad",
            0,
        );
        assert_eq!(c.classify(&r).unwrap().id(&set), "proxy.config_rejected");
    }

    #[test]
    fn sources_and_where_conditions_gate_a_match() {
        let set = set();
        let mut c = Classifier::new(&set);
        let mut ev = rec(
            Source::Event,
            Level::Warn,
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            0,
        );
        ev.set(Field::EventType, "Warning");
        ev.set(Field::Reason, "Unhealthy");
        assert_eq!(c.classify(&ev).unwrap().id(&set), "pod.probe_failed");
        // The same words in an access log are not a probe failure.
        let access = rec(
            Source::AccessLog,
            Level::Info,
            "[2025-08-26T10:01:02.411Z] \"GET /Readiness probe failed: HTTP/1.1\" 200 - via_upstream",
            0,
        );
        assert_eq!(c.classify(&access), None);
        // A Normal event with the same reason does not hit.
        ev.set(Field::EventType, "Normal");
        ev.level = Some(Level::Info);
        assert_eq!(c.classify(&ev), None);
    }

    #[test]
    fn not_ready_during_startup_is_not_a_failure_but_later_it_is() {
        let set = set();
        let mut c = Classifier::new(&set);
        let not_ready =
            "Envoy proxy is NOT ready: config not received from XDS server (is Istiod running?)";
        assert!(
            c.classify(&rec(
                Source::Istio,
                Level::Info,
                "Version 1.26.3-abc-Clean",
                0
            ))
            .is_none()
        );
        assert_eq!(
            c.classify(&rec(Source::Istio, Level::Warn, not_ready, 2)),
            None
        );
        let late = c
            .classify(&rec(Source::Istio, Level::Warn, not_ready, 95))
            .unwrap();
        assert_eq!(late.id(&set), "proxy.not_ready");
        assert!(
            late.capture("reason")
                .unwrap()
                .starts_with("config not received")
        );
    }

    #[test]
    fn benign_rules_hold_until_the_repeat_limit() {
        let set = set();
        let mut c = Classifier::new(&set);
        let line =
            "DeltaAggregatedResources gRPC config stream to xds-grpc closed: 14, connection reset";
        // Isolated closes 30 minutes apart: routine, neither a hit nor unclassified.
        for minute in [0, 30, 60] {
            assert_eq!(
                c.classify(&rec(Source::Envoy, Level::Warn, line, minute * 60)),
                None
            );
        }
        // Three within ten minutes: the third is an outage.
        assert_eq!(
            c.classify(&rec(Source::Envoy, Level::Warn, line, 3700)),
            None
        );
        let hit = c
            .classify(&rec(Source::Envoy, Level::Warn, line, 3720))
            .unwrap();
        assert_eq!(hit.id(&set), "proxy.xds_unreachable");
        // A code no benign rule covers is a hit at once.
        let code2 = "DeltaAggregatedResources gRPC config stream to xds-grpc closed: 2, x";
        assert!(
            c.classify(&rec(Source::Envoy, Level::Warn, code2, 9000))
                .is_some()
        );
    }

    #[test]
    fn proxy_talking_to_another_revision_is_stale() {
        let set = set();
        let mut c = Classifier::new(&set);
        let up = |rev: &str| {
            format!(
                "Initializing with upstream address \"istiod-{rev}.aks-istio-system.svc:15012\" and cluster \"Kubernetes\""
            )
        };
        assert_eq!(
            c.classify(&rec(Source::Istio, Level::Info, &up("asm-1-25"), 0)),
            None,
            "no version seen yet"
        );
        c.classify(&rec(
            Source::Istio,
            Level::Info,
            "Version 1.26.3-abc-Clean",
            1,
        ));
        assert_eq!(
            c.classify(&rec(Source::Istio, Level::Info, &up("asm-1-26"), 2)),
            None
        );
        let hit = c
            .classify(&rec(Source::Istio, Level::Info, &up("asm-1-25"), 3))
            .unwrap();
        assert_eq!(hit.id(&set), "revision.stale_proxy");
        assert_eq!(hit.capture("revision"), Some("asm-1-25"));
        assert_eq!(hit.capture("proxy_version"), Some("1.26"));
    }

    #[test]
    fn unmatched_warnings_are_unclassified_and_info_is_nothing() {
        let set = set();
        let mut c = Classifier::new(&set);
        let w = c
            .classify(&rec(Source::Istio, Level::Error, "something new broke", 0))
            .unwrap();
        assert_eq!(w.id(&set), UNCLASSIFIED);
        assert_eq!(w.severity(&set), Severity::Warning);
        assert_eq!(
            c.classify(&rec(Source::Istio, Level::Info, "reconciling", 0)),
            None
        );
    }
}
