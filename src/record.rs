//! The one normalised type every parser emits: a [`Record`] is a log line, a
//! Kubernetes Event or a status condition, with its timestamp, source, level,
//! scope, message and structured fields. Everything downstream (the matcher,
//! the printers, later the grouper and the store) reads records and never the
//! raw text formats, so a signature written against `message` or `reason`
//! works the same whatever format the evidence arrived in.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// Where a record came from, in terms of the component that wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// istiod or pilot-agent (Go, `istio.io/istio/pkg/log`), text or JSON.
    Istio,
    /// Envoy's application log inside istio-proxy, or upstream bracket format.
    Envoy,
    /// An Envoy access log line (istio default text format or JSON).
    AccessLog,
    /// A klog line (kubelet, cloud-provider, client-go outside istio).
    Klog,
    /// A Kubernetes Event (core/v1, events.k8s.io/v1, `kubectl get events`, `kubectl describe`).
    Event,
    /// A status condition of a Gateway, listener, GatewayClass or route parent.
    Condition,
    /// A line of no known format: kept as plain text, never dropped.
    Text,
    /// A resource check's finding about Kubernetes objects (`src/checks/`).
    Check,
}

impl Source {
    /// Every source, in declaration order.
    pub const ALL: [Source; 8] = [
        Source::Istio,
        Source::Envoy,
        Source::AccessLog,
        Source::Klog,
        Source::Event,
        Source::Condition,
        Source::Text,
        Source::Check,
    ];

    /// The lowercase name used in patterns, JSON and `--help`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Istio => "istio",
            Source::Envoy => "envoy",
            Source::AccessLog => "access_log",
            Source::Klog => "klog",
            Source::Event => "event",
            Source::Condition => "condition",
            Source::Text => "text",
            Source::Check => "check",
        }
    }

    /// Parses the name written by [`Source::as_str`].
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A log level, normalised across Go (`warn`), spdlog (`warning`), klog (`W`),
/// Stackdriver (`Warning`), Event types and condition states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    /// spdlog `critical`, Go `fatal`/`panic`, klog `F`.
    Critical,
}

impl Level {
    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Critical => "critical",
        }
    }

    /// Reads a level word as any of the supported formats spell it
    /// (`warn`, `warning`, `WARNING`, `Warning`, `err`, `fatal`, `dpanic`, ...).
    pub fn from_word(word: &str) -> Option<Level> {
        let lower = word.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "trace" => Level::Trace,
            "debug" | "dbg" => Level::Debug,
            "info" | "information" | "notice" | "default" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" | "err" => Level::Error,
            "critical" | "crit" | "fatal" | "panic" | "dpanic" | "alert" | "emergency" => {
                Level::Critical
            }
            _ => return None,
        })
    }

    /// `true` for the levels that make an unmatched record `unclassified`.
    pub fn is_problem(self) -> bool {
        self >= Level::Warn
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of a structured field. Signatures name fields in `patterns/`, and
/// JSON output writes them under these names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    // Kubernetes Events and objects.
    /// Event type: `Normal` or `Warning`.
    EventType,
    /// Event or condition reason (`Unhealthy`, `AddressNotAssigned`, ...).
    Reason,
    /// Kind of the object an event or condition concerns (`Pod`, `Gateway`, ...).
    ObjectKind,
    /// Name of that object.
    ObjectName,
    /// Namespace of that object.
    Namespace,
    /// How many times an event was seen (`count`, `series.count`, `(xN over T)`).
    Count,
    /// The reporting component of an event (`kubelet`, `service-controller`).
    Reporter,
    /// Condition type (`Accepted`, `Programmed`, `ResolvedRefs`).
    ConditionType,
    /// Condition status (`True`, `False`, `Unknown`).
    ConditionStatus,
    /// For listener conditions, the listener name.
    Listener,
    /// For route parent conditions, the parent Gateway as `namespace/name`.
    Parent,
    /// For route parent conditions, the controller that wrote it.
    Controller,
    // Envoy access log.
    /// HTTP response code (`0` for TCP or no response).
    Code,
    /// Envoy response flags (`-` when none).
    Flags,
    /// Envoy response code details (`route_not_found`, `no_healthy_upstream`).
    Details,
    /// Connection termination details.
    TerminationDetails,
    /// Upstream transport failure reason.
    TransportFailure,
    /// HTTP method.
    Method,
    /// Request path.
    Path,
    /// Protocol (`HTTP/1.1`, `HTTP/2`).
    Protocol,
    /// `:authority` (Host).
    Authority,
    /// User agent.
    UserAgent,
    /// Request id.
    RequestId,
    /// Upstream host address.
    UpstreamHost,
    /// Upstream cluster name (`outbound|8000||httpbin.default.svc.cluster.local`).
    UpstreamCluster,
    /// Downstream local address.
    LocalAddress,
    /// Downstream remote address (the client, or the LB probe).
    RemoteAddress,
    /// `X-Forwarded-For`.
    ForwardedFor,
    /// Route name.
    Route,
    // Process logs.
    /// Source location printed by the logger (`file.go:123`, Envoy `%g:%#`).
    Caller,
    /// Envoy thread id.
    Thread,
    /// CRI or `kubectl logs` stream (`stdout`, `stderr`).
    Stream,
    /// Any other key: istiod `k=v` labels and extra JSON keys.
    Label(String),
}

