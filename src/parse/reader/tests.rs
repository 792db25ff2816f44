//! Tests of input sniffing, JSON/YAML documents and the line reader
//! (CRI joins, CRLF, tables, describe text, single-line objects).

use super::*;
use crate::record::{Format, Level, Source};

fn lines(text: &str) -> (Vec<Record>, Vec<Problem>) {
    let mut problems = Vec::new();
    let out = parse_document(text, InputKind::Lines, &mut problems);
    (out, problems)
}

fn doc(text: &str, kind: InputKind) -> (Vec<Record>, Vec<Problem>) {
    let mut problems = Vec::new();
    let out = parse_document(text, kind, &mut problems);
    (out, problems)
}

#[test]
fn sniffing() {
    assert_eq!(sniff("{\n  \"apiVersion\": \"v1\",\n"), InputKind::Json);
    assert_eq!(
        sniff("\n\n[\n  {\"kind\": \"Event\"}\n]\n"),
        InputKind::Json
    );
    assert_eq!(
        sniff(
            "{\"level\":\"info\",\"time\":\"2025-08-26T10:00:00.101234Z\",\"msg\":\"x\"}\n{\"level\":"
        ),
        InputKind::Lines
    );
    assert_eq!(
        sniff(
            "[2025-08-26 10:00:00.123][15][warning][config] [source/x.cc:1] gRPC config stream closed\n"
        ),
        InputKind::Lines
    );
    assert_eq!(
        sniff("{\"level\":\"info\",\"msg\":\"no newline yet"),
        InputKind::Lines
    );
    assert_eq!(
        sniff("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"),
        InputKind::Yaml
    );
    assert_eq!(
        sniff("# kubectl get gtw -o yaml\n\nitems:\n"),
        InputKind::Yaml
    );
    assert_eq!(sniff("---\napiVersion: v1\n"), InputKind::Yaml);
    assert_eq!(sniff("status:\n  conditions: []\n"), InputKind::Yaml);
    assert_eq!(
        sniff("2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling\n"),
        InputKind::Lines
    );
    assert_eq!(
        sniff("LAST SEEN   TYPE   REASON   OBJECT   MESSAGE\n"),
        InputKind::Lines
    );
    assert_eq!(sniff(""), InputKind::Lines);
}

const EVENT_LIST: &str = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "count": 1,
            "eventTime": null,
            "firstTimestamp": "2025-08-26T10:00:00Z",
            "involvedObject": {
                "apiVersion": "v1",
                "kind": "Service",
                "name": "httpbin-gateway-istio",
                "namespace": "default",
                "resourceVersion": "4321",
                "uid": "5b1f0d7e-2a3b-4c5d-9e8f-0a1b2c3d4e5f"
            },
            "kind": "Event",
            "lastTimestamp": "2025-08-26T10:00:00Z",
            "message": "Ensuring load balancer",
            "metadata": {
                "name": "httpbin-gateway-istio.17f1c2d3e4a5b6c7",
                "namespace": "default"
            },
            "reason": "EnsuringLoadBalancer",
            "reportingComponent": "service-controller",
            "reportingInstance": "",
            "source": {
                "component": "service-controller"
            },
            "type": "Normal"
        },
        {
            "apiVersion": "v1",
            "count": 12,
            "firstTimestamp": "2025-08-26T10:00:30Z",
            "involvedObject": {
                "apiVersion": "v1",
                "fieldPath": "spec.containers{istio-proxy}",
                "kind": "Pod",
                "name": "httpbin-gateway-istio-6d9f7c8b5d-x2kqz",
                "namespace": "default"
            },
            "kind": "Event",
            "lastTimestamp": "2025-08-26T10:05:30Z",
            "message": "Readiness probe failed: HTTP probe failed with statuscode: 503",
            "metadata": {
                "name": "httpbin-gateway-istio-6d9f7c8b5d-x2kqz.17f1c2d3e4a5b6c8",
                "namespace": "default"
            },
            "reason": "Unhealthy",
            "source": {
                "component": "kubelet",
                "host": "aks-nodepool1-12345678-vmss000000"
            },
            "type": "Warning"
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
"#;

#[test]
fn core_v1_event_list_json() {
    let (out, problems) = doc(EVENT_LIST, InputKind::Json);
    assert!(problems.is_empty());
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].line, 4);
    assert_eq!(out[0].format, Format::EventJson);
    assert_eq!(out[0].level, Some(Level::Info));
    assert_eq!(out[0].get(&Field::Reason), Some("EnsuringLoadBalancer"));
    assert_eq!(out[1].line, 32);
    assert_eq!(out[1].level, Some(Level::Warn));
    assert_eq!(out[1].get(&Field::Count), Some("12"));
    assert_eq!(out[1].get(&Field::Reporter), Some("kubelet"));
    assert_eq!(
        out[1].object().as_deref(),
        Some("Pod/default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz")
    );
    assert_eq!(
        out[1].ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("2025-08-26T10:05:30+00:00")
    );
}

