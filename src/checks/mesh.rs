//! The control plane a bundle shows, and the revision checks on it. istiod
//! revisions come from istiod Deployments and Pods (`istiod-<revision>`,
//! label `istio.io/rev`) and from the istiod pods whose logs the bundle
//! holds; revision tags from MutatingWebhookConfigurations labelled
//! `istio.io/tag`. A Gateway's revision is its `istio.io/rev` label, else
//! its namespace's. With no istiod in the bundle the revision checks stay
//! silent: absence of evidence is not a finding.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Facts, Finding, condition, finding, gateway_pods, str_of};
use crate::inventory::Object;
use crate::template::pod_stem;

/// The namespace the add-on runs istiod in.
pub const ADDON_NAMESPACE: &str = "aks-istio-system";

/// istiod revisions and revision tags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mesh {
    /// Revision → whether an istiod of it runs.
    pub revisions: BTreeMap<String, bool>,
    /// Tag → the revision it points at.
    pub tags: BTreeMap<String, String>,
    /// The namespace istiod runs in.
    pub namespace: Option<String>,
}

impl Mesh {
    /// The revisions with a running istiod, in order.
    pub fn running(&self) -> Vec<&str> {
        self.revisions
            .iter()
            .filter(|(_, up)| **up)
            .map(|(r, _)| r.as_str())
            .collect()
    }

    /// The running revision a revision or tag names, if any.
    pub fn resolve<'m>(&'m self, rev: &'m str) -> Option<&'m str> {
        let target = self.tags.get(rev).map_or(rev, String::as_str);
        self.revisions
            .get(target)
            .copied()
            .unwrap_or(false)
            .then_some(target)
    }
}

/// The revision of an istiod workload name (`istiod-asm-1-26`, `istiod`).
fn revision_of_istiod(name: &str) -> Option<&str> {
    match name {
        "istiod" => Some("default"),
        _ => name.strip_prefix("istiod-").filter(|r| !r.is_empty()),
    }
}

/// The revision a Deployment or Pod object of istiod runs, and whether it runs.
fn istiod_object(object: &Object) -> Option<(String, bool)> {
    let workload = match object.kind.as_str() {
        "Deployment" => object.name.as_str(),
        _ => pod_stem(&object.name)?,
    };
    let from_name = revision_of_istiod(workload);
    if from_name.is_none() && object.label("app") != Some("istiod") {
        return None;
    }
    let rev = object.label("istio.io/rev").or(from_name)?.to_string();
    let running = match object.kind.as_str() {
        "Deployment" => match object.at(&["status"]) {
            Some(status) => status
                .get("readyReplicas")
                .and_then(Value::as_u64)
                .is_some_and(|n| n > 0),
            None => object.at(&["spec", "replicas"]).and_then(Value::as_u64) != Some(0),
        },
        _ => object
            .str_at(&["status", "phase"])
            .is_none_or(|p| p == "Running"),
    };
    Some((rev, running))
}

/// The control plane the bundle shows; `None` when it shows no istiod.
pub fn mesh(facts: &Facts) -> Option<Mesh> {
    let mut mesh = Mesh::default();
    for object in facts
        .objects
        .of_kind("Deployment")
        .chain(facts.objects.of_kind("Pod"))
    {
        if let Some((rev, running)) = istiod_object(object) {
            *mesh.revisions.entry(rev).or_default() |= running;
            mesh.namespace = mesh.namespace.or_else(|| object.namespace.clone());
        }
    }
    // A pod whose log is in the bundle was running when it was collected.
    for (ns, pod) in &facts.log_pods {
        if let Some(rev) = pod_stem(pod).and_then(revision_of_istiod) {
            mesh.revisions.insert(rev.to_string(), true);
            mesh.namespace = mesh.namespace.or_else(|| ns.clone());
        }
    }
    if mesh.revisions.is_empty() {
        return None;
    }
    for hook in facts.objects.of_kind("MutatingWebhookConfiguration") {
        if let (Some(tag), Some(rev)) = (hook.label("istio.io/tag"), hook.label("istio.io/rev")) {
            mesh.tags.insert(tag.to_string(), rev.to_string());
        }
    }
    Some(mesh)
}

