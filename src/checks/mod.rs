//! Resource checks: the signatures of the catalogue marked **[check]**,
//! evaluated on the Kubernetes objects of a bundle (and on what its logs
//! say about traffic) instead of matched on log lines. Each check is a
//! function from [`Facts`] to [`Finding`]s, registered in [`CHECKS`] under
//! the signature it evaluates; a signature's title, severity and remedy
//! still come from `patterns/`, where `check = true` turns the check on
//! (a user file that overrides the signature without it turns it off).
//! A finding names the object that shows the failure, with the bundle entry
//! and line it was read from, and becomes a record of source `check` that
//! is grouped into incidents like any other hit.

mod customization;
mod gateway;
mod mesh;
mod network;
pub mod traffic;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::classify::Hit;
use crate::incident::ObjectRef;
use crate::inventory::{Inventory, Object};
use crate::record::{Field, Format, Level, Record, Source};
use crate::signature::{Severity, SignatureSet};
use crate::template::pod_stem;

pub use traffic::Traffic;

/// What the checks read: the bundle's objects and what its logs showed.
#[derive(Debug, Default)]
pub struct Facts {
    pub objects: Inventory,
    /// Clients of each Gateway's access log lines.
    pub traffic: Traffic,
    /// Pods whose logs the bundle holds: `(namespace, pod)`.
    pub log_pods: BTreeSet<(Option<String>, String)>,
}

/// One failure a check found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding<'f> {
    /// The signature id.
    pub signature: &'static str,
    /// The object that shows it (its entry and line are the evidence).
    pub object: &'f Object,
    /// The object the incident is about when it is another one (the
    /// ConfigMap a `parametersRef` names), so the finding joins the
    /// incident of the log lines about that object.
    pub concerns: Option<ObjectRef>,
    /// The Gateway concerned, as `namespace/name`.
    pub gateway: Option<String>,
    /// What is wrong, in one sentence naming the objects and values.
    pub message: String,
    /// Values worth filtering on, as captures are for log signatures.
    pub details: Vec<(String, String)>,
}

/// A check: the findings of one signature.
pub type CheckFn = for<'f> fn(&'f Facts) -> Vec<Finding<'f>>;

/// Every check, by the signature it evaluates.
pub const CHECKS: [(&str, CheckFn); 14] = [
    ("lb.probe_path_unrouted", network::probe_path_unrouted),
    (
        "net.gateway_on_system_pool",
        network::gateway_on_system_pool,
    ),
    (
        "net.external_traffic_absent",
        network::external_traffic_absent,
    ),
    ("class.not_istio", gateway::class_not_istio),
    ("route.no_matching_parent", gateway::no_matching_parent),
    (
        "custom.parameters_ref_missing",
        gateway::parameters_ref_missing,
    ),
    ("revision.unknown", mesh::unknown_revision),
    (
        "revision.unpinned_during_upgrade",
        mesh::unpinned_during_upgrade,
    ),
    ("revision.stale_proxy", mesh::stale_proxy),
    (
        "revision.status_writer_conflict",
        mesh::status_writer_conflict,
    ),
    (
        "custom.field_not_allowlisted",
        customization::field_not_allowlisted,
    ),
    ("custom.invalid_yaml", customization::invalid_yaml),
    (
        "custom.class_defaults_duplicate",
        customization::class_defaults_duplicate,
    ),
    (
        "custom.class_defaults_unlabelled",
        customization::class_defaults_unlabelled,
    ),
];

/// Whether a check evaluates this signature.
pub fn exists(signature: &str) -> bool {
    CHECKS.iter().any(|(id, _)| *id == signature)
}

/// Runs the checks of the signatures `enabled` accepts, in [`CHECKS`] order.
pub fn run<'f>(facts: &'f Facts, enabled: impl Fn(&str) -> bool) -> Vec<Finding<'f>> {
    CHECKS
        .iter()
        .filter(|(id, _)| enabled(id))
        .flat_map(|(_, check)| check(facts))
        .collect()
}

impl Finding<'_> {
    /// The finding as a hit of its signature in `set` (with its severity),
    /// at `ts`; `None` when the set lacks the signature.
    pub fn hit_in(&self, set: &SignatureSet, ts: Option<DateTime<Utc>>) -> Option<(Record, Hit)> {
        let index = set.index_of(self.signature)?;
        let record = self.record(set.signatures()[index].severity, ts);
        let hit = Hit {
            signature: Some(index),
            captures: self.details.clone(),
        };
        Some((record, hit))
    }

    /// The finding as a record: source `check`, the object's line, at
    /// `ts` (when the bundle was collected, as far as its logs tell).
    pub fn record(&self, severity: Severity, ts: Option<DateTime<Utc>>) -> Record {
        let mut record = Record::text(self.object.line, self.message.clone());
        record.ts = ts;
        record.source = Source::Check;
        record.format = Format::Check;
        record.level = Some(match severity {
            Severity::Critical => Level::Critical,
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warn,
            Severity::Info => Level::Info,
        });
        record.scope = Some(self.signature.to_string());
        let about = self
            .concerns
            .clone()
            .unwrap_or_else(|| self.object.object_ref());
        record.fields.push((Field::ObjectKind, about.kind.clone()));
        record.fields.push((Field::ObjectName, about.name));
        if let Some(ns) = about.namespace {
            record.fields.push((Field::Namespace, ns));
        }
        if let Some(gateway) = &self.gateway
            && about.kind != "Gateway"
        {
            record.fields.push((Field::Parent, gateway.clone()));
        }
        record
    }
}

/// `namespace/name` of an object named in `namespace`.
fn qualified(namespace: Option<&str>, name: &str) -> String {
    ObjectRef::new("", namespace, name).qualified_name()
}

/// A string field of a JSON value.
fn str_of<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// The status of a Gateway's own condition of this type.
fn condition<'o>(object: &'o Object, condition_type: &str) -> Option<&'o Value> {
    object
        .list_at(&["status", "conditions"])
        .iter()
        .find(|c| str_of(c, "type") == Some(condition_type))
}

/// The Gateway a pod serves, as `namespace/name`: its
/// `gateway.networking.k8s.io/gateway-name` label, else the
/// `<gateway>-istio-<hash>-<suffix>` name istio gives a Gateway's pods.
fn gateway_of_pod(pod: &Object) -> Option<String> {
    let ns = pod.namespace.as_deref();
    if let Some(name) = pod.label("gateway.networking.k8s.io/gateway-name") {
        return Some(qualified(ns, name));
    }
    let gateway = pod_stem(&pod.name)?
        .strip_suffix("-istio")
        .filter(|g| !g.is_empty())?;
    Some(qualified(ns, gateway))
}

/// Every gateway pod, with its Gateway.
fn gateway_pods(facts: &Facts) -> impl Iterator<Item = (&Object, String)> {
    facts
        .objects
        .of_kind("Pod")
        .filter_map(|pod| gateway_of_pod(pod).map(|gw| (pod, gw)))
}

/// Builds a finding.
fn finding<'f>(
    signature: &'static str,
    object: &'f Object,
    gateway: Option<String>,
    message: String,
    details: &[(&str, &str)],
) -> Finding<'f> {
    Finding {
        signature,
        object,
        concerns: None,
        gateway,
        message,
        details: details
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[cfg(test)]
mod tests;