#[test]
fn events_k8s_io_v1_list_json() {
    let text = r#"{
  "apiVersion": "events.k8s.io/v1",
  "kind": "EventList",
  "items": [
    {
      "apiVersion": "events.k8s.io/v1",
      "kind": "Event",
      "metadata": {"name": "httpbin-gateway-istio.17f1", "namespace": "default"},
      "eventTime": null,
      "reason": "SyncLoadBalancerFailed",
      "note": "Error syncing load balancer: failed to ensure load balancer: Code=\"PublicIPCountLimitReached\"",
      "regarding": {"kind": "Service", "name": "httpbin-gateway-istio", "namespace": "default"},
      "reportingController": "service-controller",
      "deprecatedCount": 5,
      "deprecatedFirstTimestamp": "2025-08-26T10:00:00Z",
      "deprecatedLastTimestamp": "2025-08-26T10:04:00Z",
      "deprecatedSource": {"component": "service-controller"},
      "type": "Warning"
    }
  ]
}"#;
    let (out, problems) = doc(text, InputKind::Json);
    assert!(problems.is_empty());
    assert_eq!(out.len(), 1);
    let r = &out[0];
    assert_eq!(r.format, Format::EventV1Json);
    assert_eq!(r.line, 5);
    assert_eq!(r.get(&Field::Count), Some("5"));
    assert_eq!(r.scope.as_deref(), Some("service-controller"));
    assert!(r.message.contains("PublicIPCountLimitReached"));
    assert_eq!(
        r.ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("2025-08-26T10:04:00+00:00")
    );
}

#[test]
fn json_list_of_gateway_route_and_service() {
    let text = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "gateway.networking.k8s.io/v1",
      "kind": "Gateway",
      "metadata": {"name": "httpbin-gateway", "namespace": "default"},
      "status": {"conditions": [
        {"lastTransitionTime": "2025-08-26T10:00:00Z", "message": "Resource accepted", "reason": "Accepted", "status": "True", "type": "Accepted"},
        {"lastTransitionTime": "2025-08-26T10:00:00Z", "message": "Assigned to service(s) httpbin-gateway-istio.default.svc.cluster.local:80, but failed to assign to all requested addresses: address pending for hostname \"httpbin-gateway-istio.default.svc.cluster.local\"", "reason": "AddressNotAssigned", "status": "False", "type": "Programmed"}
      ]}
    },
    {
      "apiVersion": "v1",
      "kind": "Service",
      "metadata": {"name": "httpbin-gateway-istio", "namespace": "default"},
      "status": {"loadBalancer": {}}
    },
    {
      "apiVersion": "gateway.networking.k8s.io/v1",
      "kind": "HTTPRoute",
      "metadata": {"name": "httpbin", "namespace": "shop"},
      "status": {"parents": [{
        "controllerName": "istio.io/gateway-controller",
        "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "httpbin-gateway", "namespace": "default"},
        "conditions": [{"lastTransitionTime": "2025-08-26T10:05:00Z", "message": "hostnames matched parent hostname \"\", but namespace \"shop\" is not allowed by the parent", "reason": "NotAllowedByListeners", "status": "False", "type": "Accepted"}]
      }]}
    }
  ]
}"#;
    let (out, problems) = doc(text, InputKind::Json);
    assert!(problems.is_empty());
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|r| r.source == Source::Condition));
    assert_eq!(out[0].line, 5);
    assert_eq!(out[1].get(&Field::Reason), Some("AddressNotAssigned"));
    assert_eq!(out[1].level, Some(Level::Error));
    assert_eq!(out[2].line, 20);
    assert_eq!(out[2].get(&Field::Parent), Some("default/httpbin-gateway"));
    assert_eq!(out[2].get(&Field::Namespace), Some("shop"));
}

