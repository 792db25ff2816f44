//! The resources the fake serves, and the legacy discovery documents built
//! from them (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/<group>`,
//! `/apis/<group>/<version>`), shaped as a v1.32 API server (with the
//! Gateway API CRDs installed) answers them. Aggregated discovery is not
//! offered: clients asking for it get the legacy document with
//! `Content-Type: application/json` and fall back, as against a server
//! that predates it.

use serde_json::{Value, json};

/// The Gateway API group, which `without_gateway_api()` removes.
pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// One resource (a plural name in a group) and the versions it is served at.
pub struct Resource {
    pub group: &'static str,
    /// Served versions, preferred first.
    pub versions: &'static [&'static str],
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// A CustomResourceDefinition: list items keep their apiVersion/kind,
    /// as the API server serves unstructured objects.
    pub crd: bool,
    /// Subresources listed in discovery (`status`, `log`, ...); only
    /// `pods/log` is served.
    pub subresources: &'static [&'static str],
}

impl Resource {
    /// `events`, or `gateways.gateway.networking.k8s.io`: the name used in
    /// error messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `v1` or `apps/v1`.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    pub fn preferred_api_version(&self) -> String {
        self.api_version(self.versions[0])
    }
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const CLUSTER_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

macro_rules! resource {
    ($group:expr, $versions:expr, $plural:expr, $singular:expr, $kind:expr, $namespaced:expr,
     $short:expr, $categories:expr, $crd:expr, $sub:expr) => {
        Resource {
            group: $group,
            versions: $versions,
            plural: $plural,
            singular: $singular,
            kind: $kind,
            namespaced: $namespaced,
            short_names: $short,
            categories: $categories,
            crd: $crd,
            subresources: $sub,
        }
    };
}

/// Every resource served, in discovery order.
pub static RESOURCES: &[Resource] = &[
    resource!(
        "",
        &["v1"],
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        &[],
        false,
        &[]
    ),
    resource!(
        "",
        &["v1"],
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        &[],
        false,
        &[]
    ),
    resource!(
        "",
        &["v1"],
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        &[],
        false,
        &["finalize", "status"]
    ),
    resource!(
        "",
        &["v1"],
        "nodes",
        "node",
        "Node",
        false,
        &["no"],
        &[],
        false,
        &["proxy", "status"]
    ),
    resource!(
        "",
        &["v1"],
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        &["all"],
        false,
        &[
            "attach",
            "binding",
            "ephemeralcontainers",
            "eviction",
            "exec",
            "log",
            "portforward",
            "proxy",
            "resize",
            "status"
        ]
    ),
    resource!(
        "",
        &["v1"],
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        &["all"],
        false,
        &["proxy", "status"]
    ),
    resource!(
        "apps",
        &["v1"],
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        &["all"],
        false,
        &["scale", "status"]
    ),
    resource!(
        "admissionregistration.k8s.io",
        &["v1"],
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        false,
        &[],
        &["api-extensions"],
        false,
        &[]
    ),
    resource!(
        GATEWAY_GROUP,
        &["v1", "v1beta1"],
        "gatewayclasses",
        "gatewayclass",
        "GatewayClass",
        false,
        &["gc"],
        &["gateway-api"],
        true,
        &["status"]
    ),
    resource!(
        GATEWAY_GROUP,
        &["v1", "v1beta1"],
        "gateways",
        "gateway",
        "Gateway",
        true,
        &["gtw"],
        &["gateway-api"],
        true,
        &["status"]
    ),
    resource!(
        GATEWAY_GROUP,
        &["v1", "v1beta1"],
        "httproutes",
        "httproute",
        "HTTPRoute",
        true,
        &[],
        &["gateway-api"],
        true,
        &["status"]
    ),
    resource!(
        GATEWAY_GROUP,
        &["v1"],
        "grpcroutes",
        "grpcroute",
        "GRPCRoute",
        true,
        &[],
        &["gateway-api"],
        true,
        &["status"]
    ),
    resource!(
        GATEWAY_GROUP,
        &["v1beta1"],
        "referencegrants",
        "referencegrant",
        "ReferenceGrant",
        true,
        &["refgrant"],
        &["gateway-api"],
        true,
        &[]
    ),
];

