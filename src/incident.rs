//! The [`Incident`]: the hits of one signature on one object of one cluster,
//! from the first to the last, with a bounded set of sample lines, the pods
//! that showed it, and what to do. `group.rs` builds incidents from hits;
//! `store/` keeps them; `commands/incident.rs` shows them. An incident's id
//! is fixed when it opens, so reading the same input again updates the same
//! incidents instead of adding new ones.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::signature::Severity;

/// The Kubernetes object an incident concerns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    /// `Gateway`, `HTTPRoute`, `Service`, `Pod`, ...; `Unknown` when nothing names it.
    pub kind: String,
    /// Its namespace, when it has one and the evidence says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its name (`-` when unknown).
    pub name: String,
}

impl ObjectRef {
    /// An object of this kind.
    pub fn new(kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            kind: kind.to_string(),
            namespace: namespace.filter(|n| !n.is_empty()).map(str::to_string),
            name: name.to_string(),
        }
    }

    /// The object nothing in the evidence names.
    pub fn unknown() -> ObjectRef {
        ObjectRef::new("Unknown", None, "-")
    }

    /// `namespace/name`, or `name`.
    pub fn qualified_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.qualified_name())
    }
}

/// One line of evidence kept with an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The input it came from (a path, `<stdin>`, a pod's container).
    pub input: String,
    /// Its 1-based line in that input.
    pub line: u64,
    /// Its timestamp, when the line has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<DateTime<Utc>>,
    /// The record's message, as read (escape sequences are stripped when printed).
    pub text: String,
    /// The container that wrote it, when the input says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Whether it is from the previous instance of that container.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub previous: bool,
}

impl Sample {
    /// Where it was read: `input:line`, then the container and instance
    /// when the input says (`(container istio-proxy, previous instance)`).
    pub fn place(&self) -> String {
        let mut place = format!("{}:{}", self.input, self.line);
        match (&self.container, self.previous) {
            (Some(c), true) => place.push_str(&format!(" (container {c}, previous instance)")),
            (Some(c), false) => place.push_str(&format!(" (container {c})")),
            (None, true) => place.push_str(" (previous instance)"),
            (None, false) => {}
        }
        place
    }
}

/// Whether more hits can still join an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Hits keep coming (or the quiet window has not passed yet).
    Open,
    /// Quiet for longer than the window: a new hit opens a new incident.
    Closed,
}

/// Repeated hits of one signature on one object in one cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable id: 16 hex digits.
    pub id: String,
    /// What incidents of the same signature, cluster and object share (for
    /// linking a recurrence to the incident before it).
    pub key: String,
    /// The signature id, or `unclassified`.
    pub signature: String,
    /// One-line title: the signature's, or the template of unclassified lines.
    pub title: String,
    /// Severity now (escalated when the signature says so and it persists).
    pub severity: Severity,
    /// The cluster the evidence came from.
    pub cluster: String,
    /// The object it concerns.
    pub object: ObjectRef,
    /// The Gateway involved, as `namespace/name`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// First and last hit.
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// How many hits.
    pub count: u64,
    /// Pods that showed it (at most [`MAX_PODS`]).
    #[serde(default)]
    pub pods: Vec<String>,
    /// The first, the last and the most different sample lines.
    pub samples: Vec<Sample>,
    /// Captures of the first hit (`reason`, `listener`, ...).
    #[serde(default)]
    pub details: Vec<(String, String)>,
    /// The troubleshooting-guide step.
    #[serde(default)]
    pub guide_step: String,
    /// What to do about it.
    #[serde(default)]
    pub remediation: String,
    /// The incident of the same key that this one recurs after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// Open or closed.
    pub state: State,
}

/// Most pods listed on one incident.
pub const MAX_PODS: usize = 32;

/// Most sample lines kept on one incident: the first, the last and up to
/// three others chosen to differ most from the rest.
pub const MAX_SAMPLES: usize = 5;

impl Incident {
    /// The namespace the incident belongs to: the object's, else the Gateway's.
    pub fn namespace(&self) -> Option<&str> {
        self.object.namespace.as_deref().or_else(|| {
            self.gateway
                .as_deref()
                .and_then(|g| g.split_once('/'))
                .map(|(ns, _)| ns)
        })
    }

    /// How long it has lasted.
    pub fn duration(&self) -> chrono::Duration {
        self.last_seen.signed_duration_since(self.first_seen)
    }
}

/// A stable 64-bit FNV-1a hash of the parts, as 16 hex digits: the same
/// parts give the same id on every machine and every run.
pub fn stable_id(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.as_bytes().iter().chain(&[0xff]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_separate_their_parts() {
        assert_eq!(stable_id(&["a", "b"]), stable_id(&["a", "b"]));
        assert_ne!(stable_id(&["ab", ""]), stable_id(&["a", "b"]));
        assert_eq!(stable_id(&["x"]).len(), 16);
        // FNV-1a is fixed: these values must never change, or stored ids break.
        assert_eq!(stable_id(&[""]), "af64724c8602eb6e");
        assert_eq!(stable_id(&["gw"]), "d511dc18fad2b854");
    }

    #[test]
    fn object_names_print_with_kind_and_namespace() {
        let gw = ObjectRef::new("Gateway", Some("default"), "httpbin-gateway");
        assert_eq!(gw.to_string(), "Gateway/default/httpbin-gateway");
        assert_eq!(
            ObjectRef::new("Node", Some(""), "n1").to_string(),
            "Node/n1"
        );
        assert_eq!(ObjectRef::unknown().qualified_name(), "-");
    }
}
