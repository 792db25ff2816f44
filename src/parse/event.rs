//! Kubernetes Events as [`Record`]s. This file owns the event record layout
//! shared by every event format ([`EventParts`] → [`record`]), reading one
//! Event object of either API (core/v1 `Event` with `involvedObject`,
//! `message`, `count`, `source`; events.k8s.io/v1 `Event` with `regarding`,
//! `note`, `series`, `reportingController`, `deprecatedCount`), and naming
//! kinds from the lower-case resource words `kubectl` prints (`pod/x` → `Pod`).
//! The `kubectl get events` table and the `kubectl describe` Events section
//! are cut into [`EventParts`] by `event_table.rs` and `describe.rs`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::parse::condition::{parse_k8s_time, scalar, str_at};
use crate::record::{Field, Format, Level, Record, Source};

/// What every event format can tell; each part is optional except the message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventParts {
    /// `Normal` or `Warning`.
    pub event_type: Option<String>,
    /// `Unhealthy`, `SyncLoadBalancerFailed`, ...
    pub reason: Option<String>,
    /// Kind of the involved object (`Pod`, `Service`).
    pub kind: Option<String>,
    /// Name of the involved object.
    pub name: Option<String>,
    /// Namespace of the involved object.
    pub namespace: Option<String>,
    /// How many times the event was seen.
    pub count: Option<u64>,
    /// Reporting component (`kubelet`, `service-controller`).
    pub reporter: Option<String>,
    /// The event message (core/v1 `message`, events.k8s.io/v1 `note`).
    pub message: String,
    /// When it was last seen, when the format says.
    pub ts: Option<DateTime<Utc>>,
}

/// The level of an event type: `warn` for `Warning`, `info` for `Normal` and anything else.
pub fn level(event_type: Option<&str>) -> Level {
    match event_type {
        Some(t) if t.eq_ignore_ascii_case("warning") => Level::Warn,
        _ => Level::Info,
    }
}

/// Builds the record for one event.
pub fn record(parts: EventParts, format: Format, line: u64) -> Record {
    let mut fields: Vec<(Field, String)> = Vec::with_capacity(7);
    let mut push = |field: Field, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            fields.push((field, v));
        }
    };
    let level = level(parts.event_type.as_deref());
    push(Field::EventType, parts.event_type);
    push(Field::Reason, parts.reason);
    push(Field::ObjectKind, parts.kind);
    push(Field::ObjectName, parts.name);
    push(Field::Namespace, parts.namespace);
    push(Field::Count, parts.count.map(|c| c.to_string()));
    push(Field::Reporter, parts.reporter.clone());
    Record {
        line,
        ts: parts.ts,
        source: Source::Event,
        format,
        level: Some(level),
        scope: parts.reporter.filter(|r| !r.is_empty()),
        message: parts.message.trim().to_string(),
        fields,
    }
}