#[test]
fn truncated_json_document_is_reported_and_the_rest_read() {
    // `kubectl get events -w -o json` output cut short, then a full object.
    let text = r#"{
    "apiVersion": "v1",
    "kind": "Event",
    "involvedObject": {"kind": "Pod", "name": "a", "namespace": "default"},
    "reason": "Unhealthy",
{
    "apiVersion": "v1",
    "kind": "Event",
    "involvedObject": {"kind": "Pod", "name": "b", "namespace": "default"},
    "reason": "BackOff",
    "message": "Back-off restarting failed container istio-proxy in pod b_default",
    "type": "Warning"
}
{
    "apiVersion": "v1",
    "kind": "Event",
    "reason": "Killing"
"#;
    let (out, problems) = doc(text, InputKind::Json);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].line, 6);
    assert_eq!(out[0].get(&Field::ObjectName), Some("b"));
    assert_eq!(problems.len(), 2);
    assert_eq!(problems[0].line, 6);
    assert_eq!(
        problems[0].message,
        "truncated JSON at line 6, column 1: the document that starts at line 1 is not closed before a new one begins (key must be a string); expected `}` or `]` to close it"
    );
    assert_eq!(problems[1].line, 18);
    assert_eq!(
        problems[1].message,
        "truncated JSON at line 18, column 1: EOF while parsing an object; expected the rest of the document that starts at line 14"
    );
}

#[test]
fn watch_event_wrappers_and_top_level_arrays() {
    let text = "[\n  {\"type\": \"ADDED\", \"object\": {\"kind\": \"Event\", \"involvedObject\": {\"kind\": \"Pod\", \"name\": \"a\"}, \"reason\": \"Pulled\", \"message\": \"ok\", \"type\": \"Normal\"}},\n  {\"kind\": \"Event\", \"involvedObject\": {\"kind\": \"Node\", \"name\": \"n\"}, \"reason\": \"NodeNotReady\", \"type\": \"Warning\", \"message\": \"Node is not ready\"}\n]\n";
    let (out, problems) = doc(text, InputKind::Json);
    assert!(problems.is_empty());
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].line, out[1].line), (2, 3));
    assert_eq!(out[0].get(&Field::Reason), Some("Pulled"));
    assert_eq!(out[1].get(&Field::ObjectKind), Some("Node"));
}

const WAITING_GATEWAY: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web-gw
  namespace: apps
spec:
  gatewayClassName: approuting-istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
status:
  conditions:
  - lastTransitionTime: "1970-01-01T00:00:00Z"
    message: Waiting for controller
    reason: Pending
    status: Unknown
    type: Accepted
  - lastTransitionTime: "1970-01-01T00:00:00Z"
    message: Waiting for controller
    reason: Pending
    status: Unknown
    type: Programmed
"#;

#[test]
fn gateway_yaml_waiting_for_controller() {
    let (out, problems) = doc(WAITING_GATEWAY, InputKind::Yaml);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(out.len(), 2);
    for (r, ty) in out.iter().zip(["Accepted", "Programmed"]) {
        assert_eq!(r.source, Source::Condition);
        assert_eq!(r.format, Format::ConditionObject);
        assert_eq!(r.get(&Field::ConditionType), Some(ty));
        assert_eq!(r.get(&Field::ConditionStatus), Some("Unknown"));
        assert_eq!(r.get(&Field::Reason), Some("Pending"));
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.message, "Waiting for controller");
        assert_eq!(r.object().as_deref(), Some("Gateway/apps/web-gw"));
        assert_eq!(r.line, 1);
        assert_eq!(
            r.ts.map(|t| t.to_rfc3339()).as_deref(),
            Some("1970-01-01T00:00:00+00:00")
        );
    }
}