/// The namespace istiod runs in (the add-on's when the bundle shows none).
pub fn system_namespace(facts: &Facts) -> String {
    mesh(facts)
        .and_then(|m| m.namespace)
        .unwrap_or_else(|| ADDON_NAMESPACE.to_string())
}

/// Whether the bundle shows Istio at all: an istiod, or a GatewayClass of
/// istio's controller.
pub fn istio_present(facts: &Facts) -> bool {
    mesh(facts).is_some()
        || facts.objects.of_kind("GatewayClass").any(|c| {
            c.str_at(&["spec", "controllerName"])
                .is_some_and(|n| n.starts_with("istio.io/"))
        })
}

/// A Gateway's `istio.io/rev`, and where it is set.
fn revision_of_gateway<'f>(facts: &'f Facts, gw: &'f Object) -> Option<(&'f str, String)> {
    if let Some(rev) = gw.label("istio.io/rev") {
        return Some((rev, "label on the Gateway".into()));
    }
    let ns = gw.namespace.as_deref()?;
    let rev = facts
        .objects
        .get("Namespace", None, ns)?
        .label("istio.io/rev")?;
    Some((rev, format!("label on namespace {ns}")))
}

/// Gateways of istio's class.
fn istio_gateways(facts: &Facts) -> impl Iterator<Item = &Object> {
    facts
        .objects
        .of_kind("Gateway")
        .filter(|g| g.str_at(&["spec", "gatewayClassName"]) == Some("istio"))
}

/// `revision.unknown`: the Gateway's revision names no running istiod.
pub fn unknown_revision(facts: &Facts) -> Vec<Finding<'_>> {
    let Some(mesh) = mesh(facts) else {
        return Vec::new();
    };
    let running = mesh.running().join(", ");
    let mut out = Vec::new();
    for gw in istio_gateways(facts) {
        let Some((rev, set_on)) = revision_of_gateway(facts, gw) else {
            continue;
        };
        if mesh.resolve(rev).is_some() {
            continue;
        }
        let name = gw.qualified_name();
        let message = format!(
            "Gateway {name}: istio.io/rev={rev} ({set_on}) names no running istiod revision or tag (running: {running}); no istiod deploys or programs it"
        );
        out.push(finding(
            "revision.unknown",
            gw,
            Some(name),
            message,
            &[("revision", rev), ("running", &running)],
        ));
    }
    out
}

/// `revision.unpinned_during_upgrade`: two istiod revisions run and the
/// Gateway has no revision (and no `default` tag decides for it).
pub fn unpinned_during_upgrade(facts: &Facts) -> Vec<Finding<'_>> {
    let Some(mesh) = mesh(facts) else {
        return Vec::new();
    };
    let running = mesh.running();
    if running.len() < 2 || mesh.tags.contains_key("default") {
        return Vec::new();
    }
    let running = running.join(", ");
    let mut out = Vec::new();
    for gw in istio_gateways(facts) {
        if revision_of_gateway(facts, gw).is_some() {
            continue;
        }
        let name = gw.qualified_name();
        let message = format!(
            "istiod revisions {running} both run and Gateway {name} has no istio.io/rev label (nor has its namespace): the higher revision takes it over"
        );
        out.push(finding(
            "revision.unpinned_during_upgrade",
            gw,
            Some(name),
            message,
            &[("running", &running)],
        ));
    }
    out
}