/// The Kind for a lower-case resource word as `kubectl get events` prints it
/// in the OBJECT column (`strings.ToLower(kind)`): `pod` → `Pod`,
/// `horizontalpodautoscaler` → `HorizontalPodAutoscaler`, `httproute` →
/// `HTTPRoute`. Unknown words get their first letter capitalised.
pub fn kind_from_resource(resource: &str) -> String {
    let word = resource.split('.').next().unwrap_or(resource);
    let known = match word.to_ascii_lowercase().as_str() {
        "pod" => "Pod",
        "service" => "Service",
        "replicaset" => "ReplicaSet",
        "deployment" => "Deployment",
        "daemonset" => "DaemonSet",
        "statefulset" => "StatefulSet",
        "job" => "Job",
        "cronjob" => "CronJob",
        "node" => "Node",
        "namespace" => "Namespace",
        "configmap" => "ConfigMap",
        "secret" => "Secret",
        "serviceaccount" => "ServiceAccount",
        "endpoints" => "Endpoints",
        "endpointslice" => "EndpointSlice",
        "horizontalpodautoscaler" => "HorizontalPodAutoscaler",
        "poddisruptionbudget" => "PodDisruptionBudget",
        "persistentvolumeclaim" => "PersistentVolumeClaim",
        "persistentvolume" => "PersistentVolume",
        "ingress" => "Ingress",
        "networkpolicy" => "NetworkPolicy",
        "lease" => "Lease",
        "mutatingwebhookconfiguration" => "MutatingWebhookConfiguration",
        "validatingwebhookconfiguration" => "ValidatingWebhookConfiguration",
        "customresourcedefinition" => "CustomResourceDefinition",
        "gateway" => "Gateway",
        "gatewayclass" => "GatewayClass",
        "httproute" => "HTTPRoute",
        "grpcroute" => "GRPCRoute",
        "tcproute" => "TCPRoute",
        "tlsroute" => "TLSRoute",
        "udproute" => "UDPRoute",
        "referencegrant" => "ReferenceGrant",
        "backendtlspolicy" => "BackendTLSPolicy",
        "virtualservice" => "VirtualService",
        "destinationrule" => "DestinationRule",
        "serviceentry" => "ServiceEntry",
        "peerauthentication" => "PeerAuthentication",
        "authorizationpolicy" => "AuthorizationPolicy",
        "certificate" => "Certificate",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `true` for an object that is an Event of either API: `kind: Event`, or the
/// `involvedObject` (core/v1) or `regarding` (events.k8s.io/v1) key.
pub fn is_event(value: &Value) -> bool {
    let Some(obj) = value.as_object() else {
        return false;
    };
    obj.get("kind").and_then(Value::as_str) == Some("Event")
        || obj.get("involvedObject").is_some_and(Value::is_object)
        || (obj.get("regarding").is_some_and(Value::is_object)
            && (obj.contains_key("note") || obj.contains_key("reason")))
}

/// A non-negative count, from a number or a numeric string.
fn count_at(value: &Value, path: &[&str]) -> Option<u64> {
    let mut v = value;
    for key in path {
        v = v.get(key)?;
    }
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|&c| c > 0)
}

/// The first of the timestamps at these paths that parses.
fn first_time(value: &Value, paths: &[&[&str]]) -> Option<DateTime<Utc>> {
    paths
        .iter()
        .find_map(|p| str_at(value, p).and_then(parse_k8s_time))
}

/// Reads one Event object of either API into a record at `line`; `None`
/// when the value is not an Event.
///
/// The time is the latest observation: `series.lastObservedTime` (as kubectl
/// prints it), else `lastTimestamp` / `deprecatedLastTimestamp`, else
/// `eventTime`, else `firstTimestamp` / `deprecatedFirstTimestamp`. The count
/// is `series.count`, else `count` / `deprecatedCount`, else 1 (a singleton
/// of the new API carries no count).
pub fn from_json(value: &Value, line: u64) -> Option<Record> {
    if !is_event(value) {
        return None;
    }
    let api_version = str_at(value, &["apiVersion"]).unwrap_or("");
    let v1 = api_version.starts_with("events.k8s.io/")
        || (value.get("involvedObject").is_none() && value.get("regarding").is_some());
    let object = if v1 {
        value.get("regarding")
    } else {
        value.get("involvedObject")
    };
    let object_str = |key: &str| {
        object
            .and_then(|o| o.get(key))
            .and_then(scalar)
            .filter(|s| !s.is_empty())
    };
    let text = |key: &str| value.get(key).and_then(scalar).filter(|s| !s.is_empty());
    let message = if v1 {
        text("note").or_else(|| text("message"))
    } else {
        text("message").or_else(|| text("note"))
    }
    .unwrap_or_default();
    let reporter = if v1 {
        text("reportingController")
            .or_else(|| str_at(value, &["deprecatedSource", "component"]).map(str::to_string))
    } else {
        str_at(value, &["source", "component"])
            .map(str::to_string)
            .or_else(|| text("reportingComponent"))
            .or_else(|| text("reportingController"))
    }
    .filter(|s| !s.is_empty());
    let count = count_at(value, &["series", "count"])
        .or_else(|| count_at(value, &["count"]))
        .or_else(|| count_at(value, &["deprecatedCount"]))
        .unwrap_or(1);
    let ts = first_time(
        value,
        &[
            &["series", "lastObservedTime"],
            &["lastTimestamp"],
            &["deprecatedLastTimestamp"],
            &["eventTime"],
            &["firstTimestamp"],
            &["deprecatedFirstTimestamp"],
        ],
    );
    let parts = EventParts {
        event_type: text("type"),
        reason: text("reason"),
        kind: object_str("kind"),
        name: object_str("name"),
        namespace: object_str("namespace").or_else(|| {
            str_at(value, &["metadata", "namespace"])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        }),
        count: Some(count),
        reporter,
        message,
        ts,
    };
    let format = if v1 {
        Format::EventV1Json
    } else {
        Format::EventJson
    };
    Some(record(parts, format, line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn core_v1_event() {
        let ev = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "httpbin-gateway-istio.17f1c2d3e4a5b6c7", "namespace": "default"},
            "involvedObject": {"apiVersion": "v1", "kind": "Service", "name": "httpbin-gateway-istio", "namespace": "default"},
            "reason": "SyncLoadBalancerFailed",
            "message": "Error syncing load balancer: failed to ensure load balancer: Code=\"PublicIPCountLimitReached\"",
            "source": {"component": "service-controller"},
            "firstTimestamp": "2025-08-26T10:00:00Z",
            "lastTimestamp": "2025-08-26T10:05:00Z",
            "count": 6,
            "type": "Warning"
        });
        let r = from_json(&ev, 4).unwrap();
        assert_eq!(r.format, Format::EventJson);
        assert_eq!(r.source, Source::Event);
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.scope.as_deref(), Some("service-controller"));
        assert_eq!(r.get(&Field::Reason), Some("SyncLoadBalancerFailed"));
        assert_eq!(r.get(&Field::Count), Some("6"));
        assert_eq!(
            r.object().as_deref(),
            Some("Service/default/httpbin-gateway-istio")
        );
        assert_eq!(
            r.ts.map(|t| t.to_rfc3339()).as_deref(),
            Some("2025-08-26T10:05:00+00:00")
        );
        assert!(r.message.starts_with("Error syncing load balancer: "));
        assert_eq!(r.line, 4);
    }

    #[test]
    fn events_k8s_io_v1_event() {
        let ev = json!({
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "x.1", "namespace": "aks-istio-ingress"},
            "regarding": {"kind": "Pod", "name": "httpbin-gateway-istio-6d9f7c8b5d-x2kqz", "namespace": "aks-istio-ingress"},
            "reason": "Unhealthy",
            "note": "Readiness probe failed: HTTP probe failed with statuscode: 503",
            "reportingController": "kubelet",
            "reportingInstance": "aks-nodepool1-12345678-vmss000000",
            "eventTime": "2025-08-26T10:00:00.123456Z",
            "series": {"count": 12, "lastObservedTime": "2025-08-26T10:04:30.000000Z"},
            "deprecatedCount": 3,
            "type": "Warning"
        });
        let r = from_json(&ev, 1).unwrap();
        assert_eq!(r.format, Format::EventV1Json);
        assert_eq!(
            r.message,
            "Readiness probe failed: HTTP probe failed with statuscode: 503"
        );
        assert_eq!(r.get(&Field::Count), Some("12"));
        assert_eq!(r.get(&Field::Reporter), Some("kubelet"));
        assert_eq!(r.get(&Field::ObjectKind), Some("Pod"));
        assert_eq!(r.get(&Field::Namespace), Some("aks-istio-ingress"));
        assert_eq!(
            r.ts.map(|t| t.to_rfc3339()).as_deref(),
            Some("2025-08-26T10:04:30+00:00")
        );
    }

    #[test]
    fn normal_singleton_counts_one() {
        let ev = json!({"kind": "Event", "involvedObject": {"kind": "Service", "name": "s"},
            "reason": "EnsuringLoadBalancer", "message": "Ensuring load balancer", "type": "Normal",
            "eventTime": "2025-08-26T10:00:00.000001Z"});
        let r = from_json(&ev, 1).unwrap();
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.get(&Field::Count), Some("1"));
        assert_eq!(r.get(&Field::Reporter), None);
        assert_eq!(r.scope, None);
        assert!(r.ts.is_some());
    }

    #[test]
    fn not_an_event() {
        assert!(from_json(&json!({"kind": "Pod", "metadata": {}}), 1).is_none());
        assert!(from_json(&json!({"level": "info", "msg": "x"}), 1).is_none());
    }

    #[test]
    fn kinds_from_resource_words() {
        assert_eq!(kind_from_resource("pod"), "Pod");
        assert_eq!(kind_from_resource("replicaset"), "ReplicaSet");
        assert_eq!(
            kind_from_resource("horizontalpodautoscaler"),
            "HorizontalPodAutoscaler"
        );
        assert_eq!(kind_from_resource("httproute"), "HTTPRoute");
        assert_eq!(kind_from_resource("configmap"), "ConfigMap");
        assert_eq!(kind_from_resource("widget"), "Widget");
        assert_eq!(kind_from_resource(""), "");
    }
}