const BACKEND_ROUTE: &str = r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: httpbin
  namespace: default
spec:
  parentRefs:
  - name: httpbin-gateway
  rules:
  - backendRefs:
    - name: nonexistent
      port: 8000
status:
  parents:
  - conditions:
    - lastTransitionTime: "2025-08-26T10:05:00Z"
      message: Route was valid
      observedGeneration: 1
      reason: Accepted
      status: "True"
      type: Accepted
    - lastTransitionTime: "2025-08-26T10:05:00Z"
      message: backend(nonexistent.default.svc.cluster.local) not found
      observedGeneration: 1
      reason: BackendNotFound
      status: "False"
      type: ResolvedRefs
    controllerName: istio.io/gateway-controller
    parentRef:
      group: gateway.networking.k8s.io
      kind: Gateway
      name: httpbin-gateway
"#;

#[test]
fn httproute_yaml_backend_not_found() {
    let (out, problems) = doc(BACKEND_ROUTE, InputKind::Yaml);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].level, Some(Level::Info));
    let r = &out[1];
    assert_eq!(r.get(&Field::ConditionType), Some("ResolvedRefs"));
    assert_eq!(r.get(&Field::ConditionStatus), Some("False"));
    assert_eq!(r.get(&Field::Reason), Some("BackendNotFound"));
    assert_eq!(r.level, Some(Level::Error));
    assert_eq!(
        r.message,
        "backend(nonexistent.default.svc.cluster.local) not found"
    );
    assert_eq!(r.get(&Field::Parent), Some("default/httpbin-gateway"));
    assert_eq!(
        r.get(&Field::Controller),
        Some("istio.io/gateway-controller")
    );
    assert_eq!(r.get(&Field::ObjectKind), Some("HTTPRoute"));
}

#[test]
fn multi_document_yaml_with_a_broken_document() {
    let text = format!(
        "{WAITING_GATEWAY}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [a, b\n---\n# the route\n{BACKEND_ROUTE}---\napiVersion: v1\nkind: Event\ninvolvedObject:\n  kind: Service\n  name: httpbin-gateway-istio\n  namespace: default\nreason: SyncLoadBalancerFailed\nmessage: 'Error syncing load balancer: failed to ensure load balancer: Code=\"AllocationFailed\"'\ntype: Warning\nlastTimestamp: \"2025-08-26T10:06:00Z\"\n...\n"
    );
    let (out, problems) = doc(&text, InputKind::Yaml);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 29);
    assert_eq!(
        problems[0].message,
        "invalid YAML in the document that starts at line 25: unclosed bracket '[' at line 29, column 11; the document was skipped"
    );
    assert_eq!(out.len(), 5);
    assert_eq!(out[0].line, 1);
    assert_eq!(out[2].line, 32);
    assert_eq!(out[2].get(&Field::ObjectKind), Some("HTTPRoute"));
    let ev = &out[4];
    assert_eq!(ev.source, Source::Event);
    assert_eq!(ev.line, 65);
    assert_eq!(ev.get(&Field::Reason), Some("SyncLoadBalancerFailed"));
    assert!(ev.message.ends_with("Code=\"AllocationFailed\""));
}

#[test]
fn yaml_list_items_get_their_own_lines() {
    let text = "apiVersion: v1\nitems:\n- apiVersion: gateway.networking.k8s.io/v1\n  kind: GatewayClass\n  metadata:\n    name: istio\n  status:\n    conditions:\n    - message: Handled by Istio controller\n      reason: Accepted\n      status: True\n      type: Accepted\n- apiVersion: events.k8s.io/v1\n  kind: Event\n  regarding:\n    kind: Pod\n    name: web-0\n    namespace: default\n  note: 'Startup probe failed: Get \"http://10.244.1.12:15021/healthz/ready\": dial tcp 10.244.1.12:15021: connect: connection refused'\n  reason: Unhealthy\n  reportingController: kubelet\n  type: Warning\nkind: List\n";
    let (out, problems) = doc(text, InputKind::Yaml);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].line, 3);
    assert_eq!(out[0].get(&Field::ConditionStatus), Some("True"));
    assert_eq!(out[0].level, Some(Level::Info));
    assert_eq!(out[0].get(&Field::Namespace), None);
    assert_eq!(out[1].line, 13);
    assert_eq!(out[1].format, Format::EventV1Json);
    assert_eq!(out[1].get(&Field::Count), Some("1"));
    assert!(out[1].message.starts_with("Startup probe failed: Get"));
}