/// The revisions a gateway pod's proxy shows: its `istio.io/rev` label or
/// annotation, and the istiod its `CA_ADDR` names.
fn revisions_of_pod(pod: &Object) -> Vec<(String, &'static str)> {
    let mut found = Vec::new();
    if let Some(rev) = pod.label("istio.io/rev") {
        found.push((rev.to_string(), "pod label istio.io/rev"));
    }
    if let Some(rev) = pod.annotation("istio.io/rev") {
        found.push((rev.to_string(), "pod annotation istio.io/rev"));
    }
    for container in pod.list_at(&["spec", "containers"]) {
        let env = container.get("env").and_then(Value::as_array);
        for var in env.into_iter().flatten() {
            if str_of(var, "name") == Some("CA_ADDR")
                && let Some(host) = str_of(var, "value").and_then(|v| v.split(['.', ':']).next())
                && let Some(rev) = revision_of_istiod(host)
            {
                found.push((rev.to_string(), "CA_ADDR"));
            }
        }
    }
    found
}

/// `revision.stale_proxy`: a gateway pod's proxy belongs to a revision other
/// than its Gateway's (the Gateway's, else the only running one).
pub fn stale_proxy(facts: &Facts) -> Vec<Finding<'_>> {
    let Some(mesh) = mesh(facts) else {
        return Vec::new();
    };
    let running = mesh.running();
    let mut out = Vec::new();
    for (pod, gateway) in gateway_pods(facts) {
        let (ns, name) = gateway.split_once('/').unwrap_or(("", &gateway));
        let owner = match facts.objects.get("Gateway", Some(ns), name) {
            Some(gw) => match revision_of_gateway(facts, gw) {
                Some((rev, _)) => mesh.resolve(rev),
                None if running.len() == 1 => Some(running[0]),
                None => None,
            },
            None if running.len() == 1 => Some(running[0]),
            None => None,
        };
        let Some(owner) = owner else {
            continue;
        };
        let stale = revisions_of_pod(pod)
            .into_iter()
            .find(|(rev, _)| mesh.resolve(rev).unwrap_or(rev) != owner);
        let Some((rev, shown_by)) = stale else {
            continue;
        };
        let message = format!(
            "gateway pod {} runs a proxy of revision {rev} ({shown_by}) but Gateway {gateway} belongs to revision {owner}: restart its Deployment",
            pod.qualified_name()
        );
        out.push(finding(
            "revision.stale_proxy",
            pod,
            Some(gateway.clone()),
            message,
            &[("revision", &rev), ("owner", owner)],
        ));
    }
    out
}

/// `revision.status_writer_conflict`: two revisions run, the Gateway's
/// generated Deployment is ready, and its status still says
/// `Waiting for controller`.
pub fn status_writer_conflict(facts: &Facts) -> Vec<Finding<'_>> {
    let Some(mesh) = mesh(facts) else {
        return Vec::new();
    };
    let running = mesh.running();
    if running.len() < 2 {
        return Vec::new();
    }
    let running = running.join(", ");
    let mut out = Vec::new();
    for gw in istio_gateways(facts) {
        let waiting = condition(gw, "Accepted").is_none_or(|c| {
            str_of(c, "status") == Some("Unknown")
                && (str_of(c, "reason") == Some("Pending")
                    || str_of(c, "message") == Some("Waiting for controller"))
        });
        if !waiting {
            continue;
        }
        let ns = gw.namespace.as_deref();
        let deployment = format!("{}-istio", gw.name);
        let ready = facts
            .objects
            .get("Deployment", ns, &deployment)
            .and_then(|d| d.at(&["status", "readyReplicas"]))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if ready == 0 {
            continue;
        }
        let name = gw.qualified_name();
        let message = format!(
            "Gateway {name} still says Waiting for controller while its Deployment {deployment} has {ready} ready replicas and istiod revisions {running} both run: the other revision holds the status leader lock"
        );
        out.push(finding(
            "revision.status_writer_conflict",
            gw,
            Some(name),
            message,
            &[("running", &running)],
        ));
    }
    out
}