/// The groups, in `/apis` order, with their versions (preferred first).
fn groups(gateway_api: bool) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for r in RESOURCES {
        if r.group.is_empty() || (r.group == GATEWAY_GROUP && !gateway_api) {
            continue;
        }
        let entry = match out.iter_mut().position(|(g, _)| *g == r.group) {
            Some(i) => &mut out[i].1,
            None => {
                out.push((r.group, Vec::new()));
                &mut out.last_mut().unwrap().1
            }
        };
        for v in r.versions {
            if !entry.contains(v) {
                entry.push(v);
            }
        }
    }
    out
}

/// Whether `group/version` is served.
pub fn served(group: &str, version: &str, gateway_api: bool) -> bool {
    if group == GATEWAY_GROUP && !gateway_api {
        return false;
    }
    RESOURCES
        .iter()
        .any(|r| r.group == group && r.versions.contains(&version))
}

/// The resource `plural` of `group/version`, as an index into RESOURCES.
pub fn find(group: &str, version: &str, plural: &str, gateway_api: bool) -> Option<usize> {
    if !served(group, version, gateway_api) {
        return None;
    }
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.plural == plural && r.versions.contains(&version))
}

/// The resource of an object, by its apiVersion and kind.
pub fn find_kind(api_version: &str, kind: &str) -> Option<usize> {
    let (group, version) = split_api_version(api_version);
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.kind == kind && r.versions.contains(&version))
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// `/version`, as an AKS v1.32 control plane answers.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.4",
        "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
        "gitTreeState": "clean",
        "buildDate": "2025-04-22T16:02:27Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// `/api`.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ]
    })
}

fn group_doc(name: &str, versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    json!({
        "name": name,
        "versions": versions,
        "preferredVersion": versions[0].clone()
    })
}

/// `/apis`.
pub fn group_list(gateway_api: bool) -> Value {
    let groups: Vec<Value> = groups(gateway_api)
        .iter()
        .map(|(g, vs)| group_doc(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`, or None when not served.
pub fn group(name: &str, gateway_api: bool) -> Option<Value> {
    let (g, vs) = groups(gateway_api).into_iter().find(|(g, _)| *g == name)?;
    let mut doc = group_doc(g, &vs);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

/// `/api/v1` or `/apis/<group>/<version>`, or None when not served.
pub fn resource_list(group: &str, version: &str, gateway_api: bool) -> Option<Value> {
    if !served(group, version, gateway_api) {
        return None;
    }
    let mut resources = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.versions.contains(&version))
    {
        let verbs = if r.namespaced {
            ALL_VERBS
        } else {
            CLUSTER_VERBS
        };
        let mut doc = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": verbs,
            "storageVersionHash": storage_hash(r),
        });
        if !r.short_names.is_empty() {
            doc["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            doc["categories"] = json!(r.categories);
        }
        resources.push(doc);
        for sub in r.subresources {
            let verbs: &[&str] = match *sub {
                "status" => &["get", "patch", "update"],
                "log" => &["get"],
                "eviction" | "binding" => &["create"],
                _ => &["get", "create"],
            };
            resources.push(json!({
                "name": format!("{}/{sub}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": if *sub == "log" || *sub == "status" { r.kind } else { "Status" },
                "verbs": verbs,
            }));
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources
    }))
}

/// A stable 11-character hash-like string per resource (the real one is a
/// base64 of a sha256; clients only compare it).
fn storage_hash(r: &Resource) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in r.group.bytes().chain(r.plural.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..11)
        .map(|i| ALPHABET[((h >> (i * 5)) & 63) as usize] as char)
        .collect()
}