#[test]
fn event_table_in_a_line_stream() {
    let text = "LAST SEEN   TYPE      REASON                   OBJECT                                       MESSAGE\n\
2m          Normal    EnsuringLoadBalancer     service/httpbin-gateway-istio                Ensuring load balancer\n\
2m          Warning   SyncLoadBalancerFailed   service/httpbin-gateway-istio                Error syncing load balancer: failed to ensure load balancer: Code=\"AllocationFailed\"\n\
90s         Warning   Unhealthy                pod/httpbin-gateway-istio-6d9f7c8b5d-x2kqz   Readiness probe failed: HTTP probe failed with statuscode: 503\n\
2m          Warning\n\
\n\
plain text after the table";
    let (out, problems) = lines(text);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 5);
    let events: Vec<&Record> = out.iter().filter(|r| r.source == Source::Event).collect();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].line, 2);
    assert_eq!(
        events[1].get(&Field::Reason),
        Some("SyncLoadBalancerFailed")
    );
    assert_eq!(events[1].get(&Field::ObjectKind), Some("Service"));
    assert_eq!(events[2].get(&Field::ObjectKind), Some("Pod"));
    assert_eq!(events[2].format, Format::EventTable);
    let last = out.last().unwrap();
    assert_eq!(last.line, 7);
    assert_eq!(last.message, "plain text after the table");
    assert!(out.iter().any(|r| r.line == 5 && r.source == Source::Text));
}

#[test]
fn describe_then_log_lines() {
    let text = "Name:         httpbin-gateway\nNamespace:    default\nAPI Version:  gateway.networking.k8s.io/v1\nKind:         Gateway\nStatus:\n  Conditions:\n    Last Transition Time:  2025-08-26T10:00:00Z\n    Message:               Failed to assign to any requested addresses: no instances found for hostname \"httpbin-gateway-istio.default.svc.cluster.local\"\n    Observed Generation:   1\n    Reason:                AddressNotAssigned\n    Status:                False\n    Type:                  Programmed\nEvents:  <none>\n\nsomething else";
    let mut reader = Reader::new();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut idle = Vec::new();
    for (i, l) in text.lines().enumerate() {
        reader.push_line(l, i as u64 + 1, &mut out, &mut problems);
        idle.push(reader.is_idle());
    }
    reader.finish(&mut out, &mut problems);
    assert!(!idle[0] && !idle[12], "describe text keeps the reader busy");
    assert!(idle[13] && idle[14], "a blank line ends it");
    let conds: Vec<&Record> = out
        .iter()
        .filter(|r| r.source == Source::Condition)
        .collect();
    assert_eq!(conds.len(), 1);
    assert_eq!(conds[0].line, 7);
    assert_eq!(conds[0].get(&Field::Reason), Some("AddressNotAssigned"));
    assert_eq!(
        conds[0].object().as_deref(),
        Some("Gateway/default/httpbin-gateway")
    );
    assert_eq!(out.last().unwrap().message, "something else");
    assert!(out.windows(2).all(|w| w[0].line <= w[1].line));
}

