//! Gateway API status conditions as [`Record`]s. This file owns what a
//! condition is ([`Condition`]), which object and which part of it holds it
//! ([`ObjectRef`], [`Holder`]: the object itself, one of its listeners, or one
//! of a route's parents), when a condition is healthy, and how conditions are
//! read out of a JSON or YAML object (`status.conditions`,
//! `status.listeners[].conditions`, `status.parents[].conditions`,
//! `status.ancestors[].conditions`). `kubectl describe` text is turned into the
//! same [`Condition`]s by `describe.rs`, so both paths build identical records.
//! Every condition becomes a record: unhealthy ones at `error` (False) or
//! `warn` (Unknown), healthy ones at `info`, so `True` conditions are visible
//! as hard negatives.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::record::{Field, Format, Level, Record, Source};

/// The Kubernetes object an event or condition concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectRef {
    /// `Gateway`, `HTTPRoute`, `Pod`, ...
    pub kind: Option<String>,
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.namespace`; `None` for cluster-scoped objects.
    pub namespace: Option<String>,
}

/// One status condition, as read from an object or from `kubectl describe`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Condition {
    /// `type`: `Accepted`, `Programmed`, `ResolvedRefs`, `Conflicted`, ...
    pub condition_type: String,
    /// `status`: `True`, `False` or `Unknown`.
    pub status: String,
    /// `reason`, possibly empty.
    pub reason: String,
    /// `message`, possibly empty.
    pub message: String,
    /// `lastTransitionTime` as written (RFC 3339).
    pub last_transition_time: Option<String>,
}

/// Which part of an object a condition belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Holder {
    /// `status.conditions` of the object itself.
    #[default]
    Object,
    /// `status.listeners[].conditions` of a Gateway, with the listener name.
    Listener(Option<String>),
    /// `status.parents[].conditions` of a route (or `status.ancestors[]` of a
    /// policy): the parent as `namespace/name`, and the controller that wrote it.
    Parent {
        parent: Option<String>,
        controller: Option<String>,
    },
}

/// Condition types whose healthy state is `False` (`True` means trouble).
const NEGATIVE_POLARITY: [&str; 2] = ["Conflicted", "PartiallyInvalid"];

/// `true` when a condition of this type and status is the healthy state:
/// `True`, except for `Conflicted` (and `PartiallyInvalid`) where `False` is healthy.
pub fn is_healthy(condition_type: &str, status: &str) -> bool {
    if NEGATIVE_POLARITY.contains(&condition_type) {
        status == "False"
    } else {
        status == "True"
    }
}

/// The record level of a condition: `info` when healthy, `error` when it is in
/// its bad definite state (`False`, or `True` for `Conflicted`), `warn` otherwise
/// (`Unknown` or an unexpected word).
pub fn level(condition_type: &str, status: &str) -> Level {
    if is_healthy(condition_type, status) {
        Level::Info
    } else if status == "True" || status == "False" {
        Level::Error
    } else {
        Level::Warn
    }
}

/// Gateway API kinds whose status conditions are read.
const GATEWAY_API_KINDS: [&str; 13] = [
    "Gateway",
    "GatewayClass",
    "HTTPRoute",
    "GRPCRoute",
    "TCPRoute",
    "TLSRoute",
    "UDPRoute",
    "BackendTLSPolicy",
    "BackendLBPolicy",
    "ReferenceGrant",
    "ListenerSet",
    "XListenerSet",
    "XBackendTrafficPolicy",
];

/// `true` when the object is a Gateway API resource, judged by its group
/// (`gateway.networking.k8s.io/...`, `gateway.networking.x-k8s.io/...`) or,
/// without an apiVersion, by its kind.
pub fn is_gateway_api(api_version: Option<&str>, kind: Option<&str>) -> bool {
    if let Some(av) = api_version
        && av.contains('/')
    {
        return av.starts_with("gateway.networking.k8s.io/")
            || av.starts_with("gateway.networking.x-k8s.io/");
    }
    kind.is_some_and(|k| GATEWAY_API_KINDS.contains(&k))
}

/// Reads an RFC 3339 timestamp as Kubernetes writes it (`2025-08-26T10:00:00Z`,
/// MicroTime `2025-08-26T10:00:00.123456Z`).
pub fn parse_k8s_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Builds the record for one condition.
pub fn record(
    condition: &Condition,
    object: &ObjectRef,
    holder: &Holder,
    format: Format,
    line: u64,
) -> Record {
    let mut fields: Vec<(Field, String)> = Vec::with_capacity(9);
    let mut push = |field: Field, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            fields.push((field, v.to_string()));
        }
    };
    push(Field::ConditionType, Some(&condition.condition_type));
    push(Field::ConditionStatus, Some(&condition.status));
    push(Field::Reason, Some(&condition.reason));
    push(Field::ObjectKind, object.kind.as_deref());
    push(Field::ObjectName, object.name.as_deref());
    push(Field::Namespace, object.namespace.as_deref());
    match holder {
        Holder::Object => {}
        Holder::Listener(name) => push(Field::Listener, name.as_deref()),
        Holder::Parent { parent, controller } => {
            push(Field::Parent, parent.as_deref());
            push(Field::Controller, controller.as_deref());
        }
    }
    Record {
        line,
        ts: condition
            .last_transition_time
            .as_deref()
            .and_then(parse_k8s_time),
        source: Source::Condition,
        format,
        level: Some(level(&condition.condition_type, &condition.status)),
        scope: None,
        message: condition.message.trim().to_string(),
        fields,
    }
}

/// A scalar as text: strings as they are, YAML booleans as `True`/`False`
/// (an unquoted `status: True` reads as a boolean), numbers in decimal.
pub fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".to_string()),
        Value::Bool(false) => Some("False".to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The string at `path` inside `value`, if every step exists.
pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = value;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str()
}

/// Reads one condition object (`{type, status, reason, message, lastTransitionTime}`).
pub fn from_value(value: &Value) -> Option<Condition> {
    let obj = value.as_object()?;
    let condition_type = obj.get("type").and_then(scalar)?;
    Some(Condition {
        condition_type,
        status: obj.get("status").and_then(scalar).unwrap_or_default(),
        reason: obj.get("reason").and_then(scalar).unwrap_or_default(),
        message: obj.get("message").and_then(scalar).unwrap_or_default(),
        last_transition_time: obj.get("lastTransitionTime").and_then(scalar),
    })
}

/// The object a JSON/YAML resource describes (`kind`, `metadata.name`, `metadata.namespace`).
pub fn object_ref(value: &Value) -> ObjectRef {
    ObjectRef {
        kind: str_at(value, &["kind"]).map(str::to_string),
        name: str_at(value, &["metadata", "name"]).map(str::to_string),
        namespace: str_at(value, &["metadata", "namespace"]).map(str::to_string),
    }
}

/// `namespace/name` of a parentRef or ancestorRef, the namespace defaulting to
/// the route's own.
pub fn parent_name(parent_ref: &Value, route_namespace: Option<&str>) -> Option<String> {
    let name = parent_ref.get("name").and_then(scalar)?;
    let namespace = parent_ref
        .get("namespace")
        .and_then(scalar)
        .or_else(|| route_namespace.map(str::to_string));
    Some(match namespace {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name,
    })
}

/// Emits a record for every condition of a Gateway API object (object,
/// listener and parent conditions), each at `line`. Objects of other kinds
/// give nothing. Returns how many records were emitted.
pub fn from_object(value: &Value, line: u64, out: &mut Vec<Record>) -> usize {
    if !is_gateway_api(str_at(value, &["apiVersion"]), str_at(value, &["kind"]))
        && (value.get("kind").is_some() || value.get("apiVersion").is_some())
    {
        return 0;
    }
    let Some(status) = value.get("status").filter(|s| s.is_object()) else {
        return 0;
    };
    let object = object_ref(value);
    let before = out.len();
    let conditions = |v: &Value| -> Vec<Condition> {
        v.get("conditions")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(from_value).collect())
            .unwrap_or_default()
    };
    for c in conditions(status) {
        out.push(record(
            &c,
            &object,
            &Holder::Object,
            Format::ConditionObject,
            line,
        ));
    }
    if let Some(listeners) = status.get("listeners").and_then(Value::as_array) {
        for listener in listeners {
            let holder = Holder::Listener(listener.get("name").and_then(scalar));
            for c in conditions(listener) {
                out.push(record(&c, &object, &holder, Format::ConditionObject, line));
            }
        }
    }
    for (list, reference) in [("parents", "parentRef"), ("ancestors", "ancestorRef")] {
        let Some(parents) = status.get(list).and_then(Value::as_array) else {
            continue;
        };
        for parent in parents {
            let holder = Holder::Parent {
                parent: parent
                    .get(reference)
                    .and_then(|r| parent_name(r, object.namespace.as_deref())),
                controller: parent.get("controllerName").and_then(scalar),
            };
            for c in conditions(parent) {
                out.push(record(&c, &object, &holder, Format::ConditionObject, line));
            }
        }
    }
    out.len() - before
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn polarity_and_levels() {
        assert!(is_healthy("Programmed", "True"));
        assert!(!is_healthy("Programmed", "False"));
        assert!(is_healthy("Conflicted", "False"));
        assert!(!is_healthy("Conflicted", "True"));
        assert_eq!(level("Accepted", "True"), Level::Info);
        assert_eq!(level("Accepted", "False"), Level::Error);
        assert_eq!(level("Accepted", "Unknown"), Level::Warn);
        assert_eq!(level("Conflicted", "True"), Level::Error);
        assert_eq!(level("Conflicted", "False"), Level::Info);
    }

    #[test]
    fn gateway_api_kinds_only() {
        assert!(is_gateway_api(
            Some("gateway.networking.k8s.io/v1"),
            Some("Gateway")
        ));
        assert!(is_gateway_api(None, Some("HTTPRoute")));
        assert!(!is_gateway_api(Some("v1"), Some("Pod")));
        assert!(!is_gateway_api(Some("apps/v1"), Some("Deployment")));
    }

    #[test]
    fn gateway_json_with_listener_and_defaults() {
        let gw = json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "httpbin-gateway", "namespace": "default"},
            "status": {
                "conditions": [
                    {"lastTransitionTime": "2025-08-26T10:00:00Z", "message": "Resource accepted",
                     "observedGeneration": 1, "reason": "Accepted", "status": "True", "type": "Accepted"},
                    {"lastTransitionTime": "2025-08-26T10:00:05Z",
                     "message": "Failed to assign to any requested addresses: no instances found for hostname \"httpbin-gateway-istio.default.svc.cluster.local\"",
                     "observedGeneration": 1, "reason": "AddressNotAssigned", "status": "False", "type": "Programmed"}
                ],
                "listeners": [{
                    "name": "https", "attachedRoutes": 0,
                    "conditions": [
                        {"lastTransitionTime": "2025-08-26T10:00:05Z", "message": "No errors found",
                         "reason": "NoConflicts", "status": "False", "type": "Conflicted"},
                        {"lastTransitionTime": "2025-08-26T10:00:05Z",
                         "message": "invalid certificate reference /Secret/httpbin-credential., secret default/httpbin-credential not found",
                         "reason": "InvalidCertificateRef", "status": "False", "type": "ResolvedRefs"}
                    ]
                }]
            }
        });
        let mut out = Vec::new();
        assert_eq!(from_object(&gw, 7, &mut out), 4);
        assert_eq!(out[0].level, Some(Level::Info));
        assert_eq!(out[1].level, Some(Level::Error));
        assert_eq!(out[1].get(&Field::Reason), Some("AddressNotAssigned"));
        assert_eq!(
            out[1].object().as_deref(),
            Some("Gateway/default/httpbin-gateway")
        );
        assert_eq!(
            out[1].ts.map(|t| t.to_rfc3339()),
            Some("2025-08-26T10:00:05+00:00".to_string())
        );
        assert_eq!(
            out[2].level,
            Some(Level::Info),
            "Conflicted False is healthy"
        );
        assert_eq!(out[3].get(&Field::Listener), Some("https"));
        assert_eq!(out[3].get(&Field::ConditionType), Some("ResolvedRefs"));
        assert_eq!(out[3].line, 7);
        assert_eq!(out[3].source, Source::Condition);
        assert_eq!(out[3].format, Format::ConditionObject);
        assert_eq!(out[3].scope, None);
    }

    #[test]
    fn pod_conditions_are_not_read() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "status": {"conditions": [{"type": "Ready", "status": "False"}]}});
        let mut out = Vec::new();
        assert_eq!(from_object(&pod, 1, &mut out), 0);
        assert!(out.is_empty());
    }

    #[test]
    fn parent_defaults_to_route_namespace() {
        assert_eq!(
            parent_name(&json!({"name": "gw"}), Some("shop")).as_deref(),
            Some("shop/gw")
        );
        assert_eq!(
            parent_name(&json!({"name": "gw", "namespace": "infra"}), Some("shop")).as_deref(),
            Some("infra/gw")
        );
        assert_eq!(scalar(&json!(true)).as_deref(), Some("True"));
    }
}