impl Field {
    /// Every fixed field, for `--help` and pattern validation.
    pub const FIXED: [Field; 32] = [
        Field::EventType,
        Field::Reason,
        Field::ObjectKind,
        Field::ObjectName,
        Field::Namespace,
        Field::Count,
        Field::Reporter,
        Field::ConditionType,
        Field::ConditionStatus,
        Field::Listener,
        Field::Parent,
        Field::Controller,
        Field::Code,
        Field::Flags,
        Field::Details,
        Field::TerminationDetails,
        Field::TransportFailure,
        Field::Method,
        Field::Path,
        Field::Protocol,
        Field::Authority,
        Field::UserAgent,
        Field::RequestId,
        Field::UpstreamHost,
        Field::UpstreamCluster,
        Field::LocalAddress,
        Field::RemoteAddress,
        Field::ForwardedFor,
        Field::Route,
        Field::Caller,
        Field::Thread,
        Field::Stream,
    ];

    /// The snake_case name used in patterns and JSON.
    pub fn as_str(&self) -> &str {
        match self {
            Field::EventType => "event_type",
            Field::Reason => "reason",
            Field::ObjectKind => "object_kind",
            Field::ObjectName => "object_name",
            Field::Namespace => "namespace",
            Field::Count => "count",
            Field::Reporter => "reporter",
            Field::ConditionType => "condition_type",
            Field::ConditionStatus => "condition_status",
            Field::Listener => "listener",
            Field::Parent => "parent",
            Field::Controller => "controller",
            Field::Code => "code",
            Field::Flags => "flags",
            Field::Details => "details",
            Field::TerminationDetails => "termination_details",
            Field::TransportFailure => "transport_failure",
            Field::Method => "method",
            Field::Path => "path",
            Field::Protocol => "protocol",
            Field::Authority => "authority",
            Field::UserAgent => "user_agent",
            Field::RequestId => "request_id",
            Field::UpstreamHost => "upstream_host",
            Field::UpstreamCluster => "upstream_cluster",
            Field::LocalAddress => "local_address",
            Field::RemoteAddress => "remote_address",
            Field::ForwardedFor => "forwarded_for",
            Field::Route => "route",
            Field::Caller => "caller",
            Field::Thread => "thread",
            Field::Stream => "stream",
            Field::Label(name) => name,
        }
    }