#[test]
fn cri_partial_lines_are_joined() {
    let mut reader = Reader::new();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let input = [
        "2025-08-26T10:00:00.100000000Z stdout P 2025-08-26T10:00:00.099000Z\twarn\tEnvoy proxy is NOT ready: config not ",
        "2025-08-26T10:00:00.150000000Z stderr F an unrelated stderr line",
        "2025-08-26T10:00:00.200000000Z stdout P received from XDS server ",
        "2025-08-26T10:00:00.300000000Z stdout F (is Istiod running?)",
    ];
    for (i, l) in input.iter().enumerate() {
        reader.push_line(l, i as u64 + 1, &mut out, &mut problems);
        if i == 0 {
            assert!(!reader.is_idle());
            assert!(out.is_empty());
        }
    }
    assert!(reader.is_idle());
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].line, 2);
    assert_eq!(out[0].get(&Field::Stream), Some("stderr"));
    let joined = &out[1];
    assert_eq!(joined.line, 1);
    assert!(joined.message.contains(
        "Envoy proxy is NOT ready: config not received from XDS server (is Istiod running?)"
    ));
    assert_eq!(joined.get(&Field::Stream), Some("stdout"));
    assert!(joined.ts.is_some());
}

#[test]
fn cri_partial_left_open_is_flushed_at_the_end() {
    let mut reader = Reader::new();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    reader.push_line(
        "2025-08-26T10:00:00Z stdout P half a line",
        3,
        &mut out,
        &mut problems,
    );
    assert!(out.is_empty());
    reader.finish(&mut out, &mut problems);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].line, 3);
    assert_eq!(out[0].message, "half a line");
    assert_eq!(
        out[0].ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("2025-08-26T10:00:00+00:00")
    );
}

#[test]
fn crlf_lines() {
    let text = "LAST SEEN   TYPE      REASON      OBJECT        MESSAGE\r\n5m          Warning   BackOff     pod/web-0     Back-off restarting failed container\r\n\r\nName:         web-0\r\nNamespace:    default\r\nKind:         HTTPRoute\r\nStatus:\r\n  Parents:\r\n    Conditions:\r\n      Message:  backend(web.default.svc.cluster.local) not found\r\n      Reason:   BackendNotFound\r\n      Status:   False\r\n      Type:     ResolvedRefs\r\n    Controller Name:  istio.io/gateway-controller\r\n    Parent Ref:\r\n      Name:  gw\r\n";
    let (out, problems) = lines(text);
    assert!(problems.is_empty(), "{problems:?}");
    let ev = out.iter().find(|r| r.source == Source::Event).unwrap();
    assert_eq!(ev.message, "Back-off restarting failed container");
    assert_eq!(ev.get(&Field::ObjectName), Some("web-0"));
    let c = out.iter().find(|r| r.source == Source::Condition).unwrap();
    assert_eq!(c.get(&Field::Reason), Some("BackendNotFound"));
    assert_eq!(c.get(&Field::Parent), Some("default/gw"));
    assert_eq!(c.line, 10);
    assert!(out.iter().all(|r| !r.message.ends_with('\r')));
}

#[test]
fn single_line_kubernetes_json() {
    let text = concat!(
        r#"{"apiVersion":"v1","count":3,"involvedObject":{"kind":"Pod","name":"web-0","namespace":"default"},"kind":"Event","message":"Back-off pulling image \"auto\"","reason":"BackOff","source":{"component":"kubelet"},"type":"Normal"}"#,
        "\n",
        r#"{"type":"MODIFIED","object":{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"default"},"status":{"conditions":[{"type":"Programmed","status":"False","reason":"AddressNotAssigned","message":"Failed to assign to any requested addresses: address pending for hostname \"gw-istio.default.svc.cluster.local\"","lastTransitionTime":"2025-08-26T10:00:00Z"}]}}}"#,
        "\n",
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"status":{"conditions":[{"type":"Ready","status":"False"}]}}"#,
        "\n"
    );
    let (out, problems) = lines(text);
    assert!(problems.is_empty());
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].source, Source::Event);
    assert_eq!(out[0].format, Format::EventJson);
    assert_eq!(out[0].get(&Field::Count), Some("3"));
    assert_eq!(out[1].source, Source::Condition);
    assert_eq!(out[1].line, 2);
    assert_eq!(out[1].get(&Field::Reason), Some("AddressNotAssigned"));
    assert_eq!(out[2].source, Source::Text);
    assert_eq!(out[2].line, 3);
}

