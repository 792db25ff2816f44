//! Customization ConfigMap checks. istiod overlays two ConfigMaps on the
//! resources it generates for a Gateway: the class defaults (labelled
//! `gateway.istio.io/defaults-for-class`, read only from istiod's namespace,
//! the oldest winning) and the Gateway's `parametersRef`. The add-on admits
//! only allowlisted fields in them. These checks read the ConfigMaps that
//! matter: keys and fields off the allowlist (`custom.field_not_allowlisted`),
//! values that are not YAML (`custom.invalid_yaml`), several class defaults
//! for one class (`custom.class_defaults_duplicate`), and class defaults
//! istiod never reads (`custom.class_defaults_unlabelled`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::mesh::system_namespace;
use super::{Facts, Finding, finding, qualified};
use crate::inventory::Object;

/// The label that makes a ConfigMap a class's defaults.
pub const DEFAULTS_LABEL: &str = "gateway.istio.io/defaults-for-class";

/// The add-on's class defaults ConfigMap.
pub const DEFAULTS_NAME: &str = "istio-gateway-class-defaults";

/// The AKS allowlist: for each ConfigMap key, the field paths that may be
/// set (a path admits everything under it; `[]` stands for any list item).
const ALLOWLIST: [(&str, &[&str]); 4] = [
    (
        "deployment",
        &[
            "metadata.labels",
            "metadata.annotations",
            "spec.replicas",
            "spec.template.metadata.labels",
            "spec.template.metadata.annotations",
            "spec.template.spec.affinity",
            "spec.template.spec.nodeSelector",
            "spec.template.spec.tolerations",
            "spec.template.spec.topologySpreadConstraints",
            "spec.template.spec.containers[].name",
            "spec.template.spec.containers[].resources",
        ],
    ),
    (
        "service",
        &[
            "metadata.labels",
            "metadata.annotations",
            "spec.type",
            "spec.loadBalancerSourceRanges",
            "spec.loadBalancerClass",
            "spec.externalTrafficPolicy",
            "spec.internalTrafficPolicy",
        ],
    ),
    (
        "horizontalPodAutoscaler",
        &[
            "metadata.labels",
            "metadata.annotations",
            "spec.behavior",
            "spec.metrics",
            "spec.minReplicas",
            "spec.maxReplicas",
        ],
    ),
    (
        "podDisruptionBudget",
        &[
            "metadata.labels",
            "metadata.annotations",
            "spec.minAvailable",
            "spec.unhealthyPodEvictionPolicy",
        ],
    ),
];

/// The ConfigMaps istiod overlays, each with the Gateway it serves when it
/// is a `parametersRef` (class defaults serve every Gateway of the class).
fn overlays(facts: &Facts) -> Vec<(&Object, Option<String>)> {
    let system = system_namespace(facts);
    let mut out: Vec<(&Object, Option<String>)> = facts
        .objects
        .of_kind("ConfigMap")
        .filter(|cm| {
            cm.label(DEFAULTS_LABEL).is_some() && cm.namespace.as_deref() == Some(system.as_str())
        })
        .map(|cm| (cm, None))
        .collect();
    for gw in facts.objects.of_kind("Gateway") {
        let reference = gw.at(&["spec", "infrastructure", "parametersRef"]);
        let name = reference
            .and_then(|r| r.get("name"))
            .and_then(Value::as_str);
        let kind = reference
            .and_then(|r| r.get("kind"))
            .and_then(Value::as_str);
        let ns = gw.namespace.as_deref();
        if let (Some("ConfigMap"), Some(name)) = (kind, name)
            && let Some(cm) = facts.objects.get("ConfigMap", ns, name)
            && !out.iter().any(|(o, _)| std::ptr::eq(*o, cm))
        {
            out.push((cm, Some(gw.qualified_name())));
        }
    }
    out
}

/// The data of a ConfigMap: key → text.
fn data(cm: &Object) -> impl Iterator<Item = (&str, &str)> {
    cm.at(&["data"])
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
}

/// The YAML of a ConfigMap value, or the parser's first line of error.
fn parse_overlay(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let what = e.render_with_options(serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        });
        what.lines().next().unwrap_or("").to_string()
    })
}

/// Appends the leaf paths under `value` that no allowed path admits.
fn off_list(value: &Value, path: &str, allowed: &[&str], out: &mut Vec<String>) {
    if allowed.contains(&path) {
        return;
    }
    let child = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                off_list(v, &child(k), allowed, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let path = format!("{path}[]");
            for item in items {
                off_list(item, &path, allowed, out);
            }
        }
        _ => {
            if !path.is_empty() && !out.iter().any(|p| p == path) {
                out.push(path.to_string());
            }
        }
    }
}