    /// The field of that name: a fixed one, or else a label.
    pub fn from_name(name: &str) -> Field {
        Field::FIXED
            .iter()
            .find(|f| f.as_str() == name)
            .cloned()
            .unwrap_or_else(|| Field::Label(name.to_string()))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which parser produced a record; shown in `--all` output and used by tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// istiod/pilot-agent text (`time\tlevel\t[scope\t]msg[\tk=v ...]`).
    IstioText,
    /// istiod/pilot-agent JSON (`{"level":..,"time":..,"scope":..,"msg":..}`), or Stackdriver keys.
    IstioJson,
    /// Envoy inside istio-proxy, text (`time\tlevel\tenvoy logger [file:line]\tmsg\tthread=N`).
    EnvoyText,
    /// Envoy inside istio-proxy, JSON.
    EnvoyJson,
    /// Envoy's upstream bracket format, with or without `[Envoy (Epoch N)] `.
    EnvoyBracket,
    /// istio's default access log text format.
    AccessLogText,
    /// A JSON access log.
    AccessLogJson,
    /// klog (`E0826 10:00:00.000000 1 file.go:12] msg`).
    Klog,
    /// A core/v1 Event as JSON.
    EventJson,
    /// An events.k8s.io/v1 Event as JSON.
    EventV1Json,
    /// A row of `kubectl get events`.
    EventTable,
    /// A row of the Events section of `kubectl describe`.
    EventDescribe,
    /// A condition from a YAML or JSON object.
    ConditionObject,
    /// A condition from `kubectl describe` text.
    ConditionDescribe,
    /// Unknown format, kept as text.
    Text,
    /// A resource check's finding.
    Check,
}

/// One normalised piece of evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// 1-based line number of the record's first line within its input.
    pub line: u64,
    /// When it was written, if the text says.
    pub ts: Option<DateTime<Utc>>,
    /// The component that wrote it.
    pub source: Source,
    /// The parser that read it.
    pub format: Format,
    /// Its level; `None` for plain text of unknown format.
    pub level: Option<Level>,
    /// istio scope (`gateway`, `ads`, `xdsproxy`), Envoy logger (`envoy config`), klog file, or event source.
    pub scope: Option<String>,
    /// The message proper, with JSON escapes decoded and prefixes removed.
    pub message: String,
    /// Structured fields, in the order the parser found them.
    pub fields: Vec<(Field, String)>,
}

impl Record {
    /// A plain-text record for a line no parser recognised.
    pub fn text(line: u64, message: impl Into<String>) -> Record {
        Record {
            line,
            ts: None,
            source: Source::Text,
            format: Format::Text,
            level: None,
            scope: None,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// The value of a field, if the record has it. `message` and `scope` are
    /// reachable by name too, so a signature can test any of them.
    pub fn get(&self, field: &Field) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a field given by its pattern name, including the
    /// pseudo-fields `message`, `scope`, `level` and `source`.
    pub fn get_named(&self, name: &str) -> Option<&str> {
        match name {
            "message" => Some(&self.message),
            "scope" => self.scope.as_deref(),
            "level" => self.level.map(Level::as_str),
            "source" => Some(self.source.as_str()),
            _ => self
                .fields
                .iter()
                .find(|(f, _)| f.as_str() == name)
                .map(|(_, v)| v.as_str()),
        }
    }

    /// Sets a field, replacing an earlier value of the same name.
    pub fn set(&mut self, field: Field, value: impl Into<String>) {
        let value = value.into();
        match self.fields.iter_mut().find(|(f, _)| *f == field) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((field, value)),
        }
    }

    /// The object this record concerns, as `Kind/namespace/name` when known.
    pub fn object(&self) -> Option<String> {
        let name = self.get(&Field::ObjectName)?;
        let mut out = String::new();
        if let Some(kind) = self.get(&Field::ObjectKind) {
            out.push_str(kind);
            out.push('/');
        }
        if let Some(ns) = self.get(&Field::Namespace) {
            out.push_str(ns);
            out.push('/');
        }
        out.push_str(name);
        Some(out)
    }
}

/// Serialises the fields as one JSON object in parse order.
pub struct FieldsJson<'a>(pub &'a [(Field, String)]);

impl Serialize for FieldsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_words_from_every_format() {
        assert_eq!(Level::from_word("warn"), Some(Level::Warn));
        assert_eq!(Level::from_word("warning"), Some(Level::Warn));
        assert_eq!(Level::from_word("Warning"), Some(Level::Warn));
        assert_eq!(Level::from_word("fatal"), Some(Level::Critical));
        assert_eq!(Level::from_word("critical"), Some(Level::Critical));
        assert_eq!(Level::from_word("gateway"), None);
        assert!(Level::Warn.is_problem() && !Level::Info.is_problem());
    }

    #[test]
    fn field_names_round_trip() {
        for f in Field::FIXED.iter() {
            assert_eq!(&Field::from_name(f.as_str()), f);
        }
        assert_eq!(Field::from_name("gateway"), Field::Label("gateway".into()));
    }

    #[test]
    fn record_fields_set_replace_and_object() {
        let mut r = Record::text(3, "x");
        r.set(Field::ObjectKind, "Gateway");
        r.set(Field::ObjectName, "a");
        r.set(Field::ObjectName, "b");
        r.set(Field::Namespace, "default");
        assert_eq!(r.get(&Field::ObjectName), Some("b"));
        assert_eq!(r.object().as_deref(), Some("Gateway/default/b"));
        assert_eq!(r.get_named("message"), Some("x"));
        assert_eq!(r.get_named("source"), Some("text"));
    }
}