#[test]
fn wants_lines_that_open_structure() {
    let mut reader = Reader::new();
    assert!(reader.wants("LAST SEEN   TYPE   REASON   OBJECT   MESSAGE"));
    assert!(reader.wants("NAMESPACE   LAST SEEN   TYPE   REASON   OBJECT   MESSAGE"));
    assert!(reader.wants("Name:         httpbin-gateway\r"));
    assert!(reader.wants(r#"{"kind":"Event","involvedObject":{}}"#));
    assert!(!reader.wants("2025-08-26T10:00:00.101234Z\tinfo\tads\tPush debounce stable"));
    let mut out = Vec::new();
    let mut problems = Vec::new();
    reader.push_line("Events:", 1, &mut out, &mut problems);
    assert!(!reader.is_idle());
    assert!(reader.wants("anything"));
}

#[test]
fn journal_lines_are_read_as_their_body() {
    use chrono::{Datelike, Timelike};
    let text = concat!(
        "-- Logs begin at Tue 2025-08-26 09:58:02 UTC, end at Tue 2025-08-26 10:05:00 UTC. --\n",
        r#"Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]: E0826 10:00:31.123456    1234 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \"StartContainer\" for \"istio-proxy\" with CrashLoopBackOff: \"back-off 5m0s restarting failed container=istio-proxy pod=httpbin-gateway-istio-6d9f7c8b5d-x2kqz_default(0d2a6b1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d)\"" pod="default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz""#,
        "\n",
        "Aug 26 10:00:40 aks-nodepool1-12345678-vmss000000 systemd[1]: kubelet.service: Main process exited, code=exited, status=255/EXCEPTION\n",
        "Aug 26 10:00:41 aks-nodepool1-12345678-vmss000000 kubelet: I0826 10:00:41.000001    5678 server.go:487] \"Kubelet version\" kubeletVersion=\"v1.31.8\"\n",
    );
    let (out, problems) = lines(text);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(out.len(), 4);
    assert_eq!(out[0].source, Source::Text);
    assert_eq!(out[0].get_named("host"), None);

    let klog = &out[1];
    assert_eq!(klog.format, Format::Klog);
    assert_eq!(klog.level, Some(Level::Error));
    assert_eq!(klog.scope.as_deref(), Some("pod_workers.go"));
    assert_eq!(klog.get(&Field::Thread), Some("1234"));
    assert!(klog.message.starts_with("\"Error syncing pod, skipping\""));
    // klog's own time (with the fraction) wins over the journal's.
    let ts = klog.ts.unwrap();
    assert_eq!(
        (ts.month(), ts.day(), ts.hour(), ts.second()),
        (8, 26, 10, 31)
    );
    assert_eq!(ts.nanosecond(), 123_456_000);
    assert_eq!(
        klog.get_named("host"),
        Some("aks-nodepool1-12345678-vmss000000")
    );
    assert_eq!(klog.get_named("ident"), Some("kubelet"));

    // A plain body takes the journal time.
    let systemd = &out[2];
    assert_eq!(systemd.source, Source::Text);
    assert!(
        systemd
            .message
            .starts_with("kubelet.service: Main process exited")
    );
    let ts = systemd.ts.unwrap();
    assert_eq!(
        (ts.month(), ts.day(), ts.minute(), ts.second()),
        (8, 26, 0, 40)
    );
    assert_eq!(systemd.get_named("ident"), Some("systemd"));

    assert_eq!(out[3].format, Format::Klog);
    assert_eq!(out[3].level, Some(Level::Info));
    assert_eq!(out[3].get_named("ident"), Some("kubelet"));
}

#[test]
fn journal_short_iso_gives_klog_its_year() {
    let text = "2024-12-31T23:59:59+0000 aks-nodepool1-12345678-vmss000000 kubelet[1234]: E1231 23:59:59.500000    1234 kuberuntime_manager.go:1274] \"Unhandled Error\" err=\"ErrImagePull\"\n2024-12-31T23:59:59.250000+0000 aks-nodepool1-12345678-vmss000000 containerd[900]: time=\"2024-12-31T23:59:59Z\" level=error msg=\"PullImage failed\"\n";
    let (out, problems) = lines(text);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(out[0].format, Format::Klog);
    assert_eq!(
        out[0].ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-12-31T23:59:59.500+00:00")
    );
    assert_eq!(out[1].source, Source::Text);
    assert_eq!(out[1].get_named("ident"), Some("containerd"));
    assert_eq!(
        out[1].ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("2024-12-31T23:59:59.250+00:00")
    );
}

#[test]
fn wants_looks_past_a_journal_prefix() {
    let reader = Reader::new();
    assert!(reader.wants("Aug 26 10:00:31 node kubelet[1]: LAST SEEN   TYPE   REASON"));
    assert!(!reader.wants("Aug 26 10:00:31 node kubelet[1]: I0826 10:00:31.000000 1 x.go:1] ok"));
}

/// A small deterministic generator of hostile text.
fn noise(seed: &mut u64, len: usize) -> String {
    const PIECES: [&str; 24] = [
        "{",
        "}",
        "[",
        "]",
        "\"",
        ":",
        ",",
        "\n",
        " ",
        "  ",
        "\t",
        "\r",
        "---\n",
        "- ",
        "items:",
        "apiVersion: v1\n",
        "\"items\": [",
        "Name:  x\n",
        "Events:\n",
        "  Type  Reason  Age  From  Message\n",
        "LAST SEEN   TYPE   REASON   OBJECT   MESSAGE\n",
        "Status:\n  Conditions:\n    Type:  ",
        "2025-08-26T10:00:00Z stdout P ",
        "é\u{0}",
    ];
    let mut s = String::new();
    for _ in 0..len {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        s.push_str(PIECES[(*seed % PIECES.len() as u64) as usize]);
    }
    s
}

#[test]
fn arbitrary_input_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..400 {
        let text = noise(&mut seed, 10 + round % 90);
        for kind in [InputKind::Lines, InputKind::Json, InputKind::Yaml] {
            let mut problems = Vec::new();
            let _ = parse_document(&text, kind, &mut problems);
        }
        let _ = sniff(&text);
        let mut reader = Reader::new();
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for (i, l) in text.split('\n').enumerate() {
            let _ = reader.wants(l);
            reader.push_line(l, i as u64 + 1, &mut out, &mut problems);
        }
        reader.finish(&mut out, &mut problems);
        assert!(reader.is_idle());
    }
}

#[test]
fn typed_list_items_without_kind_take_the_list_kind() {
    // As the API server returns a list: items carry no kind or apiVersion.
    let text = "{\n  \"kind\": \"HTTPRouteList\",\n  \"apiVersion\": \"gateway.networking.k8s.io/v1\",\n  \"items\": [\n    {\"metadata\": {\"name\": \"r\", \"namespace\": \"shop\"}, \"status\": {\"parents\": [{\"controllerName\": \"istio.io/gateway-controller\", \"parentRef\": {\"name\": \"gw\"}, \"conditions\": [{\"type\": \"ResolvedRefs\", \"status\": \"False\", \"reason\": \"RefNotPermitted\", \"message\": \"backendRef httpbin/default not accessible to a HTTPRoute in namespace \\\"shop\\\" (missing a ReferenceGrant?)\"}]}]}}\n  ]\n}\n";
    let (out, problems) = doc(text, InputKind::Json);
    assert!(problems.is_empty());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].line, 5);
    assert_eq!(out[0].get(&Field::ObjectKind), Some("HTTPRoute"));
    assert_eq!(out[0].get(&Field::Parent), Some("shop/gw"));
    assert_eq!(out[0].get(&Field::Reason), Some("RefNotPermitted"));
    assert_eq!(out[0].ts, None);

    let pods = "{\n  \"kind\": \"PodList\",\n  \"apiVersion\": \"v1\",\n  \"items\": [{\"metadata\": {\"name\": \"p\"}, \"status\": {\"conditions\": [{\"type\": \"Ready\", \"status\": \"False\"}]}}]\n}\n";
    let (out, _) = doc(pods, InputKind::Json);
    assert!(out.is_empty());
}
