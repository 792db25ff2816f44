//! The Kubernetes objects of a bundle that the resource checks read
//! (`src/checks/`): Gateway API objects (GatewayClasses, Gateways, routes,
//! ReferenceGrants), ConfigMaps, Services, Deployments, Pods, Nodes,
//! Namespaces and MutatingWebhookConfigurations, each with the bundle entry
//! and line it was read from, so a finding can point at its evidence. Other
//! kinds (CRDs, Secrets, Events, Istio's own `Gateway`) are not kept, nor
//! `managedFields`, so a large cluster listing costs little memory. The
//! first copy of an object wins when a bundle lists it twice.

use std::collections::HashMap;

use serde_json::Value;

use crate::incident::ObjectRef;

/// Gateway API kinds (group `gateway.networking.k8s.io`).
pub const GATEWAY_API_KINDS: [&str; 8] = [
    "GatewayClass",
    "Gateway",
    "HTTPRoute",
    "GRPCRoute",
    "TCPRoute",
    "TLSRoute",
    "UDPRoute",
    "ReferenceGrant",
];

/// Route kinds, whose `spec.parentRefs` name Gateways.
pub const ROUTE_KINDS: [&str; 5] = ["HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute"];

/// Other kinds kept, with the API group they must come from (`""`: core).
const OTHER_KINDS: [(&str, &str); 7] = [
    ("ConfigMap", ""),
    ("Service", ""),
    ("Pod", ""),
    ("Node", ""),
    ("Namespace", ""),
    ("Deployment", "apps"),
    (
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
    ),
];

/// One object, and where the bundle holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The whole object, without `metadata.managedFields`.
    pub value: Value,
    /// The bundle entry it was read from.
    pub entry: String,
    /// The line of that entry it starts on.
    pub line: u64,
}

impl Object {
    /// The value at a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Value> {
        path.iter().try_fold(&self.value, |v, k| v.get(k))
    }

    /// The string at a path of keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path).and_then(Value::as_str)
    }

    /// A `metadata.labels` value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.str_at(&["metadata", "labels", key])
    }

    /// A `metadata.annotations` value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.str_at(&["metadata", "annotations", key])
    }

    /// The annotation keys.
    pub fn annotation_keys(&self) -> impl Iterator<Item = &str> {
        self.at(&["metadata", "annotations"])
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// The items of an array at a path (none when absent).
    pub fn list_at(&self, path: &[&str]) -> &[Value] {
        self.at(path)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// As an incident's object.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef::new(&self.kind, self.namespace.as_deref(), &self.name)
    }

    /// `namespace/name`, or `name`.
    pub fn qualified_name(&self) -> String {
        self.object_ref().qualified_name()
    }
}

/// The objects kept, by kind.
#[derive(Debug, Default)]
pub struct Inventory {
    objects: Vec<Object>,
    /// (kind, namespace, name) → index in `objects`.
    index: HashMap<(String, Option<String>, String), usize>,
    /// kind → indexes, in the order read.
    by_kind: HashMap<String, Vec<usize>>,
}

impl Inventory {
    /// Keeps `value` if it is an object of a kept kind; `false` otherwise
    /// (or when an earlier copy is kept).
    pub fn add(&mut self, value: &Value, entry: &str, line: u64) -> bool {
        let Some(kind) = kept_kind(value) else {
            return false;
        };
        let Some(name) = value.pointer("/metadata/name").and_then(Value::as_str) else {
            return false;
        };
        let namespace = value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let key = (kind.to_string(), namespace.clone(), name.to_string());
        if self.index.contains_key(&key) {
            return false;
        }
        let mut value = value.clone();
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
        }
        let i = self.objects.len();
        self.objects.push(Object {
            kind: kind.to_string(),
            namespace,
            name: name.to_string(),
            value,
            entry: entry.to_string(),
            line,
        });
        self.index.insert(key, i);
        self.by_kind.entry(kind.to_string()).or_default().push(i);
        true
    }

    /// The objects of a kind, in the order read.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + use<'a> {
        self.by_kind
            .get(kind)
            .into_iter()
            .flatten()
            .map(|&i| &self.objects[i])
    }

    /// One object.
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Object> {
        let key = (
            kind.to_string(),
            namespace.map(str::to_string),
            name.to_string(),
        );
        self.index.get(&key).map(|&i| &self.objects[i])
    }

    /// Whether any object of this kind was read.
    pub fn has(&self, kind: &str) -> bool {
        self.by_kind.contains_key(kind)
    }

    /// Whether any object of this kind was read in this namespace: the
    /// bundle listed that kind there, so a missing name is really missing.
    pub fn listed_in(&self, kind: &str, namespace: &str) -> bool {
        self.of_kind(kind)
            .any(|o| o.namespace.as_deref() == Some(namespace))
    }

    /// How many objects are kept.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// The kind of a value this keeps, if it is one: Gateway API kinds only
/// from their group (Istio's `networking.istio.io` Gateway is another kind),
/// the others from theirs. An object without `apiVersion` is taken by kind.
fn kept_kind(value: &Value) -> Option<&str> {
    let kind = value.get("kind")?.as_str()?;
    let group = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(|av| av.rsplit_once('/').map_or("", |(g, _)| g));
    if GATEWAY_API_KINDS.contains(&kind) {
        return group
            .is_none_or(|g| g == "gateway.networking.k8s.io")
            .then_some(kind);
    }
    OTHER_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .filter(|(_, g)| group.is_none_or(|group| group == *g))
        .map(|(k, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_kinds_checks_read_from_their_groups() {
        let mut inv = Inventory::default();
        let gw = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "web", "namespace": "apps", "managedFields": [{"manager": "kubectl"}]}});
        let istio_gw = json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
            "metadata": {"name": "classic", "namespace": "apps"}});
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-istio", "namespace": "apps"}});
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "gateways.gateway.networking.k8s.io"}});
        let node = json!({"kind": "Node", "metadata": {"name": "aks-system-1"}});
        assert!(inv.add(&gw, "crs", 3));
        assert!(!inv.add(&istio_gw, "crs", 20));
        assert!(inv.add(&svc, "k8s-resources", 7));
        assert!(!inv.add(&crd, "k8s-cluster-resources", 1));
        assert!(inv.add(&node, "nodes.json", 2));
        assert!(!inv.add(&gw, "crs-again", 1), "the first copy wins");
        assert_eq!(inv.len(), 3);
        let kept = inv.get("Gateway", Some("apps"), "web").unwrap();
        assert_eq!((kept.entry.as_str(), kept.line), ("crs", 3));
        assert!(kept.at(&["metadata", "managedFields"]).is_none());
        assert_eq!(inv.get("Node", None, "aks-system-1").unwrap().kind, "Node");
        assert!(inv.listed_in("Service", "apps"));
        assert!(!inv.listed_in("Service", "other"));
        assert!(!inv.has("ConfigMap"));
    }
}