/// `custom.field_not_allowlisted`: keys and fields of an overlay ConfigMap
/// outside the AKS allowlist, and an HPA `minReplicas` below 2.
pub fn field_not_allowlisted(facts: &Facts) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for (cm, gateway) in overlays(facts) {
        for (key, text) in data(cm) {
            let Some((_, allowed)) = ALLOWLIST.iter().find(|(k, _)| *k == key) else {
                let keys: Vec<&str> = ALLOWLIST.iter().map(|(k, _)| *k).collect();
                let message = format!(
                    "ConfigMap {}: key {key:?} is not on the AKS allowlist ({})",
                    cm.qualified_name(),
                    keys.join(", ")
                );
                out.push(finding(
                    "custom.field_not_allowlisted",
                    cm,
                    gateway.clone(),
                    message,
                    &[("key", key)],
                ));
                continue;
            };
            let Ok(value) = parse_overlay(text) else {
                continue;
            };
            let mut fields = Vec::new();
            off_list(&value, "", allowed, &mut fields);
            let min = value.pointer("/spec/minReplicas").and_then(Value::as_u64);
            if key == "horizontalPodAutoscaler"
                && let Some(min) = min.filter(|&m| m < 2)
            {
                fields.push(format!("spec.minReplicas={min} (must not be below 2)"));
            }
            if fields.is_empty() {
                continue;
            }
            let list = fields.join(", ");
            let message = format!(
                "ConfigMap {} key {key} sets what the AKS allowlist does not admit: {list}; the add-on's webhook blocks it",
                cm.qualified_name()
            );
            out.push(finding(
                "custom.field_not_allowlisted",
                cm,
                gateway.clone(),
                message,
                &[("key", key), ("fields", &list)],
            ));
        }
    }
    out
}

/// `custom.invalid_yaml`: an overlay ConfigMap value that is not YAML.
pub fn invalid_yaml(facts: &Facts) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for (cm, gateway) in overlays(facts) {
        for (key, text) in data(cm) {
            if let Err(error) = parse_overlay(text) {
                let message = format!(
                    "ConfigMap {} key {key} is not valid YAML: {error}",
                    cm.qualified_name()
                );
                out.push(finding(
                    "custom.invalid_yaml",
                    cm,
                    gateway.clone(),
                    message,
                    &[("key", key)],
                ));
            }
        }
    }
    out
}

/// `custom.class_defaults_duplicate`: several ConfigMaps in istiod's
/// namespace are defaults for one class; istiod uses only the oldest (by
/// creation time, then name), each newer one is reported.
pub fn class_defaults_duplicate(facts: &Facts) -> Vec<Finding<'_>> {
    let system = system_namespace(facts);
    let mut by_class: BTreeMap<&str, Vec<&Object>> = BTreeMap::new();
    for cm in facts.objects.of_kind("ConfigMap") {
        if cm.namespace.as_deref() == Some(system.as_str())
            && let Some(class) = cm.label(DEFAULTS_LABEL)
        {
            by_class.entry(class).or_default().push(cm);
        }
    }
    let mut out = Vec::new();
    for (class, mut cms) in by_class {
        if cms.len() < 2 {
            continue;
        }
        cms.sort_by_key(|cm| {
            (
                cm.str_at(&["metadata", "creationTimestamp"]),
                cm.name.as_str(),
            )
        });
        let winner = cms[0].qualified_name();
        for cm in &cms[1..] {
            let message = format!(
                "ConfigMap {} is ignored: {winner} is also labelled {DEFAULTS_LABEL}={class} and is older; istiod reads only the oldest",
                cm.qualified_name()
            );
            out.push(finding(
                "custom.class_defaults_duplicate",
                cm,
                None,
                message,
                &[("class", class), ("used", &winner)],
            ));
        }
    }
    out
}

/// `custom.class_defaults_unlabelled`: `istio-gateway-class-defaults`
/// without the label for class `istio`, or class defaults outside istiod's
/// namespace: istiod ignores them without a word.
pub fn class_defaults_unlabelled(facts: &Facts) -> Vec<Finding<'_>> {
    let system = system_namespace(facts);
    let mut out = Vec::new();
    for cm in facts.objects.of_kind("ConfigMap") {
        let label = cm.label(DEFAULTS_LABEL);
        let in_system = cm.namespace.as_deref() == Some(system.as_str());
        let why = match (cm.name == DEFAULTS_NAME, label, in_system) {
            (_, Some(_), false) | (true, None, false) => format!(
                "it is in namespace {}, and istiod reads class defaults only from {system}",
                cm.namespace.as_deref().unwrap_or("-")
            ),
            (true, None, true) => format!("it lacks the label {DEFAULTS_LABEL}: istio"),
            (true, Some(class), true) if class != "istio" => {
                format!("its label {DEFAULTS_LABEL} is {class:?}, not \"istio\"")
            }
            _ => continue,
        };
        let name = qualified(cm.namespace.as_deref(), &cm.name);
        let message = format!("class defaults ConfigMap {name} is ignored: {why}");
        out.push(finding(
            "custom.class_defaults_unlabelled",
            cm,
            None,
            message,
            &[("label", label.unwrap_or("-"))],
        ));
    }
    out
}
