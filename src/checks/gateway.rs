//! Gateway configuration checks: a Gateway of another class on a cluster
//! running Istio (`class.not_istio`), a route parent istio never wrote
//! status for (`route.no_matching_parent`), and a `parametersRef` to a
//! ConfigMap that is not there (`custom.parameters_ref_missing`).

use super::mesh::istio_present;
use super::{Facts, Finding, finding, qualified, str_of};
use crate::incident::ObjectRef;
use crate::inventory::{Object, ROUTE_KINDS};

/// istio's Gateway API controller name.
pub const ISTIO_CONTROLLER: &str = "istio.io/gateway-controller";

/// The controller of a GatewayClass the bundle holds.
fn controller_of_class<'f>(facts: &'f Facts, class: &str) -> Option<&'f str> {
    facts
        .objects
        .get("GatewayClass", None, class)?
        .str_at(&["spec", "controllerName"])
}

/// `class.not_istio`: on a cluster running Istio, a Gateway whose class is
/// not `istio` (nor another class of istio's controllers).
pub fn class_not_istio(facts: &Facts) -> Vec<Finding<'_>> {
    if !istio_present(facts) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for gw in facts.objects.of_kind("Gateway") {
        let Some(class) = gw.str_at(&["spec", "gatewayClassName"]) else {
            continue;
        };
        let controller = controller_of_class(facts, class);
        if class == "istio" || controller.is_some_and(|c| c.starts_with("istio.io/")) {
            continue;
        }
        let name = gw.qualified_name();
        let whose = match (class, controller) {
            ("approuting-istio", _) => {
                " (the App Routing add-on's class; it cannot run beside the Istio add-on)"
                    .to_string()
            }
            (_, Some(c)) => format!(" (controller {c})"),
            (_, None) => String::new(),
        };
        let message = format!(
            "Gateway {name} has gatewayClassName {class:?}{whose}, not \"istio\": the Istio add-on's istiod ignores it, so nothing deploys or programs it"
        );
        out.push(finding(
            "class.not_istio",
            gw,
            Some(name),
            message,
            &[("class", class)],
        ));
    }
    out
}

/// `route.no_matching_parent`: a route's `parentRefs` name a Gateway for
/// which `status.parents` has no entry from istio's controller (a wrong
/// name, namespace or class: istio writes nothing). Parents of a class of
/// another controller the bundle shows are left to that controller.
pub fn no_matching_parent(facts: &Facts) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for kind in ROUTE_KINDS {
        for route in facts.objects.of_kind(kind) {
            let route_ns = route.namespace.as_deref();
            for parent in route.list_at(&["spec", "parentRefs"]) {
                let group = str_of(parent, "group").unwrap_or("gateway.networking.k8s.io");
                let parent_kind = str_of(parent, "kind").unwrap_or("Gateway");
                let Some(name) = str_of(parent, "name") else {
                    continue;
                };
                if group != "gateway.networking.k8s.io" || parent_kind != "Gateway" {
                    continue;
                }
                let ns = str_of(parent, "namespace").or(route_ns);
                if written_by_istio(route, ns, name) {
                    continue;
                }
                let gateway = facts.objects.get("Gateway", ns, name);
                let class = gateway.and_then(|g| g.str_at(&["spec", "gatewayClassName"]));
                let controller = class.and_then(|c| controller_of_class(facts, c));
                if controller.is_some_and(|c| !c.starts_with("istio.io/")) {
                    continue;
                }
                let parent_name = qualified(ns, name);
                let why = match (gateway, class) {
                    (None, _) if ns.is_some_and(|n| facts.objects.listed_in("Gateway", n)) => {
                        format!("there is no Gateway {parent_name}")
                    }
                    (None, _) => format!("the bundle holds no Gateway {parent_name}"),
                    (Some(_), Some(c)) if c != "istio" => format!("its class is {c:?}"),
                    (Some(_), _) => "istio has not reconciled the route".to_string(),
                };
                let message = format!(
                    "{kind} {}: parentRef Gateway {parent_name} has no status.parents entry from {ISTIO_CONTROLLER} ({why})",
                    route.qualified_name()
                );
                out.push(finding(
                    "route.no_matching_parent",
                    route,
                    Some(parent_name.clone()),
                    message,
                    &[("parent", &parent_name)],
                ));
            }
        }
    }
    out
}

/// Whether the route's status has istio's entry for the parent `ns/name`.
fn written_by_istio(route: &Object, ns: Option<&str>, name: &str) -> bool {
    let route_ns = route.namespace.as_deref();
    route.list_at(&["status", "parents"]).iter().any(|p| {
        let Some(parent_ref) = p.get("parentRef") else {
            return false;
        };
        str_of(p, "controllerName") == Some(ISTIO_CONTROLLER)
            && str_of(parent_ref, "name") == Some(name)
            && str_of(parent_ref, "namespace").or(route_ns) == ns
    })
}

/// `custom.parameters_ref_missing`: `spec.infrastructure.parametersRef`
/// names a ConfigMap the Gateway's namespace does not have (judged only
/// when the bundle lists that namespace's ConfigMaps).
pub fn parameters_ref_missing(facts: &Facts) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for gw in facts.objects.of_kind("Gateway") {
        let Some(reference) = gw.at(&["spec", "infrastructure", "parametersRef"]) else {
            continue;
        };
        let (Some("ConfigMap"), Some(name), Some(ns)) = (
            str_of(reference, "kind"),
            str_of(reference, "name"),
            gw.namespace.as_deref(),
        ) else {
            continue;
        };
        if str_of(reference, "group").is_some_and(|g| !g.is_empty() && g != "core")
            || !facts.objects.listed_in("ConfigMap", ns)
            || facts.objects.get("ConfigMap", Some(ns), name).is_some()
        {
            continue;
        }
        let gateway = gw.qualified_name();
        let configmap = qualified(Some(ns), name);
        let message = format!(
            "Gateway {gateway}: spec.infrastructure.parametersRef names ConfigMap {configmap}, which the bundle's ConfigMaps of namespace {ns} do not include: istiod cannot render the Gateway's Deployment and Service"
        );
        let mut found = finding(
            "custom.parameters_ref_missing",
            gw,
            Some(gateway),
            message,
            &[("configmap", &configmap)],
        );
        // istiod's `parametersRef targeting configmap ...` lines are about it.
        found.concerns = Some(ObjectRef::new("ConfigMap", Some(ns), name));
        out.push(found);
    }
    out
}
